"""Two real server processes on one database, talking through Redis: a visitor on one and
an agent on the other see each other live, and a Redis restart loses nothing."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.chat_support import new_visitor
from tests.conftest import MakeAgent, Person
from tests.live_support import OwnRedis, ServerProcess
from tests.test_live_feed import auth, chat_inbox, drain, live


def _pair(database_url: str, redis_url: str, tmp: Path) -> Iterator[tuple[str, str]]:
    env = {
        "BALIE_DATABASE_URL": database_url,
        "BALIE_DATA_DIR": str(tmp),
        "BALIE_REDIS_URL": redis_url,
        # Our own channels on a shared Redis: no other run hears us, nor we them.
        "BALIE_REDIS_PREFIX": f"balie-test-{secrets.token_hex(4)}:",
        "BALIE_LOG_LEVEL": "WARNING",
        # No catching up from the audit log within a test: only Redis (or, with Redis
        # down, the database polling) can carry news from one process to the other.
        "BALIE_LIVE_SWEEP_SECONDS": "600",
    }
    a = ServerProcess(env)
    try:
        b = ServerProcess(env)
    except RuntimeError:
        a.stop()
        raise
    try:
        yield a.url, b.url
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def shared_redis_pair(
    database_url: str, migrated_db: object, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    yield from _pair(database_url, "redis://127.0.0.1:6379/0", tmp_path)


@pytest.fixture
def own_redis_pair(
    database_url: str, migrated_db: object, tmp_path: Path, own_redis: OwnRedis
) -> Iterator[tuple[str, str]]:
    yield from _pair(database_url, own_redis.url, tmp_path)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def _reply(http: httpx.AsyncClient, base: str, person: Person, cid: int, text: str) -> None:
    answer = await http.post(
        f"{base}/api/v1/conversations/{cid}/messages", json={"text": text}, headers=auth(person)
    )
    assert answer.status_code == 201, answer.text


async def test_a_visitor_on_one_process_and_an_agent_on_another_talk_live(
    shared_redis_pair: tuple[str, str], http: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    a, b = shared_redis_pair
    admin = await make_agent("admin", team="Webwinkel")
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    key = await chat_inbox(http, a, admin, "Twee processen")
    state = (await http.get(f"{b}/api/v1/live/state", headers=auth(sanne))).json()
    feed = await live(b, sanne, state["cursor"])  # the agent's inbox, on process B

    visitor = await new_visitor(http, a, key)  # the visitor, on process A
    await visitor.connect()
    ack = await visitor.say("Hallo vanaf proces A", start=True)
    events = [f for f in await drain(feed, 1.0) if f["type"] == "event"]
    assert any(e["conversation"]["id"] == ack["conversation_id"] for e in events)
    await feed.close()

    await _reply(http, b, sanne, ack["conversation_id"], "Antwoord vanaf proces B")
    # Nothing but the Redis hint can wake A's socket: it does not poll while Redis is up,
    # and its sweep of the audit log is off.
    got = await visitor.until("message", seq=2, wait=3)
    assert got["text"] == "Antwoord vanaf proces B"
    await visitor.close()


async def test_a_redis_restart_loses_no_message_and_sockets_keep_working(
    own_redis_pair: tuple[str, str],
    own_redis: OwnRedis,
    http: httpx.AsyncClient,
    make_agent: MakeAgent,
) -> None:
    a, b = own_redis_pair
    admin = await make_agent("admin", team="Webwinkel")
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    key = await chat_inbox(http, a, admin, "Herstart")
    visitor = await new_visitor(http, a, key)
    await visitor.connect()
    ack = await visitor.say("Voor de herstart", start=True)
    cid = ack["conversation_id"]

    own_redis.stop()
    await _reply(http, b, sanne, cid, "Terwijl Redis weg is")
    # A noticed the loss and reads the database itself until Redis is back.
    assert (await visitor.until("message", seq=2, wait=8))["text"] == "Terwijl Redis weg is"
    await visitor.say("Ik hoor u nog steeds")

    own_redis.start()
    await _reply(http, b, sanne, cid, "Redis is terug")
    assert (await visitor.until("message", seq=4, wait=10))["text"] == "Redis is terug"
    assert [m["seq"] for m in visitor.seen] == [1, 2, 3, 4]
    await visitor.close()


async def test_a_server_restart_loses_and_doubles_nothing(
    database_url: str,
    migrated_db: object,
    tmp_path: Path,
    http: httpx.AsyncClient,
    make_agent: MakeAgent,
) -> None:
    env = {
        "BALIE_DATABASE_URL": database_url,
        "BALIE_DATA_DIR": str(tmp_path),
        "BALIE_LOG_LEVEL": "WARNING",
    }
    admin = await make_agent("admin", team="Webwinkel")
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    server = ServerProcess(env)
    try:
        key = await chat_inbox(http, server.url, admin, "Herstart server")
        visitor = await new_visitor(http, server.url, key)
        await visitor.connect()
        ack = await visitor.say("Voor de herstart", start=True)
        await visitor.until("message", seq=1)
        server.stop()
        with pytest.raises(websockets.ConnectionClosed):
            await visitor.until("never", wait=10)
        server = ServerProcess(env, port=server.port)
        await _reply(http, server.url, sanne, ack["conversation_id"], "Na de herstart")
        await visitor.connect()  # resumes after seq 1
        assert (await visitor.until("message", seq=2))["text"] == "Na de herstart"
        again = await visitor.say("Voor de herstart", client_id=ack["client_id"], start=True)
        assert again["seq"] == 1  # a retry after the restart is not stored twice
        await visitor.say("Dank u")
        await visitor.until("message", seq=3)
        assert [m["seq"] for m in visitor.seen] == [1, 2, 3]
        await visitor.close()
    finally:
        server.stop()
