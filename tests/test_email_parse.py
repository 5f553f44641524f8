"""parse(): each rule for reading raw inbound mail, one focused message at a time."""

from __future__ import annotations

import base64
import datetime

import pytest

from balie.email.parse import (
    MAX_ATTACHMENT_BYTES,
    clean_filename,
    message_ids,
    normalise_message_id,
    normalise_subject,
    parse,
)

HEADERS = (
    b"From: Jan Jansen <jan@example.nl>\r\n"
    b"To: support@shop.example\r\n"
    b"Subject: Bestelling 10234\r\n"
    b"Message-ID: <m1@example.nl>\r\n"
    b"Date: Mon, 3 Nov 2025 10:12:00 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
)


def _plain(
    body: bytes, content_type: bytes = b"text/plain; charset=utf-8", extra: bytes = b""
) -> bytes:
    return HEADERS + extra + b"Content-Type: " + content_type + b"\r\n\r\n" + body


def _multipart(parts: list[bytes], subtype: bytes = b"mixed", extra: bytes = b"") -> bytes:
    out = HEADERS + extra + b"Content-Type: multipart/" + subtype + b'; boundary="XX"\r\n\r\n'
    for part in parts:
        out += b"--XX\r\n" + part + b"\r\n"
    return out + b"--XX--\r\n"


# --- headers ------------------------------------------------------------------------------


def test_plain_message_headers() -> None:
    mail = parse(_plain(b"Hallo, mijn pakket is kapot."))
    assert mail.message_id == "<m1@example.nl>"
    assert mail.from_address == "jan@example.nl"
    assert mail.from_name == "Jan Jansen"
    assert mail.recipients == ("support@shop.example",)
    assert mail.subject == "Bestelling 10234"
    assert mail.date == datetime.datetime(2025, 11, 3, 9, 12, tzinfo=datetime.UTC)
    assert mail.text == mail.reply == "Hallo, mijn pakket is kapot."
    assert mail.html is None
    assert mail.kind == "mail"
    assert mail.attachments == mail.skipped == mail.failed_recipients == ()


def test_rfc2047_subject_and_names_in_b_and_q() -> None:
    raw = (
        b"From: =?UTF-8?B?SsOpcsO0bWUgSmFuc2Vu?= <Jerome@Example.NL>\r\n"
        b"To: =?iso-8859-1?Q?M=FCller=2C_Hans?= <hans@x.de>, =?utf-8?q?Z=C3=B6e?= <zoe@x.nl>\r\n"
        b"Subject: =?utf-8?q?Re=3A_Retour_=E2=82=AC_25?=\r\n =?utf-8?b?IOKclCDwn5iK?=\r\n"
        b"\r\nbody\r\n"
    )
    mail = parse(raw)
    assert mail.from_name == "Jérôme Jansen"
    assert mail.from_address == "jerome@example.nl"
    assert mail.recipients == ("hans@x.de", "zoe@x.nl")
    assert mail.subject == "Re: Retour € 25 ✔ 😊"


def test_unknown_charset_in_encoded_word_falls_back() -> None:
    raw = b"Subject: =?x-nonsense?q?caf=E9?= =?utf-8?q?=C3=A9t=C3=A9?=\r\n\r\nbody"
    assert parse(raw).subject == "caféété"


def test_raw_8bit_headers_are_read_as_utf8_or_windows_1252() -> None:
    utf8 = parse("Subject: Ruimte voor één €\r\nFrom: Zoë <zoe@x.nl>\r\n\r\nx".encode())
    assert utf8.subject == "Ruimte voor één €"
    assert utf8.from_name == "Zoë"
    latin = parse("Subject: Caf\xe9 \x80 5\r\n\r\nx".encode("latin-1"))
    assert latin.subject == "Café € 5"


def test_recipients_from_to_cc_delivered_to_and_original_to_deduplicated() -> None:
    raw = (
        b"To: A <A@x.nl>, b@x.nl\r\nCc: b@x.nl, c@x.nl\r\nDelivered-To: support@shop.example\r\n"
        b"Delivered-To: a@x.nl\r\nX-Original-To: info@shop.example\r\n"
        b"Reply-To: Jan <Reply@X.nl>\r\n\r\nbody"
    )
    mail = parse(raw)
    assert mail.recipients == (
        "a@x.nl",
        "b@x.nl",
        "c@x.nl",
        "support@shop.example",
        "info@shop.example",
    )
    assert mail.reply_to == "reply@x.nl"


