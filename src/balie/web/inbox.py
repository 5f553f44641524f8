"""The inbox: conversations newest activity first, filtered, with counts per status."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from balie.conversations import queries
from balie.conversations.rules import CHANNELS, SEVERITIES, STATUSES
from balie.errors import InvalidInput
from balie.ids import parse_id
from balie.web import coach, directory, live
from balie.web.pages import PageRoute, SignedIn, render

router = APIRouter(route_class=PageRoute)
PAGE_SIZE = 25


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(allowed)}.", field=name)
    return value


def _filters(
    status: str, owner: str, team: str, severity: str, tag: str, channel: str
) -> queries.Filters:
    team_id = parse_id(team) if team else None
    if team and team_id is None:
        raise InvalidInput("team must be a team id.", field="team")
    return queries.Filters(
        status=_one_of(status, STATUSES, "status"),
        owner=owner or None,
        team_id=team_id,
        severity=_one_of(severity, SEVERITIES, "severity"),
        tag=tag.strip() or None,
        channel=_one_of(channel, CHANNELS, "channel"),
    )


Text = Annotated[str, Query(max_length=200)]


@router.get("/")
async def inbox(
    request: Request,
    caller: SignedIn,
    status: Text = "",
    owner: Text = "",
    team: Text = "",
    severity: Text = "",
    tag: Text = "",
    channel: Text = "",
    cursor: Text = "",
) -> Response:
    filters = _filters(status, owner, team, severity, tag, channel)
    async with caller.reading() as act:
        live_cursor = await live.cursor(act.session)  # before the data, see live.cursor
        rows, next_cursor = await queries.list_page(
            act.session, act.actor, filters, cursor=cursor or None, limit=PAGE_SIZE
        )
        ids = [c.id for c in rows]
        context: dict[str, Any] = {
            "conversations": rows,
            "next_cursor": next_cursor,
            "tags": await queries.tags_by_conversation(act.session, ids),
            "counts": await queries.status_counts(act.session, act.actor, filters),
            "handovers": await directory.pending_handovers(act.session, ids),
            "offers": await directory.offered_to(act.session, act.actor),
            "customers": await directory.customer_names(act.session, {c.customer_id for c in rows}),
            "names": await directory.agent_names(act.session),
            "colleagues": await directory.colleagues(act.session),
            "teams": await directory.teams(act.session),
            # Rows show the nearest SLA due time, or that it has passed, as of this read.
            "now": act.now,
            # Texts the coach blocked that an agent asks to send anyway: a supervisor's call.
            "override_requests": (
                await coach.pending_requests(act.session)
                if act.actor.role in ("supervisor", "admin")
                else []
            ),
        }
    chosen = {
        "status": status,
        "owner": owner,
        "team": team,
        "severity": severity,
        "tag": tag,
        "channel": channel,
    }
    older_url = None
    if next_cursor:
        kept = {name: value for name, value in chosen.items() if value}
        older_url = "/?" + urlencode({**kept, "cursor": next_cursor})
    # htmx filter changes replace the filters and the list, not the whole page.
    # Going back in history asks for the whole page again.
    fragment = request.headers.get("hx-request") and not request.headers.get(
        "hx-history-restore-request"
    )
    template = "_inbox.html" if fragment else "inbox.html"
    response = render(
        request,
        template,
        filters=chosen,
        older_url=older_url,
        statuses=STATUSES,
        severities=SEVERITIES,
        channels=CHANNELS,
        live_cursor=live_cursor,
        **context,
    )
    # The same URL answers with a page or a fragment, so caches must tell them apart.
    response.headers["Vary"] = "HX-Request"
    return response
