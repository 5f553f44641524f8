"""The inbox's live side (static/live.js): the cursor a page starts the live socket from,
and the header's presence control.

live.js sets presence with ``PUT /api/v1/presence``; the form it enhances posts here, so
the control also works in a browser that runs no script.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from balie.chat import actions
from balie.errors import InvalidInput
from balie.live import feed
from balie.live.hub import INBOX
from balie.web.pages import PageRoute, SignedIn, checked_form, field, local_path, redirect

router = APIRouter(route_class=PageRoute)


async def cursor(session: AsyncSession) -> int:
    """Where a page's live socket resumes: read before the page's data, so a change that
    lands in between is delivered (again) rather than missed."""
    return await feed.cursor(session)


def _capacity(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidInput("capacity must be a whole number.", field="capacity") from exc


@router.post("/presence")
async def set_presence(request: Request, caller: SignedIn) -> Response:
    form = await checked_form(request)
    status, capacity = field(form, "status"), _capacity(field(form, "capacity"))
    async with caller.writing() as act:
        await actions.set_presence(act, caller.agent, status=status, capacity=capacity)
    # As PUT /api/v1/presence does: colleagues' live sockets hear of it.
    await request.app.state.hub.publish(
        INBOX, {"type": "presence", "agent_id": caller.agent.id, "status": status}
    )
    return redirect(local_path(field(form, "next")))
