"""A visitor's websocket (docs/chat-protocol.md): hello, then messages both ways.

Everything sent to the visitor comes from the database in ``seq`` order, after the
visitor's ``after``; acknowledgements go out only after the commit.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.websockets import WebSocket

from balie.act import Act, Actor, utcnow
from balie.chat import actions, visitors
from balie.chat.limits import ChatLimits
from balie.chat.routing import queue_position
from balie.chat.settings import opening
from balie.chat.visitors import Visitor
from balie.errors import InvalidInput, NotFound, TooManyRequests
from balie.live import feed
from balie.live.hub import INBOX, Hub, Listener, conversation_topic, queue_topic
from balie.live.socket import (
    CLOSE_BAD_HELLO,
    CLOSE_BAD_TOKEN,
    CLOSE_NO_INBOX,
    LiveSocket,
)
from balie.store.database import Database
from balie.store.tables import Agent, Conversation, Inbox

HELLO_SECONDS = 10.0


def _visitor_actor(visitor: Visitor) -> Actor:
    # A visitor reaches only the chat actions, which check the visitor key themselves;
    # the audit log names them as "visitor" on their conversation.
    return Actor("visitor", None, "visitor")


def visitor_topic(visitor: Visitor) -> str:
    return f"visitor:{visitor.inbox_id}:{visitor.key}"


class VisitorSocket(LiveSocket):
    def __init__(
        self,
        ws: WebSocket,
        *,
        db: Database,
        hub: Hub,
        limits: ChatLimits,
        secret_key: str,
        inbox: Inbox,
        visitor: Visitor,
        after: int,
    ) -> None:
        super().__init__(ws)
        self.db, self.hub, self.limits = db, hub, limits
        self.secret_key = secret_key
        self.inbox, self.visitor = inbox, visitor
        self.after = after
        self.conversation: Conversation | None = None
        self.sent_state: dict[str, Any] = {}
        self.listener: Listener = hub.listener([visitor_topic(visitor)])
        # How far this socket has read the conversation, and whom it has shown as owner.
        self.scanned = 0
        self.typing = False
        self.owner_id: int | None = None
        self.owner_card: dict[str, str] | None = None
        self.deliver_lock = asyncio.Lock()

    # -- state -----------------------------------------------------------------------

    async def _load(self, conversation_id: int | None) -> None:
        async with self.db.reading() as session:
            act = Act(session, _visitor_actor(self.visitor), utcnow())
            if conversation_id is None:
                self.conversation = await actions.current_conversation(act, self.visitor)
            else:
                self.conversation = await session.get(Conversation, conversation_id)
        if self.conversation is not None:
            self.listener.listen(conversation_topic(self.conversation.id))
            if self.conversation.team_id is not None:
                self.listener.listen(queue_topic(self.conversation.team_id))

    async def deliver(self) -> None:
        """Send what is new: messages after ``after`` in order, then state changes."""
        # The reader (after an ack) and the pump (after a hint) both deliver; one at a
        # time, or both would read past the same ``after`` and send a message twice.
        async with self.deliver_lock:
            await self._deliver()

    async def _deliver(self) -> None:
        if self.conversation is None:
            return
        conversation_id = self.conversation.id
        queue_moved = self.listener.heard_any(prefix="queue:")
        while True:
            async with self.db.reading() as session:
                # One cheap read tells whether anything else needs reading.
                conversation = await session.get(Conversation, conversation_id)
                assert conversation is not None
                frames = []
                if conversation.last_seq > self.scanned:
                    frames = await feed.visitor_messages(
                        session, conversation_id, self.after, self.secret_key
                    )
                if conversation.owner_id != self.owner_id:
                    owner = await session.get(Agent, conversation.owner_id or 0)
                    self.owner_id, self.owner_card = conversation.owner_id, feed.agent_card(owner)
                    queue_moved = True
                if conversation.status != self.sent_state.get("status"):
                    queue_moved = True
                position = self.sent_state.get("queue")
                if queue_moved:
                    act = Act(session, _visitor_actor(self.visitor), utcnow())
                    position = await queue_position(act, conversation)
            self.conversation = conversation
            for frame in frames:
                await self.send(frame)
                self.after = frame["seq"]
            if len(frames) < feed.BATCH:
                # Internal notes take numbers too: remember how far we have looked.
                self.scanned = conversation.last_seq
                break
        await self._send_changes(
            {
                "status": conversation.status,
                "agent": self.owner_card,
                "queue": position,
                "read": conversation.agent_read_seq,
            }
        )

    async def _send_changes(self, now: dict[str, Any]) -> None:
        before, self.sent_state = self.sent_state, now
        if now["agent"] != before.get("agent") and now["agent"] is not None:
            await self.send({"type": "assigned", "agent": now["agent"]})
        if now["queue"] != before.get("queue") and now["queue"] is not None:
            await self.send({"type": "queue", "position": now["queue"]})
        if now["status"] != before.get("status") and "status" in before:
            await self.send({"type": "status", "status": now["status"]})
        if now["read"] != before.get("read") and now["read"]:
            await self.send({"type": "read", "seq": now["read"]})

    async def welcome(self) -> None:
        c = self.conversation
        async with self.db.reading() as session:
            act = Act(session, _visitor_actor(self.visitor), utcnow())
            position = await queue_position(act, c) if c else None
            owner = await session.get(Agent, c.owner_id) if c and c.owner_id else None
        is_open, next_open = opening(self.inbox.hours, utcnow())
        self.owner_id, self.owner_card = (c.owner_id if c else None), feed.agent_card(owner)
        self.sent_state = {
            "status": c.status if c else None,
            "agent": feed.agent_card(owner),
            "queue": position,
            "read": c.agent_read_seq if c else 0,
        }
        await self.send(
            {
                "type": "welcome",
                "visitor": self.visitor.key,
                "conversation": (
                    {"id": c.id, "status": c.status, "last_seq": c.last_seq} if c else None
                ),
                "open": is_open,
                "next_open_at": next_open,
                "incident": self.inbox.incident,
                "queue_position": position,
                "agent": feed.agent_card(owner),
                "agent_read_seq": c.agent_read_seq if c else 0,
            }
        )

    # -- frames from the visitor -----------------------------------------------------

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind in ("start", "message"):
            await self._message(frame, start=kind == "start")
        elif kind == "typing":
            await self._typing(frame)
        elif kind == "read":
            await self._mark_read(frame)
        elif kind == "end":
            async with self.db.writing() as session:
                act = Act(session, _visitor_actor(self.visitor), utcnow())
                await actions.end_chat(act, self.visitor)
        else:
            raise InvalidInput(f"Unknown frame type: {kind[:40]}.")

    async def _message(self, frame: dict[str, Any], *, start: bool) -> None:
        key = self.visitor.key
        wait = await self.limits.messages_per_visitor.attempt([key])
        if not wait and start:
            wait = await self.limits.starts_per_visitor.attempt([key])
        if wait:
            raise TooManyRequests("Too many messages; wait a moment.", retry_after=wait)
        async with self.db.writing() as session:
            act = Act(session, _visitor_actor(self.visitor), utcnow())
            if start:
                inbox = await session.get(Inbox, self.inbox.id)
                assert inbox is not None
                conversation, message = await actions.start_chat(
                    act,
                    inbox,
                    self.visitor,
                    client_id=frame.get("client_id"),
                    text=frame.get("text"),
                    fields=frame.get("fields"),
                    attachments=frame.get("attachments"),
                )
            else:
                conversation, message = await actions.visitor_message(
                    act,
                    self.visitor,
                    client_id=frame.get("client_id"),
                    text=frame.get("text"),
                    attachments=frame.get("attachments"),
                )
            conversation_id, seq, client_id = conversation.id, message.seq, message.client_id
        if self.conversation is None or self.conversation.id != conversation_id:
            await self._follow(conversation_id)
            # The visitor's other tabs and devices follow too.
            await self.hub.publish(
                visitor_topic(self.visitor), {"type": "switch", "conversation_id": conversation_id}
            )
        await self.send(
            {"type": "ack", "client_id": client_id, "conversation_id": conversation_id, "seq": seq}
        )
        async with self.deliver_lock:
            if seq == self.scanned + 1:
                # Nothing came in between: the message just stored is the next one to
                # show, and it is in hand; no need to read it back.
                await self.send(feed.message_frame(message, None, self.secret_key))
                self.after = self.scanned = seq
            else:
                await self._deliver()

    async def _typing(self, frame: dict[str, Any]) -> None:
        on = frame.get("on")
        if not isinstance(on, bool):
            raise InvalidInput("typing needs on: true or false.")
        await self._typing_is(on)

    async def _typing_is(self, on: bool) -> None:
        c = self.conversation
        if c is None or c.status == "resolved":
            return
        self.typing = on
        typing = {"type": "typing", "who": "customer", "on": on, "conversation_id": c.id}
        await self.hub.publish(conversation_topic(c.id), typing)
        await self.hub.publish(INBOX, typing | {"team_id": c.team_id, "owner_id": c.owner_id})

    async def _mark_read(self, frame: dict[str, Any]) -> None:
        c = self.conversation
        if c is None:
            raise NotFound("There is no chat yet.")
        async with self.db.writing() as session:
            act = Act(session, _visitor_actor(self.visitor), utcnow())
            conversation = await session.get(Conversation, c.id)
            assert conversation is not None
            moved = await actions.mark_read(
                act, conversation, side="customer", seq=frame.get("seq")
            )
        if moved is not None:
            read = {"type": "read", "who": "customer", "seq": moved, "conversation_id": c.id}
            await self.hub.publish(INBOX, read | {"team_id": c.team_id, "owner_id": c.owner_id})

    # -- the loops -------------------------------------------------------------------

    async def pump(self) -> None:
        while True:
            await self.listener.wait()
            for frame in self._take_frames():
                if frame["type"] == "switch":
                    await self._follow(frame["conversation_id"])
                else:
                    await self.send(frame)
            await self.deliver()

    def _take_frames(self) -> list[dict[str, Any]]:
        frames = []
        while self.listener.frames:
            frame = self.listener.frames.popleft()
            # The visitor's own typing comes back on the conversation topic: skip it.
            if frame.get("who") == "customer":
                continue
            if frame["type"] == "switch":
                frames.append(frame)
                continue
            frames.append({k: v for k, v in frame.items() if k not in ("conversation_id", "who")})
        return frames

    async def _follow(self, conversation_id: int) -> None:
        """Move this socket to the visitor's new conversation (started on this socket or
        on another device): its messages count from 1."""
        if self.conversation is not None and self.conversation.id == conversation_id:
            return
        async with self.deliver_lock:
            self.after = self.scanned = 0
            self.sent_state = {}
            self.owner_id = self.owner_card = None
            await self._load(conversation_id)
            assert self.conversation is not None
            await self.send(
                {
                    "type": "conversation",
                    "conversation": {"id": conversation_id, "status": self.conversation.status},
                }
            )

    async def start(self, conversation_id: int | None) -> None:
        """Serve the socket until it closes. ``after`` counts in the conversation the
        client names; if that is not the visitor's current one, start from its beginning."""
        await self._load(None)
        if self.conversation is None or (
            conversation_id is not None and conversation_id != self.conversation.id
        ):
            self.after = 0
        await self.run()

    async def run(self) -> None:
        try:
            await self.welcome()
            await self.deliver()
            await self.serve()
        finally:
            self.listener.close()
            if self.typing:  # a closed widget types no more
                await self._typing_is(False)


