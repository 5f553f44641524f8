"""Abusive customers through the API (SCENARIOS A2, A4): boundary warnings, ending the chat
after the limit, blocking and unblocking, a blocked customer's mail parked, asking a
supervisor to join. Every step is in the audit log; refused steps change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from balie.act import SYSTEM, Act, utcnow
from balie.conversations.actions import add_message, get_visible
from balie.store.database import Database
from balie.store.tables import AbuseWarning, Alert, AuditEvent, Customer, OutboxMail, Timer
from balie.store.tables import Conversation as ConversationRow
from balie.timers.loop import fire_due
from tests.conftest import MakeAgent, Person, new_conversation, snapshot
from tests.email_fixtures import (
    Receiver,
    conversations,
    deliver,
    email_inbox,
    messages,
    receiver,
)
from tests.mail_support import mail

__all__ = ["email_inbox", "receiver"]  # fixtures used by name

API = "/api/v1"
ABUSE = "Jullie zijn een stelletje oplichters, kankerlijers!!"
CALM = "Mijn wasmachine lekt sinds gisteren, wat nu?"


async def _open(person: Person, text: str = ABUSE, **over: Any) -> dict[str, Any]:
    body = new_conversation(**{"message": {"text": text}, "language": "nl", **over})
    answer = await person.client.post(f"{API}/conversations", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _audit(db: Database, action: str) -> list[AuditEvent]:
    async with db.reading() as session:
        return list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


async def _alerts(db: Database, kind: str) -> list[Alert]:
    async with db.reading() as session:
        return list(await session.scalars(select(Alert).where(Alert.kind == kind)))


async def _customer(db: Database, customer_id: int) -> Customer:
    async with db.reading() as session:
        customer = await session.get(Customer, customer_id)
    assert customer is not None
    return customer


async def _customer_writes(db: Database, conversation_id: int, text: str = "Nou en?") -> None:
    async with db.writing() as session:
        act = Act(session, SYSTEM, utcnow())
        conversation = await get_visible(act, conversation_id)
        await add_message(act, conversation, text=text, internal=False, author_kind="customer")


async def _warn_twice(db: Database, person: Person, conversation_id: int) -> None:
    """Two warnings, the customer writing back in between (as a second one needs)."""
    await _warn(person, conversation_id)
    await _customer_writes(db, conversation_id)
    await _warn(person, conversation_id)


async def _warn(person: Person, conversation_id: int, **body: Any) -> dict[str, Any]:
    answer = await person.client.post(
        f"{API}/conversations/{conversation_id}/boundary", json=body or None
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_the_boundary_message_goes_to_the_customer_and_counts_as_a_warning(
    db: Database, agent: Person
) -> None:
    conversation = await _open(agent)
    state = await _warn(agent, conversation["id"])
    assert (state["warnings"], state["limit"], state["warnings_to_go"]) == (1, 2, 1)
    assert state["may_end"] is False
    sent = (await agent.client.get(f"{API}/conversations/{conversation['id']}/messages")).json()
    last = sent[-1]
    # A public reply in the conversation's language, by the agent: the customer sees it.
    assert last["text"].startswith("Ik wil u graag helpen")
    assert (last["author_kind"], last["internal"]) == ("agent", False)
    [warning] = await _audit(db, "abuse.warning")
    assert warning.target == f"conversation:{conversation['id']}"
    assert warning.actor == f"agent:{agent.id}"
    assert warning.after is not None and warning.after["message_id"] == last["id"]
    async with db.reading() as session:
        [row] = list(await session.scalars(select(AbuseWarning)))
    assert (row.agent_id, row.customer_id) == (agent.id, conversation["customer_id"])


async def test_an_english_conversation_gets_the_english_boundary_and_own_text_is_kept(
    db: Database, agent: Person
) -> None:
    english = await _open(agent, "You are a bunch of scammers, you fucking idiots!!", language="en")
    await _warn(agent, english["id"])
    await _customer_writes(db, english["id"], "Whatever.")
    await _warn(agent, english["id"], text="Let us keep this polite, please; I am on it.")
    sent = (await agent.client.get(f"{API}/conversations/{english['id']}/messages")).json()
    assert [m["text"] for m in sent[-3:]] == [
        "I want to help you, and I can do that best if we keep this respectful.",
        "Whatever.",
        "Let us keep this polite, please; I am on it.",
    ]


async def test_a_second_warning_waits_for_the_customers_answer(db: Database, agent: Person) -> None:
    cid = (await _open(agent))["id"]
    first = await _warn(agent, cid)
    assert first["may_send_boundary"] is False and first["warning_unanswered"] is True
    before = await snapshot(db)
    again = await agent.client.post(f"{API}/conversations/{cid}/boundary")
    assert again.status_code == 409
    assert "not written since the last boundary warning" in again.json()["detail"]
    assert await snapshot(db) == before
    state = (await agent.client.get(f"{API}/conversations/{cid}/safety")).json()
    assert (state["warnings"], state["may_end"]) == (1, False)

    await _customer_writes(db, cid)
    second = await _warn(agent, cid)
    assert (second["warnings"], second["may_end"]) == (2, True)


async def test_a_retried_warning_is_stored_once(db: Database, agent: Person) -> None:
    cid = (await _open(agent))["id"]
    first = await _warn(agent, cid, client_id="warn-1")
    before = await snapshot(db)
    retried = await _warn(agent, cid, client_id="warn-1")
    assert (retried["warning_id"], retried["message_id"]) == (
        first["warning_id"],
        first["message_id"],
    )
    assert retried["warnings"] == 1
    assert await snapshot(db) == before
    sent = (await agent.client.get(f"{API}/conversations/{cid}/messages")).json()
    assert sum(m["text"].startswith("Ik wil u graag helpen") for m in sent) == 1


async def test_no_boundary_message_for_a_calm_customer(db: Database, agent: Person) -> None:
    calm = await _open(agent, CALM)
    before = await snapshot(db)
    answer = await agent.client.post(f"{API}/conversations/{calm['id']}/boundary")
    assert answer.status_code == 409
    assert "not" in answer.json()["detail"] and "abusive" in answer.json()["detail"]
    assert await snapshot(db) == before


async def test_ending_the_chat_needs_the_warnings_first_then_resolves_and_tells_a_lead(
    db: Database, agent: Person, supervisor: Person
) -> None:
    conversation = await _open(agent)
    cid = conversation["id"]
    before = await snapshot(db)
    early = await agent.client.post(f"{API}/conversations/{cid}/end", json={"reason": "Scheldt"})
    assert early.status_code == 409
    assert "0 of 2" in early.json()["detail"] and "2 more" in early.json()["detail"]
    assert await snapshot(db) == before

    await _warn(agent, cid)
    still = await agent.client.post(f"{API}/conversations/{cid}/end", json={"reason": "Scheldt"})
    assert still.status_code == 409 and "1 more" in still.json()["detail"]
    await _customer_writes(db, cid)
    await _warn(agent, cid)

    ended = await agent.client.post(
        f"{API}/conversations/{cid}/end", json={"reason": "Blijft schelden"}
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["may_end"] is False  # it has ended
    shown = (await agent.client.get(f"{API}/conversations/{cid}")).json()
    assert shown["status"] == "resolved"
    sent = (await agent.client.get(f"{API}/conversations/{cid}/messages")).json()
    assert sent[-1]["text"].startswith("Omdat het gesprek niet respectvol bleef")
    [entry] = await _audit(db, "abuse.end_chat")
    assert entry.target == f"conversation:{cid}"
    assert entry.after == {
        "reason": "Blijft schelden",
        "warnings": 2,
        "customer_id": shown["customer_id"],
    }
    # The supervisor sees it among their alerts.
    alerts = (await supervisor.client.get(f"{API}/alerts")).json()
    assert [a["kind"] for a in alerts] == ["abuse_end"]
    assert alerts[0]["conversation_id"] == cid and "Blijft schelden" in alerts[0]["text"]

    again = await agent.client.post(f"{API}/conversations/{cid}/end", json={"reason": "Nog eens"})
    assert again.status_code == 409


async def test_bad_input_to_end_and_boundary_changes_nothing(db: Database, agent: Person) -> None:
    cid = (await _open(agent))["id"]
    before = await snapshot(db)
    for path, body in (
        ("end", {}),
        ("end", {"reason": "  "}),
        ("end", {"reason": "x" * 501}),
        ("end", {"reason": "ok", "extra": 1}),
        ("boundary", {"text": 5}),
        ("boundary", {"txt": "hi"}),
    ):
        answer = await agent.client.post(f"{API}/conversations/{cid}/{path}", json=body)
        assert answer.status_code == 422, (path, body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    missing = await agent.client.post(f"{API}/conversations/999999/boundary")
    assert missing.status_code == 404
    assert await snapshot(db) == before


async def test_an_insulting_boundary_text_is_stopped_by_the_coach(
    db: Database, agent: Person
) -> None:
    cid = (await _open(agent))["id"]
    before = await snapshot(db)
    answer = await agent.client.post(
        f"{API}/conversations/{cid}/boundary", json={"text": "Hou je mond, idioot."}
    )
    assert answer.status_code == 422
    assert await snapshot(db) == before  # no message and no warning


async def test_an_agent_blocks_after_the_limit_and_a_supervisor_lifts_it(
    db: Database, agent: Person, supervisor: Person
) -> None:
    conversation = await _open(agent)
    cid, customer_id = conversation["id"], conversation["customer_id"]
    block = {"days": 7, "reason": "Bleef schelden na twee waarschuwingen"}
    before = await snapshot(db)
    refused = await agent.client.post(f"{API}/customers/{customer_id}/block", json=block)
    assert refused.status_code == 403 and "2 boundary warnings" in refused.json()["detail"]
    assert await snapshot(db) == before

    await _warn_twice(db, agent, cid)
    started = utcnow()
    blocked = await agent.client.post(f"{API}/customers/{customer_id}/block", json=block)
    assert blocked.status_code == 200, blocked.text
    until = dt.datetime.fromisoformat(blocked.json()["blocked_until"])
    assert started + dt.timedelta(days=7) <= until <= utcnow() + dt.timedelta(days=7)
    customer = await _customer(db, customer_id)
    assert customer.blocked_reason == block["reason"]
    targets = [e.target for e in await _audit(db, "customer.block")]
    assert targets == [f"customer:{customer_id}", f"conversation:{cid}"]
    [alert] = await _alerts(db, "customer_blocked")
    assert alert.agent_id is None and alert.conversation_id == cid
    assert alert.data["days"] == 7
    state = (await agent.client.get(f"{API}/conversations/{cid}/safety")).json()
    assert state["customer"]["blocked"] is True

    # An agent cannot lift it; a supervisor can, once.
    assert (await agent.client.delete(f"{API}/customers/{customer_id}/block")).status_code == 403
    lifted = await supervisor.client.delete(f"{API}/customers/{customer_id}/block")
    assert lifted.status_code == 200 and lifted.json()["blocked_until"] is None
    [unblock] = await _audit(db, "customer.unblock")
    assert unblock.actor == f"agent:{supervisor.id}" and unblock.after is not None
    assert unblock.after["blocked_until"] is None
    assert (await _customer(db, customer_id)).blocked_until is None
    again = await supervisor.client.delete(f"{API}/customers/{customer_id}/block")
    assert again.status_code == 409


async def test_a_supervisor_may_block_at_once_and_bad_periods_are_refused(
    db: Database, agent: Person, supervisor: Person
) -> None:
    customer_id = (await _open(agent, CALM))["customer_id"]
    before = await snapshot(db)
    for body in (
        {"days": 0, "reason": "x"},
        {"days": 366, "reason": "x"},
        {"days": "week", "reason": "x"},
        # Not whole numbers of days, though Python would read them as 1 and 7.
        {"days": True, "reason": "x"},
        {"days": "7", "reason": "x"},
        {"days": 7.0, "reason": "x"},
        {"days": 7, "reason": ""},
        {"days": 7},
        {"days": 7, "reason": "x", "conversation_id": 0},
    ):
        answer = await supervisor.client.post(f"{API}/customers/{customer_id}/block", json=body)
        assert answer.status_code == 422, (body, answer.text)
    unknown = await supervisor.client.post(
        f"{API}/customers/999999/block", json={"days": 1, "reason": "x"}
    )
    assert unknown.status_code == 404
    assert await snapshot(db) == before
    ok = await supervisor.client.post(
        f"{API}/customers/{customer_id}/block", json={"days": 365, "reason": "Bedreiging"}
    )
    assert ok.status_code == 200
    assert (await _customer(db, customer_id)).blocked_reason == "Bedreiging"


async def _block(lead: Person, customer_id: int, days: int) -> dt.datetime:
    """A supervisor blocks the customer; returns until when."""
    blocked = await lead.client.post(
        f"{API}/customers/{customer_id}/block", json={"days": days, "reason": "Dreigde"}
    )
    assert blocked.status_code == 200, blocked.text
    return dt.datetime.fromisoformat(blocked.json()["blocked_until"])


async def test_a_blocked_customers_mail_is_kept_but_snoozed_until_the_block_ends(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    await deliver(receiver.port, mail(text=CALM, message_id="<first@example.nl>"))
    [first] = await conversations(db)
    until = await _block(lead, first.customer_id, 30)

    await deliver(receiver.port, mail(subject="Nog iets", text="Ik wil mijn geld terug."))
    newest = (await conversations(db))[-1]
    assert newest.id != first.id and newest.customer_id == first.customer_id
    [kept] = await messages(db, newest.id)
    assert kept.text.startswith("Ik wil mijn geld terug")  # stored: nothing is lost
    assert newest.status == "snoozed" and newest.snoozed_until == until
    tags = (await lead.client.get(f"{API}/conversations/{newest.id}")).json()["tags"]
    assert "blocked" in tags
    [parked] = await _audit(db, "abuse.blocked_message")
    assert parked.target == f"conversation:{newest.id}"

    # A reply in the old thread is kept too, and parked the same way.
    await deliver(
        receiver.port, mail(text="Hallo?", in_reply_to="<first@example.nl>", subject="Re: x")
    )
    async with db.reading() as session:
        again = await session.get(ConversationRow, first.id)
    assert again is not None and again.status == "snoozed"
    assert [m.text.strip() for m in await messages(db, first.id)][-1] == "Hallo?"

    # When the block ends, both come back into the queue by themselves.
    await fire_due(db, now=until - dt.timedelta(minutes=1))
    assert {c.status for c in await conversations(db)} == {"snoozed"}
    await fire_due(db, now=until + dt.timedelta(seconds=1))
    assert {c.status for c in await conversations(db)} == {"open"}


async def test_lifting_a_block_brings_the_parked_mail_back_at_once(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    customer_id = (await _open(lead, CALM))["customer_id"]
    await _block(lead, customer_id, 7)
    await deliver(receiver.port, mail(subject="Weer", text="Ik wil mijn geld terug."))
    parked = (await conversations(db))[-1]
    assert parked.status == "snoozed"
    assert (await lead.client.delete(f"{API}/customers/{customer_id}/block")).status_code == 200
    back = (await conversations(db))[-1]
    assert (back.id, back.status, back.snoozed_until) == (parked.id, "open", None)
    # The timer of the old block end is disarmed.
    async with db.reading() as session:
        timer = await session.scalar(select(Timer).where(Timer.key == f"snooze:{back.id}"))
    assert timer is not None and timer.status == "cancelled"


async def _park_mail(db: Database, receiver: Receiver, lead: Person, days: int) -> tuple[int, int]:
    """A customer blocked for ``days`` whose mail is parked; their id and the mail's."""
    customer_id = (await _open(lead, CALM))["customer_id"]
    until = await _block(lead, customer_id, days)
    await deliver(receiver.port, mail(subject="Weer", text="Ik wil mijn geld terug."))
    parked = (await conversations(db))[-1]
    assert (parked.status, parked.snoozed_until) == ("snoozed", until)
    return customer_id, parked.id


