"""Search across messages and customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from balie.api import PREFIX
from balie.auth import Caller, require
from balie.search.query import MAX_LIMIT, search

router = APIRouter(prefix=PREFIX, tags=["search"])
Agent = Annotated[Caller, Depends(require("agent"))]


class MessageHitOut(BaseModel):
    conversation_id: int
    message_id: int
    seq: int
    subject: str
    snippet_html: str
    rank: float
    internal: bool


class CustomerHitOut(BaseModel):
    id: int
    name: str
    emails: list[str]
    snippet_html: str


class SearchOut(BaseModel):
    query: str
    messages: list[MessageHitOut]
    customers: list[CustomerHitOut]


@router.get("/search")
async def search_everything(
    caller: Agent, q: str, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20
) -> SearchOut:
    """Messages (internal notes included, marked ``internal``) of the conversations the
    caller may see, and customers. Snippets are HTML: escaped text with hits in <mark>."""
    async with caller.reading() as act:
        results = await search(act.session, act.actor, q, limit=limit)
    return SearchOut.model_validate(results, from_attributes=True)
