"""Actions on customers. Every edit is audited with before and after (SCENARIOS F1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from balie.act import Act
from balie.addresses import normalise_email
from balie.conversations.guardrails import refuse_insults
from balie.errors import Conflict, InvalidInput, NotFound
from balie.search.index import customer_terms, index_customer
from balie.store.tables import Conversation, Customer, CustomerIdentity, Order

IDENTITY_KINDS = ("email", "visitor", "site_user", "phone")
_UNSET: Any = object()


async def emails_of(act: Act, customer_id: int) -> list[str]:
    rows = await act.session.scalars(
        select(CustomerIdentity.value)
        .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.kind == "email")
        .order_by(CustomerIdentity.id)
    )
    return list(rows)


async def _snapshot(act: Act, customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "language": customer.language,
        "notes": customer.notes,
        "emails": await emails_of(act, customer.id),
    }


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise InvalidInput("A customer name needs 1 to 200 characters.", field="name")
    return name


async def get_customer(act: Act, customer_id: int) -> Customer:
    customer = await act.session.get(Customer, customer_id)
    if customer is None or customer.merged_into_id is not None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    return customer


async def _identified(act: Act, kind: str, value: str) -> Customer | None:
    customer_id = await act.session.scalar(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == kind, CustomerIdentity.value == value
        )
    )
    return None if customer_id is None else await get_customer(act, customer_id)


async def _new_customer(act: Act, name: str, identities: list[tuple[str, str]]) -> Customer:
    emails = [value for kind, value in identities if kind == "email"]
    customer = Customer(
        name=name,
        notes="",
        search_terms=customer_terms(name, emails),
        created_at=act.now,
        updated_at=act.now,
    )
    act.session.add(customer)
    await act.session.flush()
    act.session.add_all(
        CustomerIdentity(customer_id=customer.id, kind=kind, value=value, created_at=act.now)
        for kind, value in identities
    )
    await index_customer(act.session, customer, emails, new=True)
    await act.audit(
        "customer.create",
        f"customer:{customer.id}",
        after={"name": customer.name, "emails": emails},
    )
    return customer


async def customer_for_email(act: Act, *, email: str, name: str | None) -> Customer:
    """The customer known by this address, or a new one (the first contact creates them)."""
    address = normalise_email(email)
    known = await _identified(act, "email", address)
    if known is not None:
        return known
    return await _new_customer(
        act, _clean_name(name or address.split("@")[0]), [("email", address)]
    )


async def customer_for_identity(
    act: Act, *, kind: str, value: str, name: str | None, email: str | None
) -> Customer:
    """The customer a chat visitor or a host site's user is, made on first contact.

    An e-mail address the visitor typed links them to the customer of that address, so
    agents see one timeline; it gives the visitor no access to that customer's history
    (the widget shows a visitor only the conversations they started)."""
    if kind not in IDENTITY_KINDS:
        raise InvalidInput(f"Identity kind must be one of {', '.join(IDENTITY_KINDS)}.")
    known = await _identified(act, kind, value)
    if known is not None:
        return known
    if email:
        customer = await customer_for_email(act, email=email, name=name)
        act.session.add(
            CustomerIdentity(customer_id=customer.id, kind=kind, value=value, created_at=act.now)
        )
        return customer
    return await _new_customer(act, _clean_name(name or "Visitor"), [(kind, value)])


async def update_customer(
    act: Act,
    customer: Customer,
    *,
    name: str = _UNSET,
    language: str | None = _UNSET,
    notes: str = _UNSET,
    add_emails: list[str] = (),  # type: ignore[assignment]
    remove_emails: list[str] = (),  # type: ignore[assignment]
) -> Customer:
    before = await _snapshot(act, customer)
    if name is not _UNSET:
        customer.name = _clean_name(name)
        refuse_insults(customer.name, field="name")
    if language is not _UNSET:
        if language not in (None, "nl", "en"):
            raise InvalidInput("Language must be nl, en or null.", field="language")
        customer.language = language
    if notes is not _UNSET:
        if len(notes) > 10_000:
            raise InvalidInput("Notes are limited to 10,000 characters.", field="notes")
        refuse_insults(notes, field="notes")
        customer.notes = notes
    for raw in add_emails:
        address = normalise_email(raw)
        owner = await act.session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "email", CustomerIdentity.value == address
            )
        )
        if owner is not None and owner != customer.id:
            raise Conflict(
                f"{address} belongs to customer {owner}; merge the customers instead.",
                other_customer_id=owner,
            )
        if owner is None:
            act.session.add(
                CustomerIdentity(
                    customer_id=customer.id, kind="email", value=address, created_at=act.now
                )
            )
    for raw in remove_emails:
        address = normalise_email(raw)
        identity = await act.session.scalar(
            select(CustomerIdentity).where(
                CustomerIdentity.customer_id == customer.id,
                CustomerIdentity.kind == "email",
                CustomerIdentity.value == address,
            )
        )
        if identity is None:
            raise NotFound(f"{address} is not an address of this customer.", field="remove_emails")
        await act.session.delete(identity)
    await act.session.flush()
    after = await _snapshot(act, customer)
    if after == before:
        return customer
    customer.updated_at = act.now
    await index_customer(act.session, customer, after["emails"])
    await act.audit("customer.update", f"customer:{customer.id}", before=before, after=after)
    return customer


async def merge_customers(act: Act, *, into: Customer, other: Customer) -> Customer:
    """Fold ``other`` into ``into``: identities, conversations and orders move over."""
    if into.id == other.id:
        raise InvalidInput("A customer cannot be merged into itself.", field="other_id")
    before = {"into": await _snapshot(act, into), "other": await _snapshot(act, other)}
    # What moves is recorded, so the merge can be read back (and undone by hand) from the log.
    moved = {
        "conversation_ids": list(
            await act.session.scalars(
                select(Conversation.id).where(Conversation.customer_id == other.id)
            )
        ),
        "order_ids": list(
            await act.session.scalars(select(Order.id).where(Order.customer_id == other.id))
        ),
    }
    for table in (CustomerIdentity, Conversation, Order):
        await act.session.execute(
            update(table).where(table.customer_id == other.id).values(customer_id=into.id)
        )
    if not into.notes:
        into.notes = other.notes
    elif other.notes:
        into.notes = f"{into.notes}\n\n{other.notes}"
    other.merged_into_id = into.id
    other.updated_at = into.updated_at = act.now
    await act.session.flush()
    await index_customer(act.session, other, [])
    after = await _snapshot(act, into)
    await index_customer(act.session, into, after["emails"])
    await act.audit(
        "customer.merge",
        f"customer:{into.id}",
        before=before,
        after={"into": after, "merged_customer_id": other.id, **moved},
    )
    return into
