"""A chat-test world: a real server, a chat inbox, agents with API clients on that server,
and visitors speaking the websocket protocol with a plain client."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

WAIT = 5.0


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://", 1)


@dataclass
class VisitorClient:
    """A visitor with a token, who remembers what they have seen, as the widget does."""

    base: str
    inbox_key: str
    token: str
    after: int = 0
    conversation_id: int | None = None
    ws: ClientConnection | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)

    async def connect(self) -> dict[str, Any]:
        self.ws = await websockets.connect(ws_url(self.base) + "/chat/v1/ws")
        hello: dict[str, Any] = {
            "type": "hello",
            "inbox": self.inbox_key,
            "token": self.token,
            "after": self.after,
        }
        if self.conversation_id is not None:
            hello["conversation_id"] = self.conversation_id
        await self.ws.send(json.dumps(hello))
        welcome = await self.frame()
        assert welcome["type"] == "welcome", welcome
        if welcome["conversation"]:
            self.conversation_id = welcome["conversation"]["id"]
        return welcome

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def frame(self, wait: float = WAIT) -> dict[str, Any]:
        assert self.ws is not None
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
        if frame["type"] == "message":
            assert frame["seq"] > self.after, f"seq {frame['seq']} after {self.after}"
            self.after = frame["seq"]
            self.seen.append(frame)
        elif frame["type"] == "conversation":
            self.conversation_id = frame["conversation"]["id"]
            self.after = 0
        return frame

    async def until(self, kind: str, wait: float = WAIT, **match: Any) -> dict[str, Any]:
        """Read frames until one of ``kind`` (matching ``match``) arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            frame = await self.frame(max(0.01, deadline - loop.time()))
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame
            self.other.append(frame)

    async def say(self, text: str, *, start: bool = False, **extra: Any) -> dict[str, Any]:
        client_id = extra.pop("client_id", None) or str(uuid.uuid4())
        frame = {"type": "start" if start else "message", "client_id": client_id, "text": text}
        await self.send(frame | extra)
        return await self.until("ack", client_id=client_id)


async def new_visitor(http: httpx.AsyncClient, base: str, key: str, **body: Any) -> VisitorClient:
    answer = await http.post(f"{base}/chat/v1/inboxes/{key}/visitors", json=body)
    assert answer.status_code == 201, answer.text
    return VisitorClient(base, key, answer.json()["token"])
