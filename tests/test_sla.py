"""SLA clocks end to end: due times on new conversations, answers that stop them, pauses,
bumps, breaches escalated once (live, to the owner and by e-mail), critical cases, and the
admin's policies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from balie.act import CLI, Act, utcnow
from balie.conversations import actions
from balie.hours import add_business_time, parse_hours
from balie.store.database import Database
from balie.store.tables import Alert, AuditEvent, Conversation, OutboxMail, SlaBreach, Timer
from balie.timers.loop import fire_due
from tests.conftest import MakeAgent, Person, new_conversation, snapshot
from tests.email_fixtures import (
    Receiver,
    conversations,
    deliver,
    email_inbox,
    make_email_inbox,
    receiver,
)
from tests.mail_support import mail

__all__ = ["email_inbox", "receiver"]  # fixtures used by name

HOUR = dt.timedelta(hours=1)


def at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


async def create(person: Person, **over: Any) -> dict[str, Any]:
    r = await person.client.post("/api/v1/conversations", json=new_conversation(**over))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def fetch(person: Person, cid: int) -> dict[str, Any]:
    r = await person.client.get(f"/api/v1/conversations/{cid}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def sla_of(person: Person, cid: int) -> dict[str, Any]:
    r = await person.client.get(f"/api/v1/conversations/{cid}/sla")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def reply(
    person: Person, cid: int, text: str = "Dank voor uw bericht, ik help u graag."
) -> None:
    r = await person.client.post(
        f"/api/v1/conversations/{cid}/messages", json={"text": text, "internal": False}
    )
    assert r.status_code == 201, r.text


async def customer_writes(
    db: Database, cid: int, text: str, *, now: dt.datetime | None = None
) -> None:
    async with db.writing() as session:
        act = Act(session, CLI, now or utcnow())
        conversation = await session.get(Conversation, cid)
        assert conversation is not None
        await actions.add_message(
            act, conversation, text=text, internal=False, author_kind="customer"
        )


async def count(db: Database, table: Any, *where: Any) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def test_a_new_conversation_gets_its_due_times(agent: Person) -> None:
    before = utcnow()
    created = await create(agent)
    first = at(created["first_response_due_at"])
    resolution = at(created["resolution_due_at"])
    assert first is not None and resolution is not None
    # No inbox, so no hours: the built-in normal targets in plain time, from creation.
    assert first == at(created["created_at"]) + 8 * HOUR
    assert resolution == at(created["created_at"]) + 40 * HOUR
    assert first > before + 7 * HOUR
    assert created["next_response_due_at"] is None
    assert created["awaiting_since"] == created["created_at"]

    sla = await sla_of(agent, created["id"])
    assert sla["policy"]["source"] == "default"
    assert sla["policy"]["first_response_minutes"] == 480
    assert sla["clocks"]["first_response_due_at"] == created["first_response_due_at"]
    assert sla["breaches"] == []


async def test_an_answer_stops_the_response_clock_and_a_new_question_starts_the_next(
    db: Database, agent: Person
) -> None:
    created = await create(agent)
    await reply(agent, created["id"])
    answered = await fetch(agent, created["id"])
    assert answered["first_response_due_at"] is None
    assert answered["next_response_due_at"] is None
    assert answered["awaiting_since"] is None
    assert answered["first_response_at"] is not None
    assert answered["resolution_due_at"] == created["resolution_due_at"]

    asked = utcnow()
    await customer_writes(db, created["id"], "Hoe laat komt de monteur?", now=asked)
    again = await fetch(agent, created["id"])
    assert at(again["awaiting_since"]) == asked
    assert at(again["next_response_due_at"]) == asked + 8 * HOUR
    assert again["first_response_due_at"] is None
    assert again["bumped_at"] is None  # answered in between: a new question, not a bump


async def test_an_answer_in_time_means_no_breach(db: Database, agent: Person) -> None:
    created = await create(agent)
    await reply(agent, created["id"])
    await fire_due(db, now=utcnow() + 9 * HOUR)
    assert await count(db, SlaBreach) == 0
    assert await count(db, Alert, Alert.kind == "sla_breach") == 0


async def test_waiting_on_the_customer_pauses_every_clock(db: Database, agent: Person) -> None:
    created = await create(agent)
    r = await agent.client.patch(
        f"/api/v1/conversations/{created['id']}", json={"status": "pending"}
    )
    assert r.status_code == 200, r.text
    paused = r.json()
    assert paused["first_response_due_at"] is None
    assert paused["resolution_due_at"] is None
    assert (await sla_of(agent, created["id"]))["clocks"]["paused"] is True
    # Nothing escalates while the customer has the ball.
    await fire_due(db, now=utcnow() + 100 * HOUR)
    assert await count(db, SlaBreach) == 0

    # Back to open: the clocks run again, with the paused time given back.
    r = await agent.client.patch(f"/api/v1/conversations/{created['id']}", json={"status": "open"})
    resumed = r.json()
    assert at(resumed["first_response_due_at"]) > at(created["first_response_due_at"])
    assert at(resumed["resolution_due_at"]) > at(created["resolution_due_at"])


async def test_writing_again_without_an_answer_bumps_the_conversation(
    db: Database, agent: Person
) -> None:
    created = await create(agent)
    later = utcnow() + HOUR
    await customer_writes(db, created["id"], "Hallo? Ik hoor niets.", now=later)
    bumped = await fetch(agent, created["id"])
    assert at(bumped["bumped_at"]) == later
    # The wait started with the first message and still does; the due time does not move.
    assert bumped["awaiting_since"] == created["awaiting_since"]
    assert bumped["first_response_due_at"] == created["first_response_due_at"]
    assert (
        await count(
            db,
            AuditEvent,
            AuditEvent.action == "conversation.bumped",
            AuditEvent.target == f"conversation:{created['id']}",
        )
        == 1
    )
    # An answer settles the bump.
    await reply(agent, created["id"])
    assert (await fetch(agent, created["id"]))["bumped_at"] is None


async def test_a_missed_first_answer_is_one_breach_escalated_to_leads_owner_and_by_mail(
    db: Database, make_agent: MakeAgent
) -> None:
    await make_email_inbox(db)  # alerts go out by e-mail only when Balie has an address
    lead = await make_agent("supervisor")
    owner = await make_agent("agent")
    created = await create(owner, customer={"name": "Karin Bakker", "email": "karin@example.nl"})
    r = await owner.client.patch(
        f"/api/v1/conversations/{created['id']}", json={"owner_id": owner.id}
    )
    assert r.status_code == 200, r.text

    due = at(created["first_response_due_at"])
    assert due is not None
    assert await fire_due(db, now=due - dt.timedelta(seconds=1)) == 0
    await fire_due(db, now=due + dt.timedelta(minutes=5))
    await fire_due(db, now=due + 2 * HOUR)  # fired once only

    async with db.reading() as session:
        breaches = list(await session.scalars(select(SlaBreach)))
        alerts = list(await session.scalars(select(Alert).order_by(Alert.id)))
        mails = list(await session.scalars(select(OutboxMail).where(OutboxMail.purpose == "alert")))
    assert [(b.target, b.due_at, b.owner_id) for b in breaches] == [
        ("first_response", due, owner.id)
    ]
    assert [(a.kind, a.agent_id) for a in alerts] == [
        ("sla_breach", None),
        ("sla_breach", owner.id),
    ]
    assert "Karin Bakker" in alerts[0].text and "first answer" in alerts[0].text
    assert {m.to_address for m in mails} == {lead.email, owner.email}

    sla = await sla_of(lead, created["id"])
    assert [b["target"] for b in sla["breaches"]] == ["first_response"]
    assert await count(db, AuditEvent, AuditEvent.action == "sla.breached") == 1

    r = await lead.client.get("/api/v1/alerts")
    assert r.status_code == 200
    assert "Karin Bakker" in r.text


async def test_a_critical_case_alerts_a_supervisor_at_once_and_once(
    db: Database, make_agent: MakeAgent
) -> None:
    await make_email_inbox(db)
    lead = await make_agent("supervisor")
    created = await create(lead, severity="critical", subject="Rook uit de droger")
    assert at(created["first_response_due_at"]) == at(created["created_at"]) + dt.timedelta(
        minutes=30
    )
    async with db.reading() as session:
        alerts = list(await session.scalars(select(Alert)))
        mails = list(await session.scalars(select(OutboxMail).where(OutboxMail.purpose == "alert")))
    assert [(a.kind, a.agent_id, a.conversation_id) for a in alerts] == [
        ("critical", None, created["id"])
    ]
    assert "Rook uit de droger" in alerts[0].text
    assert [m.to_address for m in mails] == [lead.email]

    await customer_writes(db, created["id"], "Het ruikt nog steeds verbrand.")
    assert await count(db, Alert, Alert.kind == "critical") == 1


async def test_triage_that_finds_a_critical_case_later_alerts_and_shortens_the_clock(
    db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    created = await create(lead)
    assert await count(db, Alert) == 0
    await customer_writes(db, created["id"], "Mijn oplader heeft vlam gevat!")
    now = await fetch(lead, created["id"])
    assert now["severity"] == "critical"
    assert at(now["first_response_due_at"]) == at(created["created_at"]) + dt.timedelta(minutes=30)
    assert (
        await count(db, Alert, Alert.kind == "critical", Alert.conversation_id == created["id"])
        == 1
    )
    await customer_writes(db, created["id"], "Er is nog steeds vlam in de oplader!")
    assert await count(db, Alert, Alert.kind == "critical") == 1


async def test_business_hours_of_the_inbox_set_the_due_time(db: Database, agent: Person) -> None:
    hours = {
        "timezone": "Europe/Amsterdam",
        "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "preset": "NL",
    }
    inbox = await make_email_inbox(db, hours=hours)
    created = await create(agent, inbox_id=inbox.id)
    expected = add_business_time(parse_hours(hours), at(created["created_at"]), 8 * HOUR)
    assert at(created["first_response_due_at"]) == expected


async def test_admins_set_policies_and_an_inbox_override_wins(
    db: Database, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin")
    inbox = await make_email_inbox(db)
    every = {
        "severity": "normal",
        "first_response_minutes": 60,
        "next_response_minutes": 120,
        "resolution_minutes": 600,
    }
    r = await admin.client.put("/api/v1/sla-policies", json={"inbox_id": None, **every})
    assert r.status_code == 200, r.text
    r = await admin.client.put(
        "/api/v1/sla-policies",
        json={**every, "inbox_id": inbox.id, "first_response_minutes": 15},
    )
    assert r.status_code == 200, r.text
    override = r.json()
    # Putting the same key again replaces it, it does not add a row.
    r = await admin.client.put(
        "/api/v1/sla-policies",
        json={**every, "inbox_id": inbox.id, "first_response_minutes": 20},
    )
    assert r.json()["id"] == override["id"]

    listed = (await admin.client.get("/api/v1/sla-policies")).json()
    assert [(p["inbox_id"], p["first_response_minutes"]) for p in listed["policies"]] == [
        (None, 60),
        (inbox.id, 20),
    ]
    assert {d["severity"]: d["calendar_time"] for d in listed["defaults"]} == {
        "normal": False,
        "high": False,
        "critical": True,
    }

    in_inbox = await create(admin, inbox_id=inbox.id)
    elsewhere = await create(admin)
    assert at(in_inbox["first_response_due_at"]) == at(in_inbox["created_at"]) + dt.timedelta(
        minutes=20
    )
    assert at(elsewhere["first_response_due_at"]) == at(elsewhere["created_at"]) + HOUR
    assert (await sla_of(admin, in_inbox["id"]))["policy"]["source"] == "inbox"

    r = await admin.client.delete(f"/api/v1/sla-policies/{override['id']}")
    assert r.status_code == 204
    again = await create(admin, inbox_id=inbox.id)
    assert at(again["first_response_due_at"]) == at(again["created_at"]) + HOUR
    assert await count(db, AuditEvent, AuditEvent.action.like("sla_policy.%")) == 4


async def test_bad_policies_are_refused_and_change_nothing(
    db: Database, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin")
    supervisor = await make_agent("supervisor")
    good = {
        "inbox_id": None,
        "severity": "high",
        "first_response_minutes": 60,
        "next_response_minutes": 60,
        "resolution_minutes": 600,
    }
    before = await snapshot(db)
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "severity": "urgent"}, "severity"),
        ({**good, "first_response_minutes": 0}, "first_response_minutes"),
        ({**good, "resolution_minutes": 30}, "resolution_minutes"),
        ({**good, "next_response_minutes": 10**9}, "next_response_minutes"),
        ({**good, "first_response_minutes": True}, "first_response_minutes"),
        ({**good, "first_response_minutes": "60"}, "first_response_minutes"),
        ({**good, "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        r = await admin.client.put("/api/v1/sla-policies", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, (field, r.text)
    r = await admin.client.put("/api/v1/sla-policies", json={**good, "inbox_id": 999999})
    assert r.status_code == 404 and "inbox_id" in r.text
    r = await supervisor.client.put("/api/v1/sla-policies", json=good)
    assert r.status_code == 403
    r = await admin.client.delete("/api/v1/sla-policies/424242")
    assert r.status_code == 404
    assert await snapshot(db) == before


async def test_a_resolved_conversation_stops_its_clocks_and_cancels_its_timers(
    db: Database, agent: Person
) -> None:
    created = await create(agent)
    r = await agent.client.patch(
        f"/api/v1/conversations/{created['id']}", json={"status": "resolved"}
    )
    done = r.json()
    assert done["first_response_due_at"] is None and done["resolution_due_at"] is None
    assert await count(db, Timer, Timer.status == "pending") == 0


async def test_a_mail_gets_due_times_and_a_second_mail_unanswered_bumps_it(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team="Team Shop support")
    await deliver(receiver.port, mail(message_id="<lek-1@example.nl>"))
    (conversation,) = await conversations(db)
    assert conversation.inbox_id == receiver.inbox.id
    assert conversation.first_response_due_at == conversation.created_at + 8 * HOUR
    assert conversation.bumped_at is None

    await deliver(
        receiver.port,
        mail(
            subject="Re: Wasmachine lekt",
            text="Ik heb nog niets gehoord.",
            in_reply_to="<lek-1@example.nl>",
        ),
    )
    (again,) = await conversations(db)
    assert again.bumped_at is not None
    assert again.first_response_due_at == conversation.first_response_due_at
    shown = await fetch(person, conversation.id)
    assert shown["bumped_at"] is not None


async def test_a_chat_gets_due_times(agent: Person) -> None:
    created = await create(agent, channel="chat")
    assert at(created["first_response_due_at"]) == at(created["created_at"]) + 8 * HOUR


async def test_the_customer_answering_a_pending_conversation_restarts_the_next_answer_clock(
    db: Database, agent: Person
) -> None:
    created = await create(agent)
    await reply(agent, created["id"])
    asked_at = utcnow()
    async with db.writing() as session:
        conversation = await session.get(Conversation, created["id"])
        assert conversation is not None
        await actions.change_status(Act(session, CLI, asked_at), conversation, "pending")
    answered_at = asked_at + HOUR
    await customer_writes(db, created["id"], "Hier is de foto van de lekkage.", now=answered_at)
    back = await fetch(agent, created["id"])
    assert back["status"] == "open"
    assert at(back["awaiting_since"]) == answered_at
    assert at(back["next_response_due_at"]) == answered_at + 8 * HOUR
    assert back["bumped_at"] is None
    # The hour spent pending is added to the resolution target.
    assert at(back["resolution_due_at"]) == at(created["resolution_due_at"]) + HOUR
