"""Script in a chat message does nothing in the agent's inbox: a visitor sends the widget
tests' payloads (as messages and as their name), the agent reads them live."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Dialog, expect

from tests.browser.conftest import NewPage
from tests.browser.test_inbox_in_chromium import _log_in
from tests.browser.test_widget_in_chromium import XSS_PAYLOADS
from tests.chat_support import new_visitor
from tests.conftest import MakeAgent

pytestmark = pytest.mark.browser


async def test_chat_payloads_stay_text_in_the_inbox_and_the_conversation(
    live_server: str, make_agent: MakeAgent, new_page: NewPage
) -> None:
    admin = await make_agent("admin", team="Webwinkel", language="en")
    async with httpx.AsyncClient(timeout=10) as http:
        made = await http.post(
            f"{live_server}/api/v1/inboxes",
            json={"team_id": admin.team_id, "name": "XSS chat", "channel": "chat"},
            headers={"Authorization": f"Bearer {admin.token}"},
        )
        key = made.json()["key"]
        await http.patch(
            f"{live_server}/api/v1/inboxes/{made.json()['id']}",
            json={"prechat": [{"name": "name", "required": True}]},
            headers={"Authorization": f"Bearer {admin.token}"},
        )
        visitor = await new_visitor(http, live_server, key)
    page = await new_page()
    dialogs: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    await _log_in(page, admin.email)

    await visitor.connect()
    ack = await visitor.say(
        XSS_PAYLOADS[0], start=True, fields={"name": '<img src=x onerror="window.__xss=1">'}
    )
    await expect(page.locator("#inbox")).to_contain_text(XSS_PAYLOADS[0][:20], timeout=8000)

    await page.goto(f"/conversations/{ack['conversation_id']}")
    for payload in XSS_PAYLOADS[1:]:
        await visitor.say(payload)
    messages = page.locator(".timeline .message")
    # Every one arrives live, in a burst, without a reload.
    await expect(messages).to_have_count(len(XSS_PAYLOADS), timeout=10_000)
    for n, payload in enumerate(XSS_PAYLOADS):
        await expect(messages.nth(n)).to_contain_text(payload)
    await visitor.close()

    injected = await page.evaluate(
        """() => ({
            flag: window.__xss === 1,
            scripts: document.querySelectorAll('.timeline script, .timeline iframe').length,
            handlers: [...document.querySelectorAll('.timeline *')].filter(
                el => [...el.attributes].some(a => a.name.startsWith('on'))).length,
        })"""
    )
    assert injected == {"flag": False, "scripts": 0, "handlers": 0}
    assert dialogs == []
