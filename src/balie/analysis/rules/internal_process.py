"""internal_process: policy, department and jargon talk instead of a solution (C3, seed 002:
"bij de afdeling IT neerleggen")."""

from __future__ import annotations

from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule


def check(draft: Draft) -> list[Flag]:
    return [
        draft.flag("internal_process", h.start, h.end, h.entry.reason or None)
        for h in draft.find("coach_internal")
    ]


RULE = Rule("internal_process", check)
