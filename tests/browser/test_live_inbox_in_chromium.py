"""The live inbox in a real browser: a chat that starts shows up without a reload, the
open conversation gets the visitor's messages and typing as they happen, the agent's
typing reaches the visitor, and the presence control sets the agent's status."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import NewPage
from tests.browser.test_inbox_in_chromium import _log_in
from tests.chat_support import new_visitor
from tests.conftest import MakeAgent, Person

pytestmark = pytest.mark.browser

LIVE = 5000  # ms: "within a few seconds, without a reload"


@dataclass
class World:
    http: httpx.AsyncClient  # the live server, as the admin
    agent: Person
    key: str


@pytest.fixture
async def world(make_agent: MakeAgent, live_server: str) -> AsyncIterator[World]:
    admin = await make_agent("admin", team="Fietsen", name="Anouk Admin")
    agent = await make_agent("agent", team="Fietsen", name="Ayla Kaya", language="en")
    async with httpx.AsyncClient(
        base_url=live_server, headers={"Authorization": f"Bearer {admin.token}"}, timeout=10
    ) as http:
        answer = await http.post(
            "/api/v1/inboxes", json={"team_id": admin.team_id, "name": "Spaak", "channel": "chat"}
        )
        assert answer.status_code == 201, answer.text
        yield World(http, agent, answer.json()["key"])


async def _live(page: Page) -> None:
    await expect(page.locator("#live .live-text")).to_have_text("Live")


async def test_a_chat_appears_and_talks_live(
    world: World, live_server: str, new_page: NewPage
) -> None:
    page = await new_page()
    await _log_in(page, world.agent.email)
    await _live(page)
    rows = page.locator(".conversation-row")
    await expect(rows).to_have_count(0)

    visitor = await new_visitor(world.http, live_server, world.key)
    await visitor.connect()
    try:
        await visitor.say("Mijn fietsbel doet het niet meer", start=True)
        # (a) the new chat is in the list, no reload
        await expect(rows).to_have_count(1, timeout=LIVE)
        await expect(rows.first).to_contain_text("Mijn fietsbel doet het niet meer")
        await expect(page.locator("#live .live-text")).to_have_text("Live")

        # (b) on the conversation page, the visitor's words and typing arrive live
        await rows.first.get_by_role("link").click()
        await expect(page).to_have_url(re.compile(rf"/conversations/{visitor.conversation_id}$"))
        await _live(page)
        timeline = page.locator(".timeline .message")
        await expect(timeline).to_have_count(1)
        # Seeing the message is reading it: the agent's read mark reaches the visitor.
        assert (await visitor.until("read", wait=LIVE / 1000))["seq"] == 1

        typing = page.locator("#typing")
        await expect(typing).to_be_hidden()
        await visitor.send({"type": "typing", "on": True})
        await expect(typing).to_be_visible(timeout=LIVE)
        await expect(typing).to_have_text(re.compile("is typing…$"))
        await visitor.say("Hij zit op een Gazelle uit 2019")
        await expect(timeline).to_have_count(2, timeout=LIVE)
        await expect(timeline.last).to_contain_text("Gazelle uit 2019")
        await expect(typing).to_be_hidden()  # what they were typing has arrived

        # The agent's typing in the reply box reaches the visitor, and stops again.
        await page.locator("#reply-text").press_sequentially("Een moment", delay=20)
        assert (await visitor.until("typing", wait=LIVE / 1000))["on"] is True
        assert (await visitor.until("typing", wait=LIVE / 1000))["on"] is False
        # Typing an internal note is not the customer's business.
        await page.locator("#note-text").press_sequentially("Klant belt vaker", delay=20)
        with pytest.raises(TimeoutError):
            await visitor.until("typing", wait=1.0)

        # Messages alone leave the page's header as it is; a colleague's change does not.
        changed = page.locator("#changed")
        await expect(changed).to_be_hidden()
        answer = await world.http.patch(
            f"/api/v1/conversations/{visitor.conversation_id}", json={"tags": ["fietsbel"]}
        )
        assert answer.status_code == 200, answer.text
        await expect(changed).to_be_visible(timeout=LIVE)
        await changed.get_by_role("link", name="Reload").click()
        await expect(page.locator(".thread-head .tag")).to_have_text("fietsbel")
        await expect(changed).to_be_hidden()
    finally:
        await visitor.close()


async def test_presence_control_sets_the_status(
    world: World, live_server: str, new_page: NewPage
) -> None:
    page = await new_page()
    await _log_in(page, world.agent.email)
    await _live(page)
    control = page.locator("#presence")
    await expect(control.locator("#presence-status")).to_have_value("offline")
    await expect(control.get_by_role("button", name="Set")).to_be_hidden()  # applies at once

    await control.locator("#presence-capacity").fill("4")
    await control.locator("#presence-capacity").press("Tab")
    await expect(control.locator(".presence-note")).to_have_text("Status saved")
    await control.locator("#presence-status").select_option("online")
    await expect(control).to_have_class(re.compile(r"\bpresence-online\b"))
    await expect(control.locator(".presence-note")).to_have_text("Status saved")

    async with httpx.AsyncClient(
        base_url=live_server, headers={"Authorization": f"Bearer {world.agent.token}"}
    ) as http:
        listed = (await http.get("/api/v1/presence")).json()
    mine = [p for p in listed if p["agent_id"] == world.agent.id]
    # Online counts only with a live socket's heartbeat: this page's socket gives it.
    assert mine == [
        {
            "agent_id": world.agent.id,
            "name": "Ayla Kaya",
            "team_id": world.agent.team_id,
            "status": "online",
            "capacity": 4,
            "open_chats": 0,
        }
    ]
    await page.reload()
    await expect(control.locator("#presence-status")).to_have_value("online")
    await expect(control.locator("#presence-capacity")).to_have_value("4")


async def test_a_dropped_socket_reconnects_and_resumes(
    world: World, live_server: str, new_page: NewPage
) -> None:
    hellos: list[dict[str, Any]] = []
    sockets: list[WebSocketRoute] = []

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "hello":
                hellos.append(frame)
            server.send(message)

        ws.on_message(to_server)
        sockets.append(ws)

    page = await new_page()
    await page.route_web_socket(re.compile(r"/api/v1/live$"), route)
    await _log_in(page, world.agent.email)
    await _live(page)
    rows = page.locator(".conversation-row")
    started = hellos[-1]["after"]
    first = await new_visitor(world.http, live_server, world.key)
    second = await new_visitor(world.http, live_server, world.key)
    await first.connect()
    await second.connect()
    try:
        await first.say("Is mijn bestelling al verzonden?", start=True)
        await expect(rows).to_have_count(1, timeout=LIVE)
        seen = (await world.http.get("/api/v1/live/state")).json()["cursor"]

        await sockets[-1].close(code=1011)  # the connection breaks
        await expect(page.locator("#live .live-text")).to_have_text("Reconnecting…")
        await second.say("Kan ik mijn fiets ruilen?", start=True)  # while it is down
        # Back after the first back-off, with the chat that started meanwhile...
        await _live(page)
        await expect(rows).to_have_count(2, timeout=LIVE)
        # ...because the socket resumed from the last event it had seen.
        assert len(hellos) == 2 and started < hellos[-1]["after"] <= seen

        # A refresh of the list keeps the agent's place: the focused row stays focused.
        link = page.get_by_role("link", name=re.compile("bestelling"))
        await link.focus()
        await page.evaluate(
            """() => { window.settled = 0;
                document.addEventListener('htmx:afterSettle', () => window.settled++); }"""
        )
        await first.say("Ordernummer 4711")
        for _ in range(LIVE // 100):  # (wait_for_function would need eval, which the CSP forbids)
            if await page.evaluate("window.settled"):
                break
            await asyncio.sleep(0.1)
        assert await page.evaluate("window.settled")
        await expect(link).to_be_focused()
    finally:
        await first.close()
        await second.close()
