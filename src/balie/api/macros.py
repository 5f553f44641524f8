"""Macros over HTTP: an agent's own and the shared ones, and applying one to a
conversation (render for the composer, or send with its actions in one transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.conversations import actions as conversation_actions
from balie.ids import IdPath
from balie.macros import actions, queries
from balie.store.tables import Macro

router = APIRouter(prefix=PREFIX, tags=["macros"])
Agent = Annotated[Caller, Depends(require("agent"))]


class MacroIn(In):
    name: str = Field(min_length=1, max_length=100)
    language: Literal["nl", "en"]
    body: str = Field(min_length=1, max_length=10_000)
    actions: list[dict[str, Any]] = Field(default_factory=list, max_length=10)


class MacroCreate(MacroIn):
    shared: bool = False


class MacroOut(BaseModel):
    id: int
    owner_id: int | None
    shared: bool
    name: str
    language: str
    body: str
    actions: list[dict[str, Any]]
    created_at: dt.datetime
    updated_at: dt.datetime
    # The coach's warnings on the text when it was saved (only in create/update answers).
    coaching: dict[str, Any] | None = None

    @classmethod
    def of(cls, macro: Macro, coaching: dict[str, Any] | None = None) -> MacroOut:
        return cls(
            id=macro.id,
            owner_id=macro.owner_id,
            shared=macro.owner_id is None,
            name=macro.name,
            language=macro.language,
            body=macro.body,
            actions=list(macro.actions),
            created_at=macro.created_at,
            updated_at=macro.updated_at,
            coaching=coaching,
        )


class ApplyIn(In):
    send: bool = False
    # Set by clients that retry: a send with the same client_id in a conversation happens
    # once, and a retry answers what the first did.
    client_id: str | None = Field(None, min_length=1, max_length=100)


class ApplyOut(BaseModel):
    text: str
    sent: bool
    message_id: int | None
    actions: list[dict[str, Any]]


@router.get("/macros")
async def list_macros(
    caller: Agent, language: Annotated[Literal["nl", "en"] | None, Query()] = None
) -> list[MacroOut]:
    async with caller.reading() as act:
        rows = await queries.usable(act.session, act.actor, language=language)
    return [MacroOut.of(m) for m in rows]


@router.post("/macros", status_code=201)
async def create_macro(body: MacroCreate, caller: Agent) -> MacroOut:
    async with caller.writing() as act:
        macro, coaching = await actions.create(
            act,
            name=body.name,
            language=body.language,
            body=body.body,
            actions=body.actions,
            shared=body.shared,
        )
    return MacroOut.of(macro, coaching.as_json())


@router.put("/macros/{macro_id}")
async def update_macro(macro_id: IdPath, body: MacroIn, caller: Agent) -> MacroOut:
    async with caller.writing() as act:
        macro, coaching = await actions.update(
            act,
            macro_id,
            name=body.name,
            language=body.language,
            body=body.body,
            actions=body.actions,
        )
    return MacroOut.of(macro, coaching.as_json())


@router.delete("/macros/{macro_id}", status_code=204)
async def delete_macro(macro_id: IdPath, caller: Agent) -> Response:
    async with caller.writing() as act:
        await actions.delete(act, macro_id)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/macros/{macro_id}/apply")
async def apply_macro(
    conversation_id: IdPath, macro_id: IdPath, body: ApplyIn, caller: Agent
) -> ApplyOut:
    """``send: false`` renders the text for the composer and changes nothing; ``send:
    true`` sends it and carries out the macro's actions, all or nothing."""
    if not body.send:
        async with caller.reading() as act:
            conversation = await conversation_actions.get_visible(act, conversation_id)
            macro = await actions.get_usable(act, macro_id)
            return ApplyOut(**await actions.apply(act, conversation, macro, send=False))
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        macro = await actions.get_usable(act, macro_id)
        result = await actions.apply(act, conversation, macro, send=True, client_id=body.client_id)
    return ApplyOut(**result)
