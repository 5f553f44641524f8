"""Each report as CSV, for a spreadsheet. Pure: the figures of ``queries`` in, text out.

Customers' words end up in some cells (survey answers): a cell that a spreadsheet would
read as a formula gets a leading apostrophe, so opening the file runs nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from balie.reports.queries import BREACH_TARGETS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


def _durations(figures: dict[str, Any]) -> str:
    rows = [(d["day"], d["count"], d["median_seconds"], d["p90_seconds"]) for d in figures["days"]]
    rows.append(("all", figures["count"], figures["median_seconds"], figures["p90_seconds"]))
    return _write(("day", "count", "median_seconds", "p90_seconds"), rows)


def to_csv(name: str, figures: dict[str, Any]) -> str:
    """One report's CSV; ``figures`` is what ``queries.report`` gave for ``name``."""
    if name in ("first_response", "next_response", "resolution"):
        return _durations(figures)
    if name == "breaches":
        targets = list(figures["by_target"]) or list(BREACH_TARGETS)
        return _write(
            ("day", *targets), ((d["day"], *(d[t] for t in targets)) for d in figures["days"])
        )
    if name == "satisfaction":
        keys: tuple[str, ...] = ("conversation_id", "score", "answered_at", "prevention")
        return _write(keys, ([a[k] for k in keys] for a in figures["answers"]))
    if name == "goodwill":
        keys = (
            "agent_id",
            "agent",
            "role",
            "kind",
            "month",
            "currency",
            "spent_cents",
            "approved_cents",
            "approved_for_others_cents",
            "mandate_used_cents",
            "limit_cents",
            "over_limit",
        )
        return _write(keys, ([line[k] for k in keys] for line in figures["lines"]))
    if name == "repeats":
        return _write(
            ("product_id", "product", "repeats"),
            ((p["product_id"], p["product"], p["repeats"]) for p in figures["top_products"]),
        )
    if name == "abuse":
        keys = ("day", "abusive_conversations", "warnings", "blocks")
        return _write(keys, ([d[k] for k in keys] for d in figures["days"]))
    if name == "handovers":
        keys = (
            "handover_id",
            "conversation_id",
            "from_agent_id",
            "from_agent",
            "to_agent_id",
            "to_agent",
            "status",
            "requested_at",
            "without_action",
        )
        return _write(keys, ([h[k] for k in keys] for h in figures["handovers"]))
    if name == "coach":
        rows = [("flag", kind, n) for kind, n in figures["flags"].items()]
        rows += [("override", status, n) for status, n in figures["overrides"].items()]
        return _write(("what", "kind", "count"), rows)
    raise KeyError(name)
