"""The generated corpus through parse(): every shape read, every reply found."""

from __future__ import annotations

from collections import Counter

import pytest

from balie.email.parse import ParsedMail, normalise_subject, parse
from tests.email_corpus import CHAIN_STYLES, GENERATORS, CorpusMail, corpus, reply_chain

MAILS = corpus()
PARSED = [parse(mail.raw) for mail in MAILS]


def _words(text: str) -> str:
    return " ".join(text.split())


def test_corpus_is_deterministic_and_covers_every_shape() -> None:
    assert [m.raw for m in corpus(60, seed=3)] == [m.raw for m in corpus(60, seed=3)]
    assert [m.raw for m in corpus(60, seed=3)] != [m.raw for m in corpus(60, seed=4)]
    assert len(MAILS) == 400
    labels = Counter(m.label.split("-")[0] for m in MAILS)
    for shape in ("gmail", "outlook", "apple", "thunderbird", "iphone", "plain", "iso", "windows"):
        assert labels[shape], shape
    for shape in ("utf", "koi8", "html", "attachments", "inline", "winmail", "forward", "auto"):
        assert labels[shape], shape
    for shape in ("bounce", "mailing", "no", "garbled", "very"):
        assert labels[shape], shape
    assert {"iso-2022-jp", "shift_jis"} & {m.label for m in MAILS}
    assert len({m.label for m in MAILS}) >= len(GENERATORS)


@pytest.mark.parametrize(
    ("mail", "parsed"),
    list(zip(MAILS, PARSED, strict=True)),
    ids=[f"{number}-{mail.label}" for number, mail in enumerate(MAILS)],
)
def test_each_corpus_mail(mail: CorpusMail, parsed: ParsedMail) -> None:
    expected = _words(mail.expected_reply)
    reply = _words(parsed.reply)
    assert expected in reply, (mail.label, parsed.reply[:500])
    if mail.exact:
        assert reply == expected, (mail.label, parsed.reply[:500])
    if mail.quoted:
        assert _words(mail.quoted) not in reply, mail.label
        assert _words(mail.quoted) in _words(parsed.text) or parsed.html, mail.label
    assert parsed.kind == mail.expected_kind, mail.label
    assert len(parsed.attachments) == mail.expected_attachments, mail.label
    for text in (parsed.text, parsed.reply, parsed.subject, parsed.from_name, parsed.html or ""):
        assert "\x00" not in text
        text.encode("utf-8")


def test_nearly_all_replies_are_exact() -> None:
    exact = sum(
        _words(mail.expected_reply) == _words(parsed.reply)
        for mail, parsed in zip(MAILS, PARSED, strict=True)
    )
    assert exact / len(MAILS) >= 0.95, exact


def test_corpus_headers_read_back() -> None:
    for mail, parsed in zip(MAILS, PARSED, strict=True):
        if mail.label in ("garbled-headers", "bounce-dsn"):
            continue
        assert parsed.from_address and "@" in parsed.from_address, mail.label
        assert parsed.recipients, mail.label
        if mail.label != "no-message-id":
            assert parsed.message_id, mail.label
        if mail.label != "no-date":
            assert parsed.date is not None, mail.label
        if mail.label != "no-subject":
            assert parsed.subject, mail.label


def test_special_shapes() -> None:
    by_label: dict[str, list[ParsedMail]] = {}
    for mail, parsed in zip(MAILS, PARSED, strict=True):
        by_label.setdefault(mail.label, []).append(parsed)
    for parsed in by_label["winmail-dat"]:
        assert parsed.skipped == ("winmail.dat (Outlook TNEF) ignored",)
    for parsed in by_label["bounce-dsn"]:
        assert parsed.failed_recipients
    for label, mails in by_label.items():
        if label.startswith("inline-images"):
            assert all(a.inline and a.content_id for p in mails for a in p.attachments)
        if label.startswith("forward-attached"):
            assert all(p.attachments[0].name.endswith(".eml") for p in mails)
        if label.startswith("attachments"):
            assert all(not a.inline for p in mails for a in p.attachments)
        if label.startswith("outlook") and not label.startswith("outlook-mobile"):
            assert all(p.html and "<o:p>" not in p.html for p in mails)
    assert any(
        "€" in a.name for label, mails in by_label.items() for p in mails for a in p.attachments
    )
    garbled = by_label["garbled-headers"]
    assert all(p.message_id is None and p.date is None for p in garbled)


@pytest.mark.parametrize("style", CHAIN_STYLES)
def test_reply_chains(style: str) -> None:
    chain = [parse(raw) for raw in reply_chain(6, seed=11, style=style)]
    assert len(chain) == 6
    ids = [mail.message_id for mail in chain]
    assert all(ids) and len(set(ids)) == 6
    assert len({normalise_subject(mail.subject) for mail in chain}) == 1
    senders = [mail.from_address for mail in chain]
    assert senders[1::2] == ["support@shop.example"] * 3
    assert len(set(senders[0::2])) == 1
    for number, mail in enumerate(chain[1:], start=1):
        previous = ids[number - 1]
        assert mail.reply != mail.text  # each quotes the one before
        if style == "full":
            assert mail.in_reply_to == (previous,)
            assert mail.references == tuple(ids[:number])
        elif style == "in_reply_to_only":
            assert mail.in_reply_to == (previous,)
            assert mail.references == ()
        else:
            assert mail.in_reply_to == ()
            assert not set(mail.references) & set(ids)
    assert chain[0].reply == chain[0].text


def test_reply_chain_is_deterministic() -> None:
    assert reply_chain(4, 5, "full") == reply_chain(4, 5, "full")
    with pytest.raises(ValueError):
        reply_chain(2, 1, "carrier pigeon")
