"""Customers through the real API: the profile next to a conversation, edits and merges."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_inbox, create_team
from balie.store.database import Database
from balie.store.tables import AuditEvent
from tests.conftest import MakeAgent, Person, new_conversation, snapshot

API = "/api/v1"
PROBLEM = "application/problem+json"


async def _open(person: Person, email: str, **over: Any) -> dict[str, Any]:
    body = new_conversation(customer={"name": "Sanne de Vries", "email": email}, **over)
    r = await person.client.post(f"{API}/conversations", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _audit(db: Database, action: str) -> list[AuditEvent]:
    async with db.reading() as session:
        return list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


async def _team_inbox(db: Database, team: str) -> int:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        team_row = await create_team(act, name=team)
        inbox = await create_inbox(act, team_id=team_row.id, name=f"{team} mail", channel="email")
        return inbox.id


async def test_the_profile_shows_every_conversation_of_the_customer_across_channels(
    agent: Person,
) -> None:
    chat = await _open(agent, "sanne@example.nl", channel="chat", subject="Vraag over levering")
    mail = await _open(agent, "sanne@example.nl", channel="email", subject="Factuur klopt niet")
    phone = await _open(agent, "SANNE@example.nl", channel="phone", subject="Teruggebeld")
    await _open(agent, "someone.else@example.nl", subject="Niet van Sanne")

    r = await agent.client.get(f"{API}/customers/{chat['customer_id']}")

    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["name"] == "Sanne de Vries"
    assert profile["emails"] == ["sanne@example.nl"]
    assert [i["kind"] for i in profile["identities"]] == ["email"]
    assert [c["id"] for c in profile["conversations"]] == [phone["id"], mail["id"], chat["id"]]
    assert {c["channel"] for c in profile["conversations"]} == {"chat", "email", "phone"}


async def test_the_profile_lists_orders_with_their_warranty_end(agent: Person) -> None:
    first = await _open(agent, "sanne@example.nl")
    r = await agent.client.post(
        f"{API}/products", json={"sku": "WM-800", "name": "Wasmachine 800", "warranty_months": 24}
    )
    assert r.status_code == 201, r.text
    r = await agent.client.post(
        f"{API}/orders",
        json={
            "reference": "B-1001",
            "customer_email": "sanne@example.nl",
            "product_sku": "WM-800",
            "purchase_date": "2024-02-29",
        },
    )
    assert r.status_code == 201, r.text

    profile = (await agent.client.get(f"{API}/customers/{first['customer_id']}")).json()

    [order] = profile["orders"]
    assert order["reference"] == "B-1001"
    assert order["product_name"] == "Wasmachine 800"
    assert order["purchase_date"] == "2024-02-29"
    assert order["warranty_months"] == 24
    assert order["warranty_ends"] == "2026-02-28"


async def test_the_profile_leaves_out_conversations_the_agent_may_not_see(
    db: Database, make_agent: MakeAgent, supervisor: Person
) -> None:
    sales_inbox = await _team_inbox(db, "Verkoop")
    returns_agent = await make_agent("agent", team="Retouren")
    hidden = await _open(supervisor, "sanne@example.nl", inbox_id=sales_inbox)
    shared = await _open(supervisor, "sanne@example.nl", subject="Zonder team")

    seen_by_agent = await returns_agent.client.get(f"{API}/customers/{hidden['customer_id']}")
    seen_by_lead = await supervisor.client.get(f"{API}/customers/{hidden['customer_id']}")

    assert [c["id"] for c in seen_by_agent.json()["conversations"]] == [shared["id"]]
    assert [c["id"] for c in seen_by_lead.json()["conversations"]] == [shared["id"], hidden["id"]]


async def test_looking_a_customer_up_by_address(agent: Person) -> None:
    opened = await _open(agent, "sanne@example.nl")

    found = await agent.client.get(f"{API}/customers", params={"email": "Sanne@Example.NL"})
    missing = await agent.client.get(f"{API}/customers", params={"email": "nobody@example.nl"})

    assert [c["id"] for c in found.json()["items"]] == [opened["customer_id"]]
    assert missing.json()["items"] == []


async def test_an_edit_records_before_and_after_in_the_audit_log(
    agent: Person, db: Database
) -> None:
    opened = await _open(agent, "sanne@example.nl")
    cid = opened["customer_id"]

    r = await agent.client.patch(
        f"{API}/customers/{cid}",
        json={
            "name": "Sanne van Dijk",
            "language": "nl",
            "notes": "Belt liever dan te mailen.",
            "add_emails": ["s.vandijk@example.com"],
        },
    )

    assert r.status_code == 200, r.text
    assert r.json()["emails"] == ["sanne@example.nl", "s.vandijk@example.com"]
    [event] = await _audit(db, "customer.update")
    assert event.actor == f"agent:{agent.id}"
    assert event.target == f"customer:{cid}"
    assert event.before == {
        "name": "Sanne de Vries",
        "language": None,
        "notes": "",
        "emails": ["sanne@example.nl"],
    }
    assert event.after == {
        "name": "Sanne van Dijk",
        "language": "nl",
        "notes": "Belt liever dan te mailen.",
        "emails": ["sanne@example.nl", "s.vandijk@example.com"],
    }


async def test_removing_an_address_and_the_lookup_follows(agent: Person) -> None:
    opened = await _open(agent, "sanne@example.nl")
    cid = opened["customer_id"]
    await agent.client.patch(f"{API}/customers/{cid}", json={"add_emails": ["oud@example.nl"]})

    r = await agent.client.patch(
        f"{API}/customers/{cid}", json={"remove_emails": ["oud@example.nl"]}
    )

    assert r.status_code == 200, r.text
    assert r.json()["emails"] == ["sanne@example.nl"]
    found = await agent.client.get(f"{API}/customers", params={"email": "oud@example.nl"})
    assert found.json()["items"] == []


async def test_a_supervisor_merges_two_records_of_one_customer(
    agent: Person, supervisor: Person, db: Database
) -> None:
    chat = await _open(agent, "sanne@example.nl", channel="chat")
    mail = await _open(agent, "sanne.devries@werk.nl", channel="email")
    into, other = chat["customer_id"], mail["customer_id"]
    assert into != other

    r = await supervisor.client.post(f"{API}/customers/{into}/merge", json={"other_id": other})

    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["emails"] == ["sanne@example.nl", "sanne.devries@werk.nl"]
    assert {c["id"] for c in merged["conversations"]} == {chat["id"], mail["id"]}
    moved = (await agent.client.get(f"{API}/conversations/{mail['id']}")).json()
    assert moved["customer_id"] == into
    gone = await agent.client.get(f"{API}/customers/{other}")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == PROBLEM
    found = await agent.client.get(f"{API}/customers", params={"email": "sanne.devries@werk.nl"})
    assert [c["id"] for c in found.json()["items"]] == [into]
    [event] = await _audit(db, "customer.merge")
    assert event.actor == f"agent:{supervisor.id}"
    assert event.after is not None and event.after["merged_customer_id"] == other
    assert event.before is not None and event.before["other"]["emails"] == ["sanne.devries@werk.nl"]


async def test_an_agent_may_not_merge_and_nothing_changes(agent: Person, db: Database) -> None:
    into = (await _open(agent, "sanne@example.nl"))["customer_id"]
    other = (await _open(agent, "sanne.devries@werk.nl"))["customer_id"]
    before = await snapshot(db)

    r = await agent.client.post(f"{API}/customers/{into}/merge", json={"other_id": other})

    assert r.status_code == 403
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "forbidden"
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("patch", "/customers/{cid}", {"nickname": "San"}, 422, "nickname"),
        ("patch", "/customers/{cid}", {}, 422, None),
        ("patch", "/customers/{cid}", {"name": None}, 422, "name"),
        ("patch", "/customers/{cid}", {"name": "   "}, 422, "name"),
        ("patch", "/customers/{cid}", {"language": "de"}, 422, "language"),
        ("patch", "/customers/{cid}", {"add_emails": ["geen-adres"]}, 422, "email"),
        ("patch", "/customers/{cid}", {"add_emails": ["ander@example.nl"]}, 409, None),
        ("patch", "/customers/{cid}", {"remove_emails": ["x@example.nl"]}, 404, "remove_emails"),
        ("patch", "/customers/999999", {"name": "Niemand"}, 404, None),
        ("get", "/customers/999999", None, 404, None),
        ("get", "/customers?email=geen-adres", None, 422, "email"),
        ("post", "/customers/{cid}/merge", {"other_id": 999999}, 404, "other_id"),
        ("post", "/customers/{cid}/merge", {"other_id": "{cid}"}, 422, "other_id"),
        ("post", "/customers/{cid}/merge", {"other": 1}, 422, None),
        # A valid edit that also carries a bad address changes nothing at all.
        ("patch", "/customers/{cid}", {"name": "Nieuw", "add_emails": ["@x"]}, 422, "email"),
    ],
)
async def test_bad_customer_requests_get_a_problem_and_change_nothing(
    supervisor: Person,
    db: Database,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    field: str | None,
) -> None:
    cid = (await _open(supervisor, "sanne@example.nl"))["customer_id"]
    await _open(supervisor, "ander@example.nl")
    if body and body.get("other_id") == "{cid}":
        body = {"other_id": cid}
    before = await snapshot(db)

    send = getattr(supervisor.client, method)
    url = API + path.format(cid=cid)
    r = await (send(url) if body is None else send(url, json=body))

    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["status"] == status and problem["detail"]
    if field is not None:
        fields = [problem.get("field")] + [e["field"] for e in problem.get("errors", [])]
        assert any(f and field in f for f in fields), problem
    assert await snapshot(db) == before
