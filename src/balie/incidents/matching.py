"""Does a new conversation speak of an open incident? Pure.

Two ways to say yes:

- a keyword the supervisor gave appears in the subject or text as whole words, ignoring
  case and accents ("Storing" finds "storing", "café" finds "cafe") and allowing other
  forms of the same word in Dutch or English ("betaling" finds "betalingen", "outage"
  finds "outages");
- the text is similar enough to the incident's title and body: a token-set Jaccard over
  the content words of both, each word standing for its Snowball stem.

Words are compared in one language at a time, Dutch stems with Dutch stems and English
with English, and only in a language both sides may be in: the incident's (guessed from
its title and body) and the conversation's (from triage). The English stem of the Dutch
"storing" is "store", so without this an English "the store" would speak of a Dutch
"storing"; across languages only the same written word counts ("iDEAL", "webshop").

Only the first ``MAX_WORDS`` words of a message are scanned: matching runs inside the
write transaction of every new conversation, and each keyword is one substring search
over a string of stems, so the work grows with the text, not with its square.

The threshold was tuned on the examples in tests/test_incidents_matching.py: customers who
describe the incident in their own words share two or more content words with a
two-sentence incident text (a Jaccard of 0.15 or more), and unrelated questions about
the same shop ("I want to return my order") share at most one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from balie.analysis.language import detect
from balie.analysis.text import tokens

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
LANGUAGES = ("nl", "en")
_STEMMERS = {"nl": snowballstemmer.stemmer("dutch"), "en": snowballstemmer.stemmer("english")}
# No language in common: only the written word itself.
_AS_WRITTEN = ""
# A customer's question fits in far fewer words; a longer text (a pasted log) is not
# scanned further.
MAX_WORDS = 5000

# Words that carry no subject in either language: left out of the similarity, so "ik kan
# niet ..." in two unrelated messages does not make them alike.
_COMMON_WORDS = """
    de het een en of maar dat die dit deze is zijn was waren wordt worden werd ben bent
    heb hebt heeft hebben had ik je jij u uw we wij ze zij hij mijn mij me ons onze jullie
    niet geen wel ook nog al er hier daar nu dan als om op in aan bij met voor van naar uit
    tot over door te zo wat wie waar waarom hoe kan kunt kunnen wil wilt willen moet moeten
    zal zou zouden gaat gaan doe doet doen graag even alstublieft aub bedankt dank groet
    hallo hoi beste sinds vandaag gisteren meer mee toch heel erg werk werkt werken lukt lukken
    the a an and or but that this these those is are was were be been being am have has
    had do does did i you he she it we they my me your our us their them not no yes also
    still already here there now then if to of in on at by with for from into about as
    can could will would should shall may might must what who where why how please thanks
    thank hello hi dear since today yesterday just any some very so too get got work works
    working
"""
_COMMON = frozenset(_COMMON_WORDS.split())
# Below this many shared content words, texts are not alike whatever their share.
MIN_SHARED = 2
THRESHOLD = 0.15


@dataclass(frozen=True)
class Verdict:
    how: str  # "keyword" | "similarity"
    detail: str  # the keyword, or the similarity as text


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """``word``'s Snowball stem in ``language`` ("nl", "en"), or the word itself for
    ``_AS_WRITTEN``."""
    stemmer = _STEMMERS.get(language)
    return stemmer.stemWord(word) if stemmer is not None else word


def languages_for(text_language: str | None, incident_language: str | None) -> tuple[str, ...]:
    """The languages in which words of the two sides are compared: each side's own when
    known (Dutch or English), else both; no language in common: as written only."""
    left = {text_language} if text_language in LANGUAGES else set(LANGUAGES)
    right = {incident_language} if incident_language in LANGUAGES else set(LANGUAGES)
    both = tuple(lang for lang in LANGUAGES if lang in left & right)
    return both or (_AS_WRITTEN,)


def language_of(text: str) -> str | None:
    """Dutch or English by its function words (``balie.analysis.language``), else None."""
    found = detect(tokens(text))
    return found if found in LANGUAGES else None


def _row(text_words: list[str], language: str) -> str:
    # Stems contain no spaces, so " a b " is found in " x a b y " exactly when the words
    # appear in a row, each whole.
    return " " + " ".join(stem(w, language) for w in text_words) + " "


def stem_rows(text_words: list[str], languages: Collection[str] = LANGUAGES) -> dict[str, str]:
    """The first ``MAX_WORDS`` words as one string of stems per language: built once per
    text, each word stemmed once."""
    scanned = text_words[:MAX_WORDS]
    return {lang: _row(scanned, lang) for lang in languages}


def found(keyword: str, rows: Mapping[str, str]) -> bool:
    """The keyword's words appear in a row in one of the ``rows`` (``stem_rows``)."""
    wanted = words(keyword)
    if not wanted:
        return False
    return any(_row(wanted, lang) in row for lang, row in rows.items())


def keyword_in(keyword: str, text_words: list[str], languages: Collection[str] = LANGUAGES) -> bool:
    """The keyword's words appear in a row among ``text_words``, each as a whole word or
    another form of it in one of ``languages``."""
    return found(keyword, stem_rows(text_words, languages))


def _content(text: str, languages: Collection[str]) -> list[frozenset[tuple[str, str]]]:
    seen: dict[frozenset[tuple[str, str]], None] = {}
    for word in words(text)[:MAX_WORDS]:
        if len(word) > 2 and word not in _COMMON and not word.isdigit():
            seen.setdefault(frozenset((lang, stem(word, lang)) for lang in languages), None)
    return list(seen)


def similarity(a: str, b: str, languages: Collection[str] = LANGUAGES) -> tuple[float, int]:
    """Token-set Jaccard of two texts' content words, and how many they share. A word of
    ``a`` is shared when its stem in one of ``languages`` is that language's stem of a
    word of ``b``."""
    left, right = _content(a, languages), _content(b, languages)
    if not left or not right:
        return 0.0, 0
    right_stems = frozenset().union(*right)
    shared = sum(1 for s in left if s & right_stems)
    return shared / (len(left) + len(right) - shared), shared


def match(
    *,
    title: str,
    body: str,
    keywords: list[str],
    subject: str,
    text: str,
    language: str | None = None,
) -> Verdict | None:
    """Why a conversation (``subject`` and first ``text``, written in ``language`` when
    known) belongs to the incident, or None."""
    said = f"{subject}\n{text}"
    incident = f"{title}\n{body}"
    languages = languages_for(language, language_of(incident))
    rows = stem_rows(words(said), languages)
    for keyword in keywords:
        if found(keyword, rows):
            return Verdict("keyword", keyword)
    score, shared = similarity(said, incident, languages)
    if shared >= MIN_SHARED and score >= THRESHOLD:
        return Verdict("similarity", f"{score:.2f}")
    return None


MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 50


def clean_keywords(keywords: list[str]) -> list[str]:
    """Trimmed, de-duplicated keywords; raises ValueError on an empty or over-long one."""
    out: dict[str, None] = {}
    for raw in keywords:
        keyword = " ".join(raw.split())
        if not keyword or len(keyword) > MAX_KEYWORD_CHARS or not words(keyword):
            raise ValueError(
                f"Keyword {raw!r} needs 1 to {MAX_KEYWORD_CHARS} characters with a letter or digit."
            )
        out.setdefault(keyword, None)
    if len(out) > MAX_KEYWORDS:
        raise ValueError(f"At most {MAX_KEYWORDS} keywords per incident.")
    return list(out)
