"""The agents' live feed and chat routing, against a real server: initial state plus
events equals a fresh load; new chats go round robin to agents with room."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.chat_support import new_visitor, ws_url
from tests.conftest import MakeAgent, Person, new_conversation
from tests.live_support import serving_on


@pytest.fixture(scope="module")
def server(
    database_url: str, migrated_db: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serving_on(database_url, tmp_path_factory.mktemp("feed")) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def auth(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


async def chat_inbox(http: httpx.AsyncClient, server: str, admin: Person, name: str) -> str:
    made = await http.post(
        f"{server}/api/v1/inboxes",
        json={"team_id": admin.team_id, "name": name, "channel": "chat"},
        headers=auth(admin),
    )
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


async def live(server: str, person: Person, after: int) -> Any:
    ws = await websockets.connect(ws_url(server) + "/api/v1/live")
    await ws.send(json.dumps({"type": "hello", "token": person.token, "after": after}))
    assert json.loads(await ws.recv())["type"] == "welcome"
    return ws


async def drain(ws: Any, quiet: float = 1.0) -> list[dict[str, Any]]:
    """Every frame until the socket has been quiet for ``quiet`` seconds."""
    frames = []
    while True:
        try:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), quiet)))
        except TimeoutError:
            return frames


def rows(state: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {c["id"]: c for c in state["conversations"]}


async def test_initial_state_plus_events_equals_a_fresh_load(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin", team="Webwinkel", name="Anouk Admin")
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    key = await chat_inbox(http, server, admin, "Feed chat")
    old = await http.post(
        f"{server}/api/v1/conversations", json=new_conversation(), headers=auth(sanne)
    )
    old_id = old.json()["id"]
    state = (await http.get(f"{server}/api/v1/live/state", headers=auth(sanne))).json()
    ws = await live(server, sanne, state["cursor"])

    # A mix of what happens in an inbox: a chat, replies, notes, status, owner, tags.
    visitor = await new_visitor(http, server, key)
    await visitor.connect()
    ack = await visitor.say("Mijn bestelling is kapot aangekomen", start=True)
    chat_id = ack["conversation_id"]
    await visitor.say("Hallo?")
    base = f"{server}/api/v1/conversations"
    await http.post(
        f"{base}/{chat_id}/messages", json={"text": "Ik help u graag."}, headers=auth(sanne)
    )
    await http.patch(f"{base}/{chat_id}", json={"owner_id": sanne.id}, headers=auth(sanne))
    await http.patch(f"{base}/{chat_id}", json={"tags": ["schade"]}, headers=auth(sanne))
    await http.post(
        f"{base}/{old_id}/messages", json={"text": "Notitie", "internal": True}, headers=auth(sanne)
    )
    await http.patch(f"{base}/{old_id}", json={"status": "resolved"}, headers=auth(sanne))
    await visitor.close()

    events = [f for f in await drain(ws) if f["type"] == "event"]
    await ws.close()
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert {
        "conversation.create",
        "message.create",
        "conversation.assign",
        "conversation.tags",
        "conversation.status",
    } <= {e["action"] for e in events}

    applied = rows(state)
    for event in events:
        conversation = event["conversation"]
        if conversation["status"] == "resolved":
            applied.pop(conversation["id"], None)
        else:
            applied[conversation["id"]] = conversation
    fresh = (await http.get(f"{server}/api/v1/live/state", headers=auth(sanne))).json()
    assert applied == rows(fresh)
    assert chat_id in applied and old_id not in applied


async def test_a_resumed_feed_sends_exactly_the_missed_events(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    sanne = await make_agent("agent", team="Webwinkel")
    state = (await http.get(f"{server}/api/v1/live/state", headers=auth(sanne))).json()
    ws = await live(server, sanne, state["cursor"])
    base = f"{server}/api/v1/conversations"
    first = await http.post(base, json=new_conversation(), headers=auth(sanne))
    seen = [f for f in await drain(ws, 0.7) if f["type"] == "event"]
    await ws.close()  # the agent's laptop sleeps
    cid = first.json()["id"]
    for text in ("een", "twee", "drie"):
        await http.post(f"{base}/{cid}/messages", json={"text": text}, headers=auth(sanne))
    ws = await live(server, sanne, seen[-1]["seq"])
    missed = [f for f in await drain(ws, 0.7) if f["type"] == "event"]
    await ws.close()
    # The first answer also stops the customer's SLA clock: that change is missed too.
    assert [e["action"] for e in missed] == [
        "message.create",
        "sla.clocks",
        "message.create",
        "message.create",
    ]
    assert missed[-1]["conversation"]["last_seq"] == 4
    assert min(e["seq"] for e in missed) > seen[-1]["seq"]


async def test_an_agent_hears_nothing_of_another_teams_conversations(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin", team="Webwinkel")
    other = await make_agent("agent", team="Zakelijk")
    key = await chat_inbox(http, server, admin, "Privé chat")
    state = (await http.get(f"{server}/api/v1/live/state", headers=auth(other))).json()
    ws = await live(server, other, state["cursor"])
    visitor = await new_visitor(http, server, key)
    await visitor.connect()
    await visitor.say("Geheim", start=True)
    await visitor.send({"type": "typing", "on": True})
    frames = await drain(ws, 1.0)
    await visitor.close()
    await ws.close()
    assert [f for f in frames if f["type"] in ("event", "typing")] == []


async def test_a_live_socket_needs_a_token_or_a_same_origin_session(server: str) -> None:
    for hello, headers in (
        ({"type": "hello", "after": 0}, {}),
        ({"type": "hello", "after": 0}, {"Origin": "https://evil.example"}),
        ({"type": "hello", "token": "balie_nope", "after": 0}, {}),
        ({"type": "hello", "after": -3}, {}),
    ):
        async with websockets.connect(
            ws_url(server) + "/api/v1/live", additional_headers=headers
        ) as ws:
            await ws.send(json.dumps(hello))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code in (4400, 4401)


async def test_new_chats_go_round_robin_to_agents_with_room_then_queue(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin", team="Routing", name="Anouk Admin")
    sanne = await make_agent("agent", team="Routing", name="Sanne Jansen")
    joost = await make_agent("agent", team="Routing", name="Joost de Boer")
    key = await chat_inbox(http, server, admin, "Routing chat")
    for person in (sanne, joost):
        made = await http.put(
            f"{server}/api/v1/presence",
            json={"status": "online", "capacity": 1},
            headers=auth(person),
        )
        assert made.status_code == 200, made.text
    refused = await http.put(
        f"{server}/api/v1/presence", json={"status": "busy"}, headers=auth(sanne)
    )
    assert refused.status_code == 422

    visitors = [await new_visitor(http, server, key) for _ in range(3)]
    owners = []
    for n, visitor in enumerate(visitors):
        await visitor.connect()
        await visitor.say(f"Vraag {n}", start=True)
    first = await visitors[0].until("assigned")
    second = await visitors[1].until("assigned")
    owners = {first["agent"]["name"], second["agent"]["name"]}
    assert owners == {"Sanne", "Joost"}
    assert (await visitors[2].until("queue"))["position"] == 1

    # Whoever had the first chat finishes it: the waiting visitor gets them.
    conversation_id = visitors[0].conversation_id
    finisher = sanne if first["agent"]["name"] == "Sanne" else joost
    done = await http.patch(
        f"{server}/api/v1/conversations/{conversation_id}",
        json={"status": "resolved"},
        headers=auth(finisher),
    )
    assert done.status_code == 200, done.text
    assert (await visitors[2].until("assigned"))["agent"] == first["agent"]
    presence = (await http.get(f"{server}/api/v1/presence", headers=auth(admin))).json()
    by_name = {p["name"]: p for p in presence}
    assert by_name["Sanne Jansen"]["open_chats"] == 1 == by_name["Joost de Boer"]["open_chats"]
    for visitor in visitors:
        await visitor.close()
