"""SLA clocks end to end: due times on new conversations, answers that stop them, pauses,
bumps, breaches escalated once (live, to the owner and by e-mail), critical cases, and the
admin's policies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from balie.act import CLI, Act, utcnow
from balie.conversations import actions
from balie.customers.actions import customer_for_email
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


async def set_status(
    db: Database,
    cid: int,
    status: str,
    *,
    now: dt.datetime,
    snoozed_until: dt.datetime | None = None,
) -> None:
    async with db.writing() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None
        await actions.change_status(
            Act(session, CLI, now), conversation, status, snoozed_until=snoozed_until
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

    # Back to open three hours later: the clocks run again, with those hours given back.
    start = at(created["created_at"])
    assert start is not None
    await set_status(db, created["id"], "open", now=start + 3 * HOUR)
    resumed = await fetch(agent, created["id"])
    paused_for = start + 3 * HOUR - at(paused["updated_at"])
    assert at(resumed["first_response_due_at"]) == start + 8 * HOUR + paused_for
    assert at(resumed["resolution_due_at"]) == start + 40 * HOUR + paused_for


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
    assert alerts[0].data["owner_id"] == owner.id
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


async def test_business_hours_of_the_inbox_set_the_due_time(db: Database) -> None:
    hours = {
        "timezone": "Europe/Amsterdam",
        "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "preset": "NL",
    }
    inbox = await make_email_inbox(db, hours=hours)
    # Friday 4 December 2026, 16:00 in Amsterdam: one business hour left that day, the
    # weekend closed, so the eight hours end on Monday at 16:00 (15:00 UTC).
    friday = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
    async with db.writing() as session:
        act = Act(session, CLI, friday)
        customer = await customer_for_email(act, email="sanne@example.nl", name="Sanne")
        conversation, _ = await actions.create_conversation(
            act,
            customer=customer,
            subject="Lamp kapot",
            text="Mijn lamp doet het niet.",
            inbox_id=inbox.id,
        )
    async with db.reading() as session:
        stored = await session.get(Conversation, conversation.id)
        assert stored is not None
    assert stored.first_response_due_at == dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


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


async def test_a_snoozed_conversation_wakes_up_and_its_clocks_run_again(
    db: Database, agent: Person
) -> None:
    created = await create(agent)
    start = at(created["created_at"])
    assert start is not None
    snoozed_at, until = start + HOUR, start + HOUR + dt.timedelta(minutes=5)
    await set_status(db, created["id"], "snoozed", now=snoozed_at, snoozed_until=until)
    assert (await fetch(agent, created["id"]))["first_response_due_at"] is None

    assert await fire_due(db, now=until - dt.timedelta(seconds=1)) == 0
    await fire_due(db, now=until)
    woken = await fetch(agent, created["id"])
    assert woken["status"] == "open"
    assert woken["snoozed_until"] is None
    # The five snoozed minutes are given back; the wait itself still counts.
    assert at(woken["first_response_due_at"]) == start + 8 * HOUR + dt.timedelta(minutes=5)

    # Nobody answered: 100 hours later the first answer is one breach, not silence.
    await fire_due(db, now=start + 100 * HOUR)
    async with db.reading() as session:
        breaches = list(await session.scalars(select(SlaBreach)))
    assert {b.target for b in breaches} == {"first_response", "resolution"}
    assert await count(db, AuditEvent, AuditEvent.action == "conversation.status") == 2


async def test_a_snooze_ended_by_hand_or_moved_wakes_nothing_later(
    db: Database, agent: Person
) -> None:
    first, second = await create(agent), await create(agent, subject="Droger piept")
    start = utcnow()
    await set_status(db, first["id"], "snoozed", now=start, snoozed_until=start + HOUR)
    await set_status(db, first["id"], "open", now=start + dt.timedelta(minutes=10))
    await set_status(db, first["id"], "pending", now=start + dt.timedelta(minutes=11))
    # Woken by hand and snoozed again, to a later time: the one wake-up moves with it.
    await set_status(db, second["id"], "snoozed", now=start, snoozed_until=start + HOUR)
    await set_status(db, second["id"], "open", now=start + dt.timedelta(minutes=1))
    await set_status(
        db,
        second["id"],
        "snoozed",
        now=start + dt.timedelta(minutes=2),
        snoozed_until=start + 3 * HOUR,
    )
    await fire_due(db, now=start + 2 * HOUR)
    assert (await fetch(agent, first["id"]))["status"] == "pending"
    assert (await fetch(agent, second["id"]))["status"] == "snoozed"
    await fire_due(db, now=start + 3 * HOUR)
    assert (await fetch(agent, second["id"]))["status"] == "open"
    assert await count(db, Timer, Timer.kind == "conversations.wake") == 2


async def test_a_breached_clock_is_escalated_once_however_often_it_pauses(
    db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    created = await create(lead)
    start = at(created["created_at"])
    due = at(created["first_response_due_at"])
    assert start is not None and due is not None
    await fire_due(db, now=due + dt.timedelta(minutes=1))
    assert await count(db, SlaBreach) == 1
    # Waiting on the customer for an hour, then open again: the due time moves an hour,
    # but this wait was already escalated.
    await set_status(db, created["id"], "pending", now=due + HOUR)
    await set_status(db, created["id"], "open", now=due + 2 * HOUR)
    assert at((await fetch(lead, created["id"]))["first_response_due_at"]) == due + HOUR
    # A customer reopening it after it was resolved: the same.
    await set_status(db, created["id"], "resolved", now=due + 3 * HOUR)
    await customer_writes(db, created["id"], "Het lekt nog steeds.", now=due + 4 * HOUR)
    await fire_due(db, now=due + 6 * HOUR)
    assert await count(db, SlaBreach, SlaBreach.target == "first_response") == 1
    assert await count(db, Alert, Alert.kind == "sla_breach") == 1

    # Answered, then a new question left unanswered: a new wait, so a new breach.
    await reply(lead, created["id"])
    asked = utcnow() + HOUR
    await customer_writes(db, created["id"], "En wanneer komt de monteur?", now=asked)
    await fire_due(db, now=asked + 9 * HOUR)
    assert await count(db, SlaBreach, SlaBreach.target == "next_response") == 1


async def test_a_breach_of_a_supervisors_own_conversation_is_one_alert(
    db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    created = await create(lead)
    r = await lead.client.patch(
        f"/api/v1/conversations/{created['id']}", json={"owner_id": lead.id}
    )
    assert r.status_code == 200, r.text
    due = at(created["first_response_due_at"])
    assert due is not None
    await fire_due(db, now=due + dt.timedelta(minutes=1))
    async with db.reading() as session:
        alerts = list(await session.scalars(select(Alert)))
    assert [(a.kind, a.agent_id, a.data["owner_id"]) for a in alerts] == [
        ("sla_breach", None, lead.id)
    ]


async def test_an_out_of_office_answer_starts_no_clock_and_bumps_nothing(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team="Team Shop support")
    await deliver(receiver.port, mail(message_id="<ooo-1@example.nl>"))
    (conversation,) = await conversations(db)
    await reply(person, conversation.id)

    def out_of_office() -> bytes:
        return mail(
            subject="Automatisch antwoord: Wasmachine lekt",
            text="Ik ben afwezig tot maandag.",
            in_reply_to="<ooo-1@example.nl>",
            headers={"Auto-Submitted": "auto-replied"},
        )

    await deliver(receiver.port, out_of_office())
    shown = await fetch(person, conversation.id)
    assert shown["awaiting_since"] is None and shown["next_response_due_at"] is None
    await fire_due(db, now=utcnow() + 9 * HOUR)
    assert await count(db, SlaBreach, SlaBreach.target == "next_response") == 0

    # While waiting on the customer, another out-of-office; then the customer really
    # answers: a new question with its own clock, not a bump of the robot's mail.
    r = await person.client.patch(
        f"/api/v1/conversations/{conversation.id}", json={"status": "pending"}
    )
    assert r.status_code == 200, r.text
    await deliver(receiver.port, out_of_office())
    await deliver(
        receiver.port,
        mail(text="Hier is de foto van de lekkage.", in_reply_to="<ooo-1@example.nl>"),
    )
    back = await fetch(person, conversation.id)
    assert back["status"] == "open"
    assert back["bumped_at"] is None
    assert at(back["next_response_due_at"]) == at(back["awaiting_since"]) + 8 * HOUR
