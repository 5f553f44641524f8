"""Abuse against a real server: a blocked visitor cannot start or continue a chat (and is
told until when), and a supervisor hears "ask a supervisor" on the live socket at once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from balie.store.database import Database
from tests.chat_support import new_visitor
from tests.conftest import MakeAgent, snapshot
from tests.live_support import serving_on
from tests.test_live_feed import auth, chat_inbox, http, live

__all__ = ["http"]  # a fixture used by name


@pytest.fixture(scope="module")
def server(
    database_url: str, migrated_db: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serving_on(database_url, tmp_path_factory.mktemp("abuse"), chat_starts_per_hour=50) as url:
        yield url


async def test_a_blocked_visitor_is_refused_with_the_end_date_and_nothing_is_stored(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent, db: Database
) -> None:
    admin = await make_agent("admin", team="Webwinkel")
    lead = await make_agent("supervisor", team="Webwinkel")
    key = await chat_inbox(http, server, admin, "Webwinkel chat")
    visitor = await new_visitor(http, server, key)
    await visitor.connect()
    await visitor.say("Waar blijft mijn pakket, stelletje oplichters!", start=True)
    assert visitor.conversation_id is not None
    shown = await http.get(
        f"{server}/api/v1/conversations/{visitor.conversation_id}", headers=auth(lead)
    )
    customer_id = shown.json()["customer_id"]
    blocked = await http.post(
        f"{server}/api/v1/customers/{customer_id}/block",
        json={"days": 7, "reason": "Scheldt en dreigt"},
        headers=auth(lead),
    )
    assert blocked.status_code == 200, blocked.text
    until = blocked.json()["blocked_until"]

    # Writing on in the open chat is refused...
    await visitor.send({"type": "message", "client_id": "m-2", "text": "Hallo??"})
    refused = await visitor.until("error", client_id="m-2")
    assert refused["code"] == "blocked"
    assert "cannot start a new chat until" in refused["message"]
    kept = await http.get(
        f"{server}/api/v1/conversations/{visitor.conversation_id}/messages", headers=auth(lead)
    )
    assert "Hallo??" not in [m["text"] for m in kept.json()]
    # ...and so is a new chat, once this one is over.
    ended = await http.patch(
        f"{server}/api/v1/conversations/{visitor.conversation_id}",
        json={"status": "resolved"},
        headers=auth(lead),
    )
    assert ended.status_code == 200
    after_end = await snapshot(db)
    await visitor.send({"type": "start", "client_id": "s-2", "text": "Nieuwe chat dan"})
    again = await visitor.until("error", client_id="s-2")
    assert again["code"] == "blocked"
    # The request form outside hours goes the same way: a 403 problem naming the date.
    asked = await http.post(
        f"{server}/chat/v1/inboxes/{key}/requests",
        json={"kind": "email", "email": "x@example.nl", "text": "Bel me", "client_id": "r-1"},
        headers={"Authorization": f"Bearer {visitor.token}"},
    )
    assert asked.status_code == 403
    problem = asked.json()
    assert problem["code"] == "forbidden" and problem["blocked_until"] == until
    assert await snapshot(db) == after_end
    await visitor.close()


async def test_a_supervisor_hears_ask_a_supervisor_live(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    agent = await make_agent("agent", team="Webwinkel", name="Anna Agent")
    lead = await make_agent("supervisor", team="Webwinkel")
    created = await http.post(
        f"{server}/api/v1/conversations",
        json={
            "customer": {"name": "Piet", "email": "piet@example.nl"},
            "subject": "Boos",
            "message": {"text": "Jullie zijn oplichters!"},
        },
        headers=auth(agent),
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    ws = await live(server, lead, 0)
    try:
        asked = await http.post(
            f"{server}/api/v1/conversations/{cid}/ask-supervisor",
            json={"note": "Hij dreigt"},
            headers=auth(agent),
        )
        assert asked.status_code == 201, asked.text
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] == "alert":
                break
        alert = frame["alert"]
        assert (alert["kind"], alert["conversation_id"]) == ("ask_supervisor", cid)
        assert "Anna Agent asks a supervisor to join" in alert["text"]
    finally:
        await ws.close()
