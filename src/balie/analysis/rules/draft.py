"""A reply draft prepared once for every coach rule: tokens, sentences, quotes, lexicon hits.

Rules only read a ``Draft``; matching a lexicon twice in one coach call costs nothing because
hits are remembered here. Lexicons are cached by ``lexicon.load``, so no file is read per call.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from balie.analysis.lexicon import GAP, LEXICON_DIR, MAX_GAP, Entry, Hit, Lexicon, load, scan
from balie.analysis.model import Flag, FlagKind, ReplyContext
from balie.analysis.text import Token, is_masked, sentences, tokens

DraftLanguage = Literal["nl", "en"]

# Double quotes of every style people type. Single quotes are left out: they double as
# apostrophes ("don't", "'s middags") and would swallow half a Dutch text.
_EMPTY_QUOTES = re.compile(r"\"\s*\"|“\s*”|„\s*[”“]|«\s*»")
_QUOTED = re.compile(r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|„[^”“\n]{1,400}[”“]|«[^»\n]{1,400}»")


@cache
def messages(language: DraftLanguage) -> dict[str, dict[str, str]]:
    """``lexicons/<language>/coach_messages.toml``: per flag kind an explanation and a
    fallback suggestion, so the words agents read can be changed without touching code."""
    with (LEXICON_DIR / language / "coach_messages.toml").open("rb") as f:
        data = tomllib.load(f)
    return {kind: {k: str(v) for k, v in entry.items()} for kind, entry in data.items()}


class _FastLexicon:
    """``Lexicon.find`` with the candidate entries for each word remembered.

    The coach runs about twenty lexicons on every keystroke pause; working out again for
    every token which entries could start there (a scan of all prefix entries) was most of
    its time. Masked words ("f***") take the lexicon's own path, which knows their rules.
    """

    _MEMO_LIMIT = 50_000

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._plain: dict[str, list[Entry]] = {}
        self._prefixed: list[Entry] = []
        for entry in lexicon.entries:
            first = entry.words[0]
            if first.endswith("*"):
                self._prefixed.append(entry)
            else:
                self._plain.setdefault(first, []).append(entry)
        self._memo: dict[str, tuple[Entry, ...]] = {}

    def _candidates(self, norm: str) -> tuple[Entry, ...]:
        found = self._memo.get(norm)
        if found is None:
            if len(self._memo) > self._MEMO_LIMIT:
                self._memo.clear()
            prefixed = [e for e in self._prefixed if norm.startswith(e.words[0][:-1])]
            found = self._memo[norm] = (*self._plain.get(norm, ()), *prefixed)
        return found

    @staticmethod
    def _match_at(words: tuple[str, ...], norms: list[str], i: int) -> int | None:
        """``Entry.match_at`` for a text without masked words: plain string tests only."""
        j = i
        gap = False
        for pattern in words:
            if pattern == GAP:
                gap = True
                continue
            limit = min(len(norms), j + (MAX_GAP + 1 if gap else 1))
            prefix = pattern[:-1] if pattern.endswith("*") else None
            for k in range(j, limit):
                if norms[k] == pattern if prefix is None else norms[k].startswith(prefix):
                    j, gap = k + 1, False
                    break
            else:
                return None
        return j

    def find(self, toks: list[Token], norms: list[str] | None) -> list[Hit]:
        """Hits as ``Lexicon.find`` gives them; ``norms`` is None when a word is masked."""
        if not self.lexicon.entries:
            return []
        if norms is None:
            return self.lexicon.find(toks)
        return scan(
            toks,
            lambda i: self._candidates(norms[i]),
            lambda e, i: self._match_at(e.words, norms, i),
        )


@cache
def _lexicon(language: str, name: str) -> _FastLexicon:
    return _FastLexicon(load(language, name))


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class Draft:
    """The text being coached, with everything rules need computed at most once."""

    def __init__(self, text: str, language: DraftLanguage, context: ReplyContext) -> None:
        self.text = text
        self.language = language
        self.context = context
        self.tokens: list[Token] = tokens(text)
        self.sentences: list[tuple[int, int]] = sentences(text)
        self.quoted: list[tuple[int, int]] = [m.span() for m in _QUOTED.finditer(text)]
        self._hits: dict[tuple[str, bool], list[Hit]] = {}
        self._norms = [t.norm for t in self.tokens]
        self._masked = any(is_masked(t) for t in self.tokens)

    def _find(self, name: str) -> list[Hit]:
        # Masked writing ("f***", "k*t") only matters for swearing: triage's lists, read
        # through the lexicon's own matcher. The coach's phrase lists are plain words and
        # keep the fast path, so one masked word does not slow every list down.
        plain = not self._masked or name.startswith("coach_")
        return _lexicon(self.language, name).find(self.tokens, self._norms if plain else None)

    def find(self, name: str, *, in_quotes: bool = False) -> list[Hit]:
        """Hits of lexicon ``name`` in this draft's language, minus those overlapping a hit of
        ``<name>_innocent`` (phrases that look alike but are harmless, "great news").

        Text in double quotes is taken to be the customer's own words quoted back and is
        skipped unless ``in_quotes``: quoting "why is that not possible?" is not a refusal.
        """
        key = (name, in_quotes)
        if key not in self._hits:
            found = [h for h in self._find(name) if in_quotes or not self.in_quotes(h.start, h.end)]
            if found:  # look for innocent senses only when there is something to excuse
                spans = [(h.start, h.end) for h in self._find(f"{name}_innocent")]
                found = [h for h in found if not spans_overlap((h.start, h.end), spans)]
            self._hits[key] = found
        return self._hits[key]

    def has(self, name: str) -> bool:
        return bool(self.find(name))

    def in_quotes(self, start: int, end: int) -> bool:
        return any(q[0] <= start and end <= q[1] for q in self.quoted)

    def sentence_at(self, position: int) -> tuple[int, int]:
        """The sentence around a character offset, without surrounding white space."""
        for start, end in self.sentences:
            if start <= position < end:
                return self._strip(start, end)
        return self._strip(0, len(self.text))

    def sentence_of(self, hit: Hit) -> tuple[int, int]:
        return self.sentence_at(hit.start)

    def tokens_before(self, hit: Hit, count: int) -> list[Token]:
        return self.tokens[max(0, hit.first - count) : hit.first]

    def _strip(self, start: int, end: int) -> tuple[int, int]:
        chunk = self.text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk) - len(chunk.rstrip())
        return start + lead, end - trail

    def flag(self, kind: FlagKind, start: int, end: int, suggestion: str | None = None) -> Flag:
        """A flag with the explanation for ``kind`` in the draft's language; the suggestion
        falls back to the kind's default rewrite when the rule has nothing more concrete."""
        text = messages(self.language)[kind]
        return Flag(kind, start, end, text["explanation"], suggestion or text["suggestion"])

    def message(self, kind: FlagKind, key: str) -> str:
        return messages(self.language)[kind][key]

    def without(self, start: int, end: int) -> str:
        """The sentence around a span with the span taken out: a rewrite for words that
        should simply go ("A**hole Brown" -> "Brown")."""
        s_start, s_end = self.sentence_at(start)
        before = self.text[s_start:start].rstrip(" ,")
        after = self.text[end:s_end].lstrip(" ,")
        joined = f"{before} {after}".strip() if before and after else (before or after).strip()
        joined = re.sub(r"\s{2,}", " ", _EMPTY_QUOTES.sub("", joined)).strip()
        return joined[:1].upper() + joined[1:] if joined else ""


def spans_overlap(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    return any(_overlaps(span, other) for other in others)


@dataclass(frozen=True)
class Rule:
    """One check, in the shape of Mailman's ``rules/*.py``: a kind and a ``check``."""

    kind: FlagKind
    check: Callable[[Draft], list[Flag]]
    internal: bool = False  # also runs on internal notes and customer-record fields
