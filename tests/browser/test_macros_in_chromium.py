"""A macro in a real browser: "Insert" puts the text for this customer in the reply box,
where the coach checks it, and the agent sends it as a normal reply."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from balie.store.database import Database
from tests.browser.conftest import NewPage
from tests.conftest import PASSWORD, MakeAgent
from tests.test_web_support import open_conversation

pytestmark = pytest.mark.browser


async def _log_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.locator("#email").fill(email)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form[action='/login'] button[type=submit]").click()
    await expect(page.locator(".topbar")).to_be_visible()


async def test_insert_fills_the_reply_box_for_this_customer(
    db: Database, make_agent: MakeAgent, new_page: NewPage
) -> None:
    karin = await make_agent("agent", name="Karin Smit", language="en")
    cid = await open_conversation(db, name="Sanne de Vries")
    saved = await karin.client.post(
        "/api/v1/macros",
        json={
            "name": "Onderweg",
            "language": "nl",
            "body": "Beste {customer_first_name}, uw pakket is onderweg. Groet, {agent_first_name}",
        },
    )
    assert saved.status_code == 201, saved.text

    page = await new_page()
    await _log_in(page, karin.email)
    await page.goto(f"/conversations/{cid}")
    await page.locator(".macros-slot summary").click()
    await page.get_by_role("button", name="Insert").click()
    reply = page.locator("#reply-text")
    await expect(reply).to_have_value("Beste Sanne, uw pakket is onderweg. Groet, Karin")
    await expect(page.locator("#macros-result")).to_contain_text("Inserted “Onderweg”")
    # The swapped-in box is live: the coach checks the inserted text at once.
    await expect(page.locator("#reply-coach .coach-verdict")).to_be_visible()

    await page.get_by_role("button", name="Send reply").click()
    await expect(page).to_have_url(re.compile(f"/conversations/{cid}$"))
    await expect(page.locator(".message.from-agent")).to_contain_text("uw pakket is onderweg")
