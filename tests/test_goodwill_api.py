"""Agent mandate and goodwill over the API (C2, E5, A5, A3): granted at once within the
mandate, an approval request above it that supervisors see and decide, and what to offer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from balie.act import Act, Actor
from balie.goodwill import actions, queries
from balie.store.database import Database
from balie.store.tables import AuditEvent, Conversation, Customer, Inbox, Message, OutboxMail
from balie.zone import LOCAL_ZONE
from tests.conftest import MakeAgent, Person, new_conversation, snapshot
from tests.email_fixtures import email_inbox  # noqa: F401

API = "/api/v1"


async def open_case(person: Person, **over: Any) -> int:
    r = await person.client.post(f"{API}/conversations", json=new_conversation(**over))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def give(person: Person, conversation_id: int, **body: Any) -> Any:
    body = {"kind": "refund", "amount_cents": 3_000, "reason": "Pakket kwam beschadigd aan"} | body
    return await person.client.post(f"{API}/conversations/{conversation_id}/goodwill", json=body)


async def audit_actions(db: Database, target: str) -> list[str]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == target).order_by(AuditEvent.seq)
        )
        return [a for a in rows if a.startswith("goodwill.")]


async def open_alerts(person: Person, kind: str) -> list[dict[str, Any]]:
    r = await person.client.get(f"{API}/alerts")
    assert r.status_code == 200, r.text
    return [a for a in r.json() if a["kind"] == kind]


async def test_within_the_mandate_the_agent_grants_at_once(
    agent: Person, supervisor: Person, db: Database
) -> None:
    case = await open_case(agent)
    r = await give(agent, case, amount_cents=3_000)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["status"] == "granted"
    assert (got["kind"], got["amount_cents"], got["currency"]) == ("refund", 3_000, "EUR")
    assert got["agent_id"] == got["decided_by"] == agent.id
    assert got["conversation_id"] == case and got["reason"] == "Pakket kwam beschadigd aan"
    assert await audit_actions(db, f"conversation:{case}") == ["goodwill.granted"]
    assert await open_alerts(supervisor, "goodwill_approval") == []
    listed = await agent.client.get(f"{API}/conversations/{case}/goodwill")
    assert [g["id"] for g in listed.json()] == [got["id"]]


async def test_above_the_mandate_supervisors_are_asked_live_and_by_mail(
    agent: Person,
    make_agent: MakeAgent,
    db: Database,
    email_inbox: Inbox,  # noqa: F811
) -> None:
    lead = await make_agent("supervisor", name="Mila Supervisor")
    case = await open_case(agent)
    r = await give(agent, case, amount_cents=8_000, reason="Derde keer kapot")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending_approval"
    assert r.json()["decided_by"] is None
    assert r.json()["decision_note"] == "above your 50.00 EUR per refund"
    [alert] = await open_alerts(lead, "goodwill_approval")
    assert alert["conversation_id"] == case
    assert alert["data"]["goodwill_id"] == r.json()["id"]
    assert "refund of 80.00 EUR" in alert["text"] and "Derde keer kapot" in alert["text"]
    async with db.reading() as session:
        mails = list(await session.scalars(select(OutboxMail).where(OutboxMail.purpose == "alert")))
    assert [m.to_address for m in mails] == [lead.email]
    assert await audit_actions(db, f"conversation:{case}") == ["goodwill.requested"]
    waiting = await lead.client.get(f"{API}/goodwill", params={"status": "pending_approval"})
    assert [g["id"] for g in waiting.json()] == [r.json()["id"]]


async def test_the_month_adds_up_and_the_reason_says_so(agent: Person) -> None:
    case = await open_case(agent)
    for _ in range(10):
        assert (await give(agent, case, amount_cents=5_000)).json()["status"] == "granted"
    over = (await give(agent, case, amount_cents=1_000)).json()
    assert over["status"] == "pending_approval"
    assert over["decision_note"] == (
        "would take you over your 500.00 EUR this month (0.00 EUR left)"
    )
    # Another kind has its own limit.
    assert (await give(agent, case, kind="credit", amount_cents=1_000)).json()[
        "status"
    ] == "granted"
    mandate = {m["kind"]: m for m in (await agent.client.get(f"{API}/mandate")).json()}
    assert mandate["refund"]["left_cents"] == 0 and mandate["credit"]["left_cents"] == 24_000


async def test_a_new_month_in_amsterdam_starts_a_fresh_mandate(agent: Person, db: Database) -> None:
    case = await open_case(agent)
    me = Actor("agent", agent.id, "agent", agent.team_id)
    # 23:30 on 30 November in Amsterdam, then 00:30 on 1 December (still 30 Nov in UTC).
    november = dt.datetime(2026, 11, 30, 23, 30, tzinfo=LOCAL_ZONE)
    december = dt.datetime(2026, 12, 1, 0, 30, tzinfo=LOCAL_ZONE)
    assert december.astimezone(dt.UTC).day == 30

    async def grant_at(now: dt.datetime, cents: int) -> str:
        async with db.writing() as session:
            conversation = await session.get(Conversation, case)
            assert conversation is not None
            action = await actions.grant(
                Act(session, me, now.astimezone(dt.UTC)),
                conversation,
                kind="refund",
                amount_cents=cents,
                reason="Coulance",
            )
            return action.status

    assert await grant_at(november, 45_000) == "pending_approval"  # above 50 at once
    for _ in range(10):
        assert await grant_at(november, 5_000) == "granted"
    assert await grant_at(november, 100) == "pending_approval"
    assert await grant_at(december, 5_000) == "granted"


async def test_a_supervisor_approves_and_the_agent_hears_it(
    agent: Person, supervisor: Person, db: Database
) -> None:
    case = await open_case(agent)
    asked = (await give(agent, case, amount_cents=8_000)).json()
    r = await supervisor.client.post(
        f"{API}/goodwill/{asked['id']}/decision", json={"approve": True, "note": "Terecht"}
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["decided_by"], done["decision_note"]) == (
        "approved",
        supervisor.id,
        "Terecht",
    )
    assert done["decided_at"] is not None
    # The request is dealt with for every supervisor; the agent is told.
    assert await open_alerts(supervisor, "goodwill_approval") == []
    [told] = await open_alerts(agent, "goodwill_decided")
    assert told["data"] == {"goodwill_id": asked["id"], "status": "approved"}
    assert await audit_actions(db, f"conversation:{case}") == [
        "goodwill.requested",
        "goodwill.approved",
    ]
    # An approved action counts against the approver's month, not the agent's.
    mandate = {m["kind"]: m for m in (await agent.client.get(f"{API}/mandate")).json()}
    assert mandate["refund"]["spent_cents"] == 0
    lead = {m["kind"]: m for m in (await supervisor.client.get(f"{API}/mandate")).json()}
    assert lead["refund"]["spent_cents"] == 8_000


async def test_an_approved_exception_leaves_the_agents_own_mandate_whole(
    agent: Person, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin")
    case = await open_case(agent)
    asked = (await give(agent, case, amount_cents=60_000)).json()
    r = await admin.client.post(f"{API}/goodwill/{asked['id']}/decision", json={"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    # The agent still refunds small amounts at once, up to their own 500.00 EUR.
    assert (await give(agent, case, amount_cents=500)).json()["status"] == "granted"
    mandate = {m["kind"]: m for m in (await agent.client.get(f"{API}/mandate")).json()}
    assert (mandate["refund"]["spent_cents"], mandate["refund"]["left_cents"]) == (500, 49_500)


async def test_an_approval_counts_in_the_month_it_was_given(
    agent: Person, supervisor: Person, db: Database
) -> None:
    case = await open_case(agent)
    lead = Actor("agent", supervisor.id, "supervisor", supervisor.team_id)
    me = Actor("agent", agent.id, "agent", agent.team_id)
    january = dt.datetime(2027, 1, 31, 22, 0, tzinfo=LOCAL_ZONE).astimezone(dt.UTC)
    february = dt.datetime(2027, 2, 2, 10, 0, tzinfo=LOCAL_ZONE).astimezone(dt.UTC)
    async with db.writing() as session:
        conversation = await session.get(Conversation, case)
        assert conversation is not None
        asked = await actions.grant(
            Act(session, me, january),
            conversation,
            kind="refund",
            amount_cents=8_000,
            reason="Kapot aangekomen",
        )
    async with db.writing() as session:
        await actions.decide(Act(session, lead, february), asked.id, approve=True)
    async with db.reading() as session:
        spent = {
            month: await queries.spent_this_month(
                session, agent_id=supervisor.id, kind="refund", currency="EUR", now=month
            )
            for month in (january, february)
        }
    assert spent == {january: 0, february: 8_000}


async def test_a_denial_is_recorded_with_its_note(agent: Person, supervisor: Person) -> None:
    case = await open_case(agent)
    asked = (await give(agent, case, kind="price_match", amount_cents=9_000)).json()
    r = await supervisor.client.post(
        f"{API}/goodwill/{asked['id']}/decision",
        json={"approve": False, "note": "Andere winkel is geen webwinkel"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "denied"
    assert r.json()["decision_note"] == "Andere winkel is geen webwinkel"
    mandate = {m["kind"]: m for m in (await agent.client.get(f"{API}/mandate")).json()}
    assert mandate["price_match"]["spent_cents"] == 0


async def test_deciding_twice_is_a_conflict_and_changes_nothing(
    agent: Person, supervisor: Person, make_agent: MakeAgent, db: Database
) -> None:
    other = await make_agent("supervisor")
    case = await open_case(agent)
    asked = (await give(agent, case, amount_cents=8_000)).json()
    decide = f"{API}/goodwill/{asked['id']}/decision"
    assert (await supervisor.client.post(decide, json={"approve": True})).status_code == 200
    before = await snapshot(db)
    r = await other.client.post(decide, json={"approve": False})
    assert r.status_code == 409
    assert "already decided" in r.json()["detail"]
    assert await snapshot(db) == before


async def test_an_agent_cannot_decide_on_approvals(
    agent: Person, make_agent: MakeAgent, db: Database
) -> None:
    colleague = await make_agent("agent")
    case = await open_case(agent)
    asked = (await give(agent, case, amount_cents=8_000)).json()
    before = await snapshot(db)
    for person in (agent, colleague):
        r = await person.client.post(
            f"{API}/goodwill/{asked['id']}/decision", json={"approve": True}
        )
        assert r.status_code == 403
    assert (await agent.client.get(f"{API}/goodwill")).status_code == 403
    assert await snapshot(db) == before


async def test_beyond_a_supervisors_own_mandate_an_admin_must_approve(
    agent: Person, supervisor: Person, make_agent: MakeAgent, db: Database
) -> None:
    admin = await make_agent("admin")
    case = await open_case(agent)
    # A supervisor refunds up to 500.00 EUR at once.
    asked = (await give(agent, case, amount_cents=60_000)).json()
    decide = f"{API}/goodwill/{asked['id']}/decision"
    before = await snapshot(db)
    r = await supervisor.client.post(decide, json={"approve": True})
    assert r.status_code == 403
    assert r.json()["detail"] == (
        "You cannot approve this refund of 600.00 EUR: it is above your 500.00 EUR per "
        "refund. An admin must decide on it."
    )
    assert await snapshot(db) == before
    # The admins were told when it was asked, since only they can decide it.
    waiting = await open_alerts(admin, "goodwill_approval")
    assert {a["agent_id"] for a in waiting} == {None, admin.id}
    assert any("an admin decides" in a["text"] for a in waiting)
    r = await admin.client.post(decide, json={"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert await open_alerts(admin, "goodwill_approval") == []


async def test_nobody_decides_on_their_own_request(supervisor: Person, db: Database) -> None:
    case = await open_case(supervisor)
    asked = (await give(supervisor, case, amount_cents=60_000)).json()
    assert asked["status"] == "pending_approval"
    before = await snapshot(db)
    r = await supervisor.client.post(
        f"{API}/goodwill/{asked['id']}/decision", json={"approve": True}
    )
    assert r.status_code == 403 and "your own request" in r.json()["detail"]
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "free_holiday"}, "kind"),
        ({"amount_cents": -1}, "amount_cents"),
        ({"amount_cents": 1_000_000_001}, "amount_cents"),
        ({"amount_cents": "3000"}, "amount_cents"),
        ({"amount_cents": 30.5}, "amount_cents"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 1001}, "reason"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_goodwill_gets_a_clear_error_and_changes_nothing(
    agent: Person, db: Database, body: dict[str, Any], field: str
) -> None:
    case = await open_case(agent)
    before = await snapshot(db)
    r = await give(agent, case, **body)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert await snapshot(db) == before


async def test_goodwill_on_a_conversation_the_agent_cannot_see_is_not_found(
    make_agent: MakeAgent, db: Database
) -> None:
    lead = await make_agent("supervisor", team="Retouren")
    stranger = await make_agent("agent", team="Verkoop")
    r = await lead.client.post(f"{API}/conversations", json=new_conversation())
    case = r.json()["id"]
    async with db.writing() as session:
        conversation = await session.get(Conversation, case)
        assert conversation is not None
        conversation.team_id = lead.team_id
    before = await snapshot(db)
    assert (await give(stranger, case)).status_code == 404
    assert (await stranger.client.get(f"{API}/conversations/{case}/goodwill")).status_code == 404
    assert await snapshot(db) == before


async def test_limits_are_listed_and_an_admin_changes_them(
    agent: Person, make_agent: MakeAgent, db: Database
) -> None:
    admin = await make_agent("admin")
    limits = (await agent.client.get(f"{API}/mandate-limits")).json()
    assert len(limits) == 3 * 7
    refund = next(x for x in limits if (x["role"], x["kind"]) == ("agent", "refund"))
    assert refund == {
        "role": "agent",
        "kind": "refund",
        "per_action_cents": 5_000,
        "per_month_cents": 50_000,
        "currency": "EUR",
        "source": "default",
    }
    new = {"per_action_cents": 10_000, "per_month_cents": 100_000, "currency": "EUR"}
    before = await snapshot(db)
    assert (
        await agent.client.put(f"{API}/mandate-limits/agent/refund", json=new)
    ).status_code == 403
    assert await snapshot(db) == before
    r = await admin.client.put(f"{API}/mandate-limits/agent/refund", json=new)
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "configured" and r.json()["per_action_cents"] == 10_000
    case = await open_case(agent)
    assert (await give(agent, case, amount_cents=8_000)).json()["status"] == "granted"
    async with db.reading() as session:
        entry = await session.scalar(
            select(AuditEvent).where(AuditEvent.target == "mandate:agent:refund")
        )
    assert entry is not None and entry.action == "mandate.set"
    assert entry.before is not None and entry.before["per_action_cents"] == 5_000
    assert entry.after is not None and entry.after["per_action_cents"] == 10_000


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("agent/refund", {"per_action_cents": -1, "per_month_cents": 100}, 422),
        ("agent/refund", {"per_action_cents": 1, "per_month_cents": 10**10}, 422),
        ("agent/refund", {"per_action_cents": 500, "per_month_cents": 100}, 422),
        ("agent/refund", {"per_action_cents": 1, "per_month_cents": 1, "currency": "Eur"}, 422),
        ("agent/refund", {"per_action_cents": 1, "per_month_cents": 1, "currency": "QQQ"}, 422),
        ("agent/refund", {"per_action_cents": "1", "per_month_cents": 1}, 422),
        ("boss/refund", {"per_action_cents": 1, "per_month_cents": 1}, 404),
        ("agent/holiday", {"per_action_cents": 1, "per_month_cents": 1}, 404),
    ],
)
async def test_bad_limits_are_refused_and_change_nothing(
    make_agent: MakeAgent, db: Database, path: str, body: dict[str, Any], status: int
) -> None:
    admin = await make_agent("admin")
    before = await snapshot(db)
    r = await admin.client.put(f"{API}/mandate-limits/{path}", json=body)
    assert r.status_code == status, r.text
    assert await snapshot(db) == before


async def messages_of(db: Database, conversation_id: int) -> list[str]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation_id, Message.author_kind == "agent")
            .order_by(Message.seq)
        )
        return list(rows)


async def test_the_customer_is_told_of_the_approval_once_in_their_language(
    agent: Person, supervisor: Person, db: Database
) -> None:
    dutch = await open_case(agent, language="nl")
    english = await open_case(
        agent,
        language="en",
        message={"text": "My washing machine has been leaking since yesterday."},
    )
    for case in (dutch, english):
        asked = (await give(agent, case, amount_cents=8_000)).json()
        tell = f"{API}/goodwill/{asked['id']}/tell"
        before = await snapshot(db)
        assert (await agent.client.post(tell)).status_code == 409  # not approved yet
        assert await snapshot(db) == before
        decided = await supervisor.client.post(
            f"{API}/goodwill/{asked['id']}/decision", json={"approve": True}
        )
        assert decided.status_code == 200
        assert (await agent.client.post(tell)).status_code == 201
        assert (await agent.client.post(tell)).status_code == 201  # pressed twice
    assert await messages_of(db, dutch) == [
        "Goed nieuws: uw terugbetaling van EUR 80,00 is goedgekeurd."
    ]
    assert await messages_of(db, english) == [
        "Good news: your refund of EUR 80.00 has been approved."
    ]


async def _order(person: Person, reference: str, email: str) -> int:
    """An order whose warranty ended 31 days ago today, where the agents work."""
    ended = dt.datetime.now(LOCAL_ZONE).date() - dt.timedelta(days=31)
    r = await person.client.post(
        f"{API}/orders",
        json={
            "reference": reference,
            "customer_email": email,
            "product_sku": "WM-800",
            "purchase_date": ended.replace(year=ended.year - 2).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_shouting_never_buys_more_the_same_case_gets_the_same_suggestion(
    agent: Person,
) -> None:
    # A3: two customers with the same washing machine, the same warranty and the same fault;
    # one is abusive. They are offered exactly the same.
    product = {"sku": "WM-800", "name": "Wasmachine 800", "warranty_months": 24}
    assert (await agent.client.post(f"{API}/products", json=product)).status_code == 201
    calm_order = await _order(agent, "B-1", "sanne@example.nl")
    rude_order = await _order(agent, "B-2", "piet@example.nl")
    calm = await open_case(agent, order_id=calm_order)
    rude = await open_case(
        agent,
        order_id=rude_order,
        customer={"name": "Piet", "email": "piet@example.nl"},
        message={"text": "Mijn wasmachine lekt sinds gisteren, wat nu? Jullie zijn idioten!"},
    )
    seen = {c: (await agent.client.get(f"{API}/conversations/{c}")).json() for c in (calm, rude)}
    assert (seen[calm]["abusive"], seen[rude]["abusive"]) == (False, True)
    assert seen[calm]["severity"] == seen[rude]["severity"]

    advice = {
        c: (await agent.client.get(f"{API}/conversations/{c}/goodwill/advice")).json()
        for c in (calm, rude)
    }
    assert advice[calm]["entitlement"]["state"] == "expired"
    assert advice[calm]["entitlement"]["days"] == 31
    assert advice[calm]["suggestions"] == [
        {"kind": "credit", "code": "expired_contribution", "percent": 50}
    ]
    for found in advice.values():
        found["entitlement"].pop("order_reference")
    assert advice[calm] == advice[rude]


async def test_an_english_customer_hears_good_news_in_english_when_the_chat_says_nothing(
    agent: Person, supervisor: Person, db: Database
) -> None:
    case = await open_case(agent, message={"text": "iDEAL 404"})
    async with db.writing() as session:
        conversation = await session.get(Conversation, case)
        assert conversation is not None
        conversation.language = None  # nothing in the conversation says which language
        customer = await session.get(Customer, conversation.customer_id)
        assert customer is not None
        customer.language = "en"
    asked = (await give(agent, case, amount_cents=8_000)).json()
    decided = await supervisor.client.post(
        f"{API}/goodwill/{asked['id']}/decision", json={"approve": True}
    )
    assert decided.status_code == 200
    assert (await agent.client.post(f"{API}/goodwill/{asked['id']}/tell")).status_code == 201
    assert await messages_of(db, case) == ["Good news: your refund of EUR 80.00 has been approved."]
