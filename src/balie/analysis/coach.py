"""The reply coach: checks a draft before it is sent and says what to change. Pure.

``coach(draft, context)`` runs every rule in ``balie.analysis.rules`` (one flag kind each)
and finds the promises the draft makes. Insults block the send; every other flag warns.
For internal notes and customer-record fields (``context.internal``) only insults are
checked: apology and refusal rules are about talking to customers (F2).

Judgement calls, written down so they can be argued with:
- Words in double quotes are read as the customer's own words quoted back and do not
  trigger sarcasm, blame, refusal and the like; insults are flagged even in quotes, except
  in an internal note that reports them ("customer called me an idiot"), which is the
  record a warning rests on (A2).
- One alternative anywhere in the reply clears every refusal in it.
- Any apology, even a qualified one, is an apology for ``no_apology``; the qualified one gets
  its own flag.
"""

from __future__ import annotations

from balie.analysis.language import detect
from balie.analysis.model import Coaching, Flag, ReplyContext, Verdict
from balie.analysis.promises import find_promises
from balie.analysis.rules import ALL, Draft
from balie.analysis.rules.draft import DraftLanguage
from balie.analysis.text import tokens


def _flags(draft: str, language: DraftLanguage, context: ReplyContext) -> list[Flag]:
    prepared = Draft(draft, language, context)
    flags: list[Flag] = []
    for rule in ALL:
        if context.internal and not rule.internal:
            continue
        flags.extend(rule.check(prepared))
    flags.sort(key=lambda f: (f.start, f.end, f.kind))
    return flags


def _verdict(flags: list[Flag]) -> Verdict:
    if any(f.kind == "insult" for f in flags):
        return "block"
    return "warn" if flags else "ok"


def coach(draft: str, context: ReplyContext | None = None) -> Coaching:
    """Flags, a verdict and the promises in ``draft``; see the module docstring.

    The language is ``context.language`` when it is nl or en, else triage's detector's. When
    the detector cannot tell (a short "Nou, succes daarmee.", a name field), both languages'
    rules run and the reading that finds more wins: a missed flag costs more than the few
    microseconds a short text takes.
    """
    context = context or ReplyContext()
    language: DraftLanguage = "en"
    undecided = False
    if context.language == "nl" or context.language == "en":
        language = context.language
    else:
        detected = detect(tokens(draft))
        if detected == "nl" or detected == "en":
            language = detected
        else:
            undecided = True
    flags = _flags(draft, language, context)
    if undecided:
        dutch = _flags(draft, "nl", context)
        if len(dutch) > len(flags):
            flags, language = dutch, "nl"
    promises = find_promises(draft, language, context.now)
    return Coaching(_verdict(flags), tuple(flags), tuple(promises))
