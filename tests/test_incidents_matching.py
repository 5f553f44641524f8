"""Which new conversations speak of an incident: keywords as whole words (case and accents
ignored, other forms of the word allowed) and similar wording, in Dutch and English."""

from __future__ import annotations

import pytest

from balie.incidents.matching import clean_keywords, keyword_in, match, words

SHOP_DOWN = {
    "title": "Webshop onbereikbaar",
    "body": "Onze webshop is sinds 10:00 niet bereikbaar. Bestellen en betalen lukt "
    "tijdelijk niet; we werken aan een oplossing.",
}
PAYMENTS = {
    "title": "Payments failing",
    "body": "Card payments at checkout are failing since this morning. Orders cannot be "
    "completed; our payment provider is working on a fix.",
}


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("storing", "Is er een STORING bij jullie?", True),
        ("storing", "Ik zie storingen op de site", True),  # another form of the word
        ("café", "Het cafe-menu laadt niet", True),  # accents ignored
        ("iDEAL", "Betalen met ideal gaat mis", True),
        ("web shop", "the Web  Shop is down", True),  # a phrase, any spacing
        ("outage", "Are there outages today?", True),
        ("ideal", "Dat is niet idealiter", False),  # word boundaries
        ("shop", "I booked a workshop", False),
        ("web shop", "the web is fine, the shop too", False),
    ],
)
def test_keywords_match_whole_words_ignoring_case_and_accents(
    keyword: str, text: str, found: bool
) -> None:
    assert keyword_in(keyword, words(text)) is found


def test_a_keyword_in_the_subject_is_enough() -> None:
    verdict = match(keywords=["iDEAL"], subject="iDEAL werkt niet", text="Help!", **SHOP_DOWN)
    assert verdict is not None and verdict.how == "keyword" and verdict.detail == "iDEAL"


@pytest.mark.parametrize(
    ("incident", "subject", "text"),
    [
        (
            SHOP_DOWN,
            "Kan niet bestellen",
            "Ik probeer al een uur te bestellen maar de webshop laadt niet, betalen lukt ook niet.",
        ),
        (SHOP_DOWN, "Site doet het niet", "Jullie website is onbereikbaar, ik kan niets bestellen"),
        (
            PAYMENTS,
            "Checkout broken",
            "My card payment failed at checkout twice, I cannot complete my order.",
        ),
    ],
)
def test_a_conversation_in_other_words_is_linked_by_similarity(
    incident: dict[str, str], subject: str, text: str
) -> None:
    verdict = match(keywords=[], subject=subject, text=text, **incident)
    assert verdict is not None and verdict.how == "similarity"


@pytest.mark.parametrize(
    ("incident", "subject", "text"),
    [
        (SHOP_DOWN, "Wasmachine lekt", "Mijn wasmachine lekt sinds gisteren, wat nu?"),
        (SHOP_DOWN, "Retour", "Ik wil mijn bestelling retour sturen, hoe werkt dat?"),
        (PAYMENTS, "Where is my parcel", "My order has not arrived yet, where is it?"),
        (PAYMENTS, "Refund", "I returned the kettle two weeks ago and still wait for a refund."),
    ],
)
def test_an_unrelated_conversation_is_not_linked(
    incident: dict[str, str], subject: str, text: str
) -> None:
    assert match(keywords=["storing", "outage"], subject=subject, text=text, **incident) is None


def test_keywords_are_trimmed_and_deduplicated_and_empty_ones_refused() -> None:
    assert clean_keywords([" storing ", "storing", "web  shop"]) == ["storing", "web shop"]
    with pytest.raises(ValueError, match="1 to 50"):
        clean_keywords(["   "])
    with pytest.raises(ValueError, match="1 to 50"):
        clean_keywords(["!!!"])
