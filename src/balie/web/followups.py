"""The agent's follow-ups: promises to keep, due soonest first, marked kept in one click.

A supervisor sees their own by default and everyone's with ``?who=all``. Marking kept or
cancelling is a form post through the promise actions, then back to the list; a refused
change (already kept by a colleague, say) shows the list again with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from balie.act import Act, utcnow
from balie.agents.roles import at_least
from balie.auth import Caller
from balie.errors import BalieError
from balie.ids import IdPath
from balie.promises import actions, queries
from balie.web.pages import PageRoute, SignedIn, checked_form, field, redirect, render

router = APIRouter(route_class=PageRoute)
Who = Annotated[str, Query(pattern="^(mine|all)$")]


async def _page(
    request: Request, caller: Caller, who: str, *, error: BalieError | None = None
) -> Response:
    lead = at_least(caller.agent.role, "supervisor")
    everyone = lead and who == "all"
    async with caller.reading() as act:
        rows = await queries.follow_ups(act.session, act.actor, mine=not everyone, status="open")
    return render(
        request,
        "followups.html",
        status=error.status if error else 200,
        follow_ups=rows,
        now=utcnow(),
        lead=lead,
        everyone=everyone,
        error=error,
    )


@router.get("/followups")
async def follow_ups(request: Request, caller: SignedIn, who: Who = "mine") -> Response:
    return await _page(request, caller, who)


async def _settle(
    request: Request, caller: Caller, settle: Callable[[Act, FormData], Awaitable[object]]
) -> Response:
    form = await checked_form(request)
    who = "all" if field(form, "who") == "all" else "mine"
    try:
        async with caller.writing() as act:
            await settle(act, form)
    except BalieError as error:
        return await _page(request, caller, who, error=error)
    return redirect(f"/followups?who={who}")


@router.post("/followups/{promise_id}/kept")
async def kept(request: Request, promise_id: IdPath, caller: SignedIn) -> Response:
    async def mark_kept(act: Act, form: FormData) -> None:
        await actions.mark_kept(act, promise_id)

    return await _settle(request, caller, mark_kept)


@router.post("/followups/{promise_id}/cancel")
async def cancel(request: Request, promise_id: IdPath, caller: SignedIn) -> Response:
    async def cancel_it(act: Act, form: FormData) -> None:
        await actions.cancel(act, promise_id, reason=field(form, "reason"))

    return await _settle(request, caller, cancel_it)
