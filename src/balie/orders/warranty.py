"""Warranty arithmetic. Pure."""

from __future__ import annotations

import calendar
import datetime as dt

MAX_WARRANTY_MONTHS = 240


def warranty_end(purchase_date: dt.date, months: int) -> dt.date:
    """The last day covered: the same day ``months`` later, or that month's last day
    when it is shorter (bought 31 January with one month: covered to 28/29 February)."""
    index = purchase_date.month - 1 + months
    year, month = purchase_date.year + index // 12, index % 12 + 1
    day = min(purchase_date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)
