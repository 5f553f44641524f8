"""An agent's day in a real browser: log in, reply, hand over, accept, search."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from balie.act import CLI, Act, utcnow
from balie.conversations import actions
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


async def test_reply_hand_over_accept_and_search(
    db: Database, make_agent: MakeAgent, new_page: NewPage
) -> None:
    ayla = await make_agent("agent", name="Ayla Kaya", language="en")
    bram = await make_agent("agent", name="Bram Peters", language="nl")
    cid = await open_conversation(db, subject="Wasmachine lekt")

    page = await new_page()
    await _log_in(page, ayla.email)
    await page.get_by_role("link", name=re.compile("Wasmachine lekt")).click()
    await expect(page).to_have_url(re.compile(f"/conversations/{cid}$"))

    await page.locator("#reply-text").fill("Draai de kraan dicht, de monteur komt morgen.")
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.locator(".message.from-agent")).to_contain_text("de monteur komt morgen")

    await page.get_by_role("button", name="Take this conversation").click()
    await expect(page.locator(".owner-name")).to_have_text("Ayla Kaya")
    await page.locator(".handover-form summary").click()
    await page.locator("#handover-to").select_option(label="Bram Peters")
    await page.locator("#handover-note").fill("Klant wil een monteur, graag bellen.")
    await page.get_by_role("button", name="Offer hand-over").click()
    await expect(page.locator(".handover-pending")).to_contain_text(
        "Waiting for Bram Peters to accept"
    )
    await expect(page.locator(".owner-name")).to_have_text("Ayla Kaya")

    colleague = await new_page()
    await _log_in(colleague, bram.email)  # Bram works in Dutch
    offers = colleague.locator(".offers")
    await expect(offers).to_contain_text("Aan jou aangeboden")
    await expect(offers).to_contain_text("Klant wil een monteur")
    await offers.get_by_role("button", name="Accepteren").click()
    await expect(colleague).to_have_url(re.compile(f"/conversations/{cid}$"))
    await expect(colleague.locator(".owner-name")).to_have_text("Bram Peters")

    await page.reload()
    await expect(page.locator(".owner-name")).to_have_text("Bram Peters")
    await expect(page.locator(".handover-pending")).to_have_count(0)

    await page.locator("#q").fill("monteur")
    await page.locator("#q").press("Enter")
    hit = page.locator(".message-hits li").first
    await expect(hit.locator("mark").first).to_have_text(re.compile("monteur", re.I))
    await hit.get_by_role("link").click()
    await expect(page).to_have_url(re.compile(f"/conversations/{cid}#m2$"))


async def test_filters_update_the_list_in_place(
    db: Database, make_agent: MakeAgent, new_page: NewPage
) -> None:
    ayla = await make_agent("agent", language="en")
    await open_conversation(db, subject="Chat over bezorging", channel="chat")
    await open_conversation(db, subject="Mail over factuur", channel="email", email="b@x.nl")
    page = await new_page()
    await _log_in(page, ayla.email)
    rows = page.locator(".conversation-row")
    await expect(rows).to_have_count(2)
    await page.locator("#f-channel").select_option("chat")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Chat over bezorging")
    await expect(page).to_have_url(re.compile(r"channel=chat"))
    await page.go_back()  # the whole page comes back, header included
    await expect(rows).to_have_count(2)
    await expect(page.locator(".topbar")).to_be_visible()
    await page.go_forward()
    await expect(rows).to_have_count(1)
    await page.get_by_role("link", name="Clear").click()
    await expect(rows).to_have_count(2)


async def test_language_switch_and_log_out(make_agent: MakeAgent, new_page: NewPage) -> None:
    ayla = await make_agent("agent", language="nl")
    page = await new_page()
    await _log_in(page, ayla.email)
    await expect(page.locator(".topbar")).to_contain_text("Uitloggen")
    await page.get_by_role("button", name="EN", exact=True).click()
    await expect(page.locator(".topbar")).to_contain_text("Log out")
    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile("/login$"))
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next="))


async def test_a_new_customer_message_appears_without_reloading(
    db: Database, make_agent: MakeAgent, new_page: NewPage
) -> None:
    ayla = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    page = await new_page()
    await _log_in(page, ayla.email)
    await page.goto(f"/conversations/{cid}")
    await expect(page.locator(".message")).to_have_count(1)
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        conversation = await actions.get_visible(act, cid)
        await actions.add_message(
            act,
            conversation,
            text="Hallo? Zijn jullie er nog?",
            internal=False,
            author_kind="customer",
        )
    timeline = page.locator(".timeline .message")
    await expect(timeline).to_have_count(2, timeout=8000)
    await expect(timeline.last).to_contain_text("Zijn jullie er nog?")
