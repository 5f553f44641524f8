"""The inbox's alerts page: what needs the agent (or, for a supervisor, the team) now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from balie.alerts import actions, queries
from balie.ids import IdPath
from balie.web import directory, live
from balie.web.pages import PageRoute, SignedIn, checked_form, redirect, render

router = APIRouter(route_class=PageRoute)


@router.get("/alerts")
async def alerts_page(request: Request, caller: SignedIn) -> Response:
    async with caller.reading() as act:
        cursor = await live.cursor(act.session)  # before the data, see live.cursor
        open_alerts = await queries.alerts_for(act.session, caller.actor, open_only=True)
        recent = [
            a
            for a in await queries.alerts_for(act.session, caller.actor, open_only=False, limit=50)
            if a.done_at is not None
        ]
        names = await directory.agent_names(act.session)
    return render(
        request,
        "alerts.html",
        open_alerts=open_alerts,
        recent=recent,
        names=names,
        live_cursor=cursor,
    )


@router.post("/alerts/{alert_id}/done")
async def settle(request: Request, alert_id: IdPath, caller: SignedIn) -> Response:
    await checked_form(request)
    async with caller.writing() as act:
        await actions.settle_alert(act, alert_id)
    return redirect("/alerts")
