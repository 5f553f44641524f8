"""Reading customers: the profile an agent sees next to a conversation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.addresses import normalise_email
from balie.conversations.access import visible_to
from balie.errors import NotFound
from balie.orders.queries import OrderLine, orders_of
from balie.store.tables import Conversation, Customer, CustomerIdentity


@dataclass(frozen=True)
class CustomerProfile:
    customer: Customer
    emails: list[str]
    identities: list[CustomerIdentity]
    orders: list[OrderLine]
    # Every conversation of the customer the actor may see, on any channel, newest first.
    conversations: list[Conversation]

    @property
    def failing_emails(self) -> dict[str, str]:
        """Addresses whose mail bounced, with the receiving server's reason."""
        return {
            i.value: i.failure or ""
            for i in self.identities
            if i.kind == "email" and i.failing_since is not None
        }


async def customer_profile(
    session: AsyncSession, actor: Actor, customer_id: int
) -> CustomerProfile:
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.merged_into_id is not None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    identities = list(
        await session.scalars(
            select(CustomerIdentity)
            .where(CustomerIdentity.customer_id == customer_id)
            .order_by(CustomerIdentity.id)
        )
    )
    conversations = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id, visible_to(actor))
            .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        )
    )
    return CustomerProfile(
        customer=customer,
        emails=[i.value for i in identities if i.kind == "email"],
        identities=identities,
        orders=await orders_of(session, customer_id),
        conversations=conversations,
    )


async def customer_by_email(session: AsyncSession, email: str) -> Customer | None:
    """The customer known by this address; merges move addresses, so it is never merged."""
    return await session.scalar(
        select(Customer)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
        .where(
            CustomerIdentity.kind == "email",
            CustomerIdentity.value == normalise_email(email),
            Customer.merged_into_id.is_(None),
        )
    )
