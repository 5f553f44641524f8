"""C2 live: a supervisor with Balie open sees an approval request the moment an agent asks,
over the real websocket of a real server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.chat_support import ws_url
from tests.conftest import MakeAgent, new_conversation
from tests.live_support import serving_on


@pytest.fixture(scope="module")
def server(
    database_url: str, migrated_db: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serving_on(database_url, tmp_path_factory.mktemp("goodwill")) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def frames_until(ws: Any, wanted: Any, limit: float = 10.0) -> list[dict[str, Any]]:
    """Frames until one satisfies ``wanted`` (or the socket stays quiet for ``limit``)."""
    seen: list[dict[str, Any]] = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), limit))
        seen.append(frame)
        if wanted(frame):
            return seen


async def test_a_supervisor_sees_the_approval_request_live(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    agent = await make_agent("agent", name="Ayla Kaya")
    lead = await make_agent("supervisor", name="Mila de Boer")
    as_agent = {"Authorization": f"Bearer {agent.token}"}
    made = await http.post(
        f"{server}/api/v1/conversations", json=new_conversation(), headers=as_agent
    )
    case = made.json()["id"]
    state = await http.get(
        f"{server}/api/v1/live/state", headers={"Authorization": f"Bearer {lead.token}"}
    )
    ws = await websockets.connect(ws_url(server) + "/api/v1/live")
    try:
        await ws.send(
            json.dumps({"type": "hello", "token": lead.token, "after": state.json()["cursor"]})
        )
        assert json.loads(await ws.recv())["type"] == "welcome"
        asked = await http.post(
            f"{server}/api/v1/conversations/{case}/goodwill",
            json={"kind": "refund", "amount_cents": 8_000, "reason": "Derde keer kapot"},
            headers=as_agent,
        )
        assert asked.status_code == 201 and asked.json()["status"] == "pending_approval"
        frames = await frames_until(ws, lambda f: f.get("type") == "alert")
    finally:
        await ws.close()
    alert = frames[-1]["alert"]
    assert alert["kind"] == "goodwill_approval"
    assert alert["conversation_id"] == case
    assert alert["data"]["goodwill_id"] == asked.json()["id"]
    assert "Ayla Kaya" in alert["text"] and "refund of 80.00 EUR" in alert["text"]
    # The open conversation page hears of it too (its goodwill panel reloads on this).
    assert any(f.get("type") == "event" and f.get("action") == "goodwill.requested" for f in frames)
