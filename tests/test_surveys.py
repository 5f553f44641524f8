"""Surveys after resolution (SCENARIOS B4): who is asked, the public page that asks, and
the summary agents read."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import time

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select, update

from balie.store.database import Database
from balie.store.tables import AbuseWarning, Customer, Inbox, OutboxMail, Survey
from tests.conftest import MakeAgent, Person, snapshot
from tests.email_fixtures import make_email_inbox

LINK = re.compile(r"https?://\S+?(/survey/[A-Za-z0-9_.\-]+)")
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


@pytest.fixture
async def mail_inbox(db: Database) -> Inbox:
    return await make_email_inbox(db)


@pytest.fixture
async def staff(make_agent: MakeAgent, mail_inbox: Inbox) -> Person:
    """An agent of the team the e-mail inbox belongs to."""
    return await make_agent("agent", team="Team Shop support")


async def resolved_mail_conversation(
    person: Person, inbox: Inbox, *, language: str = "nl", reply: bool = True
) -> int:
    created = await person.client.post(
        "/api/v1/conversations",
        json={
            "customer": {"name": "Sanne", "email": "sanne@example.nl"},
            "subject": "Wasmachine lekt",
            "message": {"text": "Mijn wasmachine lekt sinds gisteren."},
            "channel": "email",
            "inbox_id": inbox.id,
            "language": language,
        },
    )
    assert created.status_code == 201, created.text
    conversation_id = int(created.json()["id"])
    if reply:
        answered = await person.client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": "Ik stuur je vandaag een nieuwe afvoerslang."},
        )
        assert answered.status_code == 201, answered.text
    resolved = await person.client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"status": "resolved"}
    )
    assert resolved.status_code == 200, resolved.text
    return conversation_id


async def survey_mails(db: Database) -> list[str]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(OutboxMail).where(OutboxMail.purpose == "survey").order_by(OutboxMail.id)
        )
        mails = list(rows)
    texts = []
    for mail in mails:
        parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
        body = parsed.get_body(("plain",))  # type: ignore[attr-defined]
        assert body is not None
        texts.append(str(body.get_content()))
    return texts


async def surveys(db: Database) -> list[Survey]:
    async with db.reading() as session:
        return list(await session.scalars(select(Survey).order_by(Survey.id)))


async def mailed_link(db: Database) -> str:
    (text,) = await survey_mails(db)
    found = LINK.search(text)
    assert found, text
    return found.group(1)


async def test_resolving_an_email_conversation_mails_a_survey_with_a_working_link(
    staff: Person, mail_inbox: Inbox, anon: httpx.AsyncClient, db: Database
) -> None:
    conversation_id = await resolved_mail_conversation(staff, mail_inbox)
    (survey,) = await surveys(db)
    assert survey.conversation_id == conversation_id
    assert (survey.status, survey.channel) == ("sent", "email")
    (text,) = await survey_mails(db)
    assert "hoe we dit probleem hadden kunnen voorkomen" in text
    page = await anon.get(await mailed_link(db))
    assert page.status_code == 200
    assert "Hoe hadden we dit kunnen voorkomen?" in page.text
    assert page.text.count('type="radio"') == 5


async def test_the_page_speaks_the_conversations_language(
    staff: Person, mail_inbox: Inbox, anon: httpx.AsyncClient, db: Database
) -> None:
    await resolved_mail_conversation(staff, mail_inbox, language="en")
    assert "how we could have prevented this problem" in (await survey_mails(db))[0]
    page = await anon.get(await mailed_link(db), headers={"Accept-Language": "nl"})
    assert "How could we have prevented this?" in page.text


async def test_no_survey_without_an_answer_within_a_week_or_for_a_blocked_customer(
    staff: Person, mail_inbox: Inbox, db: Database
) -> None:
    await resolved_mail_conversation(staff, mail_inbox, reply=False)
    assert await surveys(db) == []

    first = await resolved_mail_conversation(staff, mail_inbox)
    await resolved_mail_conversation(staff, mail_inbox)  # the same customer, days later
    assert [s.conversation_id for s in await surveys(db)] == [first]

    # A week later she may be asked again, but not while she is blocked.
    async with db.writing() as session:
        (asked,) = list(await session.scalars(select(Survey)))
        asked.sent_at -= dt.timedelta(days=8)
        await session.execute(
            update(Customer).values(blocked_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
        )
    await resolved_mail_conversation(staff, mail_inbox)
    assert len(await surveys(db)) == 1
    async with db.writing() as session:
        await session.execute(update(Customer).values(blocked_until=None))
    last = await resolved_mail_conversation(staff, mail_inbox)
    assert [s.conversation_id for s in await surveys(db)] == [first, last]
    assert len(await survey_mails(db)) == 2


async def test_no_survey_after_an_ending_with_abuse_warnings(
    staff: Person, mail_inbox: Inbox, db: Database
) -> None:
    created = await staff.client.post(
        "/api/v1/conversations",
        json={
            "customer": {"name": "Karel", "email": "karel@example.nl"},
            "subject": "Bestelling",
            "message": {"text": "Waar blijft mijn bestelling?"},
            "channel": "email",
            "inbox_id": mail_inbox.id,
        },
    )
    conversation_id = created.json()["id"]
    await staff.client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"text": "Je bestelling is vandaag verstuurd."},
    )
    async with db.writing() as session:
        customer_id = created.json()["customer_id"]
        session.add(
            AbuseWarning(
                customer_id=customer_id,
                conversation_id=conversation_id,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    resolved = await staff.client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"status": "resolved"}
    )
    assert resolved.status_code == 200, resolved.text
    assert await surveys(db) == []


async def answer(
    anon: httpx.AsyncClient, link: str, **form: str
) -> tuple[httpx.Response, dict[str, str]]:
    page = await anon.get(link)
    found = NONCE.search(page.text)
    data = {"nonce": found.group(1) if found else "", **form}
    return await anon.post(link, data=data), data


async def test_an_answer_is_stored_once_and_summed_up(
    staff: Person, mail_inbox: Inbox, anon: httpx.AsyncClient, db: Database
) -> None:
    await resolved_mail_conversation(staff, mail_inbox)
    link = await mailed_link(db)
    sent, data = await answer(
        anon, link, score="2", prevention="Zet in de handleiding dat de slang los kan raken."
    )
    assert sent.status_code == 200 and "Dank je wel!" in sent.text
    (survey,) = await surveys(db)
    assert (survey.status, survey.score) == ("answered", 2)
    assert survey.prevention == "Zet in de handleiding dat de slang los kan raken."

    before = await snapshot(db)
    again = await anon.post(link, data={**data, "score": "5", "prevention": "Alles top"})
    assert again.status_code == 409
    assert "Je hebt deze vragenlijst al ingevuld" in again.text
    assert await snapshot(db) == before
    shown = await anon.get(link)
    assert "Je hebt deze vragenlijst al ingevuld" in shown.text and "nonce" not in shown.text

    summary = await staff.client.get("/api/v1/surveys")
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["sent"] == 1 and body["answered"] == 1
    assert body["scores"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0}
    assert body["average"] == 2.0
    assert [p["text"] for p in body["prevention"]] == [
        "Zet in de handleiding dat de slang los kan raken."
    ]
    by_inbox = await staff.client.get("/api/v1/surveys", params={"inbox_id": mail_inbox.id + 1000})
    assert by_inbox.json()["answered"] == 0
    later = await staff.client.get("/api/v1/surveys", params={"since": "2030-01-01T00:00:00+00:00"})
    assert later.json()["sent"] == 0 and later.json()["average"] is None
    # Far away is a clear refusal naming the field, not an overflow.
    for params, field in (
        ({"since": "0001-01-01T00:00:00+01:00"}, "since"),
        ({"until": "9999-12-31T23:59:59-01:00"}, "until"),
        ({"since": "2099-01-01T00:00:00+00:00"}, "since"),
    ):
        far = await staff.client.get("/api/v1/surveys", params=params)
        assert far.status_code == 422, far.text
        assert far.json()["field"] == field


@pytest.mark.parametrize(
    ("form", "headers", "status", "words"),
    [
        ({"score": "7"}, {}, 422, "Kies een cijfer van 1 tot 5."),
        ({}, {}, 422, "Kies een cijfer van 1 tot 5."),
        ({"score": "4", "prevention": "x" * 2001}, {}, 422, "hoogstens 2000 tekens"),
        ({"score": "4", "nonce": "forged"}, {}, 403, "verlopen"),
        ({"score": "4"}, {"Origin": "https://evil.example"}, 403, "verlopen"),
    ],
)
async def test_a_bad_answer_is_refused_and_changes_nothing(
    staff: Person,
    mail_inbox: Inbox,
    anon: httpx.AsyncClient,
    db: Database,
    form: dict[str, str],
    headers: dict[str, str],
    status: int,
    words: str,
) -> None:
    await resolved_mail_conversation(staff, mail_inbox)
    link = await mailed_link(db)
    page = await anon.get(link)
    found = NONCE.search(page.text)
    assert found
    before = await snapshot(db)
    refused = await anon.post(link, data={"nonce": found.group(1), **form}, headers=headers)
    assert refused.status_code == status
    assert words in refused.text
    assert await snapshot(db) == before


async def test_a_bad_token_is_a_404_page(anon: httpx.AsyncClient, db: Database) -> None:
    for path in ("/survey/nonsense", "/survey/MQ.forged-signature", "/survey/" + "x" * 300):
        missing = await anon.get(path, headers={"Accept-Language": "en"})
        assert missing.status_code == 404
        assert "This survey does not exist" in missing.text
        assert (await anon.post(path, data={"score": "5"})).status_code == 404


async def test_a_valid_token_of_a_survey_that_is_gone_is_a_404(
    staff: Person, mail_inbox: Inbox, anon: httpx.AsyncClient, db: Database
) -> None:
    await resolved_mail_conversation(staff, mail_inbox)
    link = await mailed_link(db)
    async with db.writing() as session:
        (survey,) = list(await session.scalars(select(Survey)))
        await session.delete(survey)
    assert (await anon.get(link)).status_code == 404


async def test_a_link_older_than_30_days_shows_that_the_survey_has_closed(
    staff: Person,
    mail_inbox: Inbox,
    anon: httpx.AsyncClient,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await resolved_mail_conversation(staff, mail_inbox)
    link = await mailed_link(db)
    page = await anon.get(link)
    assert page.status_code == 200
    found = NONCE.search(page.text)
    assert found
    # Thirty days and a minute later, by the signer's clock.
    later = int(time.time()) + 30 * 24 * 3600 + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    before = await snapshot(db)
    closed = await anon.get(link, headers={"Accept-Language": "en"})
    assert closed.status_code == 410
    assert "This survey has closed" in closed.text and "nonce" not in closed.text
    sent = await anon.post(link, data={"nonce": found.group(1), "score": "5"})
    assert sent.status_code == 410
    assert await snapshot(db) == before


async def test_the_page_sets_one_referrer_policy_that_keeps_the_form_origin(
    staff: Person, mail_inbox: Inbox, anon: httpx.AsyncClient, db: Database
) -> None:
    """With "no-referrer" browsers post the form with "Origin: null", which is refused."""
    await resolved_mail_conversation(staff, mail_inbox)
    page = await anon.get(await mailed_link(db))
    assert page.headers.get_list("referrer-policy") == ["same-origin"]
