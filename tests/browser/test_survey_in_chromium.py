"""The public survey page in a real browser: a customer picks a score, writes how we could
have prevented it, sends, and sees the thanks; the answer is stored. This is where a
referrer policy that made Chromium send "Origin: null" would refuse every real answer."""

from __future__ import annotations

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.conversations import actions
from balie.customers.actions import customer_for_email
from balie.store.database import Database
from balie.store.tables import Survey
from balie.surveys import tokens
from tests.browser.conftest import NewPage

pytestmark = pytest.mark.browser


async def test_a_customer_answers_the_survey(db: Database, new_page: NewPage) -> None:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        customer = await customer_for_email(act, email="sanne@example.nl", name="Sanne")
        conversation, _ = await actions.create_conversation(
            act, customer=customer, subject="Wasmachine", text="Hij lekt.", language="en"
        )
        survey = Survey(
            conversation_id=conversation.id, channel="email", status="sent", sent_at=act.now
        )
        session.add(survey)
        await session.flush()
        survey_id = survey.id

    page = await new_page()
    await page.goto(f"/survey/{tokens.token(survey_id)}")
    await page.locator("label[for=score-4]").click()
    await page.locator("#prevention").fill("Say in the manual that the hose can come loose.")
    await page.locator("form.survey-form button[type=submit]").click()
    await expect(page.locator("h1")).to_have_text("Thank you!")

    async with db.reading() as session:
        stored = await session.scalar(select(Survey).where(Survey.id == survey_id))
    assert stored is not None and (stored.status, stored.score) == ("answered", 4)
    assert stored.prevention == "Say in the manual that the hose can come loose."
