"""All of one language's triage lexicons in one index, matched in a single pass. Pure.

Triage looks up about fifteen lexicons per message. Asking each ``Lexicon`` in turn would
test every prefix entry ("idioot*", "kanker*") against every token, fifteen times over;
at thousands of messages a second that is most of the time spent. Here the entries of all
lexicons share one index: whole words by word, prefixes by their first three letters, so a
token costs a few dictionary look-ups whatever the size of the lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from balie.analysis.lexicon import GAP, Entry, Hit, load
from balie.analysis.text import Token, is_masked

_BUCKET = 3  # prefix letters used to index "word*" entries


@dataclass(frozen=True)
class _Indexed:
    lexicon: str
    entry: Entry
    # Whole words after the first: a phrase can only match when all of them occur in the
    # message, which rules out most phrases without walking the tokens.
    rest: frozenset[str]


class Catalogue:
    def __init__(self, lexicons: Iterable[tuple[str, Sequence[Entry]]]) -> None:
        self._words: dict[str, list[_Indexed]] = {}
        self._prefixes: dict[str, list[_Indexed]] = {}
        self._short_prefixes: list[_Indexed] = []  # "k*"-like entries, rare
        self._by_initial: dict[str, list[_Indexed]] = {}
        for name, entries in lexicons:
            for entry in entries:
                rest = frozenset(w for w in entry.words[1:] if w != GAP and not w.endswith("*"))
                item = _Indexed(name, entry, rest)
                self._by_initial.setdefault(entry.words[0][:1], []).append(item)
                first = entry.words[0]
                if first.endswith("*"):
                    stem = first[:-1]
                    if len(stem) >= _BUCKET:
                        self._prefixes.setdefault(stem[:_BUCKET], []).append(item)
                    else:
                        self._short_prefixes.append(item)
                else:
                    self._words.setdefault(first, []).append(item)

    def _candidates(self, token: Token) -> list[_Indexed]:
        if is_masked(token):
            # A masked word ("f***", "k*t") keeps its first letter ("***" alone is no
            # word): try the entries that start with it.
            return self._by_initial.get(token.norm[:1], [])
        norm = token.norm
        found = list(self._words.get(norm, ()))
        for item in self._prefixes.get(norm[:_BUCKET], ()):
            if norm.startswith(item.entry.words[0][:-1]):
                found.append(item)
        for item in self._short_prefixes:
            if norm.startswith(item.entry.words[0][:-1]):
                found.append(item)
        return found

    def find(self, toks: Sequence[Token]) -> dict[str, list[Hit]]:
        """Per lexicon: every match, longest first at each position, not overlapping."""
        best: dict[str, dict[int, tuple[int, Entry]]] = {}
        present = {t.norm for t in toks}
        masked = any(is_masked(t) for t in toks)
        for i, token in enumerate(toks):
            for item in self._candidates(token):
                if not masked and not item.rest <= present:
                    continue
                end = item.entry.match_at(toks, i)
                if end is None:
                    continue
                at = best.setdefault(item.lexicon, {})
                if i not in at or end > at[i][0]:
                    at[i] = (end, item.entry)
        out: dict[str, list[Hit]] = {}
        for name, at in best.items():
            hits: list[Hit] = []
            after = 0
            for i in sorted(at):
                if i < after:
                    continue
                end, entry = at[i]
                hits.append(Hit(entry, toks[i].start, toks[end - 1].end, i, end - 1))
                after = end
            out[name] = hits
        return out


# The lexicons triage reads for each language. Files live in lexicons/<language>/.
NAMES = (
    "insults",
    "insults_addressed",
    "profanity",
    "threats",
    "innocent",
    "anger",
    "sentiment_positive",
    "sentiment_negative",
    "severity_critical",
    "severity_high",
    "severity_innocent",
    "wants_human",
    "intent_complaint",
    "intent_question",
    "intent_praise",
    "intent_non_customer",
    "intent_spam",
    "intent_customer",
    "stopwords",
)


@cache
def catalogue(language: str, names: tuple[str, ...] = NAMES) -> Catalogue:
    """One index per language, built once per process (no file reads per message)."""
    return Catalogue((name, load(language, name).entries) for name in names)


def outside(hits: Iterable[Hit], cover: Iterable[Hit]) -> list[Hit]:
    """The hits that no covering hit (an innocent sense) overlaps."""
    spans = [(c.first, c.last) for c in cover]
    return [h for h in hits if not any(a <= h.last and h.first <= b for a, b in spans)]