def test_unparseable_from_gives_none() -> None:
    mail = parse(b"From: nobody here\r\nSubject: x\r\n\r\nbody")
    assert mail.from_address is None
    assert mail.from_name == ""


def test_ids_are_normalised_and_garbled_ids_are_none() -> None:
    raw = (
        b"Message-ID: < CAF+abc=1@Mail.Gmail.COM >\r\n"
        b"In-Reply-To: <p1@shop.example>\r\n"
        b"References: <r1@Shop.example>\r\n\t<r2@shop.example> <r1@shop.example>\r\n\r\nx"
    )
    mail = parse(raw)
    assert mail.message_id == "<CAF+abc=1@mail.gmail.com>"
    assert mail.in_reply_to == ("<p1@shop.example>",)
    assert mail.references == ("<r1@shop.example>", "<r2@shop.example>")
    assert parse(b"Message-ID: garbage\r\n\r\nx").message_id is None
    assert parse(b"Message-ID: <>\r\n\r\nx").message_id is None
    assert parse(b"Subject: no id\r\n\r\nx").message_id is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<ABC@x>", "<ABC@x>"),
        ("<ABC@X.Example>", "<ABC@x.example>"),
        (" < ABC @ x > ", "<ABC@x>"),
        ("ABC@x", "<ABC@x>"),
        ("garbage", None),
        ("<@x>", None),
        ("<abc@>", None),
        ("", None),
        ("<a\x00b@x>", None),
    ],
)
def test_normalise_message_id(value: str, expected: str | None) -> None:
    assert normalise_message_id(value) == expected


def test_message_ids() -> None:
    assert message_ids(None) == ()
    assert message_ids("") == ()
    assert message_ids("<a@x> <B@Y>\r\n <c@z>") == ("<a@x>", "<B@y>", "<c@z>")
    assert message_ids("<a@x> (Jan's message of Monday)") == ("<a@x>",)
    assert message_ids("a@x") == ("<a@x>",)
    assert message_ids("<nonsense> <a@x>") == ("<a@x>",)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Bestelling 10234", "bestelling 10234"),
        ("RE: AW: Antw: Re[2]: Kapot   PAKKET", "kapot pakket"),
        ("Antwoord: Fwd: FW: Doorst: WG: TR: Ref: retour", "retour"),
        ("Aw: Fw: test", "test"),
        ("Re : Remboursement", "remboursement"),
        ("[Ticket #12] Re: Kapot", "[ticket #12] kapot"),
        ("Re: [Ticket #12] Kapot", "[ticket #12] kapot"),
        ("Return policy", "return policy"),
        ("Reply needed", "reply needed"),
        ("", ""),
    ],
)
def test_normalise_subject(subject: str, expected: str) -> None:
    assert normalise_subject(subject) == expected


def test_date_variants() -> None:
    assert parse(b"Date: garbage\r\n\r\nx").date is None
    assert parse(b"Subject: x\r\n\r\nx").date is None
    naive = parse(b"Date: Mon, 3 Nov 2025 10:12:00 -0000\r\n\r\nx").date
    assert naive == datetime.datetime(2025, 11, 3, 10, 12, tzinfo=datetime.UTC)


def test_nul_bytes_are_removed_from_all_text() -> None:
    raw = (
        b"From: Ja\x00n <jan@x.nl>\r\nSubject: Kap\x00ot\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHal\x00lo"
    )
    mail = parse(raw)
    assert "\x00" not in mail.subject + mail.from_name + mail.text + mail.reply
    assert mail.subject == "Kapot"
    assert mail.text == "Hallo"


# --- bodies and charsets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        (b"iso-8859-1", "Caf\xe9 \xe0 la cr\xe8me".encode("latin-1"), "Café à la crème"),
        # Labelled Latin-1 but written on Windows: 0x80 is the euro sign.
        (b"iso-8859-1", b"Prijs \x80 25", "Prijs € 25"),
        (b"windows-1252", b"Prijs \x80 25 \x93ok\x94", "Prijs € 25 “ok”"),
        (b"utf-8", "Kapot 😡 pakket".encode(), "Kapot 😡 pakket"),
        (b"shift_jis", "注文が届きません".encode("shift_jis"), "注文が届きません"),
        (b"iso-2022-jp", "注文が届きません".encode("iso-2022-jp"), "注文が届きません"),
        (b"koi8-r", "Заказ не пришёл".encode("koi8-r"), "Заказ не пришёл"),
        # Unknown and lying charsets fall back to UTF-8, then Windows-1252.
        (b"x-no-such-charset", "één".encode(), "één"),
        (b"utf-8", "caf\xe9".encode("latin-1"), "café"),
        (b'"UTF-8"', "één".encode(), "één"),
        (b"base64", b"plain words", "plain words"),
    ],
)
def test_charsets(charset: bytes, body: bytes, expected: str) -> None:
    assert parse(_plain(body, b"text/plain; charset=" + charset)).text == expected


