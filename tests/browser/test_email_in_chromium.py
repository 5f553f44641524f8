"""E-mail on the agent's page in a real browser: a mail arrives on the open inbox, the
agent answers it, and the answer's delivery (queued, then sent) shows without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from balie.email.inbound import receive
from balie.email.sender import OutboxSender
from balie.settings import Settings
from balie.store.database import Database
from tests.browser.conftest import NewPage
from tests.browser.test_inbox_in_chromium import _log_in
from tests.conftest import MakeAgent
from tests.email_fixtures import ADDRESS, email_inbox
from tests.mail_support import mail, smtp_sink

__all__ = ["email_inbox"]

pytestmark = pytest.mark.browser

LIVE = 5000  # ms


async def test_an_answer_by_mail_shows_it_was_sent_without_a_reload(
    db: Database, settings: Settings, email_inbox: object, make_agent: MakeAgent, new_page: NewPage
) -> None:
    agent = await make_agent("agent", team="Team Shop support", name="Ayla Kaya", language="en")
    page = await new_page()
    await _log_in(page, agent.email)
    await expect(page.locator("#live .live-text")).to_have_text("Live")
    got = await receive(db, mail(subject="Kapotte fietsbel"), recipients=[ADDRESS])
    rows = page.locator(".conversation-row")
    await expect(rows).to_have_count(1, timeout=LIVE)  # the mail arrives on the open inbox
    await rows.first.get_by_role("link").click()
    await expect(page).to_have_url(re.compile(rf"/conversations/{got.conversation_id}$"))
    await expect(page.locator(".badge.by-email")).to_have_count(1)
    await page.locator("#reply-text").fill("Dag Sanne, we sturen vandaag een nieuwe bel.")
    await page.locator("#reply-text").press("Tab")
    await page.locator("form[action$='/reply'] button[type=submit]").click()
    line = page.locator(".mail-line").last
    await expect(line).to_contain_text("E-mail queued")
    with smtp_sink() as relay:
        sender = OutboxSender(
            db,
            settings.model_copy(update={"smtp_relay": relay.relay, "smtp_relay_security": "none"}),
        )
        await sender.run_once()
        assert len(await relay.wait(2)) == 2  # the acknowledgement and the answer
    await expect(line).to_contain_text("Sent by e-mail to sanne@example.nl", timeout=LIVE)
