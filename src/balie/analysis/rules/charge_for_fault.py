"""charge_for_fault: the customer pays for the company's own mistake (E3).

When ``context.company_at_fault``, any charge (``coach_charge``: "voor uw rekening", "we
will charge a fee") is flagged. Whatever the fault, taking back the price of something
given "free" is flagged (seed 002: the free antivirus deducted from a laptop refund): a
charge in the same sentence as a word from ``coach_charge_free``.
A negated charge ("we will not charge you") is a promise, not a charge, and a sentence that
says we pay (``coach_charge_covered``: "the call-out fee is on us") charges nothing.
"""

from __future__ import annotations

from balie.analysis.lexicon import Hit
from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule, spans_overlap

_NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "won't",
        "don't",
        "doesn't",
        "niet",
        "geen",
        "nooit",
        "niets",
        "niks",
        "zonder",
        "hoeft",
        "hoeven",
    }
)


def _negated(draft: Draft, hit: Hit) -> bool:
    # Dutch puts the negation inside or after the phrase: "wij brengen u geen kosten in
    # rekening", "u betaalt niets".
    near = draft.tokens[max(0, hit.first - 3) : hit.last + 3]
    return any(t.norm in _NEGATIONS for t in near)


def check(draft: Draft) -> list[Flag]:
    charges = draft.find("coach_charge")
    if not charges:
        return []
    covered = [(h.start, h.end) for h in draft.find("coach_charge_covered")]
    charges = [
        h
        for h in charges
        if not _negated(draft, h) and not spans_overlap(draft.sentence_of(h), covered)
    ]
    free = [(h.start, h.end) for h in draft.find("coach_charge_free")]
    return [
        draft.flag("charge_for_fault", h.start, h.end, h.entry.reason or None)
        for h in charges
        if draft.context.company_at_fault or spans_overlap(draft.sentence_of(h), free)
    ]


RULE = Rule("charge_for_fault", check)
