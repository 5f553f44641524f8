"""Macro placeholders: which exist, filling them in, and business hours in words. Pure.

A macro's body names customer and order data as ``{customer_name}``. Two promises keep an
agent from ever sending "Dear {customer_name}": a body naming a placeholder Balie does not
know is refused when it is saved, and rendering refuses when a placeholder it needs has no
data for this conversation, listing every missing one at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time

from balie.hours import END_OF_DAY, BusinessHours

PLACEHOLDERS = (
    "customer_name",
    "customer_first_name",
    "order_reference",
    "product_name",
    "agent_name",
    "agent_first_name",
    "business_hours",
    "conversation_id",
)

# Anything that looks like a placeholder, including misspelt ones ("{Customer Name}"), so
# a typo is refused rather than sent. Braces around other text ("{:-)}") stay as they are.
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_ ]{0,40}?)\s*\}")

# Neutral values to fill a body with before the coach reads it: the coach judges the
# words the agent wrote, not a customer's name.
SAMPLE: dict[str, str] = {
    "customer_name": "Sam Jansen",
    "customer_first_name": "Sam",
    "order_reference": "A-1001",
    "product_name": "Product",
    "agent_name": "Alex de Boer",
    "agent_first_name": "Alex",
    "business_hours": "09:00-17:00",
    "conversation_id": "1001",
}


class MissingData(ValueError):
    """Placeholders without data for this conversation."""

    def __init__(self, missing: list[str]) -> None:
        names = ", ".join("{" + name + "}" for name in missing)
        super().__init__(f"No data for {names} in this conversation.")
        self.missing = missing


def placeholders_in(body: str) -> list[str]:
    """The placeholder names in ``body``, in order of first use."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(body):
        seen.setdefault(match.group(1), None)
    return list(seen)


def unknown_placeholders(body: str) -> list[str]:
    return [name for name in placeholders_in(body) if name not in PLACEHOLDERS]


def render(body: str, data: Mapping[str, str | None]) -> str:
    """``body`` with every placeholder filled from ``data``; raises `MissingData` naming
    each placeholder whose value is absent or blank."""
    missing = [name for name in placeholders_in(body) if not (data.get(name) or "").strip()]
    if missing:
        raise MissingData(missing)

    def fill(match: re.Match[str]) -> str:
        return (data.get(match.group(1)) or "").strip()

    return _PLACEHOLDER.sub(fill, body)


def first_name(name: str | None) -> str | None:
    words = (name or "").split()
    return words[0] if words else None


_DAYS = {
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WORDS = {
    "nl": {
        "always": "dag en nacht",
        "closed": "gesloten",
        "holidays": "gesloten op feestdagen",
        "and": " en ",
    },
    "en": {
        "always": "day and night",
        "closed": "closed",
        "holidays": "closed on public holidays",
        "and": " and ",
    },
}


def _clock(t: time) -> str:
    return "24:00" if t == END_OF_DAY else f"{t.hour:02d}:{t.minute:02d}"


def describe_hours(hours: BusinessHours | None, language: str) -> str:
    """Weekly hours in a few words: "ma-vr 09:00-17:00, za 10:00-16:00". Runs of days with
    the same hours share one range; closed days are left out."""
    words = _WORDS["nl" if language == "nl" else "en"]
    days = _DAYS["nl" if language == "nl" else "en"]
    whole_day = ((time(0), END_OF_DAY),)
    if hours is None or (
        all(day == whole_day for day in hours.weekly)
        and not hours.holidays
        and hours.holiday_preset is None
    ):
        return words["always"]
    parts: list[str] = []
    start = 0
    while start < len(hours.weekly):
        end = start
        while end + 1 < len(hours.weekly) and hours.weekly[end + 1] == hours.weekly[start]:
            end += 1
        intervals = hours.weekly[start]
        if intervals:
            span = days[start] if start == end else f"{days[start]}-{days[end]}"
            times = words["and"].join(f"{_clock(a)}-{_clock(b)}" for a, b in intervals)
            parts.append(f"{span} {times}")
        start = end + 1
    if not parts:
        return words["closed"]
    text = ", ".join(parts)
    if hours.holidays or hours.holiday_preset is not None:
        text += f" ({words['holidays']})"
    return text