async def hello(
    ws: WebSocket, db: Database, secret_key: str
) -> tuple[Inbox, Visitor, int, int | None] | None:
    """Read and check the first frame; close the socket and return None when it is bad."""
    try:
        frame = await asyncio.wait_for(ws.receive_json(), HELLO_SECONDS)
    except (TimeoutError, ValueError, KeyError):
        await ws.close(CLOSE_BAD_HELLO)
        return None
    if not isinstance(frame, dict) or frame.get("type") != "hello":
        await ws.close(CLOSE_BAD_HELLO)
        return None
    after, conversation_id = frame.get("after", 0), frame.get("conversation_id")
    key, token = frame.get("inbox"), frame.get("token")
    if (
        not isinstance(after, int)
        or isinstance(after, bool)
        or after < 0
        or not isinstance(key, str)
        or not isinstance(token, str)
        or (conversation_id is not None and not isinstance(conversation_id, int))
    ):
        await ws.close(CLOSE_BAD_HELLO)
        return None
    async with db.reading() as session:
        act = Act(session, Actor("visitor", None, "visitor"), utcnow())
        try:
            inbox = await actions.inbox_by_key(act, key[:100])
        except NotFound:
            await ws.close(CLOSE_NO_INBOX)
            return None
    visitor = visitors.read(secret_key, token)
    if visitor is None or visitor.inbox_id != inbox.id:
        await ws.close(CLOSE_BAD_TOKEN)
        return None
    return inbox, visitor, after, conversation_id
