"""Customers: the profile with their history, edits, merges and look-up by address."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.api import PREFIX
from balie.api.orders import OrderOut
from balie.api.schemas import ConversationOut, In
from balie.auth import Caller, require
from balie.conversations.queries import tags_by_conversation
from balie.customers import actions
from balie.customers.queries import CustomerProfile, customer_by_email, customer_profile
from balie.errors import InvalidInput, NotFound
from balie.ids import Id, IdPath
from balie.store.tables import Customer

router = APIRouter(prefix=PREFIX, tags=["customers"])
Agent = Annotated[Caller, Depends(require("agent"))]
Supervisor = Annotated[Caller, Depends(require("supervisor"))]


class CustomerUpdate(In):
    name: str | None = Field(None, max_length=200)
    language: Literal["nl", "en"] | None = None
    notes: str | None = Field(None, max_length=10_000)
    add_emails: list[str] = Field(default_factory=list, max_length=20)
    remove_emails: list[str] = Field(default_factory=list, max_length=20)


class CustomerMerge(In):
    other_id: Id


class IdentityOut(BaseModel):
    kind: str
    value: str
    created_at: dt.datetime
    # Set when mail to this address bounced (e-mail identities only).
    failing_since: dt.datetime | None = None
    failure: str | None = None


class CustomerOut(BaseModel):
    id: int
    name: str
    language: str | None
    notes: str
    emails: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, c: Customer, emails: list[str]) -> CustomerOut:
        data = {k: getattr(c, k) for k in cls.model_fields if k != "emails"}
        return cls(**data, emails=emails)


class CustomerProfileOut(CustomerOut):
    identities: list[IdentityOut]
    orders: list[OrderOut]
    conversations: list[ConversationOut]


class CustomerList(BaseModel):
    items: list[CustomerOut]


async def _profile_out(
    session: AsyncSession, actor: Actor, customer_id: IdPath
) -> CustomerProfileOut:
    profile: CustomerProfile = await customer_profile(session, actor, customer_id)
    tags = await tags_by_conversation(session, [c.id for c in profile.conversations])
    base = CustomerOut.of(profile.customer, profile.emails)
    return CustomerProfileOut(
        **base.model_dump(),
        identities=[
            IdentityOut.model_validate(i, from_attributes=True) for i in profile.identities
        ],
        orders=[OrderOut.of(o) for o in profile.orders],
        conversations=[ConversationOut.of(c, tags[c.id]) for c in profile.conversations],
    )


@router.get("/customers")
async def find_customers(
    caller: Agent, email: Annotated[str, Query(min_length=3, max_length=320)]
) -> CustomerList:
    async with caller.reading() as act:
        customer = await customer_by_email(act.session, email)
        if customer is None:
            return CustomerList(items=[])
        emails = await actions.emails_of(act, customer.id)
    return CustomerList(items=[CustomerOut.of(customer, emails)])


@router.get("/customers/{customer_id}")
async def get_customer(customer_id: IdPath, caller: Agent) -> CustomerProfileOut:
    async with caller.reading() as act:
        return await _profile_out(act.session, act.actor, customer_id)


@router.patch("/customers/{customer_id}")
async def update_customer(
    customer_id: IdPath, body: CustomerUpdate, caller: Agent
) -> CustomerProfileOut:
    given = body.model_fields_set
    if not given:
        raise InvalidInput("Nothing to change: send name, language, notes or e-mail changes.")
    for field in ("name", "notes"):
        if field in given and getattr(body, field) is None:
            raise InvalidInput(f"{field} cannot be null.", field=field)
    changes: dict[str, Any] = {
        f: getattr(body, f) for f in ("name", "language", "notes") if f in given
    }
    async with caller.writing() as act:
        customer = await actions.get_customer(act, customer_id)
        await actions.update_customer(
            act,
            customer,
            **changes,
            add_emails=body.add_emails,
            remove_emails=body.remove_emails,
        )
        return await _profile_out(act.session, act.actor, customer_id)


@router.post("/customers/{customer_id}/merge")
async def merge_customers(
    customer_id: IdPath, body: CustomerMerge, caller: Supervisor
) -> CustomerProfileOut:
    """Fold customer ``other_id`` into this one: addresses, conversations and orders move."""
    async with caller.writing() as act:
        into = await actions.get_customer(act, customer_id)
        try:
            other = await actions.get_customer(act, body.other_id)
        except NotFound as exc:
            raise NotFound(exc.detail, field="other_id") from None
        await actions.merge_customers(act, into=into, other=other)
        return await _profile_out(act.session, act.actor, customer_id)
