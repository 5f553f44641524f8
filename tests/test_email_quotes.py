"""latest_reply: the customer's new words, without the history their client quoted."""

from __future__ import annotations

import pytest

from balie.email.quotes import latest_reply

NEW = "Mijn bestelling 10234 is kapot aangekomen.\nKunt u een nieuwe sturen?"
OLD = "Bedankt voor uw bestelling bij de Winkel."


@pytest.mark.parametrize(
    "attribution",
    [
        # Gmail, Dutch, on one line and wrapped over two
        "Op ma 3 nov. 2025 om 10:12 schreef Jan Jansen <jan@example.nl>:",
        "Op ma 3 nov. 2025 om 10:12 schreef Support Winkel <\nsupport@shop.example>:",
        "Op ma 3 nov. 2025 om 10:12 schreef Support Winkel\n<support@shop.example>:",
        # Apple Mail, Dutch
        "Op 3 nov. 2025, om 10:12 heeft Jan Jansen <jan@x.nl> het volgende geschreven:",
        # Thunderbird, Dutch (old and new shape)
        "Op 03-11-2025 om 10:12 schreef Jan Jansen:",
        "Jan Jansen schreef op 3-11-2025 om 10:12:",
        # English Gmail, one line and wrapped
        "On Mon, Nov 3, 2025 at 10:12 AM Jan <jan@x.nl> wrote:",
        "On Mon, Nov 3, 2025 at 10:12 AM Jan Jansen <jan@x.nl>\nwrote:",
        "On Mon, Nov 3, 2025 at 10:12 AM Jan Jansen <\njan@x.nl> wrote:",
        # Apple Mail and Thunderbird, English
        "On 3 Nov 2025, at 10:12, Jan Jansen <jan@x.nl> wrote:",
        "On 11/3/25 10:12, Jan Jansen wrote:",
        "Jan Jansen <jan@x.nl> wrote:",
        # German and French clients
        "Am 03.11.2025 um 10:12 schrieb Jan Jansen <jan@x.de>:",
        "Le lun. 3 nov. 2025 à 10:12, Jan Jansen <jan@x.fr> a écrit :",
    ],
)
def test_attribution_lines_start_the_history(attribution: str) -> None:
    text = f"{NEW}\n\n{attribution}\n\n> {OLD}\n> Groet, de Winkel\n"
    assert latest_reply(text) == NEW


def test_attribution_without_quote_marks_still_cuts() -> None:
    # Gmail's HTML part converted to text: the history is indented, not ">"-marked.
    text = f"{NEW}\n\nOp ma 3 nov. 2025 om 10:12 schreef Winkel <s@shop.example>:\n\n  {OLD}\n"
    assert latest_reply(text) == NEW


@pytest.mark.parametrize(
    "block",
    [
        "From: Support <support@shop.example>\nSent: Monday, November 3, 2025 10:12 AM\n"
        "To: Jan Jansen <jan@x.nl>\nSubject: RE: Order 10234",
        "Van: Support <support@shop.example>\nVerzonden: maandag 3 november 2025 10:12\n"
        "Aan: Jan Jansen <jan@x.nl>\nOnderwerp: RE: Bestelling 10234",
        "*From:* Support <support@shop.example>\n*Sent:* Monday, November 3, 2025 10:12\n"
        "*To:* Jan\n*Subject:* Order",
        "________________________________\nVan: Support <support@shop.example>\n"
        "Verzonden: maandag 3 november 2025 10:12\nAan: Jan\nOnderwerp: Bestelling",
        "________________________________\nFrom: Support <support@shop.example>\n"
        "Sent: Monday, November 3, 2025 10:12\nTo: Jan\nSubject: Order",
        "-----Original Message-----\nFrom: Support [mailto:support@shop.example]\nSent: Monday",
        "-----Oorspronkelijk bericht-----\nVan: Support [mailto:support@shop.example]",
        "---------- Forwarded message ---------\nFrom: Support <support@shop.example>",
        "---------- Doorgestuurd bericht ---------\nVan: Support <support@shop.example>",
        "Begin doorgestuurd bericht:\n\nVan: Support <support@shop.example>",
    ],
)
def test_outlook_blocks_and_separators_start_the_history(block: str) -> None:
    text = f"{NEW}\n\n{block}\n\n{OLD}\n"
    assert latest_reply(text) == NEW


