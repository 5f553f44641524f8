"""What makes a product or an order acceptable. Pure: each check returns the cleaned
value or raises ValueError with a sentence for the person who typed it."""

from __future__ import annotations

import datetime as dt
import re

from balie.orders.warranty import MAX_WARRANTY_MONTHS

# Order systems predating this are not what anyone imports; it catches typos like 0224.
EARLIEST_PURCHASE = dt.date(1990, 1, 1)
# ISO dates only: 03-04-2026 means March in one country and April in the next.
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def clean_sku(sku: str) -> str:
    sku = sku.strip()
    if not sku or len(sku) > 100 or any(c.isspace() for c in sku):
        raise ValueError("A product SKU needs 1 to 100 characters without spaces.")
    return sku


def clean_product_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise ValueError("A product name needs 1 to 200 characters.")
    return name


def clean_reference(reference: str) -> str:
    reference = reference.strip()
    if not reference or len(reference) > 100:
        raise ValueError("An order reference needs 1 to 100 characters.")
    return reference


def check_warranty_months(months: int) -> int:
    if not 0 <= months <= MAX_WARRANTY_MONTHS:
        raise ValueError(f"Warranty must be 0 to {MAX_WARRANTY_MONTHS} months.")
    return months


def parse_warranty_months(raw: str) -> int:
    if not raw.strip().isdigit():
        raise ValueError(f"Warranty months must be a whole number, not {raw!r}.")
    return check_warranty_months(int(raw.strip()))


def check_purchase_date(day: dt.date, *, today: dt.date) -> dt.date:
    # One day of slack: it is already tomorrow in the Netherlands for part of a UTC day.
    if day > today + dt.timedelta(days=1):
        raise ValueError(f"The purchase date {day.isoformat()} is in the future.")
    if day < EARLIEST_PURCHASE:
        raise ValueError(f"The purchase date {day.isoformat()} is before 1990.")
    return day


def parse_purchase_date(raw: str, *, today: dt.date) -> dt.date:
    try:
        if not _ISO_DATE.match(raw.strip()):
            raise ValueError
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"The purchase date must look like 2026-03-31, not {raw!r}.") from None
    return check_purchase_date(day, today=today)