def test_quoted_printable_and_base64_bodies() -> None:
    qp = parse(
        _plain(
            b"Lange regel die =\r\ndoorloopt =E2=82=AC",
            extra=b"Content-Transfer-Encoding: quoted-printable\r\n",
        )
    )
    assert qp.text == "Lange regel die doorloopt €"
    b64 = parse(
        _plain(
            base64.encodebytes("Retour ✔".encode()),
            extra=b"Content-Transfer-Encoding: base64\r\n",
        )
    )
    assert b64.text == "Retour ✔"


def test_broken_base64_does_not_raise() -> None:
    mail = parse(_plain(b"SGFsbG8g!!!d2VyZ", extra=b"Content-Transfer-Encoding: base64\r\n"))
    assert mail.kind == "mail"


def test_format_flowed_is_unwrapped() -> None:
    body = b"Dit is een lange zin die \r\nover twee regels loopt.\r\n\r\n-- \r\nJan"
    mail = parse(_plain(body, b"text/plain; charset=utf-8; format=flowed"))
    assert mail.text.startswith("Dit is een lange zin die over twee regels loopt.")
    assert mail.reply == "Dit is een lange zin die over twee regels loopt."


def test_alternative_prefers_plain_text() -> None:
    raw = _multipart(
        [
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nPlain words",
            b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>HTML words</p>",
        ],
        b"alternative",
    )
    mail = parse(raw)
    assert mail.text == "Plain words"
    assert mail.html == "<p>HTML words</p>"


def test_html_only_is_converted_and_sanitised() -> None:
    html = (
        b"<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        b"<p>Mijn <b>pakket</b> is kapot.</p><img src=x onerror=alert(1)>"
        b'<a href="javascript:alert(1)">klik</a><img src="cid:logo@x" alt="logo">'
        b"</body></html>"
    )
    mail = parse(_plain(html, b"text/html; charset=utf-8"))
    assert "Mijn pakket is kapot." in mail.text
    assert "alert" not in mail.text
    assert mail.html is not None
    lowered = mail.html.lower()
    assert "<script" not in lowered
    assert "onerror" not in lowered
    assert "javascript:" not in lowered
    assert 'src="cid:logo@x"' in mail.html
    assert "color:red" not in mail.html


def test_empty_plain_part_falls_back_to_html() -> None:
    raw = _multipart(
        [
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n  \r\n",
            b"Content-Type: text/html; charset=utf-8\r\n\r\n<div>Alleen HTML</div>",
        ],
        b"alternative",
    )
    assert parse(raw).text == "Alleen HTML"


def test_reply_strips_quoted_history() -> None:
    body = (
        b"Nog steeds niets ontvangen.\r\n\r\n"
        b"Op ma 3 nov. 2025 om 10:12 schreef Winkel <support@shop.example>:\r\n"
        b"> Uw pakket is onderweg.\r\n"
    )
    mail = parse(_plain(body))
    assert mail.reply == "Nog steeds niets ontvangen."
    assert "onderweg" in mail.text


def test_no_body() -> None:
    mail = parse(HEADERS + b"\r\n")
    assert mail.text == mail.reply == ""


def test_missing_boundary_keeps_the_text() -> None:
    raw = HEADERS + b"Content-Type: multipart/mixed\r\n\r\nJust some words\r\n"
    assert "Just some words" in parse(raw).text


DOCX = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- attachments --------------------------------------------------------------------------


def _attachment(content_type: bytes, disposition: bytes, data: bytes, extra: bytes = b"") -> bytes:
    return (
        b"Content-Type: "
        + content_type
        + b"\r\nContent-Disposition: "
        + disposition
        + b"\r\nContent-Transfer-Encoding: base64\r\n"
        + extra
        + b"\r\n"
        + base64.encodebytes(data)
    )


