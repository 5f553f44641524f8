"""Tokens and lexicon matching: informal, misspelt and masked writing still matches."""

from __future__ import annotations

import pytest

from balie.analysis.lexicon import parse
from balie.analysis.text import GRAWLIX, sentences, tokens

LEXICON = parse(
    "test.txt",
    [
        "# comment line",
        "idiot* => calls someone an idiot",
        "fuck*",
        "kut",
        "shit",
        "sorry ... maar",
        "waardeloze service",
    ],
)


def _found(text: str) -> list[str]:
    return [text[h.start : h.end] for h in LEXICON.find(tokens(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You IDIOTS", ["IDIOTS"]),
        ("what an 1d10t", ["1d10t"]),
        ("f***ing useless", ["f***ing"]),
        ("f**k off", ["f**k"]),
        ("what the f***", ["f***"]),
        ("k*t bedrijf", ["k*t"]),
        ("sh!t happens", ["sh!t"]),
        ("Sorry, het spijt ons maar dat kan niet", ["Sorry, het spijt ons maar"]),
        ("WAARDELOZE   service!!!", ["WAARDELOZE   service"]),
        ("Wááárdeloze service", ["Wááárdeloze service"]),
        ("Sorry voor het wachten. Dat kan maar zo", []),
        ("I gave it 5*** stars", []),
        ("Shitake mushrooms", []),
    ],
)
def test_lexicon_matches_what_people_actually_write(text: str, expected: list[str]) -> None:
    assert _found(text) == expected


def test_reasons_and_sources_are_kept() -> None:
    hit = LEXICON.find(tokens("idiot"))[0]
    assert hit.entry.reason == "calls someone an idiot"
    assert hit.entry.source == "test.txt:2"


def test_grawlix_and_shouting_are_recognised() -> None:
    toks = tokens("WAT een #@$%! bedrijf!!!")
    assert toks[0].shouted and not toks[1].shouted
    assert [t.norm for t in toks if t.norm == GRAWLIX] == [GRAWLIX]
    assert [t.text for t in toks][-1] == "bedrijf"


def test_sentences_split_short_texts() -> None:
    text = "Hallo. Mijn pakket is kapot!! Wat nu?"
    assert [text[a:b].strip() for a, b in sentences(text)] == [
        "Hallo.",
        "Mijn pakket is kapot!!",
        "Wat nu?",
    ]


def test_a_gap_may_not_open_or_close_a_phrase() -> None:
    with pytest.raises(ValueError, match=r"test\.txt:1"):
        parse("test.txt", ["... maar"])
