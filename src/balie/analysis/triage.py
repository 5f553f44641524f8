"""Triage of an inbound message: language, sentiment, anger, abuse, severity, intent and
whether the customer asks for a person, each with the spans it rests on. Pure.

    >>> from balie.analysis.triage import triage
    >>> triage("Jullie zijn echt idioten, mijn oplader heeft vlam gevat!").severity
    'critical'

Everything comes from plain lexicon files under lexicons/<language>/ (see lexicon.py),
loaded once per process; a call does no I/O.
"""

from __future__ import annotations

from balie.analysis import abuse, intent, sentiment, severity
from balie.analysis.catalogue import catalogue
from balie.analysis.language import detect
from balie.analysis.model import Language, Triage
from balie.analysis.text import tokens


def triage(text: str, language: Language | None = None) -> Triage:
    toks = tokens(text)
    lang: Language = language or detect(toks)
    # "other": check both lists; a missed threat or fire matters more than a stray match.
    codes = abuse.languages_to_check(lang)
    found = {code: catalogue(code).find(toks) for code in codes}
    main = found["en" if lang == "en" else "nl"]
    sentence_of = abuse.sentence_index(text, toks)

    abuse_found = abuse.assess(text, toks, list(found.values()), sentence_of)
    severity_codes = codes if lang == "other" else (codes[0],)
    curses = [e for e in abuse_found.evidence if e.label == "profanity"]
    assessed = severity.assess(text, [found[c] for c in severity_codes], curses)
    mood = sentiment.assess(text, toks, main, abuse_found)
    purpose = intent.assess(
        text,
        toks,
        main,
        sentence_of,
        sentiment=mood.sentiment,
        angry=mood.anger,
        abusive=abuse_found.abusive,
        severity=assessed.severity,
        severity_evidence=assessed.evidence,
    )
    evidence = sorted(
        abuse_found.evidence + assessed.evidence + mood.evidence + purpose.evidence,
        key=lambda e: (e.start, e.end),
    )
    return Triage(
        language=lang,
        sentiment=mood.sentiment,
        anger=mood.anger,
        anger_score=mood.anger_score,
        abusive=abuse_found.abusive,
        abusive_score=abuse_found.score,
        severity=assessed.severity,
        intent=purpose.intent,
        wants_human=purpose.wants_human,
        evidence=tuple(evidence),
    )
