"""qualified_apology: an apology that takes itself back (D2).

Always: "sorry for any inconvenience", "sorry, but ...", "sorry you feel that way", "we
apologise if ...". For a critical case (health, safety) also any apology that shrinks the
harm ("sorry for the inconvenience" about a fire): ``coach_apology_minimising`` lists the
words that shrink it, and an apology in the same sentence as one of them is flagged.
"""

from __future__ import annotations

from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule, spans_overlap


def check(draft: Draft) -> list[Flag]:
    flags = [
        draft.flag("qualified_apology", h.start, h.end, h.entry.reason or None)
        for h in draft.find("coach_qualified_apology")
    ]
    if draft.context.severity != "critical":
        return flags
    flagged = [(f.start, f.end) for f in flags]
    minimising = [(h.start, h.end) for h in draft.find("coach_apology_minimising")]
    critical = draft.message("qualified_apology", "critical")
    for hit in draft.find("coach_apology"):
        sentence = draft.sentence_of(hit)
        if spans_overlap(sentence, flagged) or not spans_overlap(sentence, minimising):
            continue
        flagged.append(sentence)
        flags.append(draft.flag("qualified_apology", sentence[0], sentence[1], critical))
    return flags


RULE = Rule("qualified_apology", check)
