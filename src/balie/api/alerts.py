"""Alerts over HTTP: what needs the caller, and marking it dealt with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from balie.alerts import actions, queries
from balie.api import PREFIX
from balie.auth import Caller, require
from balie.ids import IdPath

router = APIRouter(prefix=PREFIX, tags=["alerts"])
Agent = Annotated[Caller, Depends(require("agent"))]


@router.get("/alerts")
async def list_alerts(
    caller: Agent, open_only: Annotated[bool, Query(alias="open")] = True
) -> list[dict[str, Any]]:
    """Alerts for the caller (a supervisor sees every alert), newest first."""
    async with caller.reading() as act:
        alerts = await queries.alerts_for(act.session, caller.actor, open_only=open_only)
        return [queries.card(a) for a in alerts]


@router.post("/alerts/{alert_id}/done")
async def settle(alert_id: IdPath, caller: Agent) -> dict[str, Any]:
    async with caller.writing() as act:
        alert = await actions.settle_alert(act, alert_id)
    return queries.card(alert)
