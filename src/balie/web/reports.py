"""The reports page: a filter form, and per report a chart, its numbers in a table and
a CSV download (the API's). Supervisors and admins only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select

from balie.agents.roles import at_least
from balie.errors import BalieError, Forbidden
from balie.reports import charts, queries
from balie.reports.period import Filters, local_day, parse_filters
from balie.store.tables import Agent, Inbox
from balie.web.pages import PageRoute, SignedIn, language_of, render

router = APIRouter(route_class=PageRoute)
Text = Annotated[str | None, Query(max_length=40)]


class Numbers:
    """Numbers as the agent's language writes them ("1,5" in Dutch)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def num(self, value: float | None) -> str:
        if value is None:
            return "–"
        return format_decimal(value, "#,##0.#", locale=self.language)

    def minutes(self, seconds: float | None) -> str:
        return self.num(None if seconds is None else seconds / 60)

    def percent(self, share: float | None) -> str:
        return "–" if share is None else format_percent(share, "#,##0%", locale=self.language)

    def money(self, cents: int | None, currency: str) -> str:
        if cents is None:
            return "–"
        return format_currency(cents / 100, currency, locale=self.language)

    def day(self, iso: str) -> str:
        return format_date(dt.date.fromisoformat(iso), "d MMM", locale=self.language)

    def month(self, iso: str) -> str:
        return format_date(dt.date.fromisoformat(iso + "-01"), "MMM y", locale=self.language)


class Charts:
    """What the template calls to draw a chart; titles come from the template, so they
    are translated with the rest of the page."""

    def __init__(self, numbers: Numbers) -> None:
        self.n = numbers

    def days(
        self, ident: str, title: str, desc: str, rows: Sequence[Mapping[str, Any]], key: str
    ) -> Markup:
        """A column per day; durations (``*_seconds``) in minutes."""
        is_time = key.endswith("_seconds")
        points = [
            charts.Point(
                self.n.day(r["day"]),
                None if r[key] is None else (r[key] / 60 if is_time else float(r[key])),
            )
            for r in rows
        ]
        return Markup(
            charts.column_chart(ident, title=title, desc=desc, points=points, show=self.n.num)
        )

    def bars(
        self,
        ident: str,
        title: str,
        desc: str,
        rows: Sequence[Mapping[str, Any]],
        label: str,
        value: str,
        *,
        currency: str | None = None,
        fallback: str = "",
    ) -> Markup:
        """A bar per row: ``label`` and ``value`` name the row's keys; amounts in cents
        are written as money when the currency is given."""
        show: Callable[[float], str] = self.n.num
        if currency is not None:
            code = currency
            show = lambda cents: self.n.money(int(cents), code)  # noqa: E731
        points = [charts.Point(str(r[label] or fallback), float(r[value])) for r in rows]
        return Markup(charts.bar_chart(ident, title=title, desc=desc, points=points, show=show))

    def scores(self, ident: str, title: str, desc: str, distribution: Mapping[str, int]) -> Markup:
        points = [charts.Point(score, float(count)) for score, count in distribution.items()]
        return Markup(
            charts.column_chart(
                ident, title=title, desc=desc, points=points, show=self.n.num, width=320
            )
        )


def _query(filters: Filters) -> str:
    given = {
        "since": filters.since.isoformat(),
        "until": filters.until.isoformat(),
        "inbox_id": filters.inbox_id,
        "agent_id": filters.agent_id,
    }
    return urlencode({k: v for k, v in given.items() if v is not None})


@router.get("/reports")
async def reports_page(
    request: Request,
    caller: SignedIn,
    since: Text = None,
    until: Text = None,
    inbox_id: Text = None,
    agent_id: Text = None,
) -> Response:
    if not at_least(caller.agent.role, "supervisor"):
        raise Forbidden("Reports are for supervisors and admins.")
    language = language_of(request)
    numbers = Numbers(language)
    figures: dict[str, Any] | None = None
    error: BalieError | None = None
    filters: Filters | None = None
    async with caller.reading() as act:
        inboxes = (
            await act.session.execute(select(Inbox.id, Inbox.name).order_by(Inbox.name))
        ).all()
        agents = (
            await act.session.execute(
                select(Agent.id, Agent.name).where(Agent.active.is_(True)).order_by(Agent.name)
            )
        ).all()
        try:
            filters = parse_filters(
                since=since,
                until=until,
                inbox_id=inbox_id,
                agent_id=agent_id,
                today=local_day(act.now),
            )
            figures = await queries.report(act.session, filters)
        except BalieError as refused:
            error = refused
    return render(
        request,
        "reports.html",
        status=error.status if error else 200,
        error=error,
        figures=figures,
        filters=filters,
        form={
            "since": since or (filters.since.isoformat() if filters else ""),
            "until": until or (filters.until.isoformat() if filters else ""),
            "inbox_id": inbox_id or "",
            "agent_id": agent_id or "",
        },
        inboxes=inboxes,
        agents=agents,
        csv_query=_query(filters) if filters else "",
        n=numbers,
        chart=Charts(numbers),
    )
