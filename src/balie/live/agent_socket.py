"""An agent's live feed (docs/chat-protocol.md): every change to a conversation the agent
may see, after a cursor, plus typing, read receipts and presence as they happen."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from starlette.websockets import WebSocket

from balie.act import Act, Actor, utcnow
from balie.chat import actions
from balie.conversations.access import visible_to
from balie.errors import InvalidInput, NotFound
from balie.live import feed
from balie.live.hub import INBOX, Hub, conversation_topic
from balie.live.socket import LiveSocket
from balie.store.database import Database
from balie.store.tables import Agent, Conversation

# Changes are read in one go after a short pause, so a burst of messages costs one query.
COALESCE_SECONDS = 0.05


def may_see(actor: Actor, team_id: int | None, owner_id: int | None) -> bool:
    """The visibility rule of ``visible_to`` for frames that carry team and owner."""
    if actor.role in ("supervisor", "admin"):
        return True
    return team_id is None or team_id == actor.team_id or owner_id == actor.id


class AgentSocket(LiveSocket):
    def __init__(self, ws: WebSocket, *, db: Database, hub: Hub, agent: Agent, after: int) -> None:
        super().__init__(ws)
        self.db, self.hub, self.agent = db, hub, agent
        self.actor = Actor("agent", agent.id, agent.role, agent.team_id)
        self.after = after
        self.listener = hub.listener([INBOX])
        self.typing_in: set[int] = set()

    async def deliver(self) -> None:
        while True:
            async with self.db.reading() as session:
                frames, self_after = await feed.agent_events(session, self.actor, self.after)
            for frame in frames:
                await self.send(frame)
            moved = self_after != self.after
            self.after = self_after
            if not moved:
                return

    async def _conversation(self, conversation_id: Any) -> Conversation:
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            raise InvalidInput("conversation_id must be a number.")
        async with self.db.reading() as session:
            found = await session.scalar(
                select(Conversation).where(
                    Conversation.id == conversation_id, visible_to(self.actor)
                )
            )
        if found is None:
            raise NotFound(f"Conversation {conversation_id} does not exist.")
        return found

    async def _typing(self, conversation_id: int, on: bool) -> None:
        card = feed.agent_card(self.agent)
        (self.typing_in.add if on else self.typing_in.discard)(conversation_id)
        await self.hub.publish(
            conversation_topic(conversation_id),
            {"type": "typing", "who": "agent", "on": on, "name": card["name"] if card else ""},
        )

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "typing":
            on = frame.get("on")
            if not isinstance(on, bool):
                raise InvalidInput("typing needs on: true or false.")
            c = await self._conversation(frame.get("conversation_id"))
            await self._typing(c.id, on)
        elif kind == "read":
            c = await self._conversation(frame.get("conversation_id"))
            async with self.db.writing() as session:
                conversation = await session.get(Conversation, c.id)
                assert conversation is not None
                moved = await actions.mark_read(
                    Act(session, self.actor, utcnow()),
                    conversation,
                    side="agent",
                    seq=frame.get("seq"),
                )
            if moved is not None:
                await self.hub.publish(conversation_topic(c.id))  # the widget shows "read"
        else:
            raise InvalidInput(f"Unknown frame type: {kind[:40]}.")

    async def pump(self) -> None:
        while True:
            await self.listener.wait()
            await asyncio.sleep(COALESCE_SECONDS)
            while self.listener.frames:
                frame = self.listener.frames.popleft()
                if frame.get("who") == "agent":
                    continue
                if may_see(self.actor, frame.get("team_id"), frame.get("owner_id")):
                    await self.send(
                        {k: v for k, v in frame.items() if k not in ("team_id", "owner_id")}
                    )
            await self.deliver()

    async def on_heartbeat(self) -> None:
        await self._keep_present()

    async def _keep_present(self) -> None:
        async with self.db.writing() as session:
            await actions.heartbeat(Act(session, self.actor, utcnow()), self.agent.id)

    async def run(self) -> None:
        try:
            await self._keep_present()
            await self.send({"type": "welcome", "agent_id": self.agent.id, "after": self.after})
            await self.deliver()
            await self.serve()
        finally:
            self.listener.close()
            # A closed page types no more: nobody should see "typing…" linger.
            for conversation_id in list(self.typing_in):
                await self._typing(conversation_id, False)
