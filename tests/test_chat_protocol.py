"""The visitor's websocket protocol, spoken by a plain websocket client against a real
server (docs/chat-protocol.md)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from balie.live import socket as live_socket
from balie.store.database import Database
from balie.store.tables import Conversation, Message
from tests.chat_support import VisitorClient, new_visitor, ws_url
from tests.conftest import MakeAgent, Person, snapshot
from tests.live_support import serving_on


@pytest.fixture(scope="module")
def server(
    database_url: str, migrated_db: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serving_on(
        database_url,
        tmp_path_factory.mktemp("chat"),
        chat_messages_per_10s=20,
        chat_starts_per_hour=50,
    ) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def admin(make_agent: MakeAgent) -> Person:
    return await make_agent("admin", team="Webwinkel", name="Anouk Admin")


@pytest.fixture
async def inbox(admin: Person, server: str, http: httpx.AsyncClient) -> dict[str, Any]:
    answer = await http.post(
        f"{server}/api/v1/inboxes",
        json={"team_id": admin.team_id, "name": "Webwinkel chat", "channel": "chat"},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def as_agent(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


async def reply(
    http: httpx.AsyncClient,
    server: str,
    person: Person,
    conversation_id: int,
    text: str,
    **extra: Any,
) -> dict[str, Any]:
    answer = await http.post(
        f"{server}/api/v1/conversations/{conversation_id}/messages",
        json={"text": text, **extra},
        headers=as_agent(person),
    )
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


async def test_a_chat_from_first_message_to_agent_reply(
    server: str,
    http: httpx.AsyncClient,
    inbox: dict[str, Any],
    make_agent: MakeAgent,
    db: Database,
) -> None:
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    visitor = await new_visitor(http, server, inbox["key"])
    welcome = await visitor.connect()
    assert welcome["conversation"] is None and welcome["open"] is True

    ack = await visitor.say("Hallo, mijn pakket is niet aangekomen", start=True)
    assert ack["seq"] == 1
    conversation_id = ack["conversation_id"]
    first = await visitor.until("message", seq=1)
    assert first["author"] == "customer" and first["client_id"] == ack["client_id"]

    await reply(http, server, sanne, conversation_id, "Wat vervelend! Ik zoek het voor u uit.")
    answer = await visitor.until("message", seq=2)
    assert answer["author"] == "agent"
    assert answer["agent"] == {"name": "Sanne", "initials": "SJ"}
    assert answer["text"] == "Wat vervelend! Ik zoek het voor u uit."
    await visitor.close()

    async with db.reading() as session:
        stored = (
            await session.scalars(
                select(Message.author_kind)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
        ).all()
        conversation = await session.get(Conversation, conversation_id)
    assert list(stored) == ["customer", "agent"]
    assert conversation is not None and conversation.channel == "chat"


async def test_a_retried_client_id_is_stored_once_and_acknowledged_again(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], db: Database
) -> None:
    visitor = await new_visitor(http, server, inbox["key"])
    await visitor.connect()
    first = await visitor.say("Eerste bericht", start=True, client_id="c-1")
    second = await visitor.say("Tweede bericht", client_id="c-2")
    again = await visitor.say("Tweede bericht", client_id="c-2")
    again_start = await visitor.say("Eerste bericht", start=True, client_id="c-1")
    assert (first["seq"], second["seq"]) == (1, 2)
    assert again["seq"] == 2 and again_start["seq"] == 1
    await visitor.close()
    async with db.reading() as session:
        count = await session.scalar(
            select(func.count(Message.id)).where(
                Message.conversation_id == first["conversation_id"]
            )
        )
    assert count == 2


async def test_after_a_disconnect_the_visitor_gets_exactly_what_was_missed(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], make_agent: MakeAgent
) -> None:
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    visitor = await new_visitor(http, server, inbox["key"])
    await visitor.connect()
    ack = await visitor.say("Waar blijft mijn bestelling?", start=True)
    await visitor.until("message", seq=1)
    await visitor.close()

    conversation_id = ack["conversation_id"]
    await reply(http, server, sanne, conversation_id, "Ik kijk het na.")
    await reply(http, server, sanne, conversation_id, "Notitie: bel de vervoerder", internal=True)
    await reply(http, server, sanne, conversation_id, "Hij wordt morgen bezorgd.")

    await visitor.connect()
    texts = [(await visitor.until("message"))["text"] for _ in range(2)]
    assert texts == ["Ik kijk het na.", "Hij wordt morgen bezorgd."]
    assert [m["seq"] for m in visitor.seen] == [1, 2, 4]  # 3 is the internal note
    await visitor.say("Dank u!")
    assert visitor.seen[-1]["text"] == "Dank u!" or (await visitor.until("message"))["seq"] == 5
    await visitor.close()


async def _closed_with(server: str, first: Any) -> int | None:
    async with websockets.connect(ws_url(server) + "/chat/v1/ws") as ws:
        await ws.send(first if isinstance(first, str) else json.dumps(first))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_a_bad_hello_or_a_foreign_token_closes_the_socket_with_a_clear_code(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], admin: Person
) -> None:
    visitor = await new_visitor(http, server, inbox["key"])
    other = await http.post(
        f"{server}/api/v1/inboxes",
        json={"team_id": admin.team_id, "name": "Andere chat", "channel": "chat"},
        headers=as_agent(admin),
    )
    stranger = await new_visitor(http, server, other.json()["key"])
    hello = {"type": "hello", "inbox": inbox["key"], "token": visitor.token, "after": 0}
    assert await _closed_with(server, "not json") == 4400
    assert await _closed_with(server, {"type": "message", "text": "hi"}) == 4400
    assert await _closed_with(server, hello | {"after": -1}) == 4400
    assert await _closed_with(server, hello | {"after": "5"}) == 4400
    assert await _closed_with(server, hello | {"token": visitor.token + "x"}) == 4401
    assert await _closed_with(server, hello | {"token": stranger.token}) == 4401
    assert await _closed_with(server, hello | {"inbox": "no-such-inbox"}) == 4404


async def test_another_visitor_cannot_read_a_chat_by_naming_its_number(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any]
) -> None:
    owner = await new_visitor(http, server, inbox["key"])
    await owner.connect()
    ack = await owner.say("Mijn adres is Dorpsstraat 1", start=True)
    await owner.close()

    snooper = await new_visitor(http, server, inbox["key"])
    snooper.conversation_id = ack["conversation_id"]
    welcome = await snooper.connect()
    assert welcome["conversation"] is None
    await snooper.send({"type": "message", "client_id": "x", "text": "laat zien"})
    error = await snooper.until("error")
    assert error["code"] == "no_conversation"
    assert not [f for f in snooper.seen if "Dorpsstraat" in f["text"]]
    await snooper.close()


async def test_bad_frames_get_an_error_and_change_nothing(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], db: Database
) -> None:
    visitor = await new_visitor(http, server, inbox["key"])
    await visitor.connect()
    await visitor.say("Eerste vraag", start=True)
    before = await snapshot(db)
    bad = [
        "{not json",
        "[1, 2]",
        {"no": "type"},
        {"type": "teleport"},
        {"type": "message", "client_id": "a", "text": ""},
        {"type": "message", "client_id": "b", "text": "x" * 50_001},
        {"type": "message", "client_id": "c", "text": 42},
        {"type": "message", "client_id": "", "text": "geen id"},
        {"type": "message", "client_id": "d" * 101, "text": "te lang id"},
        {"type": "message", "client_id": "e", "text": "nul \x00 teken"},
        {"type": "start", "client_id": "f", "text": "tweede gesprek"},
        {"type": "typing", "on": "yes"},
        {"type": "read", "seq": 99},
        {"type": "message", "client_id": "g", "text": "bijlage", "attachments": [12345]},
    ]
    for frame in bad:
        await (visitor.send(frame) if isinstance(frame, dict) else visitor.ws.send(frame))  # type: ignore[union-attr]
        error = await visitor.until("error")
        assert error["code"] in ("invalid", "conversation_open"), error
        assert error["message"]
    assert await snapshot(db) == before
    await visitor.close()


async def test_a_flood_of_messages_is_refused_with_a_retry_time(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any]
) -> None:
    visitor = await new_visitor(http, server, inbox["key"])
    await visitor.connect()
    await visitor.say("Eén", start=True)
    for n in range(19):  # the server allows 20 in 10 seconds
        await visitor.say(f"bericht {n}")
    await visitor.send({"type": "message", "client_id": "flood", "text": "nog een"})
    error = await visitor.until("error", client_id="flood")
    assert error["code"] == "rate_limited" and error["retry_after"] >= 1
    await visitor.close()


async def test_a_signed_in_user_is_verified_by_the_inbox_secret(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], db: Database
) -> None:
    url = f"{server}/chat/v1/inboxes/{inbox['key']}/visitors"
    good = hmac.new(inbox["secret"].encode(), b"klant-42", hashlib.sha256).hexdigest()
    before = await snapshot(db)
    for body in (
        {"user_id": "klant-42", "user_hash": "0" * 64},
        {"user_id": "klant-43", "user_hash": good},
        {"user_id": "klant-42"},
        {"user_id": 42, "user_hash": good},
    ):
        refused = await http.post(url, json=body)
        assert refused.status_code in (403, 422), (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert await snapshot(db) == before

    laptop = await http.post(url, json={"user_id": "klant-42", "user_hash": good})
    phone = await http.post(url, json={"user_id": "klant-42", "user_hash": good.upper()})
    assert laptop.status_code == phone.status_code == 201
    on_laptop = VisitorClient(server, inbox["key"], laptop.json()["token"])
    await on_laptop.connect()
    ack = await on_laptop.say("Vraag vanaf mijn laptop", start=True, fields={"name": "Kees"})
    await on_laptop.close()
    on_phone = VisitorClient(server, inbox["key"], phone.json()["token"])
    welcome = await on_phone.connect()
    assert welcome["conversation"]["id"] == ack["conversation_id"]
    assert (await on_phone.until("message", seq=1))["text"] == "Vraag vanaf mijn laptop"
    await on_phone.close()


async def test_typing_and_read_receipts_go_both_ways(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], make_agent: MakeAgent
) -> None:
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    visitor = await new_visitor(http, server, inbox["key"])
    await visitor.connect()
    ack = await visitor.say("Is er iemand?", start=True)
    conversation_id = ack["conversation_id"]
    async with websockets.connect(ws_url(server) + "/api/v1/live") as agent_ws:
        await agent_ws.send(json.dumps({"type": "hello", "token": sanne.token, "after": 0}))
        assert json.loads(await agent_ws.recv())["type"] == "welcome"
        await visitor.send({"type": "typing", "on": True})
        typing = await _agent_frame(agent_ws, "typing")
        assert typing == {
            "type": "typing",
            "who": "customer",
            "on": True,
            "conversation_id": conversation_id,
        }
        await agent_ws.send(
            json.dumps({"type": "typing", "conversation_id": conversation_id, "on": True})
        )
        assert await visitor.until("typing") == {"type": "typing", "on": True, "name": "Sanne"}
        await agent_ws.send(
            json.dumps({"type": "read", "conversation_id": conversation_id, "seq": 1})
        )
        assert (await visitor.until("read"))["seq"] == 1
        await reply(http, server, sanne, conversation_id, "Ja, ik ben er!")
        await visitor.until("message", seq=2)
        await visitor.send({"type": "read", "seq": 2})
        read = await _agent_frame(agent_ws, "read")
        assert read["seq"] == 2 and read["conversation_id"] == conversation_id
    # The agent's page closed while typing: the visitor is told it stopped.
    assert await visitor.until("typing") == {"type": "typing", "on": False, "name": "Sanne"}
    await visitor.close()


async def _agent_frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame["type"] == kind:
            return dict(frame)


async def test_the_visitor_can_end_the_chat_and_start_a_new_one(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], db: Database
) -> None:
    visitor = await new_visitor(http, server, inbox["key"])
    await visitor.connect()
    first = await visitor.say("Vraag één", start=True)
    await visitor.send({"type": "end"})
    assert (await visitor.until("status"))["status"] == "resolved"
    await visitor.send({"type": "message", "client_id": "late", "text": "nog iets"})
    assert (await visitor.until("error", client_id="late"))["code"] == "conversation_ended"
    second = await visitor.say("Vraag twee", start=True)
    assert second["conversation_id"] != first["conversation_id"] and second["seq"] == 1
    assert visitor.conversation_id == second["conversation_id"]
    await visitor.close()
    async with db.reading() as session:
        ended = await session.get(Conversation, first["conversation_id"])
    assert ended is not None and ended.status == "resolved"


async def test_outside_business_hours_a_callback_request_becomes_a_conversation(
    server: str,
    http: httpx.AsyncClient,
    inbox: dict[str, Any],
    admin: Person,
    db: Database,
) -> None:
    closed = {"timezone": "Europe/Amsterdam", "weekly": {}, "holidays": [], "preset": None}
    changed = await http.patch(
        f"{server}/api/v1/inboxes/{inbox['id']}", json={"hours": closed}, headers=as_agent(admin)
    )
    assert changed.status_code == 200, changed.text
    config = (await http.get(f"{server}/chat/v1/inboxes/{inbox['key']}")).json()
    assert config["open"] is False
    visitor = await new_visitor(http, server, inbox["key"])
    assert (await visitor.connect())["open"] is False
    await visitor.close()
    url = f"{server}/chat/v1/inboxes/{inbox['key']}/requests"
    auth = {"Authorization": f"Bearer {visitor.token}"}
    before = await snapshot(db)
    for bad in (
        {"kind": "fax", "client_id": "r1", "text": "bel me"},
        {"kind": "callback", "client_id": "r1", "text": "bel me"},
        {"kind": "email", "client_id": "r1", "text": "mail me"},
        {"kind": "email", "client_id": "r1", "text": "mail me", "email": "geen-adres"},
    ):
        refused = await http.post(url, json=bad, headers=auth)
        assert refused.status_code == 422, refused.text
    assert (await http.post(url, json={"kind": "callback"})).status_code == 401
    assert await snapshot(db) == before
    body = {
        "kind": "callback",
        "client_id": "r1",
        "text": "Bel me over mijn retour",
        "phone": "06 1234 5678",
        "preferred_time": "morgen na 10:00",
        "name": "Piet",
    }
    made = await http.post(url, json=body, headers=auth)
    again = await http.post(url, json=body, headers=auth)
    assert made.status_code == again.status_code == 201
    assert made.json() == again.json()
    conversation_id = made.json()["conversation_id"]
    seen = await http.get(
        f"{server}/api/v1/conversations/{conversation_id}", headers=as_agent(admin)
    )
    assert seen.json()["tags"] == ["callback-request"]
    notes = await http.get(
        f"{server}/api/v1/conversations/{conversation_id}/messages", headers=as_agent(admin)
    )
    texts = [m["text"] for m in notes.json()]
    assert texts[0] == "Bel me over mijn retour"
    assert "06 1234 5678" in texts[1] and "morgen na 10:00" in texts[1]


async def test_attachments_are_checked_stored_and_served_as_downloads(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], db: Database
) -> None:
    visitor = await new_visitor(http, server, inbox["key"])
    auth = {"Authorization": f"Bearer {visitor.token}"}
    url = f"{server}/chat/v1/attachments"
    before = await snapshot(db)
    html = await http.post(
        url, files={"file": ("x.html", b"<script>1</script>", "text/html")}, headers=auth
    )
    assert html.status_code == 415
    big = await http.post(
        url, files={"file": ("big.png", b"0" * (10 * 1024 * 1024 + 1), "image/png")}, headers=auth
    )
    assert big.status_code == 413
    assert (
        await http.post(url, files={"file": ("a.txt", b"hoi", "text/plain")})
    ).status_code == 401
    assert await snapshot(db) == before
    photo = await http.post(
        url, files={"file": ("kapot.png", b"\x89PNG fake", "image/png")}, headers=auth
    )
    assert photo.status_code == 201, photo.text
    await visitor.connect()
    await visitor.say("Zie foto", start=True, attachments=[photo.json()["id"]])
    message = await visitor.until("message", seq=1)
    [attachment] = message["attachments"]
    assert attachment["name"] == "kapot.png" and attachment["type"] == "image/png"
    download = await http.get(server + attachment["url"])
    assert download.status_code == 200 and download.content == b"\x89PNG fake"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert (await http.get(server + attachment["url"] + "x")).status_code == 404
    await visitor.close()


async def test_the_widget_routes_answer_other_origins_without_cookies(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any]
) -> None:
    preflight = await http.options(
        f"{server}/chat/v1/inboxes/{inbox['key']}/visitors",
        headers={"Origin": "https://shop.example.nl", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
    config = await http.get(
        f"{server}/chat/v1/inboxes/{inbox['key']}", headers={"Origin": "https://shop.example.nl"}
    )
    assert config.headers["access-control-allow-origin"] == "*"
    api = await http.get(f"{server}/api/v1/inboxes", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in api.headers
    assert (await http.get(f"{server}/chat/v1/inboxes/unknown")).status_code == 404


async def test_heartbeats_both_ways_and_a_silent_client_is_closed(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server runs in this process (a thread): shorten its clock for the test.
    monkeypatch.setattr(live_socket, "PING_SECONDS", 0.2)
    monkeypatch.setattr(live_socket, "DEAD_AFTER_SECONDS", 0.7)
    visitor = await new_visitor(http, server, inbox["key"])
    await visitor.connect()
    await visitor.send({"type": "ping"})
    assert (await visitor.until("pong"))["type"] == "pong"
    assert (await visitor.until("ping", wait=2))["type"] == "ping"
    assert visitor.ws is not None
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:  # say nothing back: the server must give up on us
            await asyncio.wait_for(visitor.ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


async def test_a_chat_started_on_another_device_is_followed_on_this_one(
    server: str, http: httpx.AsyncClient, inbox: dict[str, Any]
) -> None:
    url = f"{server}/chat/v1/inboxes/{inbox['key']}/visitors"
    signed = hmac.new(inbox["secret"].encode(), b"klant-7", hashlib.sha256).hexdigest()
    tokens = [
        (await http.post(url, json={"user_id": "klant-7", "user_hash": signed})).json()["token"]
        for _ in range(2)
    ]
    laptop, phone = (VisitorClient(server, inbox["key"], t) for t in tokens)
    await laptop.connect()
    first = await laptop.say("Eerste vraag", start=True)
    await phone.connect()
    await phone.send({"type": "start", "client_id": "p1", "text": "Nog een keer"})
    refused = await phone.until("error", client_id="p1")
    assert refused["code"] == "conversation_open"
    assert refused["conversation_id"] == first["conversation_id"]
    await phone.send({"type": "end"})
    await laptop.until("status", status="resolved")
    second = await phone.say("Nieuwe vraag", start=True)
    switched = await laptop.until("conversation")
    assert switched["conversation"]["id"] == second["conversation_id"]
    assert (await laptop.until("message", seq=1))["text"] == "Nieuwe vraag"
    await laptop.close()
    await phone.close()