async def _conversation(db: Database, conversation_id: int) -> ConversationRow:
    async with db.reading() as session:
        row = await session.get(ConversationRow, conversation_id)
    assert row is not None
    return row


async def test_a_shortened_block_then_lifted_brings_the_parked_mail_back(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    customer_id, parked_id = await _park_mail(db, receiver, lead, 365)
    until = await _block(lead, customer_id, 1)  # shortened
    moved = await _conversation(db, parked_id)
    assert (moved.status, moved.snoozed_until) == ("snoozed", until)
    assert (await lead.client.delete(f"{API}/customers/{customer_id}/block")).status_code == 200
    back = await _conversation(db, parked_id)
    assert (back.status, back.snoozed_until) == ("open", None)


async def test_a_shortened_block_lets_the_parked_mail_out_at_the_new_end(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    customer_id, parked_id = await _park_mail(db, receiver, lead, 365)
    until = await _block(lead, customer_id, 1)
    await fire_due(db, now=until + dt.timedelta(seconds=1))
    assert (await _conversation(db, parked_id)).status == "open"


async def test_a_longer_block_keeps_the_parked_mail_until_its_new_end(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    customer_id, parked_id = await _park_mail(db, receiver, lead, 1)
    old_until = (await _customer(db, customer_id)).blocked_until
    assert old_until is not None
    until = await _block(lead, customer_id, 30)  # extended
    # The old end passes: still blocked, so still parked.
    await fire_due(db, now=old_until + dt.timedelta(hours=1))
    kept = await _conversation(db, parked_id)
    assert (kept.status, kept.snoozed_until) == ("snoozed", until)
    await fire_due(db, now=until + dt.timedelta(seconds=1))
    assert (await _conversation(db, parked_id)).status == "open"


async def test_a_blocked_customers_mail_is_not_acknowledged(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    # Known from a conversation that sent no acknowledgement (one per hour would hide it).
    customer_id = (await _open(lead, CALM))["customer_id"]
    await _block(lead, customer_id, 1)
    await deliver(receiver.port, mail(sender="Sanne <sanne@example.nl>", subject="Weer"))
    newest = (await conversations(db))[-1]
    async with db.reading() as session:
        acks = list(
            await session.scalars(
                select(OutboxMail).where(
                    OutboxMail.conversation_id == newest.id,
                    OutboxMail.purpose == "acknowledgement",
                )
            )
        )
    assert acks == []


async def test_asking_a_supervisor_alerts_every_lead_and_a_join_settles_it(
    db: Database, agent: Person, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor", name="Sofie Supervisor")
    cid = (await _open(agent))["id"]
    asked = await agent.client.post(
        f"{API}/conversations/{cid}/ask-supervisor", json={"note": "Dreigt met een advocaat"}
    )
    assert asked.status_code == 201, asked.text
    [alert] = (await lead.client.get(f"{API}/alerts")).json()
    assert (alert["kind"], alert["conversation_id"]) == ("ask_supervisor", cid)
    assert alert["data"]["note"] == "Dreigt met een advocaat"
    timeline = (await agent.client.get(f"{API}/conversations/{cid}/messages")).json()
    assert timeline[-1]["internal"] is True and "asked a supervisor" in timeline[-1]["text"]
    [audited] = await _audit(db, "conversation.ask_supervisor")
    assert audited.target == f"conversation:{cid}"

    before = await snapshot(db)
    twice = await agent.client.post(f"{API}/conversations/{cid}/ask-supervisor")
    assert twice.status_code == 409
    not_lead = await agent.client.post(f"{API}/conversations/{cid}/join")
    assert not_lead.status_code == 403
    assert await snapshot(db) == before

    joined = await lead.client.post(f"{API}/conversations/{cid}/join")
    assert joined.status_code == 200 and joined.json()["already_joined"] is False
    [entry] = await _audit(db, "conversation.supervisor_joined")
    assert entry.actor == f"agent:{lead.id}" and entry.after is not None
    assert entry.after["alert_id"] == alert["id"]
    assert (await lead.client.get(f"{API}/alerts")).json() == []  # settled
    timeline = (await lead.client.get(f"{API}/conversations/{cid}/messages")).json()
    assert timeline[-1]["text"] == "Supervisor Sofie Supervisor joined the conversation."
    state = (await lead.client.get(f"{API}/conversations/{cid}/safety")).json()
    assert state["supervisors_joined"] == [lead.id] and state["supervisor_asked"] is False
    # Joining again records nothing new.
    before = await snapshot(db)
    assert (await lead.client.post(f"{API}/conversations/{cid}/join")).json()[
        "already_joined"
    ] is True
    assert await snapshot(db) == before
    # A new question may be asked once the first was answered.
    assert (await agent.client.post(f"{API}/conversations/{cid}/ask-supervisor")).status_code == 201


async def test_an_agent_of_another_team_cannot_reach_the_conversation(
    db: Database, make_agent: MakeAgent
) -> None:
    owner = await make_agent("agent", team="Winkel")
    stranger = await make_agent("agent", team="Elders")
    inbox = await make_agent("admin", team="Winkel")
    made = await inbox.client.post(
        f"{API}/inboxes", json={"team_id": owner.team_id, "name": "Winkel mail", "channel": "email"}
    )
    assert made.status_code == 201, made.text
    conversation = await _open(owner, inbox_id=made.json()["id"])
    before = await snapshot(db)
    for path in ("boundary", "ask-supervisor", "safety"):
        method = stranger.client.get if path == "safety" else stranger.client.post
        assert (await method(f"{API}/conversations/{conversation['id']}/{path}")).status_code == 404
    block = await stranger.client.post(
        f"{API}/customers/{conversation['customer_id']}/block",
        json={"days": 1, "reason": "x", "conversation_id": conversation["id"]},
    )
    assert block.status_code == 404
    assert await snapshot(db) == before
