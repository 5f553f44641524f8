"""Does a new conversation speak of an open incident? Pure.

Two ways to say yes:

- a keyword the supervisor gave appears in the subject or text as whole words, ignoring
  case and accents ("Storing" finds "storing", "café" finds "cafe") and allowing other
  forms of the same word in Dutch or English ("betaling" finds "betalingen", "outage"
  finds "outages");
- the text is similar enough to the incident's title and body: a token-set Jaccard over
  the content words of both, each word standing for its Dutch and English Snowball stems.

The threshold was tuned on the examples in tests/test_incidents_matching.py: customers who
describe the incident in their own words share two or more content words with a
two-sentence incident text (a Jaccard of 0.15 or more), and unrelated questions about
the same shop ("I want to return my order") share at most one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DUTCH = snowballstemmer.stemmer("dutch")
_ENGLISH = snowballstemmer.stemmer("english")

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
def stems(word: str) -> frozenset[str]:
    return frozenset((word, _DUTCH.stemWord(word), _ENGLISH.stemWord(word)))


def _same_word(a: str, b: str) -> bool:
    return a == b or bool(stems(a) & stems(b))


def keyword_in(keyword: str, text_words: list[str]) -> bool:
    """The keyword's words appear in a row among ``text_words``, each as a whole word."""
    wanted = words(keyword)
    if not wanted:
        return False
    for i in range(len(text_words) - len(wanted) + 1):
        if all(_same_word(w, t) for w, t in zip(wanted, text_words[i:], strict=False)):
            return True
    return False


def _content(text: str) -> list[frozenset[str]]:
    seen: dict[frozenset[str], None] = {}
    for word in words(text):
        if len(word) > 2 and word not in _COMMON and not word.isdigit():
            seen.setdefault(stems(word), None)
    return list(seen)


def similarity(a: str, b: str) -> tuple[float, int]:
    """Token-set Jaccard of two texts' content words, and how many they share. A word of
    ``a`` is shared when one of its stems is a stem of a word of ``b``."""
    left, right = _content(a), _content(b)
    if not left or not right:
        return 0.0, 0
    right_stems = frozenset().union(*right)
    shared = sum(1 for s in left if s & right_stems)
    return shared / (len(left) + len(right) - shared), shared


def match(*, title: str, body: str, keywords: list[str], subject: str, text: str) -> Verdict | None:
    """Why a conversation (``subject`` and first ``text``) belongs to the incident, or None."""
    said = f"{subject}\n{text}"
    said_words = words(said)
    for keyword in keywords:
        if keyword_in(keyword, said_words):
            return Verdict("keyword", keyword)
    score, shared = similarity(said, f"{title}\n{body}")
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