def test_attachments_with_rfc2231_and_rfc2047_names() -> None:
    raw = _multipart(
        [
            b"Content-Type: text/plain\r\n\r\nZie bijlage.",
            _attachment(
                b"application/pdf",
                b"attachment; filename*=UTF-8''factuur%20n%C2%BA%201.pdf",
                b"%PDF-1.4",
            ),
            _attachment(
                DOCX + b'; name="x"',
                b'attachment; filename="=?utf-8?B?Z2FyYW50aWUuZG9jeA==?="',
                b"PK\x03\x04",
            ),
            _attachment(
                b"image/JPEG",
                b'attachment; filename*0="foto-"; filename*1="kapot.jpg"',
                b"\xff\xd8\xff",
            ),
        ]
    )
    mail = parse(raw)
    assert mail.text == "Zie bijlage."
    assert [a.name for a in mail.attachments] == [
        "factuur nº 1.pdf",
        "garantie.docx",
        "foto-kapot.jpg",
    ]
    assert [a.content_type for a in mail.attachments] == [
        "application/pdf",
        DOCX.decode(),
        "image/jpeg",
    ]
    assert mail.attachments[0].data == b"%PDF-1.4"
    assert not any(a.inline for a in mail.attachments)


def test_inline_image_with_content_id() -> None:
    raw = _multipart(
        [
            b'Content-Type: text/html\r\n\r\n<p>Zie foto</p><img src="cid:img1@x">',
            _attachment(
                b"image/png",
                b'inline; filename="scherm.png"',
                b"\x89PNG",
                b"Content-ID: <img1@x>\r\n",
            ),
        ],
        b"related",
    )
    mail = parse(raw)
    [image] = mail.attachments
    assert image.inline
    assert image.content_id == "img1@x"
    assert image.name == "scherm.png"
    assert mail.text == "Zie foto"


def test_winmail_dat_is_skipped_with_a_note() -> None:
    raw = _multipart(
        [
            b"Content-Type: text/plain\r\n\r\nZie bijlage.",
            _attachment(
                b'application/ms-tnef; name="winmail.dat"', b"attachment", b"\x78\x9f\x3e\x22"
            ),
        ]
    )
    mail = parse(raw)
    assert mail.attachments == ()
    assert mail.skipped == ("winmail.dat (Outlook TNEF) ignored",)


def test_oversized_attachment_is_skipped_and_named() -> None:
    big = b"\x00" * (MAX_ATTACHMENT_BYTES + 1)
    raw = _multipart(
        [
            b"Content-Type: text/plain\r\n\r\nVideo erbij.",
            _attachment(b"video/mp4", b'attachment; filename="video.mp4"', big),
            _attachment(b"image/jpeg", b'attachment; filename="klein.jpg"', b"\xff\xd8"),
        ]
    )
    mail = parse(raw)
    assert [a.name for a in mail.attachments] == ["klein.jpg"]
    assert mail.skipped == ("video.mp4: larger than 10 MB",)


