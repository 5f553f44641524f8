"""insult: names, swearing and condescension aimed at the customer. Blocks the send.

Reads the triage lexicons (``insults``, ``insults_addressed``, ``profanity``, owned by
triage) and the coach's own ``coach_condescension`` ("calm down", "zoals ik al zei") and
``coach_condescension_opening`` ("Relax, ..." only when it opens a sentence).
Runs on internal notes and record fields too (F2): staff words about customers leak.
Insults inside quotation marks are still flagged: quoting is the easiest way to slip one
into a record ("A**hole" Brown), and an agent has no need to repeat a customer's abuse.
Only an internal note that reports the customer's words ("customer called me an idiot")
may carry them: see ``_reported``.
"""

from __future__ import annotations

from balie.analysis.lexicon import Hit
from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule, spans_overlap

# "You are not an idiot": an insult word right after a negation is reassurance.
_NEGATIONS = frozenset({"not", "no", "never", "geen", "niet", "nooit", "isn't", "aren't"})
# Words from insults_addressed.txt ("pig", "rat") count only when said to someone: "you
# pig", not "your dog chewed the cable" (so no "your", "uw", and no Dutch "je", which is
# "your" as often as "you").
_ADDRESS = frozenset({"you", "you're", "ya", "u", "jij", "jullie", "stomme", "vuile", "dirty"})
_ADDRESS_PHRASES = (("what", "a"), ("bunch", "of"), ("wat", "een"), ("stelletje",))


def _negated(draft: Draft, hit: Hit) -> bool:
    masked = any(c in "*#" for c in draft.text[hit.start : hit.end])
    return not masked and any(t.norm in _NEGATIONS for t in draft.tokens_before(hit, 2))


def _reported(draft: Draft, hit: Hit) -> bool:
    """An internal note may record what the customer said ("customer called me an idiot",
    "klant noemde ons oplichters"): evidence for a warning (A2), not staff talking about a
    customer (F2). Only in notes: a reply has no reason to repeat an insult."""
    if not draft.context.internal:
        return False
    return any(
        hit.first - 5 <= verb.last < hit.first
        for verb in draft.find("coach_reported_speech", in_quotes=True)
    )


def _addressed(draft: Draft, hit: Hit) -> bool:
    before = [t.norm for t in draft.tokens_before(hit, 2)]
    if any(w in _ADDRESS for w in before):
        return True
    return any(tuple(before[-len(p) :]) == p for p in _ADDRESS_PHRASES)


def _spans(draft: Draft, name: str) -> list[tuple[int, int]]:
    return [(h.start, h.end) for h in draft.find(name, in_quotes=True)]


def check(draft: Draft) -> list[Flag]:
    own = _spans(draft, "coach_insult_innocent")
    # Triage's innocent.txt defuses curses with an innocent sense ("heeft kanker", "sucks up
    # hair"). Its self-mockery entries ("i'm ... idiot") are not used for names: with a gap
    # they would also pass "I am dealing with an idiot" in an internal note.
    senses = _spans(draft, "innocent")
    names = [h for h in draft.find("insults", in_quotes=True) if not _negated(draft, h)]
    names += [h for h in draft.find("insults_addressed", in_quotes=True) if _addressed(draft, h)]
    curses = draft.find("profanity", in_quotes=True)
    words = [h for h in names if not spans_overlap((h.start, h.end), own)]
    words += [h for h in curses if not spans_overlap((h.start, h.end), own + senses)]
    words = [h for h in words if not _reported(draft, h)]
    flags = [draft.flag("insult", h.start, h.end, draft.without(h.start, h.end)) for h in words]
    condescending = draft.find("coach_condescension")
    condescending += [
        h
        for h in draft.find("coach_condescension_opening")
        if draft.sentence_at(h.start)[0] == h.start
    ]
    flags += [draft.flag("insult", h.start, h.end, h.entry.reason or None) for h in condescending]
    return flags


RULE = Rule("insult", check, internal=True)
