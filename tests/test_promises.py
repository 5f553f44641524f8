"""Promises as follow-ups (C4), through the API: a reply that promises something by a
time reminds the conversation's owner ahead of it (live and by e-mail, once), and tells
the supervisors when it is still open two (business) hours later; marking it kept or
cancelling it stops both."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from balie.act import CLI, Act
from balie.conversations import actions as conversation_actions
from balie.customers.actions import customer_for_email
from balie.promises import actions as promise_actions
from balie.store.database import Database
from balie.store.tables import Alert, AuditEvent, Conversation, OutboxMail, Promise, Timer
from balie.timers.loop import fire_due
from balie.zone import LOCAL_ZONE
from tests.conftest import MakeAgent, Person, new_conversation, snapshot
from tests.email_fixtures import make_email_inbox

PROMISE = "Ik mail u morgen voor 12:00 de uitslag van het onderzoek."
SECOND = dt.timedelta(seconds=1)


async def conversation_owned_by(owner: Person, lead: Person) -> int:
    created = await lead.client.post("/api/v1/conversations", json=new_conversation())
    assert created.status_code == 201, created.text
    conversation_id: int = created.json()["id"]
    assigned = await lead.client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"owner_id": owner.id}
    )
    assert assigned.status_code == 200, assigned.text
    return conversation_id


async def reply(person: Person, conversation_id: int, text: str) -> dict[str, Any]:
    sent = await person.client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
    )
    assert sent.status_code == 201, sent.text
    body: dict[str, Any] = sent.json()
    return body


async def the_promise(person: Person, **params: Any) -> dict[str, Any]:
    listed = await person.client.get("/api/v1/promises", params=params)
    assert listed.status_code == 200, listed.text
    (promise,) = listed.json()
    body: dict[str, Any] = promise
    return body


async def alerts(db: Database, kind: str) -> list[Alert]:
    async with db.reading() as session:
        return list(await session.scalars(select(Alert).where(Alert.kind == kind)))


async def staff_mail_to(db: Database, address: str) -> list[OutboxMail]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(OutboxMail).where(
                OutboxMail.purpose == "alert", OutboxMail.to_address == address
            )
        )
        return list(rows)


async def test_a_promised_time_in_a_reply_becomes_a_follow_up_due_then(
    make_agent: MakeAgent, db: Database
) -> None:
    agent, lead = await make_agent("agent"), await make_agent("supervisor")
    conversation_id = await conversation_owned_by(agent, lead)

    message = await reply(agent, conversation_id, PROMISE)

    promise = await the_promise(agent, mine="true", status="open")
    assert promise["text"] == PROMISE
    assert promise["conversation_id"] == conversation_id
    assert promise["owner_id"] == agent.id
    assert promise["customer_name"] == "Sanne de Vries"
    sent = dt.datetime.fromisoformat(message["created_at"]).astimezone(LOCAL_ZONE)
    due = dt.datetime.fromisoformat(promise["due_at"]).astimezone(LOCAL_ZONE)
    assert (due.date(), due.hour, due.minute) == (sent.date() + dt.timedelta(days=1), 12, 0)


async def test_the_owner_is_reminded_once_when_due_and_supervisors_told_when_unkept(
    make_agent: MakeAgent, db: Database
) -> None:
    await make_email_inbox(db)  # alerts are mailed from an e-mail inbox
    agent, lead = await make_agent("agent"), await make_agent("supervisor")
    conversation_id = await conversation_owned_by(agent, lead)
    await reply(agent, conversation_id, PROMISE)
    promise = await the_promise(agent)
    due = dt.datetime.fromisoformat(promise["due_at"])

    # No inbox, so no business hours: reminded an hour ahead, while it can still be kept.
    ahead = due - dt.timedelta(hours=1)
    await fire_due(db, now=ahead - SECOND)
    assert await alerts(db, "promise_due") == []

    await fire_due(db, now=ahead)
    await fire_due(db, now=ahead + SECOND)  # a second round does not remind again
    (reminder,) = await alerts(db, "promise_due")
    assert reminder.agent_id == agent.id
    assert reminder.conversation_id == conversation_id
    assert reminder.text.startswith(f"You promised “{PROMISE}” to Sanne de Vries by ")
    assert "12:00" in reminder.text
    assert len(await staff_mail_to(db, agent.email)) == 1
    assert await alerts(db, "promise_unkept") == []
    assert (await the_promise(agent))["status"] == "open"

    await fire_due(db, now=due + dt.timedelta(hours=2) + SECOND)
    await fire_due(db, now=due + dt.timedelta(hours=3))
    (unkept,) = await alerts(db, "promise_unkept")
    assert unkept.agent_id is None  # every supervisor's
    assert "Promise not kept" in unkept.text and PROMISE in unkept.text
    assert len(await staff_mail_to(db, lead.email)) == 1
    assert (await the_promise(agent, status="unkept"))["id"] == promise["id"]
    async with db.reading() as session:
        audited = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "promise.unkept")
        )
    assert audited is not None and audited.target == f"conversation:{conversation_id}"
    # Unkept stays on record: it cannot be marked kept afterwards.
    late = await agent.client.post(f"/api/v1/promises/{promise['id']}/kept")
    assert late.status_code == 409


async def test_a_kept_promise_reminds_nobody(make_agent: MakeAgent, db: Database) -> None:
    agent, lead = await make_agent("agent"), await make_agent("supervisor")
    conversation_id = await conversation_owned_by(agent, lead)
    await reply(agent, conversation_id, PROMISE)
    promise = await the_promise(agent)

    kept = await agent.client.post(f"/api/v1/promises/{promise['id']}/kept")

    assert kept.status_code == 200, kept.text
    assert kept.json()["status"] == "kept"
    # Other rooms' timers (an SLA check) may fire too; no promise alert may.
    await fire_due(db, now=dt.datetime.fromisoformat(promise["due_at"]) + dt.timedelta(days=1))
    assert await alerts(db, "promise_due") == [] and await alerts(db, "promise_unkept") == []
    async with db.reading() as session:
        statuses = list(
            await session.scalars(select(Timer.status).where(Timer.key.like("promise:%")))
        )
    assert statuses == ["cancelled", "cancelled"]
    listed = await agent.client.get("/api/v1/promises", params={"status": "open"})
    assert listed.json() == []


async def test_a_cancelled_promise_keeps_its_reason_and_reminds_nobody(
    make_agent: MakeAgent, db: Database
) -> None:
    agent, lead = await make_agent("agent"), await make_agent("supervisor")
    conversation_id = await conversation_owned_by(agent, lead)
    await reply(agent, conversation_id, PROMISE)
    promise = await the_promise(agent)

    cancelled = await agent.client.post(
        f"/api/v1/promises/{promise['id']}/cancel",
        json={"reason": "Klant heeft de bestelling geannuleerd"},
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    await fire_due(db, now=dt.datetime.fromisoformat(promise["due_at"]) + dt.timedelta(days=1))
    assert await alerts(db, "promise_due") == []
    async with db.reading() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "promise.cancelled")
        )
    assert event is not None and event.after is not None
    assert event.after["reason"] == "Klant heeft de bestelling geannuleerd"


async def test_after_a_hand_over_the_new_owner_is_reminded(
    make_agent: MakeAgent, db: Database
) -> None:
    writer, successor = await make_agent("agent"), await make_agent("agent")
    lead = await make_agent("supervisor")
    conversation_id = await conversation_owned_by(writer, lead)
    await reply(writer, conversation_id, PROMISE)
    await lead.client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"owner_id": successor.id}
    )
    promise = await the_promise(successor, mine="true")
    assert (await writer.client.get("/api/v1/promises")).json() == []

    await fire_due(db, now=dt.datetime.fromisoformat(promise["due_at"]) + SECOND)

    (reminder,) = await alerts(db, "promise_due")
    assert reminder.agent_id == successor.id


async def test_a_promise_without_a_time_is_listed_last_and_never_alerts(
    make_agent: MakeAgent, db: Database
) -> None:
    agent, lead = await make_agent("agent"), await make_agent("supervisor")
    conversation_id = await conversation_owned_by(agent, lead)
    await reply(agent, conversation_id, "Ik zoek het voor u uit.")
    await reply(agent, conversation_id, "U ontvangt binnen 2 uur een e-mail van ons.")

    listed = (await agent.client.get("/api/v1/promises")).json()

    assert [p["text"] for p in listed] == [
        "U ontvangt binnen 2 uur een e-mail van ons.",
        "Ik zoek het voor u uit.",
    ]
    assert listed[1]["due_at"] is None
    async with db.reading() as session:
        keys = list(await session.scalars(select(Timer.key).order_by(Timer.key)))
    timed = listed[0]["id"]
    assert [k for k in keys if k.startswith("promise:")] == [
        f"promise:{timed}",
        f"promise:{timed}:unkept",
    ]


async def test_who_sees_which_follow_ups(make_agent: MakeAgent, db: Database) -> None:
    agent, colleague = await make_agent("agent"), await make_agent("agent")
    lead = await make_agent("supervisor")
    await reply(agent, await conversation_owned_by(agent, lead), PROMISE)
    await reply(colleague, await conversation_owned_by(colleague, lead), PROMISE)

    def owners(response: Any) -> list[int]:
        return sorted(p["owner_id"] for p in response.json())

    assert owners(await agent.client.get("/api/v1/promises")) == [agent.id]
    # An agent asking for everyone's still gets their own.
    assert owners(await agent.client.get("/api/v1/promises?mine=false")) == [agent.id]
    assert owners(await lead.client.get("/api/v1/promises")) == sorted([agent.id, colleague.id])
    assert owners(await lead.client.get("/api/v1/promises?mine=true")) == []


async def test_refused_changes_to_a_promise_say_why_and_change_nothing(
    make_agent: MakeAgent, db: Database
) -> None:
    inbox = await make_email_inbox(db, name="Wassen")
    agent = await make_agent("agent")
    colleague = await make_agent("agent", team="Team Wassen")
    outsider = await make_agent("agent", team="Elders")
    lead = await make_agent("supervisor")
    conversation_id = await conversation_owned_by(agent, lead)
    # The conversation is in a team: the colleague sees it, the outsider does not.
    async with db.writing() as session:
        row = await session.get(Conversation, conversation_id)
        assert row is not None
        row.team_id = inbox.team_id
    await reply(agent, conversation_id, PROMISE)
    promise = await the_promise(agent)
    url = f"/api/v1/promises/{promise['id']}"
    before = await snapshot(db)

    cases: list[tuple[Person, str, Any, int]] = [
        (agent, "/api/v1/promises/999999/kept", None, 404),
        (outsider, f"{url}/kept", None, 404),  # invisible looks like unknown
        (colleague, f"{url}/kept", None, 403),  # can see it, but it is not theirs
        (agent, f"{url}/cancel", {"reason": "   "}, 422),
        (agent, f"{url}/cancel", {}, 422),
        (agent, f"{url}/cancel", {"reason": "x" * 501}, 422),
        (agent, f"{url}/cancel", {"reason": "ok", "status": "kept"}, 422),
        (agent, "/api/v1/promises/0/kept", None, 422),
    ]
    for person, path, body, status in cases:
        refused = await person.client.post(path, json=body)
        assert refused.status_code == status, (path, body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert (await outsider.client.get(url)).status_code == 404
    assert (await agent.client.get("/api/v1/promises?status=done")).status_code == 422
    assert await snapshot(db) == before

    assert (await agent.client.post(f"{url}/kept")).status_code == 200
    settled = await snapshot(db)
    again = await agent.client.post(f"{url}/kept")
    assert again.status_code == 409
    assert again.json()["promise_status"] == "kept"
    cancel = await lead.client.post(f"{url}/cancel", json={"reason": "te laat"})
    assert cancel.status_code == 409
    assert await snapshot(db) == settled


async def test_a_supervisor_may_settle_anyones_promise(make_agent: MakeAgent, db: Database) -> None:
    agent, lead = await make_agent("agent"), await make_agent("supervisor")
    await reply(agent, await conversation_owned_by(agent, lead), PROMISE)
    promise = await the_promise(agent)

    kept = await lead.client.post(f"/api/v1/promises/{promise['id']}/kept")

    assert kept.status_code == 200
    assert (await agent.client.get(f"/api/v1/promises/{promise['id']}")).json()["status"] == "kept"


OFFICE = {
    "timezone": "Europe/Amsterdam",
    "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=dt.UTC)


async def test_reminders_come_ahead_and_unkept_waits_for_office_hours(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent")
    inbox = await make_email_inbox(db, hours=OFFICE)
    # Friday 4 December 2026, 11:00 in Amsterdam (10:00 UTC); the office is open 9 to 17.
    made = utc(4, 10)
    async with db.writing() as session:
        act = Act(session, CLI, made)
        customer = await customer_for_email(act, email="sanne@example.nl", name="Sanne")
        conversation, message = await conversation_actions.create_conversation(
            act,
            customer=customer,
            subject="Onderzoek",
            text="Wat is de uitslag?",
            inbox_id=inbox.id,
        )
        conversation.owner_id = agent.id
        friday = Promise(
            conversation_id=conversation.id,
            message_id=message.id,
            agent_id=agent.id,
            text="Vandaag voor 16:30",
            due_at=utc(4, 15, 30),
            status="open",
            created_at=made,
        )
        monday = Promise(
            conversation_id=conversation.id,
            message_id=message.id,
            agent_id=agent.id,
            text="Maandag voor 9:30",
            due_at=utc(7, 8, 30),
            status="open",
            created_at=made,
        )
        session.add_all([friday, monday])
        await session.flush()
        await promise_actions.track(act, [friday, monday])
        ids = {friday.id: "friday", monday.id: "monday"}

    async def reminded() -> list[str]:
        return sorted(ids[a.data["promise_id"]] for a in await alerts(db, "promise_due"))

    async def unkept() -> list[str]:
        return sorted(ids[a.data["promise_id"]] for a in await alerts(db, "promise_unkept"))

    # Friday's promise: reminded at 15:30, an hour before it is due.
    await fire_due(db, now=utc(4, 14, 30) - SECOND)
    assert await reminded() == []
    await fire_due(db, now=utc(4, 14, 30))
    assert await reminded() == ["friday"]
    # Two hours after 16:30 the office has been closed for 1.5 of them: not unkept yet,
    # nor all weekend.
    await fire_due(db, now=utc(6, 23))
    assert await unkept() == []
    # Monday's 9:30 promise: reminded at 9:00, when the office opens, not at 8:30.
    await fire_due(db, now=utc(7, 8) - SECOND)
    assert await reminded() == ["friday"]
    await fire_due(db, now=utc(7, 8))
    assert await reminded() == ["friday", "monday"]
    # Friday's two business hours of grace end at 10:30 on Monday.
    await fire_due(db, now=utc(7, 9, 30) - SECOND)
    assert await unkept() == []
    await fire_due(db, now=utc(7, 9, 30))
    assert await unkept() == ["friday"]
