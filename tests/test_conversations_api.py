"""Conversations through the real API: what an agent and an integrator see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.store.database import Database
from tests.conftest import MakeAgent, Person, new_conversation, snapshot

API = "/api/v1"


async def _create(person: Person, **over: object) -> dict[str, object]:
    r = await person.client.post(f"{API}/conversations", json=new_conversation(**over))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_creating_a_conversation_returns_201_with_its_id_and_first_message(
    agent: Person,
) -> None:
    created = await _create(agent, tags=["Levering", "levering", "urgent"])
    assert isinstance(created["id"], int)
    assert created["status"] == "open" and created["tags"] == ["levering", "urgent"]
    messages = (await agent.client.get(f"{API}/conversations/{created['id']}/messages")).json()
    assert [(m["seq"], m["author_kind"], m["internal"]) for m in messages] == [
        (1, "customer", False)
    ]
    assert "wasmachine lekt" in messages[0]["text"]


async def test_the_same_customer_is_recognised_by_address(agent: Person) -> None:
    first = await _create(agent)
    second = await _create(
        agent, customer={"name": "S. de Vries", "email": "SANNE@example.nl"}, subject="Nog iets"
    )
    assert first["customer_id"] == second["customer_id"]


async def test_replies_and_notes_share_one_numbered_timeline(agent: Person) -> None:
    cid = (await _create(agent))["id"]
    url = f"{API}/conversations/{cid}/messages"
    reply = await agent.client.post(url, json={"text": "Wat vervelend! Ik regel een monteur."})
    note = await agent.client.post(url, json={"text": "Derde keer, vervangen?", "internal": True})
    assert (reply.status_code, note.status_code) == (201, 201)
    assert (reply.json()["seq"], note.json()["seq"]) == (2, 3)
    assert reply.json()["author_agent_id"] == agent.id
    after_one = (await agent.client.get(url, params={"after": 1})).json()
    assert [(m["seq"], m["internal"]) for m in after_one] == [(2, False), (3, True)]


async def test_a_retried_client_id_is_stored_once(agent: Person) -> None:
    cid = (await _create(agent))["id"]
    url = f"{API}/conversations/{cid}/messages"
    body = {"text": "Komt eraan", "client_id": "c-7f3a"}
    first, again = await agent.client.post(url, json=body), await agent.client.post(url, json=body)
    assert first.json()["id"] == again.json()["id"]
    assert len((await agent.client.get(url)).json()) == 2


async def test_html_in_a_message_is_sanitised(agent: Person) -> None:
    cid = (await _create(agent))["id"]
    r = await agent.client.post(
        f"{API}/conversations/{cid}/messages",
        json={"text": "zie bijlage", "html": '<p onclick="x()">Hoi<script>alert(1)</script></p>'},
    )
    assert r.json()["html"] == "<p>Hoi</p>"


async def test_list_filters_counts_and_cursor_paging(agent: Person, supervisor: Person) -> None:
    ids = [
        (
            await _create(
                agent, subject=f"Vraag {n}", severity="critical" if n % 3 == 0 else "normal"
            )
        )["id"]
        for n in range(7)
    ]
    await agent.client.patch(f"{API}/conversations/{ids[0]}", json={"status": "resolved"})
    await agent.client.patch(f"{API}/conversations/{ids[1]}", json={"tags": ["garantie"]})
    await agent.client.patch(f"{API}/conversations/{ids[2]}", json={"owner_id": agent.id})

    page = (await agent.client.get(f"{API}/conversations", params={"status": "open"})).json()
    assert page["counts"] == {"open": 6, "pending": 0, "snoozed": 0, "resolved": 1}
    assert ids[0] not in [c["id"] for c in page["items"]]
    critical = await agent.client.get(f"{API}/conversations", params={"severity": "critical"})
    assert sorted(c["id"] for c in critical.json()["items"]) == [ids[0], ids[3], ids[6]]
    tagged = (await agent.client.get(f"{API}/conversations", params={"tag": "Garantie"})).json()
    assert [c["id"] for c in tagged["items"]] == [ids[1]]
    mine = (await agent.client.get(f"{API}/conversations", params={"owner": "me"})).json()
    assert [c["id"] for c in mine["items"]] == [ids[2]]

    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await supervisor.client.get(f"{API}/conversations", params=params)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Critical conversations come first, then the rest; newest first within each.
    critical_first = sorted(ids[::3], reverse=True) + sorted(set(ids) - set(ids[::3]), reverse=True)
    assert seen == critical_first


async def test_status_changes_follow_the_rules(agent: Person, db: Database) -> None:
    cid = (await _create(agent))["id"]
    url = f"{API}/conversations/{cid}"
    assert (await agent.client.patch(url, json={"status": "resolved"})).status_code == 200
    before = await snapshot(db)
    r = await agent.client.patch(url, json={"status": "pending"})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "illegal_transition" and "resolved" in r.json()["detail"]
    assert await snapshot(db) == before
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert (await agent.client.patch(url, json={"status": "open"})).status_code == 200
    snoozed = await agent.client.patch(url, json={"status": "snoozed", "snoozed_until": later})
    assert snoozed.json()["status"] == "snoozed"


async def test_a_customer_writing_again_reopens(agent: Person, db: Database) -> None:
    from balie.act import SYSTEM, Act, utcnow
    from balie.conversations.actions import add_message, get_visible

    cid = (await _create(agent))["id"]
    await agent.client.patch(f"{API}/conversations/{cid}", json={"status": "resolved"})
    async with db.writing() as session:
        act = Act(session, SYSTEM, utcnow())
        conversation = await get_visible(act, int(cid))  # type: ignore[call-overload]
        await add_message(
            act, conversation, text="Hij lekt wéér", internal=False, author_kind="customer"
        )
    got = (await agent.client.get(f"{API}/conversations/{cid}")).json()
    assert got["status"] == "open" and got["last_seq"] == 2


async def test_handover_waits_until_the_colleague_accepts(
    agent: Person, make_agent: MakeAgent
) -> None:
    colleague = await make_agent("agent")
    cid = (await _create(agent))["id"]
    await agent.client.patch(f"{API}/conversations/{cid}", json={"owner_id": agent.id})
    r = await agent.client.post(
        f"{API}/conversations/{cid}/handovers",
        json={"to_agent_id": colleague.id, "note": "Morgen vrij"},
    )
    assert r.status_code == 201 and r.json()["status"] == "pending"
    handover_id = r.json()["id"]
    still = (await agent.client.get(f"{API}/conversations/{cid}")).json()
    assert still["owner_id"] == agent.id
    # Only the colleague it was offered to can accept it.
    assert (await agent.client.post(f"{API}/handovers/{handover_id}/accept")).status_code == 404
    accepted = await colleague.client.post(f"{API}/handovers/{handover_id}/accept")
    assert accepted.json()["status"] == "accepted"
    now = (await agent.client.get(f"{API}/conversations/{cid}")).json()
    assert now["owner_id"] == colleague.id
    again = await colleague.client.post(f"{API}/handovers/{handover_id}/accept")
    assert again.status_code == 409


async def test_an_agent_cannot_reassign_a_colleagues_conversation(
    agent: Person, make_agent: MakeAgent, db: Database
) -> None:
    colleague = await make_agent("agent")
    cid = (await _create(agent))["id"]
    await agent.client.patch(f"{API}/conversations/{cid}", json={"owner_id": agent.id})
    before = await snapshot(db)
    r = await colleague.client.patch(f"{API}/conversations/{cid}", json={"owner_id": colleague.id})
    assert r.status_code == 403
    assert await snapshot(db) == before


async def test_other_teams_conversations_are_invisible_and_unwritable(
    make_agent: MakeAgent, db: Database
) -> None:
    from balie.act import CLI, Act, utcnow
    from balie.agents.actions import create_inbox

    billing = await make_agent("agent", team="Facturen")
    shop = await make_agent("agent", team="Webshop")
    async with db.writing() as session:
        inbox = await create_inbox(
            Act(session, CLI, utcnow()),
            team_id=billing.team_id or 0,
            name="Facturen",
            channel="email",
        )
    cid = (await _create(billing, inbox_id=inbox.id))["id"]
    before = await snapshot(db)
    assert (await shop.client.get(f"{API}/conversations/{cid}")).status_code == 404
    r = await shop.client.post(f"{API}/conversations/{cid}/messages", json={"text": "hallo"})
    assert r.status_code == 404 and r.json()["status"] == 404
    assert (await shop.client.get(f"{API}/conversations")).json()["items"] == []
    assert await snapshot(db) == before


async def test_bad_input_is_refused_clearly_and_changes_nothing(
    agent: Person, db: Database
) -> None:
    cid = (await _create(agent))["id"]
    before = await snapshot(db)
    cases = [
        ("post", f"{API}/conversations", {"content": b"{not json"}, 400),
        ("post", f"{API}/conversations", {"json": new_conversation(colour="red")}, 422),
        ("post", f"{API}/conversations", {"json": new_conversation(subject="")}, 422),
        (
            "post",
            f"{API}/conversations",
            {"json": new_conversation(customer={"email": "geen-adres"})},
            422,
        ),
        ("post", f"{API}/conversations", {"json": new_conversation(inbox_id=999)}, 404),
        ("post", f"{API}/conversations", {"json": new_conversation(tags=["<b>"])}, 422),
        ("post", f"{API}/conversations", {"content": b'{"x": "' + b"a" * 1_100_000 + b'"}'}, 413),
        ("post", f"{API}/conversations/{cid}/messages", {"json": {"text": "   "}}, 422),
        ("post", f"{API}/conversations/999/messages", {"json": {"text": "hoi"}}, 404),
        ("patch", f"{API}/conversations/{cid}", {"json": {"status": "gesloten"}}, 422),
        ("patch", f"{API}/conversations/{cid}", {"json": {}}, 422),
        ("patch", f"{API}/conversations/{cid}", {"json": {"status": "snoozed"}}, 422),
        ("patch", f"{API}/conversations/{cid}", {"json": {"owner_id": 999}}, 403),
        ("get", f"{API}/conversations", {"params": {"cursor": "bm9wZQ"}}, 422),
        ("get", f"{API}/conversations", {"params": {"limit": 1000}}, 422),
    ]
    for method, url, kwargs, status in cases:
        headers = {"content-type": "application/json"} if "content" in kwargs else {}
        r = await agent.client.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == status, (url, kwargs.keys(), r.text[:300])
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["status"] == status and problem["title"] and problem["detail"]
    assert await snapshot(db) == before


async def test_without_a_valid_token_nothing_is_served(anon: object, db: Database) -> None:
    import httpx

    assert isinstance(anon, httpx.AsyncClient)
    r = await anon.get(f"{API}/conversations")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    r = await anon.post(
        f"{API}/conversations",
        json=new_conversation(),
        headers={"Authorization": "Bearer balie_made-up"},
    )
    assert r.status_code == 401
    assert (await snapshot(db))["conversations"] == []


async def test_absurd_ids_times_and_characters_get_clear_errors(
    agent: Person, supervisor: Person, db: Database
) -> None:
    import base64
    import json

    cid = (await _create(agent))["id"]
    huge = "99999999999999999999"
    naive_cursor = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", 5]).encode())
    huge_cursor = base64.urlsafe_b64encode(
        json.dumps(["2026-01-01T00:00:00+00:00", int(huge)]).encode()
    )
    before = await snapshot(db)
    cases = [
        ("get", f"{API}/conversations/{huge}", None, None, 422),
        ("get", f"{API}/conversations", {"customer_id": huge}, None, 422),
        ("get", f"{API}/conversations", {"team_id": huge}, None, 422),
        ("get", f"{API}/conversations", {"owner": huge}, None, 422),
        ("get", f"{API}/conversations", {"cursor": naive_cursor.decode()}, None, 422),
        ("get", f"{API}/conversations", {"cursor": huge_cursor.decode()}, None, 422),
        ("get", f"{API}/conversations/{cid}/messages", {"after": huge}, None, 422),
        ("post", f"{API}/handovers/{huge}/accept", None, None, 422),
        ("patch", f"{API}/conversations/{cid}", None, {"owner_id": int(huge)}, 422),
        ("post", f"{API}/conversations/{cid}/handovers", None, {"to_agent_id": int(huge)}, 422),
        ("post", f"{API}/conversations", None, new_conversation(inbox_id=int(huge)), 422),
        (
            "patch",
            f"{API}/conversations/{cid}",
            None,
            {"status": "snoozed", "snoozed_until": "2030-01-01T00:00:00"},
            422,
        ),
        ("post", f"{API}/conversations/{cid}/messages", None, {"text": "hallo\u0000daar"}, 422),
        ("post", f"{API}/conversations", None, new_conversation(subject="kapot\u0000"), 422),
    ]
    for method, url, params, body, status in cases:
        r = await supervisor.client.request(method, url, params=params, json=body)
        assert r.status_code == status, (method, url, params, body, r.status_code, r.text[:200])
        assert r.headers["content-type"] == "application/problem+json"
    assert await snapshot(db) == before


async def test_an_oversized_chunked_body_gets_413_too(agent: Person, db: Database) -> None:
    before = await snapshot(db)

    async def chunks() -> Any:
        for _ in range(12):
            yield b"x" * 100_000

    r = await agent.client.post(
        f"{API}/conversations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert await snapshot(db) == before


async def test_a_small_chunked_body_is_read_as_usual(agent: Person) -> None:
    import json

    body = json.dumps(new_conversation()).encode()

    async def chunks() -> Any:
        yield body[:20]
        yield body[20:]

    r = await agent.client.post(
        f"{API}/conversations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 201
