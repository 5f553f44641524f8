"""gag_clause: silence as the price of a refund or goodwill (E3): a non-disclosure
agreement, "do not post about this", "niet op social media".

A gag phrase is flagged when the draft also makes a deal: a condition or something given
(``coach_gag_condition``: "if you", "op voorwaarde dat", "refund", "vergoeding"). Telling a
customer we will not post their details ourselves is no gag and is not in the lexicon.
"""

from __future__ import annotations

from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule


def check(draft: Draft) -> list[Flag]:
    gags = draft.find("coach_gag")
    if not gags or not draft.has("coach_gag_condition"):
        return []
    return [draft.flag("gag_clause", h.start, h.end, h.entry.reason or None) for h in gags]


RULE = Rule("gag_clause", check)
