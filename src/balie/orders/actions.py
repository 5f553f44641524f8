"""Actions on products and orders, and the all-or-nothing CSV import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select

from balie.act import Act
from balie.customers.actions import customer_for_email, get_customer
from balie.errors import Conflict, InvalidInput, NotFound
from balie.orders import rules
from balie.orders.csv_import import OrderRow, RowProblem, parse_orders
from balie.store.tables import Customer, CustomerIdentity, Order, Product

T = TypeVar("T")
# Keeps IN (...) lists under every backend's bound-parameter limit.
_CHUNK = 500


def _valid(check: Callable[..., T], value: Any, field: str, **kw: Any) -> T:
    try:
        return check(value, **kw)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def _snapshot(order: Order, product: Product) -> dict[str, Any]:
    return {
        "reference": order.reference,
        "customer_id": order.customer_id,
        "product_sku": product.sku,
        "purchase_date": order.purchase_date,
        "warranty_months": order.warranty_months,
    }


async def product_by_sku(act: Act, sku: str) -> Product | None:
    return await act.session.scalar(select(Product).where(Product.sku == sku))


async def create_product(act: Act, *, sku: str, name: str, warranty_months: int) -> Product:
    sku = _valid(rules.clean_sku, sku, "sku")
    name = _valid(rules.clean_product_name, name, "name")
    warranty_months = _valid(rules.check_warranty_months, warranty_months, "warranty_months")
    if await product_by_sku(act, sku) is not None:
        raise Conflict(f"A product with SKU {sku} already exists.", field="sku")
    product = Product(sku=sku, name=name, warranty_months=warranty_months, created_at=act.now)
    act.session.add(product)
    await act.session.flush()
    await act.audit(
        "product.create",
        f"product:{product.id}",
        after={"sku": sku, "name": name, "warranty_months": warranty_months},
    )
    return product


async def create_order(
    act: Act,
    *,
    reference: str,
    product_sku: str,
    purchase_date: dt.date,
    customer_id: int | None = None,
    customer_email: str | None = None,
    customer_name: str | None = None,
    warranty_months: int | None = None,
) -> Order:
    """An order of a known customer (by id), or of the customer with this address (created
    when new). Without ``warranty_months`` the order gets the product's warranty."""
    reference = _valid(rules.clean_reference, reference, "reference")
    product_sku = _valid(rules.clean_sku, product_sku, "product_sku")
    _valid(rules.check_purchase_date, purchase_date, "purchase_date", today=act.now.date())
    if warranty_months is not None:
        _valid(rules.check_warranty_months, warranty_months, "warranty_months")
    if (customer_id is None) == (customer_email is None):
        raise InvalidInput("Give either customer_id or customer_email.", field="customer_id")
    if await act.session.scalar(select(Order.id).where(Order.reference == reference)):
        raise Conflict(f"An order with reference {reference} already exists.", field="reference")
    product = await product_by_sku(act, product_sku)
    if product is None:
        raise NotFound(f"No product with SKU {product_sku}.", field="product_sku")
    if customer_id is not None:
        customer = await get_customer(act, customer_id)
    else:
        assert customer_email is not None
        customer = await customer_for_email(act, email=customer_email, name=customer_name)
    return await _insert(act, reference, customer, product, purchase_date, warranty_months)


async def _insert(
    act: Act,
    reference: str,
    customer: Customer,
    product: Product,
    purchase_date: dt.date,
    warranty_months: int | None,
) -> Order:
    order = Order(
        reference=reference,
        customer_id=customer.id,
        product_id=product.id,
        purchase_date=purchase_date,
        warranty_months=product.warranty_months if warranty_months is None else warranty_months,
        created_at=act.now,
    )
    act.session.add(order)
    await act.session.flush()
    await act.audit("order.create", f"order:{order.id}", after=_snapshot(order, product))
    return order


@dataclass(frozen=True)
class ImportResult:
    orders: int
    customers_created: int
    products_created: int


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


async def _existing(act: Act, column: Any, values: Iterable[str], *where: Any) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(values))):
        found.update(await act.session.scalars(select(column).where(column.in_(chunk), *where)))
    return found


async def _database_problems(
    act: Act, rows: list[OrderRow], products: dict[str, Product]
) -> list[RowProblem]:
    taken = await _existing(act, Order.reference, (r.reference for r in rows))
    problems: list[RowProblem] = []
    new_skus: set[str] = set()
    for row in rows:
        if row.reference in taken:
            reason = f"An order with reference {row.reference} already exists."
            problems.append(RowProblem(row.row, "reference", reason))
        if row.product_sku in products or row.product_sku in new_skus:
            continue
        # The first row naming an unknown SKU creates the product; it must say enough.
        if row.product_name is None:
            reason = f"No product with SKU {row.product_sku}; give product_name to create it."
            problems.append(RowProblem(row.row, "product_name", reason))
        elif row.warranty_months is None:
            reason = f"Product {row.product_sku} is new; give its warranty_months."
            problems.append(RowProblem(row.row, "warranty_months", reason))
        else:
            new_skus.add(row.product_sku)
    return problems


async def import_orders(act: Act, *, content: str) -> ImportResult:
    """Import an order export. Every row is checked first; one bad row imports nothing,
    and the error lists each bad row with its number and reason."""
    parsed = parse_orders(content, today=act.now.date())
    problems = list(parsed.problems)
    rows = parsed.rows
    products = {
        p.sku: p
        for chunk in _chunks(sorted({r.product_sku for r in rows}))
        for p in await act.session.scalars(select(Product).where(Product.sku.in_(chunk)))
    }
    problems += await _database_problems(act, rows, products)
    if problems:
        problems.sort(key=lambda p: p.row)
        rows_wrong = sorted({p.row for p in problems})
        raise InvalidInput(
            f"{len(rows_wrong)} row(s) of the file are wrong (rows "
            f"{', '.join(map(str, rows_wrong[:20]))}{', …' if len(rows_wrong) > 20 else ''}); "
            "nothing was imported.",
            problems=[p.as_dict() for p in problems],
        )
    known_emails = await _existing(
        act,
        CustomerIdentity.value,
        (r.customer_email for r in rows),
        CustomerIdentity.kind == "email",
    )
    created_products = 0
    for row in rows:
        product = products.get(row.product_sku)
        if product is None:
            assert row.product_name is not None and row.warranty_months is not None
            product = await create_product(
                act, sku=row.product_sku, name=row.product_name, warranty_months=row.warranty_months
            )
            products[product.sku] = product
            created_products += 1
        customer = await customer_for_email(act, email=row.customer_email, name=row.customer_name)
        await _insert(act, row.reference, customer, product, row.purchase_date, row.warranty_months)
    new_customers = len({r.customer_email for r in rows} - known_emails)
    result = ImportResult(len(rows), new_customers, created_products)
    await act.audit("order.import", "orders", after=result.__dict__)
    return result
