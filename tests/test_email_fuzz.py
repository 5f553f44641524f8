"""parse() never raises: on random bytes, mutated corpus mail and random headers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balie.email.parse import ParsedMail, parse
from balie.email.quotes import latest_reply
from tests.email_corpus import corpus

SEEDS = [mail.raw for mail in corpus(48, seed=21)]
KINDS = {"mail", "auto_reply", "bounce", "list"}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(mail: ParsedMail) -> None:
    assert mail.kind in KINDS
    texts = [mail.subject, mail.text, mail.reply, mail.from_name, mail.html or ""]
    texts += [a.name for a in mail.attachments] + list(mail.skipped)
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: the database must accept it
    for name in (a.name for a in mail.attachments):
        assert name and "/" not in name and "\\" not in name and len(name) <= 200


@FAST
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check(parse(raw))


_MUTATION = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]),
    st.floats(min_value=0, max_value=1),
    st.binary(min_size=1, max_size=8),
)


def _mutate(raw: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    data = bytearray(raw)
    for kind, where, payload in mutations:
        at = int(where * len(data)) if data else 0
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] ^= payload[0] or 0x20
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + 200]
    return bytes(data)


@FAST
@given(st.sampled_from(SEEDS), st.lists(_MUTATION, min_size=1, max_size=6))
def test_mutated_corpus_mail(raw: bytes, mutations: list[tuple[str, float, bytes]]) -> None:
    _check(parse(_mutate(raw, mutations)))


_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "Auto-Submitted",
        "Precedence",
        "List-Id",
        "Return-Path",
        "Delivered-To",
    ]
)
_PIECES = st.sampled_from(
    [
        "=?utf-8?B?",
        "=?iso-8859-1?Q?",
        "=?x-bogus?q?",
        "?=",
        "<",
        ">",
        "@",
        '"',
        ",",
        ";",
        "\\",
        "(",
        ")",
        "\r\n ",
        "\r\n",
        "multipart/mixed",
        "boundary=",
        "charset=",
        "filename*0*=",
        "''",
        "%FF",
        "text/html",
        "base64",
        "quoted-printable",
        "message/rfc822",
        "\x00",
        "é",
        "😊",
        "\udcff",
        "jan@example.nl",
        "Mon, 3 Nov 2025 10:12:00 +0100",
    ]
)
_VALUE = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=10).map("".join)


@FAST
@given(
    st.lists(st.tuples(_NAMES, _VALUE), max_size=12),
    st.sampled_from(
        [b"", b"plain body", b"--x\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--x--"]
    ),
)
def test_random_headers(headers: list[tuple[str, str]], body: bytes) -> None:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    _check(parse(head.encode("utf-8", "surrogateescape") + b"\r\n" + body))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["> ", "\n", "wrote:", "schreef", "Op ", "On ", "Van: ", "-- \n"]),
        ),
        max_size=30,
    ).map("".join)
)
def test_latest_reply_never_raises_and_keeps_words(text: str) -> None:
    reply = latest_reply(text)
    if reply == text.strip():
        return  # nothing to cut, or nothing left after cutting: the text as it came
    # Lines are dropped, never rewritten: every line of the reply is a line of the text.
    lines = {line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")}
    assert {line.strip() for line in reply.split("\n")} <= lines
