"""Inboxes and their chat settings (admins), readable by every agent."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from pydantic import EmailStr, Field
from sqlalchemy import select

from balie.agents.actions import create_inbox
from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.chat import actions
from balie.errors import InvalidInput, NotFound
from balie.ids import Id, IdPath
from balie.store.tables import Inbox

router = APIRouter(prefix=PREFIX, tags=["inboxes"])
Agent = Annotated[Caller, Depends(require("agent"))]
Admin = Annotated[Caller, Depends(require("admin"))]


class InboxCreate(In):
    team_id: Id
    name: str = Field(min_length=1, max_length=100)
    channel: Literal["chat", "email"]
    address: EmailStr | None = None


def inbox_out(inbox: Inbox, *, with_secret: bool = False) -> dict[str, Any]:
    out = {
        "id": inbox.id,
        "team_id": inbox.team_id,
        "name": inbox.name,
        "channel": inbox.channel,
        "address": inbox.address,
        "key": inbox.key,
        "prechat": inbox.prechat,
        "topics": inbox.topics,
        "hours": inbox.hours,
        "incident": inbox.incident,
    }
    if inbox.channel == "email":
        imap = (inbox.email or {}).get("imap")
        out["acknowledge"] = bool((inbox.email or {}).get("acknowledge"))
        out["imap"] = {**imap, "password": actions.PASSWORD_MASK} if imap else None
    if with_secret:
        # For the host site's server, which signs its users' ids with it.
        out["secret"] = inbox.secret
    return out


@router.get("/inboxes")
async def list_inboxes(caller: Agent) -> list[dict[str, Any]]:
    async with caller.reading() as act:
        rows = await act.session.scalars(select(Inbox).order_by(Inbox.id))
        return [inbox_out(i) for i in rows]


@router.post("/inboxes", status_code=201)
async def new_inbox(body: InboxCreate, caller: Admin) -> dict[str, Any]:
    async with caller.writing() as act:
        inbox = await create_inbox(
            act,
            team_id=body.team_id,
            name=body.name,
            channel=body.channel,
            address=str(body.address) if body.address else None,
        )
        return inbox_out(inbox, with_secret=True)


@router.get("/inboxes/{inbox_id}")
async def get_inbox(inbox_id: IdPath, caller: Agent, request: Request) -> dict[str, Any]:
    async with caller.reading() as act:
        inbox = await act.session.get(Inbox, inbox_id)
        if inbox is None:
            raise NotFound(f"Inbox {inbox_id} does not exist.")
        out = inbox_out(inbox, with_secret=caller.agent.role == "admin")
    if inbox.channel == "email":
        # Why no mail comes in (a wrong password, a server away), as this process sees it.
        out["imap_polling"] = request.app.state.email.polling(inbox.id)
    return out


@router.patch("/inboxes/{inbox_id}")
async def configure(
    inbox_id: IdPath, caller: Admin, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    if not body:
        raise InvalidInput(
            "Nothing to change: send prechat, topics, hours, incident, imap or acknowledge."
        )
    async with caller.writing() as act:
        inbox = await act.session.get(Inbox, inbox_id)
        if inbox is None:
            raise NotFound(f"Inbox {inbox_id} does not exist.")
        await actions.configure_inbox(act, inbox, body)
        return inbox_out(inbox)
