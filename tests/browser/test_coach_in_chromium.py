"""The reply coach in a real browser: it flags an insult while the agent types, and the
rewritten reply goes out."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from balie.store.database import Database
from tests.browser.conftest import NewPage
from tests.conftest import PASSWORD, MakeAgent
from tests.test_web_support import open_conversation

pytestmark = pytest.mark.browser
# Set BALIE_SCREENSHOTS to a folder to keep a picture of the flagged draft.
SCREENSHOTS = os.environ.get("BALIE_SCREENSHOTS")


async def _log_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.locator("#email").fill(email)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form[action='/login'] button[type=submit]").click()
    await expect(page.locator(".topbar")).to_be_visible()


async def test_the_coach_flags_an_insult_as_the_agent_types(
    db: Database, make_agent: MakeAgent, new_page: NewPage
) -> None:
    ayla = await make_agent("agent", name="Ayla Kaya", language="en")
    cid = await open_conversation(
        db, subject="Handleiding kwijt", text="Waar vind ik de handleiding?"
    )

    page = await new_page()
    await _log_in(page, ayla.email)
    await page.goto(f"/conversations/{cid}")
    coach = page.locator("#reply-coach")
    await expect(coach).to_be_empty()

    await page.locator("#reply-text").press_sequentially(
        "Luister eens, idioot, lees gewoon de handleiding.", delay=5
    )
    await expect(coach.locator(".coach-verdict")).to_contain_text("Will not be sent.")
    await expect(coach.locator("mark.kind-insult", has_text="idioot")).to_have_count(1)
    flag = coach.locator(".coach-flag.kind-insult", has_text="idioot")
    await expect(flag.locator(".coach-suggestion")).to_contain_text("Try:")
    if SCREENSHOTS:
        await page.screenshot(
            path=str(Path(SCREENSHOTS) / "coach-flagged-draft.png"), full_page=True
        )

    await page.locator("#reply-text").fill("")
    await page.locator("#reply-text").press_sequentially(
        "De handleiding staat op onze website onder Support; ik stuur u de link.", delay=5
    )
    await expect(coach.locator(".coach-verdict")).not_to_contain_text("Will not be sent.")
    await expect(coach.locator("mark")).to_have_count(0)
    await page.get_by_role("button", name="Send reply").click()
    await expect(page).to_have_url(re.compile(f"/conversations/{cid}$"))
    await expect(page.locator(".message.from-agent")).to_contain_text("ik stuur u de link")
    await expect(page.locator("#reply-coach")).to_be_empty()
