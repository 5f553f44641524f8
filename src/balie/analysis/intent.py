"""What the message is for: complaint, question, praise, not a customer, spam; and whether
the customer asks for a person. Pure.

Decided in this order, because each later kind is only safe when the earlier ones are
ruled out:
1. spam (intent_spam.txt, links): two spam signs and no customer context, or three signs;
2. non_customer (intent_non_customer.txt: protest, politics, job applications, sales
   pitches) when nothing in the message is about an order, account or delivery
   (intent_customer.txt). Scenario G1: these never get a bot's canned answer;
3. complaint: intent_complaint.txt (unless the message thanks warmly for a fix), clearly
   negative sentiment, anger, abuse, critical
   severity, or a high severity that is not only about a vulnerable customer;
4. question: a question mark, or a question word opening a sentence;
5. praise: thanks or compliments (intent_praise.txt) with a positive sentiment;
6. otherwise question: a message to customer service is a request until shown otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from balie.analysis.catalogue import outside
from balie.analysis.lexicon import Hit
from balie.analysis.model import Evidence, Intent, Severity
from balie.analysis.text import Token

_LINK = re.compile(r"https?://\S+|\bwww\.\S+|\bbit\.ly/\S+", re.IGNORECASE)
_NEGATIVE = -0.3
_PRAISE_SENTIMENT = 0.1
_GRATEFUL = 0.3


@dataclass(frozen=True)
class Purpose:
    intent: Intent
    wants_human: bool
    evidence: tuple[Evidence, ...]


def _evidence(text: str, hits: Sequence[Hit], label: str) -> list[Evidence]:
    return [
        Evidence(h.start, h.end, label, h.entry.reason or label, text[h.start : h.end])
        for h in hits
    ]


def _questions(
    text: str, toks: Sequence[Token], hits: Sequence[Hit], sentence_of: Sequence[int]
) -> list[Hit]:
    """Question words count when they open a sentence or the sentence ends in "?"."""
    opening: dict[int, int] = {}
    for k, s in enumerate(sentence_of):
        opening.setdefault(s, k)
    asked = {
        sentence_of[k]
        for k, t in enumerate(toks)
        if "?" in text[t.end : (toks[k + 1].start if k + 1 < len(toks) else len(text))]
    }
    return [
        h
        for h in hits
        if opening.get(sentence_of[h.first]) == h.first or sentence_of[h.first] in asked
    ]


def assess(
    text: str,
    toks: Sequence[Token],
    found: Mapping[str, Sequence[Hit]],
    sentence_of: Sequence[int],
    *,
    sentiment: float,
    angry: bool,
    abusive: bool,
    severity: Severity,
    severity_evidence: Sequence[Evidence],
) -> Purpose:
    innocent = found.get("innocent", ())
    wants = outside(found.get("wants_human", ()), innocent)
    human = _evidence(text, wants, "wants_human")

    def done(intent: Intent, evidence: list[Evidence]) -> Purpose:
        return Purpose(intent, bool(wants), tuple(evidence + human))

    customer = found.get("intent_customer", ())
    spam = list(found.get("intent_spam", ()))
    links = list(_LINK.finditer(text))
    spam_signs = len(spam) + len(links)
    if (spam_signs >= 2 and not customer) or spam_signs >= 3:
        link_evidence = [
            Evidence(m.start(), m.end(), "intent_spam", "link", m.group()) for m in links
        ]
        return done("spam", _evidence(text, spam, "intent_spam") + link_evidence)

    outsider = found.get("intent_non_customer", ())
    if outsider and not customer:
        return done("non_customer", _evidence(text, outsider, "intent_non_customer"))

    complaint = outside(found.get("intent_complaint", ()), innocent)
    serious = severity == "critical" or any(
        not e.reason.startswith(("kwetsbaar", "vulnerable")) for e in severity_evidence
    )
    # A thankful message may mention the problem it thanks for ("probleem is opgelost").
    praise = found.get("intent_praise", ())
    grateful = bool(praise) and sentiment >= _GRATEFUL
    if (complaint and not grateful) or sentiment <= _NEGATIVE or angry or abusive or serious:
        return done("complaint", _evidence(text, complaint, "intent_complaint"))

    questions = _questions(text, toks, found.get("intent_question", ()), sentence_of)
    if questions or "?" in text:
        return done("question", _evidence(text, questions, "intent_question"))

    if praise and sentiment >= _PRAISE_SENTIMENT:
        return done("praise", _evidence(text, praise, "intent_praise"))
    return done("question", [])
