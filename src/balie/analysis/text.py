"""Tokens with their place in the original text, normalised for matching. Pure.

Customer texts are short, informal and misspelt: "KUT bedrijf!!!", "f***ing", "#@$%",
"sooooo slow", "1d10t". Normalising here (case, accents, stretched letters, digits used as
letters, masked swearing) keeps the lexicons simple: they list plain words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A word, a masked word ("f***", "sh!t", "k*t") or a run of grawlix symbols ("#@$%").
_TOKEN = re.compile(r"[^\W_](?:[\w'’*!@#$%-]*[^\W_*]|[*#]+)?|[#@$%&*][#@$%&*!]{2,}", re.UNICODE)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_STRETCH = re.compile(r"([^\W\d_])\1{2,}")
GRAWLIX = "<grawlix>"


@dataclass(frozen=True)
class Token:
    text: str  # as written
    norm: str  # folded for lexicon matching
    start: int
    end: int
    shouted: bool  # written in capitals, three letters or more


@lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """Lower case, no accents, stretched letters shortened, digits-as-letters read."""
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if any(c.isalpha() for c in plain) and any(c in "0134579@$!" for c in plain):
        plain = plain.translate(_LEET)
    return _STRETCH.sub(r"\1\1", plain).strip("'-")


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        raw = m.group()
        letters = [c for c in raw if c.isalpha()]
        if not letters:
            # Symbols only: "0-9", "5-3" and phone numbers are numbers, not swearing.
            norm = GRAWLIX if len(raw) >= 3 and not any(c.isdigit() for c in raw) else raw
        else:
            norm = fold(raw)
        shouted = len(letters) >= 3 and all(c.isupper() for c in letters)
        out.append(Token(raw, norm, m.start(), m.end(), shouted))
    return out


def is_masked(token: Token) -> bool:
    """A word with symbols standing in for letters: "f***", "sh*t", "k*t"."""
    return token.norm != GRAWLIX and any(c in "*#" for c in token.text)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; good enough for short customer-service texts."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"[.!?]+[\s\"')\]]*|\n+", text):
        if text[start : m.start()].strip():
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans
