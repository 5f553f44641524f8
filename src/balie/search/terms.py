"""Turning text into search terms, and queries into term groups. Pure.

Both languages are stemmed with Snowball: each word is indexed under its Dutch and its
English stem, and each query word matches either, so "bestellingen" finds "bestelling"
and "refunded" finds "refunds" without knowing the language of either text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_DUTCH = snowballstemmer.stemmer("dutch")
_ENGLISH = snowballstemmer.stemmer("english")
MAX_QUERY_WORDS = 8


def _fold(text: str) -> str:
    # Decompose first: compatibility forms ("ℌ", "ﬁ") only fold once they are plain letters.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


@lru_cache(maxsize=65536)
def stems(word: str) -> frozenset[str]:
    return frozenset((_DUTCH.stemWord(word), _ENGLISH.stemWord(word)))


def index_terms(text: str) -> str:
    """The space-separated stems to index for a text."""
    seen: dict[str, None] = {}
    for word in words(text):
        for stem in sorted(stems(word)):
            seen.setdefault(stem, None)
    return " ".join(seen)


def query_groups(query: str) -> list[frozenset[str]]:
    """One group of alternative stems per query word; a match needs every group."""
    groups: dict[frozenset[str], None] = {}
    for word in words(query)[:MAX_QUERY_WORDS]:
        groups.setdefault(stems(word), None)
    return list(groups)


def fts5_match(groups: list[frozenset[str]]) -> str:
    """An FTS5 MATCH expression; terms are quoted so no query text is read as syntax."""
    return " AND ".join(
        "(" + " OR ".join(f'"{t}"' for t in sorted(group)) + ")" for group in groups
    )


def highlight(text: str, groups: list[frozenset[str]], *, width: int = 160) -> str:
    """HTML-escaped snippet around the first hit, hits wrapped in <mark>."""
    wanted = set().union(*groups) if groups else set()
    hits = [m for m in _WORD.finditer(text) if stems(_fold(m.group())) & wanted]
    start = 0
    if hits and hits[0].start() > width // 3:
        start = text.rfind(" ", 0, hits[0].start() - width // 3) + 1
    end = min(len(text), start + width)
    parts: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for m in hits:
        if m.start() < start or m.end() > end:
            continue
        parts.append(html.escape(text[cursor : m.start()]))
        parts.append(f"<mark>{html.escape(m.group())}</mark>")
        cursor = m.end()
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
