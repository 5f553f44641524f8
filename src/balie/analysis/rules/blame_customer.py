"""blame_customer: telling the customer it is their fault (B4), even when it is: the
customer needs the problem solved, not a verdict."""

from __future__ import annotations

from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule


def check(draft: Draft) -> list[Flag]:
    return [
        draft.flag("blame_customer", h.start, h.end, h.entry.reason or None)
        for h in draft.find("coach_blame")
    ]


RULE = Rule("blame_customer", check)