def test_attached_message_becomes_an_eml_attachment() -> None:
    inner = b"From: shop@x.nl\r\nSubject: Uw bestelling\r\n\r\nVerzonden.\r\n"
    raw = _multipart(
        [
            b"Content-Type: text/plain\r\n\r\nZie doorgestuurd bericht.",
            b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + inner,
        ]
    )
    mail = parse(raw)
    [eml] = mail.attachments
    assert eml.name == "Uw bestelling.eml"
    assert eml.content_type == "message/rfc822"
    assert b"Verzonden." in eml.data
    assert mail.text == "Zie doorgestuurd bericht."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, "attachment"),
        ("", "attachment"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\jan\\foto.jpg", "foto.jpg"),
        ("a\x00b\x07c.txt", "abc.txt"),
        ("..", "attachment"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_clean_filename(name: str | None, expected: str) -> None:
    assert clean_filename(name) == expected


def test_deep_nesting_and_many_parts_are_capped() -> None:
    deep = b"Content-Type: text/plain\r\n\r\ndiep"
    for level in range(40):
        boundary = b"b%d" % level
        deep = (
            b'Content-Type: multipart/mixed; boundary="'
            + boundary
            + b'"\r\n\r\n--'
            + boundary
            + b"\r\n"
            + deep
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    mail = parse(HEADERS + deep)
    assert any("deeper than 20" in note for note in mail.skipped)

    many = _multipart([b"Content-Type: text/plain\r\n\r\npart %d" % i for i in range(300)])
    wide = parse(many)
    assert any("more parts left out" in note for note in wide.skipped)


# --- kinds --------------------------------------------------------------------------------

DSN = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>\r\n"
    b"To: support@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
    b"--R\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
    b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.shop.example\r\n\r\n"
    b"Final-Recipient: rfc822; Gone@Example.NL\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    b"Final-Recipient: rfc822;late@example.nl\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
    b"Final-Recipient: rfc822; <other@example.nl>\r\nAction: failed\r\nStatus: 5.2.2\r\n"
    b"\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Uw bestelling\r\n"
    b"\r\n--R--\r\n"
)


def test_bounce_with_failed_recipients() -> None:
    mail = parse(DSN)
    assert mail.kind == "bounce"
    assert mail.failed_recipients == ("gone@example.nl", "other@example.nl")
    assert mail.attachments == ()


def test_bounce_from_postmaster_with_dsn_part_but_mixed_type() -> None:
    raw = DSN.replace(b"multipart/report; report-type=delivery-status", b"multipart/mixed")
    raw = raw.replace(b"MAILER-DAEMON@", b"postmaster@")
    assert parse(raw).kind == "bounce"


def test_bounce_with_empty_return_path() -> None:
    raw = b"Return-Path: <>\r\n" + DSN.replace(
        b"multipart/report; report-type=delivery-status", b"multipart/mixed"
    ).replace(b"MAILER-DAEMON@mx.shop.example", b"noreply@mx.shop.example")
    assert parse(raw).kind == "bounce"


@pytest.mark.parametrize(
    "header",
    [
        b"Auto-Submitted: auto-replied\r\n",
        b"Auto-Submitted: auto-generated; owner-email=x@y\r\n",
        b"X-Autoreply: yes\r\n",
        b"X-Autorespond: Out of office\r\n",
        b"Precedence: auto_reply\r\n",
        b"X-Auto-Response-Suppress: All\r\nX-MS-Exchange-Inbox-Rules-Loop: jan@x.nl\r\n",
    ],
)
def test_auto_reply_headers(header: bytes) -> None:
    assert parse(header + b"Subject: Bestelling\r\n\r\nx").kind == "auto_reply"


@pytest.mark.parametrize(
    "subject",
    [
        b"Automatic reply: Bestelling 10234",
        b"Automatisch antwoord: Uw bestelling",
        b"Out of Office: order",
        b"Afwezig: Re: bestelling",
        b"Autoreply: order",
    ],
)
def test_auto_reply_subjects(subject: bytes) -> None:
    assert parse(b"Subject: " + subject + b"\r\n\r\nx").kind == "auto_reply"


def test_not_auto_reply() -> None:
    assert parse(b"Auto-Submitted: no\r\nSubject: Hello\r\n\r\nx").kind == "mail"
    assert parse(b"X-Auto-Response-Suppress: All\r\nSubject: Hello\r\n\r\nx").kind == "mail"


@pytest.mark.parametrize(
    "header",
    [
        b"List-Id: Nieuws <nieuws.shop.example>\r\n",
        b"List-Unsubscribe: <mailto:unsub@shop.example>\r\n",
        b"Precedence: bulk\r\n",
        b"Precedence: list\r\n",
        b"Precedence: junk\r\n",
    ],
)
def test_list_mail(header: bytes) -> None:
    assert parse(header + b"Subject: Nieuwsbrief\r\n\r\nx").kind == "list"


# --- robustness ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00",
        b"\r\n\r\n",
        b"no headers at all",
        b'From: <>\r\nTo: ,,,,\r\nCc: "unterminated <x@y\r\n\r\n',
        b"Subject: =?utf-8?B?!!!?=\r\nFrom: =?utf-8?Q?=ZZ?= <a@b>\r\n\r\n",
        b'Content-Type: text/plain; charset="\r\n\r\nx',
        b"Content-Type: ;;;\r\nContent-Disposition: attachment; filename*=bogus''%ZZ\r\n\r\nx",
        b'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n\r\n',
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n!!!\r\nend\r\n",
        b"Date: Mon, 3 Nov 99999 10:12:00 +9999\r\n\r\n",
        b"Message-ID: <" + b"a" * 5000 + b"@x>\r\n\r\n",
        b"Subject: " + b"x" * 100_000 + b"\r\n\r\n" + b"y" * 1_000_000,
    ],
)
def test_garbage_never_raises(raw: bytes) -> None:
    mail = parse(raw)
    assert mail.kind in ("mail", "auto_reply", "bounce", "list")
    for value in (mail.subject, mail.text, mail.reply, mail.from_name):
        assert "\x00" not in value
        value.encode("utf-8")
