"""Surveys over HTTP: what customers answered after resolution, summed up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime

from balie import moments
from balie.act import utcnow
from balie.api import PREFIX
from balie.auth import Caller, require
from balie.errors import InvalidInput
from balie.ids import IdQuery
from balie.surveys import queries

router = APIRouter(prefix=PREFIX, tags=["surveys"])
Agent = Annotated[Caller, Depends(require("agent"))]


@router.get("/surveys")
async def summary(
    caller: Agent,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    inbox_id: IdQuery = None,
) -> dict[str, Any]:
    """Counts per score (1-5), the average, and the answers to "how could we have
    prevented this?" for surveys in the caller's conversations."""
    # Far-away moments are a 422 naming the field, not an overflow in the database layer.
    if since is not None:
        since = moments.check_moment(since, "since", now=utcnow())
    if until is not None:
        until = moments.check_moment(until, "until", now=utcnow())
    if since is not None and until is not None and until <= since:
        raise InvalidInput("until must be after since.", field="until")
    async with caller.reading() as act:
        return await queries.summary(
            act.session, caller.actor, since=since, until=until, inbox_id=inbox_id
        )
