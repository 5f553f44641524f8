"""The conversation's SLA panel: when the next answer is due, how late it is, breaches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_timedelta
from fastapi import APIRouter, Request
from fastapi.responses import Response

from balie.conversations import actions as conversation_actions
from balie.ids import IdPath
from balie.policy import sla as policy
from balie.sla import queries
from balie.web.pages import PageRoute, SignedIn, language_of, render

router = APIRouter(route_class=PageRoute)


@dataclass(frozen=True)
class Clock:
    """One running clock as the panel shows it."""

    target: str
    due_at: dt.datetime
    overdue: bool
    # "in 2 hours" or, when overdue, how long ("25 minutes"), in the agent's language.
    span: str


def clocks_of(due: policy.Due, now: dt.datetime, language: str) -> list[Clock]:
    clocks = []
    for target in policy.TARGETS:
        at = due.of(target)
        if at is None:
            continue
        late = policy.overdue_by(at, now)
        span = (
            format_timedelta(late, threshold=1.1, locale=language)
            if late is not None
            else format_timedelta(at - now, add_direction=True, threshold=1.1, locale=language)
        )
        clocks.append(Clock(target, at, late is not None, span))
    return clocks


@router.get("/conversations/{conversation_id}/sla")
async def panel(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        in_force = await queries.policy_in_force(
            act.session, conversation.inbox_id, conversation.severity
        )
        breaches = await queries.breaches_of(act.session, conversation.id)
        now = act.now
    due = policy.Due(
        conversation.first_response_due_at,
        conversation.next_response_due_at,
        conversation.resolution_due_at,
    )
    return render(
        request,
        "_sla_panel.html",
        conversation=conversation,
        clocks=clocks_of(due, now, language_of(request)),
        in_force=in_force,
        breaches=breaches,
    )
