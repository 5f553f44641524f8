"""Reading an order export (CSV) into checked rows. Pure: no database, no clock.

Row numbers are those a spreadsheet shows: the header is row 1, the first order row 2.
Every row is checked and every problem reported, so one upload shows all that is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from balie.addresses import normalise_email
from balie.errors import InvalidInput
from balie.orders import rules

COLUMNS = (
    "reference",
    "customer_email",
    "customer_name",
    "product_sku",
    "product_name",
    "purchase_date",
    "warranty_months",
)
REQUIRED = ("reference", "customer_email", "product_sku", "purchase_date")
MAX_ROWS = 10_000
T = TypeVar("T")


@dataclass(frozen=True)
class OrderRow:
    row: int
    reference: str
    customer_email: str
    customer_name: str | None
    product_sku: str
    product_name: str | None
    purchase_date: dt.date
    warranty_months: int | None  # None: the product's warranty


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class ParsedFile:
    rows: list[OrderRow]
    problems: list[RowProblem]


def _dialect(first_line: str) -> str:
    # Dutch spreadsheet software writes semicolons, since the comma is the decimal sign.
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse_orders(content: str, *, today: dt.date) -> ParsedFile:
    content = content.removeprefix("\ufeff")
    delimiter = _dialect(content.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    problems: list[RowProblem] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        return ParsedFile([], [RowProblem(1, None, f"Not readable as CSV: {exc}.")])
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    doubled = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or doubled:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        if doubled:
            parts.append(f"repeated {', '.join(doubled)}")
        reason = f"The header must name the columns {', '.join(COLUMNS)}: {'; '.join(parts)}."
        return ParsedFile([], [RowProblem(1, None, reason)])

    rows: list[OrderRow] = []
    first_row_of: dict[str, int] = {}
    number = 1
    try:
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue  # blank lines, often at the end of an export
            if number - 1 > MAX_ROWS:
                problems.append(RowProblem(number, None, f"At most {MAX_ROWS} orders per file."))
                break
            if len(record) != len(header):
                reason = f"Expected {len(header)} cells, found {len(record)}."
                problems.append(RowProblem(number, None, reason))
                continue
            row = _check_row(number, dict(zip(header, record, strict=True)), today, problems)
            if row is None:
                continue
            if row.reference in first_row_of:
                reason = f"Reference {row.reference} is already used in row "
                problems.append(
                    RowProblem(number, "reference", reason + f"{first_row_of[row.reference]}.")
                )
                continue
            first_row_of[row.reference] = number
            rows.append(row)
    except csv.Error as exc:
        problems.append(RowProblem(number + 1, None, f"Not readable as CSV: {exc}."))
    if not rows and not problems:
        problems.append(RowProblem(2, None, "The file has no orders."))
    return ParsedFile(rows, problems)


def _cell(
    cells: dict[str, str],
    column: str,
    parse: Callable[[str], T],
    number: int,
    problems: list[RowProblem],
) -> T | None:
    try:
        return parse(cells.get(column, ""))
    except ValueError as exc:
        problems.append(RowProblem(number, column, str(exc)))
    except InvalidInput as exc:
        problems.append(RowProblem(number, column, exc.detail))
    return None


def _check_row(
    number: int, cells: dict[str, str], today: dt.date, problems: list[RowProblem]
) -> OrderRow | None:
    found = len(problems)
    reference = _cell(cells, "reference", rules.clean_reference, number, problems)
    email = _cell(cells, "customer_email", normalise_email, number, problems)
    sku = _cell(cells, "product_sku", rules.clean_sku, number, problems)
    day = _cell(
        cells,
        "purchase_date",
        lambda raw: rules.parse_purchase_date(raw, today=today),
        number,
        problems,
    )
    name = " ".join(cells.get("customer_name", "").split()) or None
    if name is not None and len(name) > 200:
        problems.append(RowProblem(number, "customer_name", "A name is limited to 200 characters."))
    product_name = None
    if cells.get("product_name", "").strip():
        product_name = _cell(cells, "product_name", rules.clean_product_name, number, problems)
    months = None
    if cells.get("warranty_months", "").strip():
        months = _cell(cells, "warranty_months", rules.parse_warranty_months, number, problems)
    if len(problems) > found or reference is None or email is None or sku is None or day is None:
        return None
    return OrderRow(number, reference, email, name, sku, product_name, day, months)
