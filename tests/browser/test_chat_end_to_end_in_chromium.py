"""The whole chat in two real browsers: a visitor in the widget on a shop's page (another
origin), an agent in Balie's inbox; each sees the other live, nothing typed twice."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import NewPage
from tests.browser.test_inbox_in_chromium import _log_in
from tests.browser.test_widget_in_chromium import (  # noqa: F401 (fixtures used by name)
    Desk,
    OpenShop,
    _send,
    desk,
    open_shop,
    shop_url,
)

pytestmark = pytest.mark.browser


async def test_visitor_in_the_widget_and_agent_in_the_inbox_talk_live(
    desk: Desk,  # noqa: F811
    open_shop: OpenShop,  # noqa: F811
    new_page: NewPage,
) -> None:
    await desk.configure(prechat=[], hours=None)
    online = await desk.sanne.put("/api/v1/presence", json={"status": "online", "capacity": 3})
    assert online.status_code == 200, online.text

    agent = await new_page()
    await _log_in(agent, desk.sanne_email)
    inbox = agent.locator("#inbox")

    joost = await open_shop(desk.key)
    await joost.widget(".launcher").click()
    await _send(joost, "Mijn fiets heeft een lekke band, kunnen jullie helpen?")

    # The chat appears in the agent's open inbox without a reload.
    row = inbox.get_by_role("link", name=re.compile("lekke band"))
    await expect(row).to_be_visible(timeout=8000)
    await row.click()
    await expect(agent.locator(".timeline .message")).to_have_count(1)

    await agent.locator("#reply-text").fill("Natuurlijk! Welke maat band heeft uw fiets?")
    await agent.locator("form.reply button[type=submit]").click()
    answer = joost.widget(".msg.from-agent")
    await expect(answer).to_have_count(1, timeout=8000)
    await expect(answer).to_contain_text("Welke maat band")

    await _send(joost, "28 inch, denk ik.")
    timeline = agent.locator(".timeline .message")
    await expect(timeline).to_have_count(3, timeout=8000)
    await expect(timeline.last).to_contain_text("28 inch")

    # Each side shows each message once, in the same order.
    assert await joost.messages() == [
        ("customer", "Mijn fiets heeft een lekke band, kunnen jullie helpen?"),
        ("agent", "Natuurlijk! Welke maat band heeft uw fiets?"),
        ("customer", "28 inch, denk ik."),
    ]
