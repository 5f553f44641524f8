"""The load-generating processes of bench/chat_load.py.

``run_worker`` is one process of visitors: each gets a visitor token, opens the chat socket
from a source address of its own (127.B.x.y: the server's per-address limits count real
browsers, one address each), says ``hello``, starts a conversation and then sends messages
while agents reply to some of them. It measures, all on CLOCK_MONOTONIC (one clock for the
whole machine):

  ack        a visitor's frame sent -> its ``ack`` received (persisted and acknowledged);
  delivery   an agent's reply sent (Balie: the POST issued; bare: the frame sent) -> the
             visitor's socket receiving that ``message`` frame;
  post       an agent's reply sent -> the server's answer (201, or the bare server's ack).

Phases, on a timeline the parent sends to every worker: ``paced`` (the target rate, spread
round robin over the visitors), a drain (outstanding acks and replies, while they come),
``saturated`` (each visitor sends its next message as soon as the last is acknowledged,
optionally no faster than a per-visitor interval), a drain, and
``verify``: every visitor closes its socket, reconnects with ``after=0`` and checks the stored
conversation against what it was told (acknowledged and replied messages all there, once,
``seq`` 1..n without gaps) and against what it received live.

``run_desk`` is the agents' side for Balie: a live socket per agent (``/api/v1/live``) and
presence online, so new chats are routed to them rather than queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import resource
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import corpus

mono = time.monotonic_ns
PHASES = ("paced", "saturated")
# After the last phase: wait for outstanding acks and replies while they keep coming
# (an overloaded server works off its backlog), at most DRAIN_MAX_S.
DRAIN_IDLE_S = 20.0
DRAIN_MAX_S = 300.0
REPLY_ID = re.compile(r"\[(r\d+-\d+) ")


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def use_uvloop() -> str:
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return "uvloop"
    except ImportError:
        return "asyncio"


@dataclass(frozen=True)
class Target:
    kind: str  # "balie" or "bare"
    host: str
    port: int
    inbox_key: str = ""
    admin_token: str = ""
    agent_tokens: dict[str, str] = field(default_factory=dict)  # agent name -> API token
    compression: str | None = "deflate"

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{self.host}:{self.port}"


@dataclass(frozen=True)
class Share:
    worker: int
    visitors: list[int]  # global visitor numbers
    rate: float  # this worker's share of the paced rate, messages/s
    reply_every: int  # one visitor message in this many gets an agent reply
    min_interval_s: float  # saturated phase: a visitor's messages at least this far apart
    address_block: int  # second octet of the visitors' source addresses
    connect_concurrency: int
    join_timeout_s: float  # visitors not joined by then are left out of the run
    max_backlog_s: float  # paced: stop once this many seconds' worth of messages are unanswered
    seed: int


@dataclass(frozen=True)
class Timeline:
    """CLOCK_MONOTONIC nanoseconds."""

    paced_start: int
    paced_end: int
    saturated_start: int
    saturated_end: int


def address(block: int, number: int) -> str:
    return f"127.{block}.{number // 250}.{number % 250 + 1}"


async def post_json(
    host: str, port: int, path: str, body: Any, local: str, limit_s: float = 30
) -> tuple[int, Any]:
    """One HTTP/1.1 POST from a chosen source address (httpx builds an SSL context per
    client, too slow for thousands of addresses)."""
    data = json.dumps(body).encode()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, local_addr=(local, 0)), limit_s
    )
    try:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + data)
        raw = await asyncio.wait_for(reader.read(), limit_s)
    finally:
        writer.close()
    header, _, payload = raw.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in header.lower():
        chunks, rest = [], payload
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            rest = rest[size + 2 :]
        payload = b"".join(chunks)
    try:
        return status, json.loads(payload) if payload else None
    except ValueError:
        return status, payload[:300].decode(errors="replace")


class PhaseStats:
    def __init__(self) -> None:
        self.sent = 0
        self.acks_in_window = 0
        self.replies_in_window = 0
        self.replies_sent = 0
        self.replies_ok = 0
        self.ack = array("q")
        self.delivery = array("q")
        self.post = array("q")
        self.lag = array("q")  # paced: how late the generator sent after the due time
        self.stopped_at_s: float | None = None  # paced: stopped early, the server far behind

    def dump(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "acks_in_window": self.acks_in_window,
            "replies_in_window": self.replies_in_window,
            "replies_sent": self.replies_sent,
            "replies_ok": self.replies_ok,
            "ack": self.ack.tobytes(),
            "delivery": self.delivery.tobytes(),
            "post": self.post.tobytes(),
            "lag": self.lag.tobytes(),
            "stopped_at_s": self.stopped_at_s,
        }


class Visitor:
    def __init__(self, gen: Generator, number: int) -> None:
        self.gen = gen
        self.number = number
        self.address = address(gen.share.address_block, number)
        self.token = ""
        self.ws: ClientConnection | None = None
        self.conversation_id: int | None = None
        self.agent_name: str | None = None
        self.counter = 0
        # client_id -> (first send ns, phase, frame): sent, not yet acknowledged
        self.pending: dict[str, tuple[int, str, str]] = {}
        self.acked: dict[str, int] = {}  # client_id -> seq
        self.seen: set[int] = set()  # seqs received as message frames on live sockets
        self.max_seq = 0
        self.replies: dict[str, tuple[int, str]] = {}  # reply client_id -> (sent ns, phase)
        self.replies_ok: set[str] = set()  # replies the server committed
        self.replies_seen: set[str] = set()
        self.answered = asyncio.Event()
        self.closing = False
        self.reconnecting = False

    async def open(self) -> None:
        target = self.gen.target
        ws = await connect(
            f"{target.ws}/chat/v1/ws",
            local_addr=(self.address, 0),
            compression=target.compression,
            proxy=None,
            ping_interval=None,
            open_timeout=60,
            close_timeout=5,
            max_size=2**22,
        )
        hello: dict[str, Any] = {"type": "hello", "inbox": target.inbox_key, "token": self.token}
        hello["after"] = self.max_seq
        if self.conversation_id is not None:
            hello["conversation_id"] = self.conversation_id  # what ``after`` counts in
        await ws.send(json.dumps(hello))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if welcome.get("type") != "welcome":
            await ws.close()
            raise RuntimeError(f"expected welcome, got {str(welcome)[:200]}")
        conversation = welcome.get("conversation")
        if conversation:
            self.conversation_id = conversation.get("id")
        if welcome.get("agent"):
            self.agent_name = welcome["agent"].get("name")
        self.ws = ws
        self.gen.spawn(self.read(ws), keep=False)

    async def read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self.on_frame(json.loads(raw))
        except ConnectionClosed:
            pass
        except Exception as exc:
            self.gen.note_error(f"reader:{type(exc).__name__}", str(exc))
        if self.closing or self.ws is not ws:
            return
        self.gen.closes[str(ws.close_code)] += 1
        self.ws = None
        self.gen.spawn(self.reconnect(), keep=False)

    async def reconnect(self) -> None:
        if self.reconnecting:
            return
        self.reconnecting = True
        self.gen.count["reconnects"] += 1
        delay = 0.5
        try:
            for _ in range(10):
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 8.0)
                if self.closing:
                    return
                try:
                    await self.open()
                except Exception as exc:
                    self.gen.note_error(f"reconnect:{type(exc).__name__}", str(exc))
                    continue
                # The client's duty: send every unacknowledged message again, same client_id.
                for _sent, _phase, frame in list(self.pending.values()):
                    await self.send(frame)
                    self.gen.count["resent"] += 1
                return
            self.gen.count["reconnect_failed"] += 1
        finally:
            self.reconnecting = False

    async def send(self, frame: str) -> None:
        ws = self.ws
        if ws is None:
            return  # kept in pending; sent again after the reconnect
        with contextlib.suppress(ConnectionClosed):
            await ws.send(frame)

    def on_frame(self, frame: dict[str, Any]) -> None:
        now = mono()
        gen = self.gen
        kind = frame.get("type")
        gen.frames[str(kind)] += 1
        if kind == "ack":
            client_id, seq = frame.get("client_id"), frame.get("seq")
            before = self.acked.get(client_id)
            if before is not None and before != seq:
                gen.count["ack_seq_changed"] += 1
            self.acked[client_id] = seq
            if frame.get("conversation_id"):
                self.conversation_id = frame["conversation_id"]
            pending = self.pending.pop(client_id, None)
            if pending is None:
                gen.count["ack_unexpected"] += 1
                return
            gen.outstanding -= 1
            sent, phase, _ = pending
            stats = gen.stats[phase]
            stats.ack.append(now - sent)
            window = gen.window(now)
            if window:
                gen.stats[window].acks_in_window += 1
            self.answered.set()
            if phase in PHASES:
                gen.maybe_reply(self, phase)
        elif kind == "message":
            seq = int(frame.get("seq") or 0)
            if seq in self.seen:
                gen.count["dup_seq_live"] += 1
            elif seq < self.max_seq:
                gen.count["out_of_order_live"] += 1
            self.seen.add(seq)
            self.max_seq = max(self.max_seq, seq)
            author = frame.get("author")
            gen.authors[str(author)] += 1
            if author == "agent":
                client_id = frame.get("client_id")
                if not client_id:
                    found = REPLY_ID.search(frame.get("text") or "")
                    client_id = found.group(1) if found else None
                if client_id in self.replies_seen:
                    gen.count["dup_reply_live"] += 1
                self.replies_seen.add(str(client_id))
                reply = self.replies.pop(str(client_id), None)
                if reply is not None:
                    sent, phase = reply
                    gen.stats[phase].delivery.append(now - sent)
                    window = gen.window(now)
                    if window:
                        gen.stats[window].replies_in_window += 1
                if frame.get("agent") and not self.agent_name:
                    self.agent_name = frame["agent"].get("name")
        elif kind == "ping":
            self.gen.spawn(self.send('{"type": "pong"}'), keep=False)
        elif kind == "error":
            code = str(frame.get("code"))
            gen.errors[f"frame:{code}"] += 1
            if len(gen.samples) < 20:
                gen.samples.append(f"error frame: {json.dumps(frame)[:300]}")
            client_id = frame.get("client_id")
            if client_id in self.pending:
                del self.pending[client_id]
                gen.outstanding -= 1
                gen.count["refused"] += 1
                self.answered.set()
        elif kind == "assigned":
            agent = frame.get("agent") or {}
            self.agent_name = agent.get("name") or self.agent_name

    def new_message(self, phase: str, first: bool = False) -> tuple[str, str]:
        self.counter += 1
        client_id = f"v{self.number}-{self.counter}"
        now = mono()
        text = f"{self.gen.customer_text()} [{client_id} {now}]"
        if first:
            frame = {
                "type": "start",
                "client_id": client_id,
                "text": text,
                "fields": {
                    "name": f"Bezoeker {self.number}",
                    "email": f"bezoeker{self.number}@bench.example.nl",
                },
                "attachments": [],
            }
        else:
            frame = {"type": "message", "client_id": client_id, "text": text, "attachments": []}
        encoded = json.dumps(frame)
        self.pending[client_id] = (now, phase, encoded)
        self.gen.outstanding += 1
        self.gen.stats[phase].sent += 1
        return client_id, encoded


class Generator:
    def __init__(self, target: Target, share: Share, pipe: Connection) -> None:
        self.target = target
        self.share = share
        self.pipe = pipe
        self.rng = random.Random(share.seed)
        self.visitors = [Visitor(self, n) for n in share.visitors]
        self.stats = {p: PhaseStats() for p in ("connect", *PHASES)}
        self.count: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.closes: Counter[str] = Counter()
        self.frames: Counter[str] = Counter()
        self.authors: Counter[str] = Counter()
        self.samples: list[str] = []
        self.timeline: Timeline | None = None
        self.outstanding = 0  # messages sent and neither acknowledged nor refused
        self.drain_s = 0.0
        self.acked_total = 0
        self.reply_number = 0
        self.tasks: set[asyncio.Task[Any]] = set()
        self.background: set[asyncio.Task[Any]] = set()
        threads = [
            corpus.Thread(
                random.Random(f"{share.seed}:{i}"), language=lang, first="Sam", agent="Bench"
            )
            for i, lang in enumerate(("nl", "nl", "en") * 40)
        ]
        self.customer_texts = [t.customer_message() for t in threads]
        self.agent_texts = [t.agent_message() for t in threads]
        self.http: httpx.AsyncClient | None = None
        self.agent_sockets: list[ClientConnection] = []
        self.agent_waiting: dict[str, asyncio.Future[None]] = {}

    # ---- helpers ----------------------------------------------------------------------

    def customer_text(self) -> str:
        return self.rng.choice(self.customer_texts)

    def note_error(self, key: str, detail: str) -> None:
        self.errors[key] += 1
        if len(self.samples) < 20:
            self.samples.append(f"{key}: {detail[:300]}")

    def window(self, now: int) -> str | None:
        t = self.timeline
        if t is None:
            return None
        if t.paced_start <= now < t.paced_end:
            return "paced"
        if t.saturated_start <= now < t.saturated_end:
            return "saturated"
        return None

    def spawn(self, coro: Any, keep: bool = True) -> None:
        """A task held until done; ``keep`` ones are also waited for by the drain."""
        task = asyncio.create_task(coro)
        held = self.tasks if keep else self.background
        held.add(task)
        task.add_done_callback(held.discard)

    # ---- agents ---------------------------------------------------------------------------

    def maybe_reply(self, visitor: Visitor, phase: str) -> None:
        self.acked_total += 1
        if self.share.reply_every and self.acked_total % self.share.reply_every == 0:
            self.spawn(self.reply(visitor, phase))

    async def reply(self, visitor: Visitor, phase: str) -> None:
        if visitor.conversation_id is None:
            self.count["reply_without_conversation"] += 1
            return
        self.reply_number += 1
        client_id = f"r{self.share.worker}-{self.reply_number}"
        text = f"{self.rng.choice(self.agent_texts)} [{client_id} {mono()}]"
        stats = self.stats[phase]
        stats.replies_sent += 1
        sent = mono()
        visitor.replies[client_id] = (sent, phase)
        ok = await (self.reply_balie if self.target.kind == "balie" else self.reply_bare)(
            visitor, client_id, text
        )
        if ok:
            stats.post.append(mono() - sent)
            stats.replies_ok += 1
            visitor.replies_ok.add(client_id)
        else:
            visitor.replies.pop(client_id, None)

    async def reply_balie(self, visitor: Visitor, client_id: str, text: str) -> bool:
        assert self.http is not None
        target = self.target
        token = target.agent_tokens.get(visitor.agent_name or "", target.admin_token)
        path = f"/api/v1/conversations/{visitor.conversation_id}/messages"
        body = {"text": text, "client_id": client_id}
        headers = {"Authorization": f"Bearer {token}"}
        for attempt in range(3):  # a retry carries the same client_id: stored once
            try:
                response = await self.http.post(path, json=body, headers=headers)
            except httpx.HTTPError as exc:
                # A kept-alive connection the server closed meanwhile, say: try again.
                if attempt == 2:
                    self.note_error(f"reply:{type(exc).__name__}", str(exc))
                else:
                    self.count[f"reply_retry:{type(exc).__name__}"] += 1
                continue
            if response.status_code == 201:
                if attempt:
                    self.count["reply_retried_ok"] += 1
                return True
            self.note_error(f"reply:http {response.status_code}", response.text)
            if response.status_code < 500:
                return False
            await asyncio.sleep(0.5)
        return False

    async def reply_bare(self, visitor: Visitor, client_id: str, text: str) -> bool:
        ws = self.agent_sockets[self.reply_number % len(self.agent_sockets)]
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.agent_waiting[client_id] = waiter
        frame = {"type": "reply", "conversation_id": visitor.conversation_id}
        await ws.send(json.dumps({**frame, "client_id": client_id, "text": text}))
        try:
            await asyncio.wait_for(waiter, 30)
        except TimeoutError:
            self.note_error("reply:timeout", client_id)
            return False
        return True

    async def read_agent(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                waiter = self.agent_waiting.pop(str(frame.get("client_id")), None)
                if waiter and not waiter.done():
                    waiter.set_result(None)
        except ConnectionClosed:
            pass

    async def open_agents(self) -> None:
        if self.target.kind == "balie":
            self.http = httpx.AsyncClient(
                base_url=self.target.base,
                timeout=30,
                trust_env=False,
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            )
            return
        for _ in range(4):
            ws = await connect(
                f"{self.target.ws}/agent",
                compression=self.target.compression,
                proxy=None,
                ping_interval=None,
            )
            self.agent_sockets.append(ws)
            self.spawn(self.read_agent(ws), keep=False)

    # ---- phases -------------------------------------------------------------------------------

    async def join(self, visitor: Visitor, gate: asyncio.Semaphore) -> None:
        async with gate:
            target = self.target
            try:
                if target.kind == "balie":
                    status, body = await post_json(
                        target.host,
                        target.port,
                        f"/chat/v1/inboxes/{target.inbox_key}/visitors",
                        {},
                        visitor.address,
                    )
                    if status not in (200, 201) or not isinstance(body, dict):
                        self.note_error(f"token:http {status}", str(body))
                        return
                    visitor.token = str(body["token"])
                else:
                    visitor.token = f"bare-{visitor.number}"
                await visitor.open()
            except Exception as exc:
                self.note_error(f"connect:{type(exc).__name__}", str(exc))
                return
            visitor.answered.clear()
            client_id, frame = visitor.new_message("connect", first=True)
            await visitor.send(frame)
            try:
                await asyncio.wait_for(visitor.answered.wait(), 60)
            except TimeoutError:
                self.note_error("start:timeout", client_id)
            if client_id not in visitor.acked:
                self.count["start_not_acked"] += 1

    async def paced(self, start: int, end: int, rate: float) -> None:
        ready = [v for v in self.visitors if v.conversation_id is not None]
        if rate <= 0 or not ready:
            return
        self.rng.shuffle(ready)
        interval = 1e9 / rate
        stats = self.stats["paced"]
        # An open loop against a server that cannot keep up only grows a backlog that
        # the next phases would have to wait out: stop at this many unanswered messages.
        cap = max(50, int(rate * self.share.max_backlog_s))
        k = 0
        while True:
            due = start + int(k * interval)
            if due >= end:
                break
            if self.outstanding > cap:
                stats.stopped_at_s = round((mono() - start) / 1e9, 1)
                break
            delay = due - mono()
            if delay > 0:
                await asyncio.sleep(delay / 1e9)
            stats.lag.append(max(0, mono() - due))
            visitor = ready[k % len(ready)]
            k += 1
            _, frame = visitor.new_message("paced")
            self.spawn(visitor.send(frame))

    async def saturate(self, visitor: Visitor, start: int, end: int) -> None:
        await asyncio.sleep(max(0.0, (start - mono()) / 1e9) + self.rng.random() * 0.2)
        interval = int(self.share.min_interval_s * 1e9)
        while mono() < end:
            visitor.answered.clear()
            _, frame = visitor.new_message("saturated")
            began = mono()
            await visitor.send(frame)
            try:
                await asyncio.wait_for(visitor.answered.wait(), 30)
            except TimeoutError:
                self.count["saturated_ack_timeout"] += 1
            rest = began + interval - mono()
            if rest > 0:
                await asyncio.sleep(rest / 1e9)

    async def drain(self) -> dict[str, int]:
        began = last_change = mono()
        before = -1
        while mono() - began < DRAIN_MAX_S * 1e9 and mono() - last_change < DRAIN_IDLE_S * 1e9:
            left = sum(len(v.pending) + len(v.replies) for v in self.visitors) + len(self.tasks)
            if not left:
                break
            if left != before:
                before, last_change = left, mono()
            await asyncio.sleep(0.1)
        self.drain_s = (mono() - began) / 1e9
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        return {
            "unacked_at_end": sum(len(v.pending) for v in self.visitors),
            "replies_undelivered_live": sum(len(v.replies) for v in self.visitors),
        }

    async def verify(self, visitor: Visitor, gate: asyncio.Semaphore, out: Counter[str]) -> None:
        async with gate:
            visitor.closing = True
            if visitor.ws is not None:
                await visitor.ws.close()
            if visitor.conversation_id is None:
                return
            # What the visitor was told before the replay starts must all be in it.
            acked = dict(visitor.acked)
            replied = set(visitor.replies_ok)
            try:
                replay, last_seq = await self.replay(visitor)
            except Exception as exc:
                self.note_error(f"verify:{type(exc).__name__}", str(exc))
                out["verify_failed"] += 1
                return
        out["verified"] += 1
        seqs = [int(m.get("seq") or 0) for m in replay]
        out["replayed_messages"] += len(seqs)
        if seqs != sorted(seqs):
            out["replay_out_of_order"] += 1
        counted = Counter(seqs)
        out["replay_dup_seq"] += sum(c - 1 for c in counted.values() if c > 1)
        out["seq_gaps"] += len(set(range(1, last_seq + 1)) - set(counted))
        by_id: dict[str, list[int]] = {}
        for m in replay:
            if m.get("client_id"):
                by_id.setdefault(str(m["client_id"]), []).append(int(m["seq"]))
            out[f"author:{m.get('author')}"] += 1
        out["stored_twice"] += sum(len(s) - 1 for s in by_id.values() if len(s) > 1)
        for client_id, seq in acked.items():
            stored = by_id.get(str(client_id))
            if not stored:
                out["lost_acked"] += 1
            elif seq not in stored:
                out["ack_seq_mismatch"] += 1
        for client_id in replied:
            if client_id not in by_id:
                out["lost_replies"] += 1
        for client_id in visitor.pending:
            if client_id in by_id:
                out["stored_never_acked"] += 1
        for m in replay:
            if int(m.get("seq") or 0) not in visitor.seen:
                out[f"live_missing:{m.get('author')}"] += 1

    async def replay(self, visitor: Visitor) -> tuple[list[dict[str, Any]], int]:
        target = self.target
        async with connect(
            f"{target.ws}/chat/v1/ws",
            local_addr=(visitor.address, 0),
            compression=target.compression,
            proxy=None,
            ping_interval=None,
            open_timeout=60,
            max_size=2**22,
        ) as ws:
            hello = {"type": "hello", "inbox": target.inbox_key, "token": visitor.token}
            await ws.send(json.dumps({**hello, "after": 0}))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
            conversation = welcome.get("conversation") or {}
            last_seq = int(conversation.get("last_seq") or 0)
            messages: list[dict[str, Any]] = []
            deadline = time.monotonic() + 60
            while (not messages or int(messages[-1].get("seq") or 0) < last_seq) and last_seq:
                frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
                if frame.get("type") == "message":
                    messages.append(frame)
        return messages, last_seq

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        began = mono()
        await self.open_agents()
        gate = asyncio.Semaphore(self.share.connect_concurrency)
        joins = [asyncio.create_task(self.join(v, gate)) for v in self.visitors]
        _, late = await asyncio.wait(joins, timeout=self.share.join_timeout_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for visitor in self.visitors:
            if visitor.conversation_id is None or visitor.acked == {}:
                # Not joined in time: out of the run (its socket closed, if it had one).
                visitor.conversation_id = None
                visitor.closing = True
                self.outstanding -= len(visitor.pending)
                visitor.pending.clear()
                if visitor.ws is not None:
                    with contextlib.suppress(Exception):
                        await visitor.ws.close()
        joined = sum(1 for v in self.visitors if v.conversation_id is not None)
        self.count["not_joined_in_time"] = len(self.visitors) - joined if late else 0
        connect_s = round((mono() - began) / 1e9, 2)
        self.pipe.send(("ready", {"joined": joined, "connect_s": connect_s}))
        message = await loop.run_in_executor(None, self.pipe.recv)
        self.timeline = timeline = message[1]
        await self.paced(timeline.paced_start, timeline.paced_end, self.share.rate)
        await asyncio.sleep(max(0.0, (timeline.paced_end - mono()) / 1e9))
        # The backlog of an overloaded server is worked off before the next phase.
        after_paced = await self.drain()
        self.pipe.send(("drained", {**after_paced, "drain_s": round(self.drain_s, 1)}))
        message = await loop.run_in_executor(None, self.pipe.recv)
        self.timeline = timeline = message[1]
        if timeline.saturated_end > timeline.saturated_start:
            await asyncio.sleep(max(0.0, (timeline.saturated_start - mono()) / 1e9))
            await asyncio.gather(
                *(
                    self.saturate(v, timeline.saturated_start, timeline.saturated_end)
                    for v in self.visitors
                    if v.conversation_id is not None
                )
            )
        else:
            await asyncio.sleep(max(0.0, (timeline.saturated_end - mono()) / 1e9))
        leftovers = await self.drain()
        verified: Counter[str] = Counter()
        started = mono()
        await asyncio.gather(*(self.verify(v, gate, verified) for v in self.visitors))
        verify_s = (mono() - started) / 1e9
        if self.http is not None:
            await self.http.aclose()
        for ws in self.agent_sockets:
            await ws.close()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.pipe.send(
            (
                "result",
                {
                    "worker": self.share.worker,
                    "joined": joined,
                    "phases": {name: s.dump() for name, s in self.stats.items()},
                    "count": dict(self.count),
                    "errors": dict(self.errors),
                    "closes": dict(self.closes),
                    "frames": dict(self.frames),
                    "authors": dict(self.authors),
                    "verify": dict(verified),
                    "verify_s": round(verify_s, 2),
                    "drain_s": round(self.drain_s, 1),
                    "samples": self.samples,
                    "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                    **leftovers,
                },
            )
        )


def run_worker(target: Target, share: Share, pipe: Connection) -> None:
    raise_fd_limit()
    use_uvloop()
    asyncio.run(Generator(target, share, pipe).main())


# ---- the agents' desk (Balie only) ----------------------------------------------------------


async def desk(target: Target, capacity: int, pipe: Connection) -> None:
    """Every agent online with a live socket, counting what the live feed sends them."""
    events: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    samples: list[str] = []
    sockets: list[ClientConnection] = []
    stop = asyncio.Event()

    async def follow(name: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=target.base, trust_env=False, timeout=30) as http:
            state = await http.get("/api/v1/live/state", headers=headers)
            if state.status_code != 200:
                errors[f"live/state http {state.status_code}"] += 1
                samples.append(f"{name} live/state: {state.text[:300]}")
                return
            cursor = state.json().get("cursor", 0)
            ws = await connect(
                f"{target.ws}/api/v1/live",
                compression=target.compression,
                proxy=None,
                ping_interval=None,
                open_timeout=60,
                max_size=2**24,
            )
            sockets.append(ws)
            await ws.send(json.dumps({"type": "hello", "token": token, "after": cursor}))
            presence = await http.put(
                "/api/v1/presence", json={"status": "online", "capacity": capacity}, headers=headers
            )
            if presence.status_code >= 300:
                errors[f"presence http {presence.status_code}"] += 1
                samples.append(f"{name} presence: {presence.text[:300]}")

            async def beat() -> None:
                while not stop.is_set():
                    await asyncio.sleep(15)
                    try:
                        await ws.send('{"type": "ping"}')
                    except ConnectionClosed:
                        return

            beating = asyncio.create_task(beat())
            try:
                async for raw in ws:
                    frame = json.loads(raw)
                    kind = frame.get("type")
                    events[f"{kind}:{frame.get('action')}" if kind == "event" else str(kind)] += 1
            except ConnectionClosed:
                pass
            if not stop.is_set():
                errors[f"live closed {ws.close_code}"] += 1
            beating.cancel()

    async def guarded(name: str, token: str) -> None:
        try:
            await follow(name, token)
        except Exception as exc:
            errors[f"desk:{type(exc).__name__}"] += 1
            samples.append(f"{name}: {exc}"[:300])

    tasks = [asyncio.create_task(guarded(n, t)) for n, t in target.agent_tokens.items()]
    await asyncio.sleep(1.0)
    pipe.send(("ready", {"agents": len(sockets), "errors": dict(errors), "samples": samples}))
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    stop.set()
    for ws in sockets:
        await ws.close()
    await asyncio.wait(tasks, timeout=10)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    pipe.send(
        (
            "result",
            {
                "agents_online": len(sockets),
                "live_frames": dict(events),
                "errors": dict(errors),
                "samples": samples[:10],
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            },
        )
    )


def run_desk(target: Target, capacity: int, pipe: Connection) -> None:
    raise_fd_limit()
    use_uvloop()
    asyncio.run(desk(target, capacity, pipe))
