"""A bare chat server on the ``websockets`` library alone: the yardstick for bench/chat_load.py.

It speaks the visitor half of the chat protocol (docs/chat-protocol.md) with nothing behind
it: no database, no authentication, no event bus, no guardrails. Conversations live in a
dict in memory. The work per message is the same shape as Balie's, so the same load
generator drives both:

  ws://HOST:PORT/chat/v1/ws   a visitor: ``hello`` (the token names the visitor) is answered
                              with ``welcome`` and the messages after ``after``; ``start`` and
                              ``message`` are stored (a ``client_id`` seen before stores
                              nothing new), acknowledged with ``ack`` and pushed as a
                              ``message`` frame to every socket of the conversation;
                              ``ping`` is answered with ``pong``.
  ws://HOST:PORT/agent        an agent: ``{"type": "reply", "conversation_id", "client_id",
                              "text"}`` is stored, acknowledged with ``ack`` and pushed to the
                              visitor's sockets (Balie takes replies over HTTP instead; the
                              websockets library serves no POST bodies).
  ws://HOST:PORT/stats        one frame with counters, for the benchmark.

Every 20 seconds each socket gets ``{"type": "ping"}``, as Balie's sockets do.

    .venv/bin/python bench/bare_ws.py --port 8200 [--no-uvloop] [--no-echo]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
from collections import defaultdict
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

HEARTBEAT_S = 20.0
AGENT = {"name": "Bench Agent", "initials": "BA"}


class Conversation:
    __slots__ = ("by_client_id", "id", "messages", "sockets", "status")

    def __init__(self, conversation_id: int) -> None:
        self.id = conversation_id
        self.messages: list[str] = []  # the encoded ``message`` frames, seq = index + 1
        self.by_client_id: dict[str, int] = {}
        self.sockets: set[ServerConnection] = set()
        self.status = "open"


class Bare:
    def __init__(self, echo: bool) -> None:
        self.echo = echo
        self.conversations: dict[int, Conversation] = {}
        self.by_visitor: dict[str, Conversation] = {}
        self.sockets: set[ServerConnection] = set()
        self.counts: dict[str, int] = defaultdict(int)

    def add(
        self, conv: Conversation, author: str, client_id: str, text: str, sender: Any = None
    ) -> tuple[int, bool]:
        """Store a message (once per client_id) and push it; returns (seq, new)."""
        seen = conv.by_client_id.get(client_id)
        if seen is not None:
            return seen, False
        seq = len(conv.messages) + 1
        frame = json.dumps(
            {
                "type": "message",
                "seq": seq,
                "author": author,
                "agent": AGENT if author == "agent" else None,
                "text": text,
                "attachments": [],
                "client_id": client_id,
                "at": dt.datetime.now(dt.UTC).isoformat(),
            }
        )
        conv.messages.append(frame)
        conv.by_client_id[client_id] = seq
        targets = conv.sockets if self.echo or author != "customer" else conv.sockets - {sender}
        broadcast(targets, frame)
        self.counts["messages"] += 1
        return seq, True

    async def visitor(self, ws: ServerConnection) -> None:
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
        except (TimeoutError, ValueError, ConnectionClosed):
            await ws.close(4400)
            return
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await ws.close(4400)
            return
        visitor = str(hello.get("token") or "")
        after = int(hello.get("after") or 0)
        conv = self.by_visitor.get(visitor)
        await ws.send(
            json.dumps(
                {
                    "type": "welcome",
                    "visitor": visitor,
                    "conversation": (
                        {"id": conv.id, "status": conv.status, "last_seq": len(conv.messages)}
                        if conv
                        else None
                    ),
                    "open": True,
                    "next_open_at": None,
                    "incident": None,
                    "queue_position": None,
                    "agent": AGENT if conv else None,
                    "agent_read_seq": 0,
                }
            )
        )
        if conv:
            conv.sockets.add(ws)
            for frame in conv.messages[after:]:
                await ws.send(frame)
        self.sockets.add(ws)
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "ping":
                    await ws.send('{"type": "pong"}')
                    continue
                if kind not in ("start", "message"):
                    continue
                client_id = str(frame.get("client_id") or "")
                text = str(frame.get("text") or "")
                if not client_id or not text:
                    await ws.send(
                        json.dumps(
                            {"type": "error", "code": "invalid", "message": "", "client_id": None}
                        )
                    )
                    continue
                if kind == "start" and conv is None:
                    conv = Conversation(len(self.conversations) + 1)
                    self.conversations[conv.id] = conv
                    self.by_visitor[visitor] = conv
                    conv.sockets.add(ws)
                if conv is None:
                    await ws.send(
                        json.dumps(
                            {
                                "type": "error",
                                "code": "no_conversation",
                                "message": "",
                                "client_id": client_id,
                            }
                        )
                    )
                    continue
                seq, _ = self.add(conv, "customer", client_id, text, sender=ws)
                await ws.send(
                    json.dumps(
                        {
                            "type": "ack",
                            "client_id": client_id,
                            "conversation_id": conv.id,
                            "seq": seq,
                        }
                    )
                )
        except (ConnectionClosed, ValueError):
            pass
        finally:
            self.sockets.discard(ws)
            if conv:
                conv.sockets.discard(ws)

    async def agent(self, ws: ServerConnection) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") != "reply":
                    continue
                conv = self.conversations.get(int(frame.get("conversation_id") or 0))
                client_id = str(frame.get("client_id") or "")
                if conv is None:
                    await ws.send(json.dumps({"type": "error", "client_id": client_id}))
                    continue
                seq, _ = self.add(conv, "agent", client_id, str(frame.get("text") or ""))
                await ws.send(
                    json.dumps(
                        {
                            "type": "ack",
                            "client_id": client_id,
                            "conversation_id": conv.id,
                            "seq": seq,
                        }
                    )
                )
        except (ConnectionClosed, ValueError):
            pass

    async def handler(self, ws: ServerConnection) -> None:
        path = ws.request.path.split("?", 1)[0] if ws.request else ""
        if path == "/chat/v1/ws":
            await self.visitor(ws)
        elif path == "/agent":
            await self.agent(ws)
        elif path == "/stats":
            await ws.send(
                json.dumps(
                    {
                        **self.counts,
                        "conversations": len(self.conversations),
                        "sockets": len(self.sockets),
                    }
                )
            )
        else:
            await ws.close(1008)

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            broadcast(self.sockets, '{"type": "ping"}')


async def main(port: int, echo: bool) -> None:
    bare = Bare(echo)
    beat = asyncio.create_task(bare.heartbeat())
    async with serve(bare.handler, "127.0.0.1", port, backlog=4096, ping_interval=20):
        print(f"bare chat server on ws://127.0.0.1:{port}", flush=True)
        await asyncio.Future()
    beat.cancel()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument(
        "--no-uvloop", action="store_true", help="asyncio's own loop (uvicorn uses uvloop)"
    )
    parser.add_argument(
        "--no-echo", action="store_true", help="do not push a visitor's message to its sender"
    )
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if not args.no_uvloop:
        try:
            import uvloop

            uvloop.run(main(args.port, not args.no_echo))
            return
        except ImportError:
            pass
    asyncio.run(main(args.port, not args.no_echo))


if __name__ == "__main__":
    cli()
