"""Lexicons: plain text files a non-programmer can extend, and matching them against tokens.

File format (``lexicons/<language>/<name>.txt``, UTF-8)::

    # a comment
    idiot*                     a * at the end of a word matches any ending (idiots, idiotic)
    waardeloze service         a phrase: consecutive words
    sorry ... maar             "..." allows up to three other words in between
    oplichter* => calls the company a fraud      text after => is the reason shown to agents

Every word is compared in folded form (see ``text.fold``), so accents, capitals, stretched
letters and digits-for-letters need no separate entries. A masked word in the text ("f***",
"k*t") matches a lexicon word of the same shape (first letter and length, or prefix).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from balie.analysis.text import Token, fold, is_masked

LEXICON_DIR = Path(__file__).parent / "lexicons"
GAP = "..."
MAX_GAP = 3


@dataclass(frozen=True)
class Entry:
    words: tuple[str, ...]  # folded; a trailing "*" marks a prefix, GAP marks a gap
    reason: str
    source: str  # "file.txt:line", to find where a judgement came from

    def _word_matches(self, pattern: str, token: Token) -> bool:
        if is_masked(token):
            return _masked_matches(token.norm, pattern)
        if pattern.endswith("*"):
            return token.norm.startswith(pattern[:-1])
        return token.norm == pattern

    def match_at(self, toks: Sequence[Token], i: int) -> int | None:
        """Index after the match when this entry matches starting at token i, else None."""
        j = i
        gap = False
        for pattern in self.words:
            if pattern == GAP:
                gap = True
                continue
            limit = min(len(toks), j + (MAX_GAP + 1 if gap else 1))
            found = next((k for k in range(j, limit) if self._word_matches(pattern, toks[k])), None)
            if found is None:
                return None
            j, gap = found + 1, False
        return j


def _masked_matches(masked: str, pattern: str) -> bool:
    """Whether a masked word ("f**k", "f***ing", "k*t") can stand for a lexicon word
    (``pattern``, a prefix when it ends in "*"): symbols stand for letters one for one,
    and a masked ending ("f***") may hide a longer word."""
    if not masked or masked[0] in "*#":
        return False
    prefix = pattern.endswith("*")
    word = pattern.rstrip("*")
    if len(masked) < len(word) and not masked.endswith(("*", "#")):
        return False
    if not prefix and len(masked) > len(word):
        return False
    return all(a == b or a in "*#" for a, b in zip(masked, word, strict=False))


@dataclass(frozen=True)
class Hit:
    entry: Entry
    start: int  # character offsets in the original text
    end: int
    first: int  # token indexes
    last: int


class Lexicon:
    def __init__(self, name: str, entries: Iterable[Entry]) -> None:
        self.name = name
        self.entries = tuple(entries)
        # Index by first word so matching costs one dict look-up per token.
        self._by_word: dict[str, list[Entry]] = {}
        self._prefixed: list[Entry] = []
        for entry in self.entries:
            first = entry.words[0]
            if first.endswith("*"):
                self._prefixed.append(entry)
            else:
                self._by_word.setdefault(first, []).append(entry)
        self._plain_words = tuple(self._by_word)

    def __len__(self) -> int:
        return len(self.entries)

    def _candidates(self, token: Token) -> list[Entry]:
        found = list(self._by_word.get(token.norm, ()))
        found += [e for e in self._prefixed if token.norm.startswith(e.words[0][:-1])]
        if is_masked(token):
            found += [
                e
                for w in self._plain_words
                if _masked_matches(token.norm, w)
                for e in self._by_word[w]
            ]
            found += [e for e in self._prefixed if _masked_matches(token.norm, e.words[0])]
        return found

    def find(self, toks: Sequence[Token]) -> list[Hit]:
        """Every match, longest first at each position, not overlapping."""
        return scan(toks, lambda i: self._candidates(toks[i]), lambda e, i: e.match_at(toks, i))


def scan(
    toks: Sequence[Token],
    candidates: Callable[[int], Iterable[Entry]],
    match_at: Callable[[Entry, int], int | None],
) -> list[Hit]:
    """Every match, longest first at each position, not overlapping: the one walk that
    every matcher shares, whatever way it finds candidates and compares words."""
    hits: list[Hit] = []
    i = 0
    while i < len(toks):
        best: tuple[int, Entry] | None = None
        for entry in candidates(i):
            end = match_at(entry, i)
            if end is not None and (best is None or end > best[0]):
                best = (end, entry)
        if best is None:
            i += 1
            continue
        end, entry = best
        hits.append(Hit(entry, toks[i].start, toks[end - 1].end, i, end - 1))
        i = end
    return hits


def parse(name: str, lines: Iterable[str]) -> Lexicon:
    entries: list[Entry] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0] if raw.lstrip().startswith("#") else raw
        phrase, _, reason = line.partition("=>")
        words = tuple(
            GAP if w == GAP else fold(w[:-1]) + "*" if w.endswith("*") else fold(w)
            for w in phrase.split()
        )
        if not words:
            continue
        if words[0] == GAP or words[-1] == GAP:
            raise ValueError(f"{name}:{number}: a phrase cannot start or end with '...'")
        entries.append(Entry(words, reason.strip(), f"{name}:{number}"))
    return Lexicon(name, entries)


@cache
def load(language: str, name: str) -> Lexicon:
    """``lexicons/<language>/<name>.txt``; an absent file is an empty lexicon."""
    path = LEXICON_DIR / language / f"{name}.txt"
    if not path.exists():
        return Lexicon(f"{language}/{name}", ())
    with path.open(encoding="utf-8") as f:
        return parse(f"{language}/{name}.txt", f)
