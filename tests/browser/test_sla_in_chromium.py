"""The SLA panel in a real browser: it loads with the conversation, and when a colleague
puts the conversation on hold the agent sees the clock pause without a reload."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from balie.store.database import Database
from tests.browser.conftest import NewPage
from tests.browser.test_inbox_in_chromium import _log_in
from tests.conftest import MakeAgent
from tests.test_web_support import open_conversation

pytestmark = pytest.mark.browser


async def test_the_sla_panel_loads_and_follows_a_pause_live(
    db: Database, make_agent: MakeAgent, new_page: NewPage, live_server: str
) -> None:
    agent = await make_agent("agent", name="Ayla Kaya", language="en")
    colleague = await make_agent("supervisor", name="Sem de Boer")
    cid = await open_conversation(db, subject="Wasmachine lekt")

    page = await new_page()
    await _log_in(page, agent.email)
    await page.goto(f"/conversations/{cid}")
    panel = page.locator("#sla-panel")
    await expect(panel.locator(".sla-first_response")).to_contain_text("First answer due")
    await expect(page.locator("#live .live-text")).to_have_text("Live")

    async with httpx.AsyncClient(
        base_url=live_server, headers={"Authorization": f"Bearer {colleague.token}"}
    ) as http:
        r = await http.patch(f"/api/v1/conversations/{cid}", json={"status": "pending"})
        assert r.status_code == 200, r.text

    await expect(panel).to_contain_text("Paused while we wait on the customer.")
    await expect(panel.locator(".sla-clock")).to_have_count(0)
