"""sarcasm: mock praise or mock sympathy ("Oh, that is really great", "Wat fijn voor u")."""

from __future__ import annotations

from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule


def check(draft: Draft) -> list[Flag]:
    return [
        draft.flag("sarcasm", h.start, h.end, h.entry.reason or None)
        for h in draft.find("coach_sarcasm")
    ]


RULE = Rule("sarcasm", check)
