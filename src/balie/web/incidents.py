"""Incidents in the inbox: the conversation's panel (the incident it is linked to, or an
open one of its inbox to link by hand) and the supervisors' page to post and resolve."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from balie.agents.roles import at_least
from balie.conversations import actions as conversation_actions
from balie.errors import BalieError, Forbidden, InvalidInput
from balie.ids import IdPath, parse_id
from balie.incidents import actions, queries
from balie.store.tables import Inbox
from balie.web.pages import PageRoute, SignedIn, checked_form, field, redirect, render

router = APIRouter(route_class=PageRoute)
SHOWN_RESOLVED = 20


@router.get("/conversations/{conversation_id}/incidents")
async def panel(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        found = await queries.of_conversation(act.session, conversation)
    if not found["linked"] and not found["open"]:
        return Response(status_code=204)
    return render(
        request,
        "_incidents_panel.html",
        conversation=conversation,
        linked=found["linked"],
        open_incidents=found["open"],
    )


@router.post("/conversations/{conversation_id}/incidents/{incident_id}/link")
async def link(
    request: Request, conversation_id: IdPath, incident_id: IdPath, caller: SignedIn
) -> Response:
    await checked_form(request)
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        incident = await actions.get(act, incident_id)
        await actions.link(act, incident, conversation, how="agent")
    return redirect(f"/conversations/{conversation_id}")


@router.post("/conversations/{conversation_id}/incidents/{incident_id}/unlink")
async def unlink(
    request: Request, conversation_id: IdPath, incident_id: IdPath, caller: SignedIn
) -> Response:
    await checked_form(request)
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        incident = await actions.get(act, incident_id)
        await actions.unlink(act, incident, conversation)
    return redirect(f"/conversations/{conversation_id}")


def _lead(caller: Any) -> None:
    if not at_least(caller.agent.role, "supervisor"):
        raise Forbidden("Only supervisors and admins manage incidents.")


async def _page(
    request: Request,
    caller: Any,
    *,
    error: BalieError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    _lead(caller)
    async with caller.reading() as act:
        open_ones = await queries.incidents(act.session, status="open")
        resolved = (await queries.incidents(act.session, status="resolved"))[:SHOWN_RESOLVED]
        linked = {i.id: await queries.linked(act.session, act.actor, i.id) for i in open_ones}
        counts = await queries.link_counts(act.session, [i.id for i in resolved])
        inboxes = list(await act.session.scalars(select(Inbox).order_by(Inbox.name)))
    return render(
        request,
        "incidents.html",
        status=error.status if error else 200,
        error=error,
        values=values or {},
        open_incidents=open_ones,
        resolved=resolved,
        linked=linked,
        counts=counts,
        inboxes=inboxes,
        inbox_names={i.id: i.name for i in inboxes},
    )


@router.get("/incidents")
async def incidents_page(request: Request, caller: SignedIn) -> Response:
    return await _page(request, caller)


@router.post("/incidents")
async def create(request: Request, caller: SignedIn) -> Response:
    form = await checked_form(request)
    values = {n: field(form, n) for n in ("inbox_id", "title", "body", "keywords")}
    try:
        inbox_id = parse_id(values["inbox_id"])
        if inbox_id is None:
            raise InvalidInput("Choose an inbox.", field="inbox_id")
        keywords = [k for k in values["keywords"].replace("\n", ",").split(",") if k.strip()]
        async with caller.writing() as act:
            await actions.create(
                act,
                inbox_id=inbox_id,
                title=values["title"],
                body=values["body"],
                keywords=keywords,
            )
    except BalieError as error:
        return await _page(request, caller, error=error, values=values)
    return redirect("/incidents")


@router.post("/incidents/{incident_id}/resolve")
async def resolve(request: Request, incident_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    update = field(form, "update")
    try:
        async with caller.writing() as act:
            await actions.resolve(act, incident_id, update=update)
    except BalieError as error:
        return await _page(
            request, caller, error=error, values={"update": update, "incident": str(incident_id)}
        )
    return redirect("/incidents")
