"""Which language a customer wrote in: Dutch, English or something else. Pure.

Customer messages are short ("KUT BEDRIJF!!!", "where is my parcel"), so a statistical
detector has little to go on. Frequent function words that only one of the two languages
uses decide (lexicons/<language>/stopwords.txt); when there are none, the words that
match a language's other lexicons do (a Dutch swear word is evidence of Dutch). Anything
else is "other".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from balie.analysis.catalogue import catalogue
from balie.analysis.lexicon import load
from balie.analysis.model import Language
from balie.analysis.text import Token

# Below this share of typical words in a longer text, the text is probably a third
# language that shares a few words (German "die", "was", French "on").
_MIN_SHARE = 0.12
_LONG = 6


@cache
def _stopwords(language: str) -> frozenset[str]:
    return frozenset(e.words[0] for e in load(language, "stopwords").entries)


def detect(toks: Sequence[Token]) -> Language:
    words = [t.norm for t in toks if any(c.isalpha() for c in t.norm)]
    nl_words, en_words = _stopwords("nl"), _stopwords("en")
    nl = sum(w in nl_words for w in words)
    en = sum(w in en_words for w in words)
    if nl or en:
        best: Language = "nl" if nl >= en else "en"
        if len(words) >= _LONG and max(nl, en) / len(words) < _MIN_SHARE:
            return "other"
        return best
    # No function words at all ("KUT BEDRIJF", "idiots!!"): count the other lexicons.
    nl_hits = sum(len(h) for h in catalogue("nl").find(toks).values())
    en_hits = sum(len(h) for h in catalogue("en").find(toks).values())
    if nl_hits > en_hits:
        return "nl"
    if en_hits > nl_hits:
        return "en"
    return "other"
