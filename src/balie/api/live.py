"""The agents' live side: the state to start from, the live feed socket, and presence."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, WebSocket
from pydantic import Field

from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, _agent_from_session, _agent_from_token, require
from balie.chat import actions
from balie.live import feed
from balie.live.agent_socket import AgentSocket
from balie.live.hub import INBOX
from balie.live.socket import CLOSE_BAD_HELLO, CLOSE_BAD_TOKEN
from balie.live.visitor_socket import HELLO_SECONDS
from balie.store.tables import Agent as AgentRow

router = APIRouter(prefix=PREFIX, tags=["live"])
Agent = Annotated[Caller, Depends(require("agent"))]


class PresenceIn(In):
    status: Literal["online", "away", "offline"]
    capacity: int | None = Field(None, ge=0, le=actions.MAX_CAPACITY)


@router.get("/live/state")
async def live_state(caller: Agent) -> dict[str, Any]:
    async with caller.reading() as act:
        return await feed.state(act.session, act.actor, act.now)


@router.get("/presence")
async def list_presence(caller: Agent) -> list[dict[str, Any]]:
    async with caller.reading() as act:
        return await feed.presence(act.session, act.now)


@router.put("/presence")
async def set_presence(body: PresenceIn, caller: Agent, request: Request) -> dict[str, Any]:
    async with caller.writing() as act:
        presence = await actions.set_presence(
            act, caller.agent, status=body.status, capacity=body.capacity
        )
        out = {
            "agent_id": presence.agent_id,
            "status": presence.status,
            "capacity": presence.capacity,
        }
    await request.app.state.hub.publish(
        INBOX, {"type": "presence", "agent_id": caller.agent.id, "status": body.status}
    )
    return out


def _same_origin(ws: WebSocket, public_url: str) -> bool:
    """A cookie-authenticated socket must come from Balie's own pages: browsers send
    cookies with cross-site websocket requests, so the Origin header is the guard."""
    origin = ws.headers.get("origin")
    if origin is None:
        return False
    allowed = {public_url.rstrip("/")}
    host = ws.headers.get("host")
    if host:
        allowed |= {f"http://{host}", f"https://{host}"}
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" in allowed


@router.websocket("/live")
async def live_socket(ws: WebSocket) -> None:
    await ws.accept()
    state = ws.app.state
    try:
        frame = await asyncio.wait_for(ws.receive_json(), HELLO_SECONDS)
    except (TimeoutError, ValueError, KeyError):
        await ws.close(CLOSE_BAD_HELLO)
        return
    after = frame.get("after", 0) if isinstance(frame, dict) else None
    if (
        not isinstance(frame, dict)
        or frame.get("type") != "hello"
        or not isinstance(after, int)
        or isinstance(after, bool)
        or after < 0
    ):
        await ws.close(CLOSE_BAD_HELLO)
        return
    agent: AgentRow | None
    token = frame.get("token")
    if isinstance(token, str):
        agent = await _agent_from_token(state.db, token)
    elif _same_origin(ws, state.settings.effective_public_url):
        agent = await _agent_from_session(state.db, ws.session.get("agent_id"))
    else:
        agent = None
    if agent is None:
        await ws.close(CLOSE_BAD_TOKEN)
        return
    await AgentSocket(ws, db=state.db, hub=state.hub, agent=agent, after=after).run()
