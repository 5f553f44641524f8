"""Reading products and orders for lists and the customer profile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.errors import InvalidInput
from balie.orders.warranty import warranty_end
from balie.store.tables import Order, Product

MAX_PAGE = 100


@dataclass(frozen=True)
class OrderLine:
    """An order as people talk about it: which product, when, and how long it is covered."""

    id: int
    reference: str
    customer_id: int
    product_id: int
    product_sku: str
    product_name: str
    purchase_date: dt.date
    warranty_months: int
    warranty_ends: dt.date
    created_at: dt.datetime


def _line(order: Order, product: Product) -> OrderLine:
    return OrderLine(
        id=order.id,
        reference=order.reference,
        customer_id=order.customer_id,
        product_id=product.id,
        product_sku=product.sku,
        product_name=product.name,
        purchase_date=order.purchase_date,
        warranty_months=order.warranty_months,
        warranty_ends=warranty_end(order.purchase_date, order.warranty_months),
        created_at=order.created_at,
    )


async def orders_of(session: AsyncSession, customer_id: int) -> list[OrderLine]:
    """A customer's orders, most recent purchase first."""
    rows = await session.execute(
        select(Order, Product)
        .join(Product, Product.id == Order.product_id)
        .where(Order.customer_id == customer_id)
        .order_by(Order.purchase_date.desc(), Order.id.desc())
    )
    return [_line(order, product) for order, product in rows]


async def order_line(session: AsyncSession, order_id: int) -> OrderLine:
    row = (
        await session.execute(
            select(Order, Product)
            .join(Product, Product.id == Order.product_id)
            .where(Order.id == order_id)
        )
    ).one()
    order, product = row
    return _line(order, product)


async def order_page(
    session: AsyncSession, *, customer_id: int | None, cursor: int | None, limit: int
) -> tuple[list[OrderLine], int | None]:
    """Newest orders first; the cursor is the id of the last order of the previous page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
    query = select(Order, Product).join(Product, Product.id == Order.product_id)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if cursor is not None:
        query = query.where(Order.id < cursor)
    rows = list(await session.execute(query.order_by(Order.id.desc()).limit(limit + 1)))
    lines = [_line(order, product) for order, product in rows[:limit]]
    return lines, lines[-1].id if len(rows) > limit else None


async def product_page(session: AsyncSession, *, offset: int, limit: int) -> list[Product]:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE} and offset >= 0.", field="limit")
    rows = await session.scalars(select(Product).order_by(Product.sku).offset(offset).limit(limit))
    return list(rows)
