"""Reports over real data: conversations, replies, status changes, hand-overs and coach
overrides made through the actions at chosen times; rows of rooms written elsewhere (SLA
breaches, goodwill, surveys, abuse warnings) inserted as they would store them. Then the
figures, the CSV downloads, the filters, and who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, update

from balie.abuse import actions as abuse_actions
from balie.act import CLI, Act, Actor
from balie.agents.actions import create_inbox, create_team
from balie.conversations import actions, guardrails
from balie.customers.actions import customer_for_email
from balie.orders.actions import create_product
from balie.policy.mandate import DEFAULT_LIMITS
from balie.store.database import Database
from balie.store.tables import (
    AbuseWarning,
    Conversation,
    GoodwillAction,
    MandateLimit,
    SlaBreach,
    Survey,
)
from tests.conftest import MakeAgent, Person, snapshot

DAY1 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # 10:00 in Amsterdam, a Monday
DAY2 = DAY1 + dt.timedelta(days=1)
PERIOD = {"since": "2026-11-02", "until": "2026-11-03"}


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@dataclass
class World:
    lead: Person
    anna: Person
    bram: Person
    inbox: int
    other_inbox: int
    a: int
    b: int
    c: int
    d: int
    e: int
    product: int


def actor(person: Person) -> Actor:
    return Actor("agent", person.id, person.role)


@asynccontextmanager
async def acting(db: Database, who: Actor, when: dt.datetime) -> AsyncIterator[Act]:
    async with db.writing() as session:
        yield Act(session, who, when)


async def _conversation(
    db: Database, when: dt.datetime, email: str, inbox: int, text: str = "Mijn wasmachine lekt."
) -> int:
    async with acting(db, CLI, when) as act:
        customer = await customer_for_email(act, email=email, name=email.split("@")[0])
        conversation, _ = await actions.create_conversation(
            act, customer=customer, subject="Wasmachine", text=text, inbox_id=inbox
        )
    return conversation.id


async def _write(db: Database, who: Actor | None, when: dt.datetime, cid: int, text: str) -> None:
    async with acting(db, who or CLI, when) as act:
        conversation = await act.session.get(Conversation, cid)
        assert conversation is not None
        await actions.add_message(
            act,
            conversation,
            text=text,
            internal=False,
            author_kind="agent" if who else "customer",
        )


async def _take(db: Database, who: Actor, when: dt.datetime, cid: int, owner: int) -> None:
    async with acting(db, who, when) as act:
        conversation = await act.session.get(Conversation, cid)
        assert conversation is not None
        await actions.assign(act, conversation, owner)


async def _hand_over(
    db: Database, giver: Person, taker: Person, when: dt.datetime, cid: int, *, accept: bool
) -> None:
    async with acting(db, actor(giver), when) as act:
        conversation = await act.session.get(Conversation, cid)
        assert conversation is not None
        handover = await actions.request_handover(
            act, conversation, to_agent_id=taker.id, note="Kun jij dit overnemen?"
        )
    async with acting(db, actor(taker), when + minutes(1)) as act:
        await actions.decide_handover(act, handover.id, accept=accept)


HELLO = "Dank voor uw bericht, ik zoek het voor u uit."


@pytest.fixture
async def world(db: Database, make_agent: MakeAgent) -> World:
    lead = await make_agent("supervisor", name="Lotte Leiding")
    anna = await make_agent("agent", name="Anna")
    bram = await make_agent("agent", name="Bram")
    async with acting(db, CLI, DAY1 - dt.timedelta(days=1)) as act:
        team = await create_team(act, name="Service")
        inbox = (await create_inbox(act, team_id=team.id, name="Web", channel="chat")).id
        other = (await create_inbox(act, team_id=team.id, name="Mail", channel="email")).id
        product = (
            await create_product(act, sku="WM-300", name="Wasmachine WM-300", warranty_months=24)
        ).id
    a_ = actor(anna)
    b_ = actor(bram)

    # A: answered after 10 minutes, written again and answered after 30, resolved at 2 h.
    a = await _conversation(db, DAY1, "a@example.nl", inbox)
    await _take(db, a_, DAY1, a, anna.id)
    await _write(db, a_, DAY1 + minutes(10), a, HELLO)
    await _write(db, None, DAY1 + minutes(60), a, "Hij lekt nog steeds.")
    await _write(
        db, a_, DAY1 + minutes(90), a, "Dat is uw eigen schuld, u had de handleiding moeten lezen."
    )
    async with acting(db, a_, DAY1 + minutes(120)) as act:
        conversation = await act.session.get(Conversation, a)
        assert conversation is not None
        await actions.change_status(act, conversation, "resolved")
    # E: handed over by Anna right away, but Bram declined: not passed on.
    e = await _conversation(db, DAY1 + minutes(5), "e@example.nl", inbox)
    await _take(db, a_, DAY1 + minutes(5), e, anna.id)
    await _hand_over(db, anna, bram, DAY1 + minutes(6), e, accept=False)

    # B: answered after 20 minutes; the customer writes twice, answered an hour after the
    # first of the two; then Bram hands it to Anna, having acted.
    b = await _conversation(db, DAY2, "b@example.nl", inbox)
    await _take(db, actor(lead), DAY2, b, bram.id)
    await _write(db, b_, DAY2 + minutes(20), b, HELLO)
    await _write(db, None, DAY2 + minutes(60), b, "Nog een vraag.")
    await _write(db, None, DAY2 + minutes(70), b, "Hallo?")
    await _write(db, b_, DAY2 + minutes(120), b, "Excuses voor het wachten, hier is het antwoord.")
    await _hand_over(db, bram, anna, DAY2 + minutes(130), b, accept=True)
    # C, another inbox: Anna takes it and passes it on without a word to the customer.
    c = await _conversation(db, DAY2 + minutes(5), "c@example.nl", other)
    await _take(db, a_, DAY2 + minutes(5), c, anna.id)
    await _hand_over(db, anna, bram, DAY2 + minutes(30), c, accept=True)
    # D: abusive, and the customer blocked by the supervisor.
    d = await _conversation(
        db, DAY2 + minutes(10), "d@example.nl", inbox, "Jullie zijn een stelletje klootzakken!"
    )
    async with acting(db, actor(lead), DAY2 + minutes(15)) as act:
        conversation = await act.session.get(Conversation, d)
        assert conversation is not None
        await abuse_actions.block_customer(
            act, conversation.customer_id, days=7, reason="Blijft schelden.", limit=3
        )

    # Coach overrides: Anna's approved by the supervisor, Bram's still waiting.
    async with acting(db, a_, DAY1 + minutes(100)) as act:
        conversation = await act.session.get(Conversation, a)
        assert conversation is not None
        override = await guardrails.request_override(
            act, conversation, text="Dit is een test.", reason="De klant vroeg erom."
        )
    async with acting(db, actor(lead), DAY1 + minutes(101)) as act:
        await guardrails.decide_override(act, override.id, approve=True)
    async with acting(db, b_, DAY2 + minutes(125)) as act:
        conversation = await act.session.get(Conversation, b)
        assert conversation is not None
        await guardrails.request_override(
            act, conversation, text="Nog een test.", reason="Graag zo versturen."
        )

    # The rows other rooms keep. Whatever their hooks stored above is replaced, so the
    # figures below are this test's own.
    async with db.writing() as session:
        for table in (SlaBreach, Survey, AbuseWarning, GoodwillAction, MandateLimit):
            await session.execute(delete(table))
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_((b, c)))
            .values(repeat=True, product_id=product)
        )
        await session.execute(
            update(Conversation).where(Conversation.id.in_((a, d, e))).values(repeat=False)
        )
        session.add_all(
            [
                SlaBreach(
                    conversation_id=a,
                    target="first_response",
                    severity="normal",
                    inbox_id=inbox,
                    owner_id=anna.id,
                    due_at=DAY1 + minutes(5),
                    breached_at=DAY1 + minutes(5),
                ),
                SlaBreach(
                    conversation_id=b,
                    target="next_response",
                    severity="normal",
                    inbox_id=inbox,
                    owner_id=bram.id,
                    due_at=DAY2 + minutes(90),
                    breached_at=DAY2 + minutes(90),
                ),
                SlaBreach(
                    conversation_id=c,
                    target="first_response",
                    severity="normal",
                    inbox_id=other,
                    owner_id=anna.id,
                    due_at=DAY2 + minutes(35),
                    breached_at=DAY2 + minutes(35),
                ),
                # Outside the period: the day before.
                SlaBreach(
                    conversation_id=e,
                    target="resolution",
                    severity="normal",
                    inbox_id=inbox,
                    owner_id=anna.id,
                    due_at=DAY1 - minutes(720),
                    breached_at=DAY1 - minutes(720),
                ),
                MandateLimit(
                    role="agent",
                    kind="refund",
                    per_action_cents=5000,
                    per_month_cents=4000,
                    currency="EUR",
                    updated_at=DAY1,
                ),
            ]
        )
        customer_of = {
            cid: cust
            for cid, cust in (
                await session.execute(
                    Conversation.__table__.select().with_only_columns(
                        Conversation.id, Conversation.customer_id
                    )
                )
            ).all()
        }

        def goodwill(
            cid: int,
            agent: Person,
            kind: str,
            cents: int,
            status: str,
            at: dt.datetime,
            currency: str = "EUR",
        ) -> GoodwillAction:
            return GoodwillAction(
                conversation_id=cid,
                customer_id=customer_of[cid],
                agent_id=agent.id,
                kind=kind,
                amount_cents=cents,
                currency=currency,
                reason="Lekkage",
                status=status,
                # Granted: the agent's own decision; approved: the lead's, both at once.
                decided_by={"granted": agent.id, "approved": lead.id}.get(status),
                decided_at=at if status in ("granted", "approved") else None,
                created_at=at,
            )

        def survey(cid: int, at: dt.datetime, score: int | None, words: str | None) -> Survey:
            return Survey(
                conversation_id=cid,
                channel="email",
                status="answered" if score else "sent",
                score=score,
                prevention=words,
                sent_at=at,
                answered_at=at + minutes(30) if score else None,
            )

        session.add_all(
            [
                goodwill(a, anna, "refund", 3000, "granted", DAY1 + minutes(95)),
                goodwill(b, anna, "refund", 2000, "approved", DAY2 + minutes(140)),
                goodwill(a, anna, "refund", 9000, "pending_approval", DAY1 + minutes(96)),
                goodwill(b, bram, "credit", 1500, "granted", DAY2 + minutes(121)),
                goodwill(b, bram, "refund", 4000, "denied", DAY2 + minutes(122)),
                goodwill(b, bram, "credit", 1000, "granted", DAY2 + minutes(123), "USD"),
                # Later in November, after the period: it still uses November's mandate.
                goodwill(a, anna, "refund", 1500, "granted", DAY1 + dt.timedelta(days=18)),
                survey(a, DAY1 + minutes(121), 4, "Een duidelijkere handleiding."),
                survey(b, DAY2 + minutes(200), 2, "=cmd|' /C calc'!A0"),
                survey(e, DAY2 + minutes(10), None, None),
                AbuseWarning(
                    customer_id=customer_of[d],
                    conversation_id=d,
                    agent_id=anna.id,
                    created_at=DAY2 + minutes(12),
                ),
            ]
        )
    return World(lead, anna, bram, inbox, other, a, b, c, d, e, product)


async def _report(person: Person, **params: Any) -> dict[str, Any]:
    response = await person.client.get("/api/v1/reports", params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_response_and_resolution_times(world: World) -> None:
    r = await _report(world.lead)
    assert r["period"] == {**PERIOD, "inbox_id": None, "agent_id": None}
    first = r["first_response"]
    # A after 10 minutes, B after 20; C, D and E never answered.
    assert (first["conversations"], first["unanswered"], first["count"]) == (5, 3, 2)
    assert (first["median_seconds"], first["p90_seconds"]) == (900, 1200)
    assert [(d["day"], d["count"], d["median_seconds"]) for d in first["days"]] == [
        ("2026-11-02", 1, 600),
        ("2026-11-03", 1, 1200),
    ]
    following = r["next_response"]
    # A: 30 minutes; B: an hour from the first of the customer's two messages.
    assert (following["count"], following["waiting"]) == (2, 0)
    assert (following["median_seconds"], following["p90_seconds"]) == (2700, 3600)
    assert (r["resolution"]["count"], r["resolution"]["median_seconds"]) == (1, 7200)


async def test_breaches_satisfaction_goodwill_repeats(world: World) -> None:
    r = await _report(world.lead)
    breaches = r["breaches"]
    assert breaches["total"] == 3
    assert breaches["by_target"] == {"first_response": 2, "next_response": 1, "resolution": 0}
    assert [d["total"] for d in breaches["days"]] == [1, 2]

    sat = r["satisfaction"]
    assert (sat["sent"], sat["answered"], sat["average"]) == (3, 2, 3.0)
    assert sat["answer_rate"] == pytest.approx(2 / 3)
    assert sat["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    assert [a["prevention"] for a in sat["prevention"]] == [
        "=cmd|' /C calc'!A0",
        "Een duidelijkere handleiding.",
    ]

    goodwill = r["goodwill"]
    # Granted and approved in the period count; pending and denied do not; no sum of
    # euros and dollars.
    assert goodwill["totals"] == {"EUR": 6500, "USD": 1000}
    assert [(a["agent"], a["currency"], a["spent_cents"]) for a in goodwill["agents"]] == [
        ("Anna", "EUR", 5000),
        ("Bram", "EUR", 1500),
        ("Bram", "USD", 1000),
    ]
    anna = [line for line in goodwill["lines"] if line["agent"] == "Anna"]
    # The whole of November against the monthly mandate (4,000): 3,000 granted in the
    # period and 1,500 later that month are hers; the 2,000 the lead approved is not.
    assert anna == [
        {
            "agent_id": world.anna.id,
            "agent": "Anna",
            "role": "agent",
            "kind": "refund",
            "month": "2026-11",
            "currency": "EUR",
            "spent_cents": 6500,
            "approved_cents": 2000,
            "approved_for_others_cents": 0,
            "mandate_used_cents": 4500,
            "limit_cents": 4000,
            "over_limit": True,
        }
    ]
    # The approval is on the approver's mandate, as the goodwill room counts it.
    (lead,) = [line for line in goodwill["lines"] if line["agent"] == "Lotte Leiding"]
    assert (lead["kind"], lead["spent_cents"], lead["approved_for_others_cents"]) == (
        "refund",
        0,
        2000,
    )
    assert lead["mandate_used_cents"] == 2000 and lead["over_limit"] is False

    bram = [line for line in goodwill["lines"] if line["agent"] == "Bram"]
    # No configured row for credits: the built-in monthly mandate of an agent; a limit in
    # another currency says nothing about dollars.
    assert [(b["kind"], b["currency"], b["limit_cents"], b["over_limit"]) for b in bram] == [
        ("credit", "EUR", DEFAULT_LIMITS[("agent", "credit")].per_month_cents, False),
        ("credit", "USD", None, False),
    ]

    repeats = r["repeats"]
    assert (repeats["conversations"], repeats["repeats"]) == (5, 2)
    assert repeats["top_products"] == [
        {"product_id": world.product, "product": "Wasmachine WM-300", "repeats": 2}
    ]


async def test_abuse_handovers_and_coach(world: World) -> None:
    r = await _report(world.lead)
    assert {k: r["abuse"][k] for k in ("abusive_conversations", "warnings", "blocks")} == {
        "abusive_conversations": 1,
        "warnings": 1,
        "blocks": 1,
    }
    handovers = r["handovers"]
    # E was declined, B was handed on after Bram replied; only C passed on without action.
    assert (handovers["requested"], handovers["without_action"]) == (3, 1)
    assert [h["conversation_id"] for h in handovers["handovers"] if h["without_action"]] == [
        world.c
    ]
    assert [(a["agent"], a["requested"], a["without_action"]) for a in handovers["agents"]] == [
        ("Anna", 2, 1),
        ("Bram", 1, 0),
    ]
    coach = r["coach"]
    assert coach["flags"]["blame_customer"] == 2
    assert coach["flagged_messages"] == 1
    assert coach["overrides"] == {"pending": 1, "approved": 1, "declined": 0, "used": 0}


async def test_filters_by_inbox_and_agent(world: World) -> None:
    mail = await _report(world.lead, inbox_id=world.other_inbox)
    assert (mail["first_response"]["conversations"], mail["first_response"]["count"]) == (1, 0)
    assert mail["breaches"]["total"] == 1
    assert mail["handovers"]["without_action"] == 1
    assert mail["satisfaction"]["sent"] == 0
    # The blocked customer has no conversation in the mail inbox.
    assert mail["abuse"]["blocks"] == 0

    bram = await _report(world.lead, agent_id=world.bram.id)
    # Bram owns C now (unanswered); his own acts: one hand-over (with action), a credit.
    assert bram["first_response"]["conversations"] == 1
    assert (bram["handovers"]["requested"], bram["handovers"]["without_action"]) == (1, 0)
    assert bram["goodwill"]["totals"] == {"EUR": 1500, "USD": 1000}
    assert bram["coach"]["overrides"]["pending"] == 1
    assert bram["coach"]["overrides"]["approved"] == 0

    before = await _report(world.lead, since="2026-10-01", until="2026-11-01")
    assert before["first_response"]["conversations"] == 0
    assert before["breaches"]["by_target"]["resolution"] == 1


async def test_csv_downloads(world: World) -> None:
    response = await world.lead.client.get("/api/v1/reports/first_response.csv", params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="first_response-2026-11-02-2026-11-03.csv"'
    )
    assert response.text.splitlines() == [
        "day,count,median_seconds,p90_seconds",
        "2026-11-02,1,600,600",
        "2026-11-03,1,1200,1200",
        "all,2,900,1200",
    ]
    handovers = await world.lead.client.get("/api/v1/reports/handovers.csv", params=PERIOD)
    rows = list(csv.DictReader(io.StringIO(handovers.text)))
    assert [(r["conversation_id"], r["status"], r["without_action"]) for r in rows] == [
        (str(world.e), "declined", "no"),
        (str(world.c), "accepted", "yes"),
        (str(world.b), "accepted", "no"),
    ]
    sat = await world.lead.client.get("/api/v1/reports/satisfaction.csv", params=PERIOD)
    rows = list(csv.DictReader(io.StringIO(sat.text)))
    # A customer's answer never becomes a formula in a spreadsheet.
    assert [r["prevention"] for r in rows] == [
        "'=cmd|' /C calc'!A0",
        "Een duidelijkere handleiding.",
    ]
    for name in (
        "breaches",
        "resolution",
        "goodwill",
        "repeats",
        "abuse",
        "coach",
        "next_response",
    ):
        one = await world.lead.client.get(f"/api/v1/reports/{name}.csv", params=PERIOD)
        assert one.status_code == 200 and one.text.count("\r\n") >= 2, name
    missing = await world.lead.client.get("/api/v1/reports/secrets.csv")
    assert missing.status_code == 404


async def test_agents_may_not_see_reports(world: World) -> None:
    for path in ("/api/v1/reports", "/api/v1/reports/goodwill.csv"):
        response = await world.anna.client.get(path)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


BAD_FILTERS = [
    ({"since": "2026-11-10", "until": "2026-11-01"}, "until"),
    ({"since": "2 november"}, "since"),
    ({"since": "2025-01-01", "until": "2026-03-01"}, "since"),
    ({"inbox_id": "999999"}, "inbox_id"),
    ({"inbox_id": "web"}, "inbox_id"),
    ({"agent_id": "999999"}, "agent_id"),
    # Far-away days would overflow when turned into moments: refused, not a 500.
    ({"since": "9999-12-31", "until": "9999-12-31"}, "since"),
    ({"since": "0001-01-01"}, "since"),
    ({"until": "9999-12-31"}, "until"),
]


async def test_bad_filters_are_refused_naming_the_field(db: Database, world: World) -> None:
    before = await snapshot(db)
    for params, field in BAD_FILTERS:
        for path in ("/api/v1/reports", "/api/v1/reports/coach.csv"):
            response = await world.lead.client.get(path, params=params)
            assert response.status_code == 422, (params, response.text)
            assert response.json()["field"] == field, params
    assert await snapshot(db) == before


async def test_the_bots_replies_count_in_both_response_reports(
    db: Database, make_agent: MakeAgent
) -> None:
    """One definition: agents and the bot answer (as for the SLA clock). A bot that
    answers at once and again after five minutes shows in both reports."""
    lead = await make_agent("supervisor")
    async with acting(db, CLI, DAY1 - dt.timedelta(days=1)) as act:
        team = await create_team(act, name="Bots")
        inbox = (await create_inbox(act, team_id=team.id, name="Bot", channel="chat")).id
    cid = await _conversation(db, DAY1, "bot@example.nl", inbox)
    bot = Actor("bot", None, "bot")
    for who, at, text in (
        (bot, DAY1 + minutes(1), "Ik zoek uw bestelling op."),
        (None, DAY1 + minutes(10), "En nu?"),
        (bot, DAY1 + minutes(15), "Hij is onderweg."),
    ):
        async with acting(db, who or CLI, at) as act:
            conversation = await act.session.get(Conversation, cid)
            assert conversation is not None
            await actions.add_message(
                act,
                conversation,
                text=text,
                internal=False,
                author_kind="bot" if who else "customer",
            )
    r = await _report(lead, inbox_id=str(inbox))
    assert (r["first_response"]["count"], r["first_response"]["median_seconds"]) == (1, 60)
    assert (r["next_response"]["count"], r["next_response"]["median_seconds"]) == (1, 300)
    assert r["next_response"]["waiting"] == 0


async def test_the_survey_summary_and_the_satisfaction_report_agree(
    db: Database, world: World
) -> None:
    """One period definition: surveys sent in the period, answered whenever. A survey sent
    late on the last day and answered the next morning counts in both."""
    late = dt.datetime(2026, 11, 3, 22, 50, tzinfo=dt.UTC)  # 23:50 in Amsterdam
    async with db.writing() as session:
        conversation = await session.get(Conversation, world.d)
        assert conversation is not None
        session.add(
            Survey(
                conversation_id=world.d,
                channel="email",
                status="answered",
                score=5,
                prevention="Sneller reageren.",
                sent_at=late,
                answered_at=late + dt.timedelta(hours=9),
            )
        )
    report = (await _report(world.lead))["satisfaction"]
    start, end = "2026-11-01T23:00:00+00:00", "2026-11-03T23:00:00+00:00"
    answer = await world.lead.client.get("/api/v1/surveys", params={"since": start, "until": end})
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert (report["sent"], report["answered"], report["average"]) == (4, 3, 3.67)
    assert (summary["sent"], summary["answered"], summary["average"]) == (4, 3, 3.67)
    assert summary["scores"] == report["distribution"]
    assert [p["text"] for p in summary["prevention"]] == [
        p["prevention"] for p in report["prevention"]
    ]
    assert report["prevention"][0]["prevention"] == "Sneller reageren."


async def test_an_approval_counts_in_the_month_it_was_given(db: Database, world: World) -> None:
    """As goodwill charges it: to whoever decided, in the month of the decision."""
    asked, approved = DAY2 + minutes(300), dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    async with db.writing() as session:
        conversation = await session.get(Conversation, world.b)
        assert conversation is not None
        session.add(
            GoodwillAction(
                conversation_id=world.b,
                customer_id=conversation.customer_id,
                agent_id=world.bram.id,
                kind="refund",
                amount_cents=1000,
                currency="EUR",
                reason="Lekkage",
                status="approved",
                decided_by=world.lead.id,
                decided_at=approved,
                created_at=asked,
            )
        )

    def refunds(report: dict[str, Any], name: str) -> list[tuple[str, int, int, int]]:
        return [
            (line["month"], line["spent_cents"], line["approved_cents"], line["mandate_used_cents"])
            for line in report["goodwill"]["lines"]
            if line["agent"] == name and line["kind"] == "refund"
        ]

    november = await _report(world.lead)
    assert refunds(november, "Lotte Leiding") == [("2026-11", 0, 0, 2000)]
    assert refunds(november, "Bram") == []
    december = await _report(world.lead, since="2026-12-01", until="2026-12-01")
    assert refunds(december, "Lotte Leiding") == [("2026-12", 0, 0, 1000)]
    assert refunds(december, "Bram") == [("2026-12", 1000, 1000, 0)]
    assert december["goodwill"]["totals"] == {"EUR": 1000}
