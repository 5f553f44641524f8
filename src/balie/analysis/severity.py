"""How serious a message is: critical (health, safety, life), high, or normal. Pure.

- critical: severity_critical.txt (injury, fire, smoke, burns, shock, gas, carbon
  monoxide, allergy, wrong medicine, a child in danger, suicide or self-harm);
- high: severity_high.txt (legal threat, privacy breach, fraud or large loss, vulnerable
  customer, press/public/regulator), plus two rules the lists cannot express: an amount of
  money of 1,000 or more, and a customer aged 75 or more.

A missed critical case is the worst error a triage can make, so the critical lists are
broad and only sure innocent senses are dropped (severity_innocent.txt: "de brandweer
kwam", "my phone died"). A word that is used as a curse is no illness: "kanker op" is
profanity, "ik heb kanker" makes the customer vulnerable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from balie.analysis.catalogue import outside
from balie.analysis.lexicon import Hit
from balie.analysis.model import Evidence, Severity

LARGE_AMOUNT = 1000  # euro, dollar or pound; "large financial loss" starts here
ELDERLY_AGE = 75

_NUMBER = r"(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,]\d{1,2})?"
_AMOUNT = re.compile(
    rf"(?:[€$£]\s?|\b(?:eur|euro|usd|gbp)\s?){_NUMBER}(?:\s?(?:k|duizend|thousand)\b)?"
    rf"|\b{_NUMBER}(?:\s?(?:k|duizend|thousand))?\s?(?:[€$£]|euros?\b|eur\b|dollars?\b"
    r"|pounds?\b|usd\b|gbp\b)",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\b(\d{2,3})\s?(?:jaar\s+oud|jaar\b|-?jarige?\b|years?\s+old\b|year-old\b|yo\b)",
    re.IGNORECASE,
)
_RELATIVE_AGED = re.compile(
    r"\b(?:moeder|vader|oma|opa|schoonmoeder|schoonvader|mother|father|mum|mom|dad|"
    r"grandma|grandpa|grandmother|grandfather|gran|nan)\s+(?:van|of|is|aged)?\s*(\d{2,3})\b",
    re.IGNORECASE,
)


_I_AM_AGED = re.compile(
    r"\b(?:ik ben|i am|i'm|im)\s+(\d{2,3})\b"
    r"(?!\s?(?:%|euro|eur|dollars?|pounds?|minuten|minutes|dagen|days|keer|times))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Assessment:
    severity: Severity
    evidence: tuple[Evidence, ...]


def _amount(match: re.Match[str]) -> float:
    digits = next(g for g in match.groups() if g)
    value = float(re.sub(r"[.,\s]", "", digits))
    tail = match.group(0).lower()
    if re.search(r"\d\s?(?:k|duizend|thousand)\b", tail):
        value *= 1000
    return value


def _rules(text: str) -> list[Evidence]:
    out: list[Evidence] = []
    for m in _AMOUNT.finditer(text):
        if _amount(m) >= LARGE_AMOUNT:
            out.append(
                Evidence(m.start(), m.end(), "severity_high", "financial: large amount", m.group(0))
            )
    for m in [*_AGE.finditer(text), *_RELATIVE_AGED.finditer(text), *_I_AM_AGED.finditer(text)]:
        if ELDERLY_AGE <= int(m.group(1)) <= 120:
            out.append(
                Evidence(m.start(), m.end(), "severity_high", "vulnerable: elderly", m.group(0))
            )
    return out


def assess(
    text: str,
    found_by_language: Sequence[Mapping[str, Sequence[Hit]]],
    curses: Sequence[Evidence] = (),
) -> Assessment:
    """``curses``: profanity already found; a severity word inside one is a curse."""

    def is_curse(hit: Hit) -> bool:
        return any(c.start < hit.end and hit.start < c.end for c in curses)

    critical: list[Evidence] = []
    high: list[Evidence] = []
    for found in found_by_language:
        innocent = found.get("severity_innocent", ())
        for label, bucket in (("severity_critical", critical), ("severity_high", high)):
            for hit in outside(found.get(label, ()), innocent):
                if not is_curse(hit):
                    reason = hit.entry.reason or label
                    bucket.append(
                        Evidence(hit.start, hit.end, label, reason, text[hit.start : hit.end])
                    )
    high += _rules(text)
    severity: Severity = "critical" if critical else "high" if high else "normal"
    evidence = sorted(
        {(e.start, e.end, e.label): e for e in critical + high}.values(), key=lambda e: e.start
    )
    return Assessment(severity, tuple(evidence))