def test_quoted_lines_are_history() -> None:
    assert latest_reply(f"{NEW}\n\n> {OLD}\n>> older still\n") == NEW


def test_inline_answers_between_quotes_are_kept() -> None:
    text = "> Welk ordernummer?\nHet is 10234.\n\n> Wat is er kapot?\nHet scherm.\n"
    assert latest_reply(text) == "Het is 10234.\n\nHet scherm."


def test_bottom_posted_reply_below_the_quote_is_found() -> None:
    text = f"On 3 Nov 2025, at 10:12, Support <s@shop.example> wrote:\n\n> {OLD}\n\n{NEW}\n"
    assert latest_reply(text) == NEW


@pytest.mark.parametrize(
    "footer",
    [
        "-- \nJan Jansen\nJansen B.V. | 06-12345678",
        "--\nJan Jansen",
        "Verstuurd vanaf mijn iPhone",
        "Sent from my iPhone",
        "Verzonden vanaf Outlook voor Android",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Outlook voor iOS downloaden<https://aka.ms/o0ukef>",
        "Sent from my Galaxy",
        "Verzonden met de Mail-app voor Windows",
    ],
)
def test_signature_and_mobile_footer_are_removed(footer: str) -> None:
    text = f"{NEW}\n\n{footer}\n\nOp 3 nov. 2025 om 10:12 heeft X <x@y.nl> het volgende geschreven:"
    assert latest_reply(text) == NEW


def test_sign_off_and_name_belong_to_the_reply() -> None:
    text = f"{NEW}\n\nMet vriendelijke groet,\nJan Jansen\n\n> {OLD}"
    assert latest_reply(text) == f"{NEW}\n\nMet vriendelijke groet,\nJan Jansen"


@pytest.mark.parametrize(
    "words",
    [
        "As I wrote: the parcel is broken.\nPlease call me.",
        "On Monday I wrote:\nthe parcel is broken, please call me.",
        "Op 3 november schreef ik:\nhet pakket is kapot.",
        "In my first mail I wrote: order 10234.\nStill nothing arrived.",
        "Ik heb op 3 nov. het volgende geschreven: het pakket is kapot.",
        "On 3 November I wrote:\nnothing arrived yet.",
        "The label says: From: Amsterdam, To: Utrecht.\nIs that right?",
    ],
)
def test_customer_words_mentioning_wrote_are_kept(words: str) -> None:
    assert latest_reply(words) == words


def test_forward_without_words_of_its_own_is_kept_whole() -> None:
    text = (
        "\n---------- Forwarded message ---------\nFrom: Shop <s@shop.example>\n"
        "Date: Mon, Nov 3, 2025\nSubject: Order\nTo: jan@x.nl\n\nYour order shipped.\n"
    )
    assert latest_reply(text) == text.strip()


def test_only_quoted_text_is_kept_whole() -> None:
    assert latest_reply("> just a quote\n> nothing else") == "> just a quote\n> nothing else"


def test_windows_line_endings() -> None:
    text = f"{NEW}\r\n\r\nOn Mon, Nov 3, 2025 at 10:12 AM Jan <jan@x.nl> wrote:\r\n> {OLD}\r\n"
    assert latest_reply(text) == NEW.replace("\r\n", "\n")


def test_empty_and_blank() -> None:
    assert latest_reply("") == ""
    assert latest_reply("  \n\n ") == ""


def test_nested_history_is_cut_at_the_first_marker() -> None:
    text = (
        f"{NEW}\n\nOn Tue, Nov 4, 2025 at 9:00 AM Support <s@shop.example> wrote:\n"
        "> We will look into it.\n>\n> On Mon, Nov 3, 2025 at 10:12 AM Jan <jan@x.nl> wrote:\n"
        ">> first message\n"
    )
    assert latest_reply(text) == NEW


def test_long_lines_stay_fast() -> None:
    text = "a" * 1_000_000 + "\n" + "\n" * 50_000 + "b " * 100_000
    assert latest_reply(text).startswith("aaa")
