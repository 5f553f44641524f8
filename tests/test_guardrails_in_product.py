"""The guardrails at work in the product: triage on every customer message, the coach
before every agent text, overrides, promises, and staff words in customer records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from balie.act import SYSTEM, Act, utcnow
from balie.conversations.actions import add_message, get_visible
from balie.store.database import Database
from balie.store.tables import AuditEvent, Promise
from tests.conftest import MakeAgent, Person, new_conversation, snapshot

API = "/api/v1"
INSULT_REPLY = "Luister eens, idioot, lees gewoon de handleiding."


async def _open(person: Person, text: str, **over: Any) -> dict[str, Any]:
    body = new_conversation(message={"text": text}, **over)
    r = await person.client.post(f"{API}/conversations", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _customer_writes(db: Database, conversation_id: int, text: str) -> None:
    async with db.writing() as session:
        act = Act(session, SYSTEM, utcnow())
        conversation = await get_visible(act, conversation_id)
        await add_message(act, conversation, text=text, internal=False, author_kind="customer")


async def test_an_abusive_message_is_flagged_with_its_evidence(agent: Person) -> None:
    created = await _open(agent, "Jullie zijn een stelletje oplichters, kankerlijers!!")
    assert created["abusive"] is True
    messages = (await agent.client.get(f"{API}/conversations/{created['id']}/messages")).json()
    triage = messages[0]["triage"]
    assert triage["abusive"] is True
    spans = [e["text"].lower() for e in triage["evidence"]]
    assert any("kankerlijers" in s or "oplichters" in s for s in spans)


async def test_a_critical_case_rises_to_the_top_and_the_change_is_audited(
    agent: Person, db: Database
) -> None:
    calm = await _open(agent, "Wanneer wordt mijn bestelling geleverd?", subject="Levering")
    urgent = await _open(agent, "Hoe laat gaan jullie open?", subject="Openingstijden")
    await _customer_writes(
        db, urgent["id"], "De elektrische deken vatte vlam, mijn kind heeft brandwonden!"
    )
    listed = (await agent.client.get(f"{API}/conversations")).json()["items"]
    assert [c["id"] for c in listed[:2]] == [urgent["id"], calm["id"]]
    assert listed[0]["severity"] == "critical"
    async with db.reading() as session:
        changes = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "conversation.triage",
                    AuditEvent.target == f"conversation:{urgent['id']}",
                )
            )
        )
    assert [(c.before or {}).get("severity") for c in changes][-1] == "normal"
    assert (changes[-1].after or {})["severity"] == "critical"


async def test_an_insulting_reply_is_blocked_and_nothing_is_stored(
    agent: Person, db: Database
) -> None:
    cid = (await _open(agent, "Mijn pakket is kapot aangekomen."))["id"]
    before = await snapshot(db)
    for internal in (False, True):
        r = await agent.client.post(
            f"{API}/conversations/{cid}/messages", json={"text": INSULT_REPLY, "internal": internal}
        )
        assert r.status_code == 422 and r.json()["code"] == "coach_blocked"
        assert "insult" in [f["kind"] for f in r.json()["coaching"]["flags"]]
    assert await snapshot(db) == before


async def test_an_agent_needs_a_supervisors_approval_to_override(
    agent: Person, supervisor: Person, db: Database
) -> None:
    cid = (await _open(agent, "Mijn pakket is kapot aangekomen."))["id"]
    # An agent's own reason is not enough.
    r = await agent.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": INSULT_REPLY, "override_reason": "klant vroeg erom"},
    )
    assert r.status_code == 422
    asked = await agent.client.post(
        f"{API}/conversations/{cid}/coach-overrides",
        json={"text": INSULT_REPLY, "reason": "De klant citeerde dit zelf"},
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    # The supervisor reads the very text they are asked to allow.
    waiting = (await supervisor.client.get(f"{API}/coach-overrides")).json()
    assert [(o["id"], o["text"]) for o in waiting] == [(asked.json()["id"], INSULT_REPLY)]
    override_id = asked.json()["id"]
    assert (
        await agent.client.post(f"{API}/coach-overrides/{override_id}/approve")
    ).status_code == 403
    approved = await supervisor.client.post(f"{API}/coach-overrides/{override_id}/approve")
    assert approved.json()["status"] == "approved"
    other_text = await agent.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": INSULT_REPLY + " Echt!", "override_id": override_id},
    )
    assert other_text.status_code == 409
    sent = await agent.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": INSULT_REPLY, "override_id": override_id},
    )
    assert sent.status_code == 201
    assert sent.json()["coaching"]["override"]["approved_by"] == supervisor.id
    reused = await agent.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": INSULT_REPLY, "override_id": override_id},
    )
    assert reused.status_code == 409
    async with db.reading() as session:
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert {"coach.override_request", "coach.override_approved", "coach.override_used"} <= set(
        actions
    )


async def test_a_supervisor_may_override_with_a_reason(supervisor: Person) -> None:
    cid = (await _open(supervisor, "Mijn pakket is kapot aangekomen."))["id"]
    r = await supervisor.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": INSULT_REPLY, "override_reason": "Citaat uit de klacht, bewust"},
    )
    assert r.status_code == 201
    assert r.json()["coaching"]["override"]["reason"] == "Citaat uit de klacht, bewust"


async def test_warnings_are_kept_on_the_message_but_do_not_stop_it(agent: Person) -> None:
    cid = (await _open(agent, "Waarom is mijn geld nog niet terug?"))["id"]
    r = await agent.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": "Volgens ons interne beleid is uw verzoek doorgezet naar de backoffice."},
    )
    assert r.status_code == 201
    assert r.json()["coaching"]["verdict"] == "warn"
    assert "internal_process" in [f["kind"] for f in r.json()["coaching"]["flags"]]


async def test_a_promise_in_a_reply_becomes_a_due_follow_up(agent: Person, db: Database) -> None:
    cid = (await _open(agent, "Ik wacht al weken op mijn terugbetaling."))["id"]
    r = await agent.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": "Excuses voor het lange wachten. U ontvangt morgen voor 12:00 uw geld."},
    )
    assert r.status_code == 201
    async with db.reading() as session:
        promise = await session.scalar(select(Promise))
    assert promise is not None and promise.status == "open"
    assert promise.due_at is not None
    assert dt.timedelta(hours=1) < promise.due_at - utcnow() < dt.timedelta(days=2)


async def test_the_coach_answers_for_a_draft_in_its_conversation(agent: Person) -> None:
    cid = (await _open(agent, "Dit is BELACHELIJK, al drie keer kapot!!! Ik ben het zat."))["id"]
    r = await agent.client.post(
        f"{API}/coach", json={"text": "Stuur het toestel maar op.", "conversation_id": cid}
    )
    assert r.status_code == 200
    assert "no_apology" in [f["kind"] for f in r.json()["flags"]]
    calm = await agent.client.post(
        f"{API}/coach",
        json={
            "text": "Wat vervelend, excuses! Ik stuur vandaag een nieuw toestel.",
            "conversation_id": cid,
        },
    )
    assert calm.json()["verdict"] == "ok"


async def test_staff_insults_cannot_be_saved_in_a_customer_record(
    agent: Person, db: Database, make_agent: MakeAgent
) -> None:
    created = await _open(agent, "Hallo, een vraag over mijn factuur.")
    url = f"{API}/customers/{created['customer_id']}"
    before = await snapshot(db)
    for field, value in (("name", "A**hole Brown"), ("notes", "Vervelende zeikerd, niet helpen")):
        r = await agent.client.patch(url, json={field: value})
        assert r.status_code == 422 and r.json()["code"] == "coach_blocked", r.text
    assert await snapshot(db) == before
    fine = await agent.client.patch(url, json={"notes": "Belt liever dan dat hij mailt."})
    assert fine.status_code == 200
