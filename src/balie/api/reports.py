"""Reports over HTTP: every figure as JSON, or one report as a CSV download.

Supervisors and admins only. Filters: ``since`` and ``until`` (dates, inclusive, in the
agents' time zone; the last 30 days by default), ``inbox_id`` and ``agent_id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from balie import downloads
from balie.api import PREFIX
from balie.auth import Caller, require
from balie.errors import NotFound
from balie.reports import csv_export, queries
from balie.reports.period import Filters, local_day, parse_filters

router = APIRouter(prefix=PREFIX, tags=["reports"])
Lead = Annotated[Caller, Depends(require("supervisor"))]
Text = Annotated[str | None, Query(max_length=40)]


def _filters(
    act_now: dt.datetime,
    since: str | None,
    until: str | None,
    inbox_id: str | None,
    agent_id: str | None,
) -> Filters:
    return parse_filters(
        since=since, until=until, inbox_id=inbox_id, agent_id=agent_id, today=local_day(act_now)
    )


@router.get("/reports")
async def all_reports(
    caller: Lead,
    since: Text = None,
    until: Text = None,
    inbox_id: Text = None,
    agent_id: Text = None,
) -> dict[str, Any]:
    async with caller.reading() as act:
        filters = _filters(act.now, since, until, inbox_id, agent_id)
        return await queries.report(act.session, filters)


@router.get("/reports/{name}.csv")
async def report_csv(
    name: str,
    caller: Lead,
    since: Text = None,
    until: Text = None,
    inbox_id: Text = None,
    agent_id: Text = None,
) -> Response:
    if name not in queries.REPORTS:
        raise NotFound(f"There is no report {name!r}; there are {', '.join(queries.REPORTS)}.")
    async with caller.reading() as act:
        filters = _filters(act.now, since, until, inbox_id, agent_id)
        figures = await queries.report(act.session, filters, (name,))
    return downloads.download(
        csv_export.to_csv(name, figures[name]).encode(),
        name=f"{name}-{filters.since.isoformat()}-{filters.until.isoformat()}.csv",
        media_type="text/csv; charset=utf-8",
        cache="no-store",
    )
