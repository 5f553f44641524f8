"""Incidents over HTTP: supervisors post and resolve them; agents read them and link a
conversation by hand."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.conversations import actions as conversation_actions
from balie.ids import Id, IdPath, IdQuery
from balie.incidents import actions, queries
from balie.store.tables import Incident

router = APIRouter(prefix=PREFIX, tags=["incidents"])
Agent = Annotated[Caller, Depends(require("agent"))]
Lead = Annotated[Caller, Depends(require("supervisor"))]


class IncidentCreate(In):
    inbox_id: Id
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=5_000)
    keywords: list[str] = Field(default_factory=list, max_length=20)


class LinkIn(In):
    conversation_id: Id


class ResolveIn(In):
    update: str = Field(min_length=1, max_length=5_000)


class LinkedOut(BaseModel):
    id: int
    subject: str
    status: str
    channel: str
    how: str


class IncidentOut(BaseModel):
    id: int
    inbox_id: int
    title: str
    body: str
    keywords: list[str]
    status: str
    resolution: str | None
    created_by: int | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    linked_count: int
    # Only in the answer about one incident: the linked conversations the caller may see.
    conversations: list[LinkedOut] | None = None

    @classmethod
    def of(
        cls, incident: Incident, count: int, linked: list[queries.Linked] | None = None
    ) -> IncidentOut:
        return cls(
            id=incident.id,
            inbox_id=incident.inbox_id,
            title=incident.title,
            body=incident.body,
            keywords=list(incident.keywords),
            status=incident.status,
            resolution=incident.resolution,
            created_by=incident.created_by,
            created_at=incident.created_at,
            resolved_at=incident.resolved_at,
            linked_count=count,
            conversations=None
            if linked is None
            else [
                LinkedOut(
                    id=item.conversation.id,
                    subject=item.conversation.subject,
                    status=item.conversation.status,
                    channel=item.conversation.channel,
                    how=item.how,
                )
                for item in linked
            ],
        )


@router.post("/incidents", status_code=201)
async def create_incident(body: IncidentCreate, caller: Lead) -> IncidentOut:
    async with caller.writing() as act:
        incident = await actions.create(
            act, inbox_id=body.inbox_id, title=body.title, body=body.body, keywords=body.keywords
        )
    return IncidentOut.of(incident, 0, [])


@router.get("/incidents")
async def list_incidents(
    caller: Agent,
    status: Annotated[Literal["open", "resolved"] | None, Query()] = None,
    inbox_id: IdQuery = None,
) -> list[IncidentOut]:
    async with caller.reading() as act:
        rows = await queries.incidents(act.session, status=status, inbox_id=inbox_id)
        counts = await queries.link_counts(act.session, [i.id for i in rows])
    return [IncidentOut.of(i, counts[i.id]) for i in rows]


@router.get("/incidents/{incident_id}")
async def get_incident(incident_id: IdPath, caller: Agent) -> IncidentOut:
    async with caller.reading() as act:
        incident = await actions.get(act, incident_id)
        linked = await queries.linked(act.session, act.actor, incident_id)
        counts = await queries.link_counts(act.session, [incident_id])
    return IncidentOut.of(incident, counts[incident_id], linked)


@router.post("/incidents/{incident_id}/link")
async def link_conversation(incident_id: IdPath, body: LinkIn, caller: Agent) -> dict[str, Any]:
    """An agent links a conversation they can see to an open incident."""
    async with caller.writing() as act:
        incident = await actions.get(act, incident_id)
        conversation = await conversation_actions.get_visible(act, body.conversation_id)
        created = await actions.link(act, incident, conversation, how="agent")
    return {"incident_id": incident_id, "conversation_id": body.conversation_id, "linked": created}


@router.post("/incidents/{incident_id}/unlink")
async def unlink_conversation(incident_id: IdPath, body: LinkIn, caller: Agent) -> dict[str, Any]:
    """An agent takes a conversation they can see off an open incident."""
    async with caller.writing() as act:
        incident = await actions.get(act, incident_id)
        conversation = await conversation_actions.get_visible(act, body.conversation_id)
        removed = await actions.unlink(act, incident, conversation)
    return {
        "incident_id": incident_id,
        "conversation_id": body.conversation_id,
        "unlinked": removed,
    }


@router.post("/incidents/{incident_id}/resolve")
async def resolve_incident(incident_id: IdPath, body: ResolveIn, caller: Lead) -> IncidentOut:
    """Resolve it and send the update to every linked conversation (chat: a message the
    visitor sees; other channels: the message and an e-mail to the customer)."""
    async with caller.writing() as act:
        incident, told = await actions.resolve(act, incident_id, update=body.update)
    return IncidentOut.of(incident, told)
