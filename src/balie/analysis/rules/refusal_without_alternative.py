"""refusal_without_alternative: "that is not possible" with nothing the customer can do
instead (B2). One alternative anywhere in the draft ("wel kan ik", "what I can do") clears
every refusal in it: the customer reads the whole reply."""

from __future__ import annotations

from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule


def check(draft: Draft) -> list[Flag]:
    refusals = draft.find("coach_refusal")
    if not refusals or draft.has("coach_alternative"):
        return []
    alternative = draft.message("refusal_without_alternative", "alternative")
    flags = []
    for hit in refusals:
        start, end = draft.sentence_of(hit)
        suggestion = f"{draft.text[start:end]} {alternative}"
        flags.append(draft.flag("refusal_without_alternative", hit.start, hit.end, suggestion))
    return flags


RULE = Rule("refusal_without_alternative", check)
