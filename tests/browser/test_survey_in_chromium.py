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
from tests.browser.test_widget_in_chromium import (  # noqa: F401 (the fixtures)
    Desk,
    OpenShop,
    desk,
    open_shop,
    shop_url,
)

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


async def test_the_widget_makes_a_survey_button_only_of_balies_own_survey_links(
    desk: Desk,  # noqa: F811
    open_shop: OpenShop,  # noqa: F811
) -> None:
    """Incident updates are system messages a supervisor wrote: a "survey" address on
    another site in one stays text; a link to this Balie's survey page is a button."""
    await desk.configure(prechat=[], hours=None)
    visitor = await open_shop(desk.key)
    await visitor.widget(".launcher").click()
    box = visitor.widget("textarea#balie-text")
    await box.fill("De betaling lukt niet")
    await box.press("Enter")
    cid = (await desk.only_conversation())["id"]
    own = f"{desk.live_server}/survey/abc.def"
    for update in (
        "Opgelost. Vul in: https://evil.example/survey/abc.def",
        f"Opgelost. Vul in: {own}",
    ):
        made = await desk.admin.post(
            "/api/v1/incidents", json={"inbox_id": desk.inbox_id, "title": "iDEAL storing"}
        )
        assert made.status_code == 201, made.text
        incident = made.json()["id"]
        linked = await desk.sanne.post(
            f"/api/v1/incidents/{incident}/link", json={"conversation_id": cid}
        )
        assert linked.status_code == 200, linked.text
        resolved = await desk.admin.post(
            f"/api/v1/incidents/{incident}/resolve", json={"update": update}
        )
        assert resolved.status_code == 200, resolved.text
    await expect(visitor.widget(".msg.from-system")).to_have_count(2)
    button = visitor.widget(".survey-link")
    await expect(button).to_have_count(1)
    await expect(button).to_have_attribute("href", own)
