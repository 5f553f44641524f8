"""How the customer feels: sentiment (-1..1) and anger. Pure.

Sentiment adds up the weights in sentiment_positive.txt and sentiment_negative.txt (a
negation just before turns a word around: "niet goed", "not bad"), emoji (any/emoji.txt),
anger words and abuse, and squashes the sum into -1..1.

Anger adds up evidence, because no single sign is reliable in short texts:
- anger.txt: words that name the anger ("woedend", "furious", reasons starting with
  "boos:" or "angry:") count 0.6; exasperation ("belachelijk", "fed up", "for the third
  time", demands) 0.3; each further word 0.15;
- shouting: several words in capitals, or "!!" and "!!!";
- angry emoji (😡 🤬);
- abuse: an insult or threat 0.5 (enough on its own), profanity 0.3.
A message is angry from 0.5. Shouting alone ("HELP!!! WAAR IS MIJN PAKKET") is angry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from balie.analysis.abuse import Abuse
from balie.analysis.catalogue import outside
from balie.analysis.lexicon import Hit, load
from balie.analysis.model import Evidence
from balie.analysis.text import Token

ANGRY = 0.5
_NAMED_ANGER = 0.6
_EXASPERATION = 0.3
_FURTHER_WORD = 0.15
_SHOUTING = 0.35
_SHOUTING_ALL = 0.5  # a whole message in capitals is shouting on its own
_SOME_CAPITALS = 0.2
_EXCLAIM_MANY = 0.25  # "!!!"
_EXCLAIM_TWO = 0.15  # "!!"
_ANGRY_EMOJI = 0.3
_ABUSE_INSULT = 0.5
_ABUSE_PROFANITY = 0.3
_SQUASH = 3.0  # sum at which sentiment reaches 0.5

_NEGATORS = frozenset(
    [
        "niet",
        "geen",
        "nooit",
        "niks",
        "niets",
        "nergens",
        "not",
        "no",
        "never",
        "don't",
        "dont",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "won't",
        "can't",
        "cannot",
        "nothing",
        "hardly",
        "nauwelijks",
        "allerminst",
    ]
)
_EXCLAIMS = re.compile(r"!{2,}|[!?]{3,}")


@dataclass(frozen=True)
class Mood:
    sentiment: float
    anger: bool
    anger_score: float
    evidence: tuple[Evidence, ...]


@cache
def _emoji() -> tuple[tuple[str, float, bool], ...]:
    out: list[tuple[str, float, bool]] = []
    for entry in load("any", "emoji").entries:
        weight, _, kind = entry.reason.partition(" ")
        # Looked up in the lower-cased text: the lexicon folds ":D" to ":d".
        symbol = entry.words[0].replace("\ufe0f", "")
        out.append((symbol, float(weight or 0), kind.strip() == "anger"))
    return tuple(out)


def _weight(hit: Hit) -> float:
    try:
        return float(hit.entry.reason)
    except ValueError:
        return 1.0


def _negated(toks: Sequence[Token], first: int) -> bool:
    return any(toks[k].norm in _NEGATORS for k in range(max(0, first - 2), first))


def assess(
    text: str,
    toks: Sequence[Token],
    found: Mapping[str, Sequence[Hit]],
    abuse: Abuse,
) -> Mood:
    evidence: list[Evidence] = []
    innocent = found.get("innocent", ())
    total = 0.0

    def note(hit: Hit, label: str, reason: str) -> None:
        evidence.append(Evidence(hit.start, hit.end, label, reason, text[hit.start : hit.end]))

    for name, sign in (("sentiment_positive", 1.0), ("sentiment_negative", -1.0)):
        for hit in outside(found.get(name, ()), innocent):
            value = sign * _weight(hit)
            if _negated(toks, hit.first) and toks[hit.first].norm not in _NEGATORS:
                # "not bad" is mildly good; "not good" is plainly bad.
                value = -value * (0.5 if sign < 0 else 1.0)
            total += value
            label = "sentiment_positive" if value > 0 else "sentiment_negative"
            note(hit, label, "positief/positive" if value > 0 else "negatief/negative")

    anger = 0.0
    anger_hits = outside(found.get("anger", ()), innocent)
    for n, hit in enumerate(sorted(anger_hits, key=_named, reverse=True)):
        named = _named(hit)
        anger += (_NAMED_ANGER if named else _EXASPERATION) if n == 0 else _FURTHER_WORD
        total -= 2.5 if named else 1.5
        note(hit, "anger", hit.entry.reason or "anger")

    words = [t for t in toks if any(c.isalpha() for c in t.text)]
    shouted = [t for t in words if t.shouted]
    if len(shouted) >= 3 and len(shouted) / len(words) >= 0.6:
        anger += _SHOUTING_ALL
    elif len(shouted) >= 2 and len(shouted) / len(words) >= 0.4:
        anger += _SHOUTING
    elif len(shouted) >= 3:
        anger += _SOME_CAPITALS
    if len(shouted) >= 2:
        first, last = shouted[0], shouted[-1]
        evidence.append(
            Evidence(
                first.start,
                last.end,
                "shouting",
                "in hoofdletters/in capitals",
                text[first.start : last.end],
            )
        )
    runs = list(_EXCLAIMS.finditer(text))
    if runs:
        longest = max(runs, key=lambda m: len(m.group()))
        anger += _EXCLAIM_MANY if len(longest.group()) >= 3 else _EXCLAIM_TWO
        evidence.append(
            Evidence(
                longest.start(),
                longest.end(),
                "shouting",
                "uitroeptekens/exclamation marks",
                longest.group(),
            )
        )

    for symbol, weight, angry in _emoji():
        # The lexicon folds ":D" to ":d"; look for both spellings in the original text.
        at = text.find(symbol)
        if at < 0 and symbol != symbol.upper():
            symbol = symbol.upper()
            at = text.find(symbol)
        if at < 0:
            continue
        repeats = min(3, text.count(symbol))
        total += weight * repeats
        if angry:
            anger += _ANGRY_EMOJI * min(2, repeats)
        label = "anger" if angry else "sentiment_positive" if weight > 0 else "sentiment_negative"
        evidence.append(Evidence(at, at + len(symbol), label, "emoji", symbol))

    if abuse.evidence:
        strongest = max(
            (_ABUSE_PROFANITY if e.label == "profanity" else _ABUSE_INSULT) for e in abuse.evidence
        )
        anger += strongest
        total -= 2.0 * len(abuse.evidence)

    sentiment = total / (abs(total) + _SQUASH)
    anger = min(1.0, anger)
    return Mood(round(sentiment, 3), anger >= ANGRY, round(anger, 3), tuple(evidence))


def _named(hit: Hit) -> bool:
    return hit.entry.reason.startswith(("boos:", "boos", "angry"))
