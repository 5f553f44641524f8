"""Which new conversations speak of an incident: keywords as whole words (case and accents
ignored, other forms of the word allowed) and similar wording, in Dutch and English."""

from __future__ import annotations

import pytest

from balie.incidents.matching import MAX_WORDS, clean_keywords, keyword_in, match, words

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


class _CountingWords(list[str]):
    """A word list that counts how many words slicing copies out of it."""

    copied = 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        got = super().__getitem__(index)
        if isinstance(index, slice):
            _CountingWords.copied += len(got)
        return got


def test_a_long_message_is_scanned_once_per_keyword_not_once_per_word() -> None:
    # 25,000 words of "a": the old scan copied the rest of the list at every position
    # (~300 million words for one keyword); stemming each word once and searching the
    # stems copies at most the scanned words.
    text_words = _CountingWords(["a"] * 25_000)
    _CountingWords.copied = 0
    assert keyword_in("a a a b", text_words) is False
    assert _CountingWords.copied <= MAX_WORDS


def test_twenty_keywords_against_a_long_message_match_correctly() -> None:
    text = "a " * 25_000  # 50,000 characters
    keywords = [f"a a a a word{i}" for i in range(19)] + ["a a a a"]
    verdict = match(keywords=keywords, subject="Help", text=text, **SHOP_DOWN)
    assert verdict is not None and verdict.detail == "a a a a"
    assert match(keywords=keywords[:19], subject="Help", text=text, **SHOP_DOWN) is None


def test_only_the_first_words_of_a_message_are_scanned() -> None:
    near = ["a"] * (MAX_WORDS - 1) + ["storing"]
    far = ["a"] * MAX_WORDS + ["storing"]
    assert keyword_in("storing", near) is True
    assert keyword_in("storing", far) is False


@pytest.mark.parametrize(
    ("keyword", "subject", "text", "language"),
    [
        # The English stem of the Dutch "storing" is "store", of "levering" "lever".
        ("storing", "Return", "I want to return my order from the store", "en"),
        ("storing", "Return", "I want to return my order from the store", None),
        ("levering", "Broken", "The lever of my coffee machine broke off", "en"),
        ("levering", "Kapot", "De lever van mijn koffiemachine is afgebroken", "nl"),
    ],
)
def test_a_dutch_keyword_does_not_match_an_english_word_with_the_same_stem(
    keyword: str, subject: str, text: str, language: str | None
) -> None:
    verdict = match(keywords=[keyword], subject=subject, text=text, language=language, **SHOP_DOWN)
    assert verdict is None


def test_keywords_still_match_their_own_forms_in_the_conversation_language() -> None:
    dutch = match(
        keywords=["levering"],
        subject="Leveringen",
        text="Waar blijft mijn pakket?",
        language="nl",
        **SHOP_DOWN,
    )
    english = match(
        keywords=["outage"],
        subject="Outages",
        text="Is the shop down?",
        language="en",
        **PAYMENTS,
    )
    # The same written word counts across languages.
    loan = match(keywords=["iDEAL"], subject="Pay", text="iDEAL fails", language="en", **SHOP_DOWN)
    assert dutch is not None and english is not None and loan is not None


def test_words_compare_in_one_language_at_a_time() -> None:
    # "storing" shares its English stem with "store", but not its Dutch one.
    assert keyword_in("storing", words("the store"), ["nl"]) is False
    assert keyword_in("storing", words("storingen"), ["nl"]) is True
