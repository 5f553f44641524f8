"""Helpers for the inbox tests (no tests here): a browser-like client that logs in
through the real log-in form, and a conversation created through the actions."""

from __future__ import annotations

import re
from typing import Any

import httpx

from balie.act import CLI, Act, utcnow
from balie.conversations import actions
from balie.customers.actions import customer_for_email
from balie.store.database import Database
from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def web_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://balie.test",
        headers={"Accept-Language": "en"},
    )


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text), "next": "/"},
    )


async def page_csrf(client: httpx.AsyncClient, path: str = "/") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def open_conversation(
    db: Database,
    *,
    subject: str = "Wasmachine lekt",
    text: str = "Mijn wasmachine lekt sinds gisteren, wat nu?",
    email: str = "sanne@example.nl",
    name: str = "Sanne de Vries",
    channel: str = "email",
) -> int:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        customer = await customer_for_email(act, email=email, name=name)
        conversation, _ = await actions.create_conversation(
            act, customer=customer, subject=subject, text=text, channel=channel
        )
    return conversation.id
