"""Reading an inbound e-mail into plain facts Balie can store and thread.

``parse`` takes the raw bytes a mail server or IMAP box hands over and never raises: mail
from the wild has garbled headers, lying charsets, broken base64 and missing boundaries,
and one bad message must not stop an inbox. Whatever cannot be read is left out and, for
parts of the body, named in ``ParsedMail.skipped`` so an agent knows something was there.

Header values are decoded from their raw form. The standard library's modern policy does
the work where it can; where it raises or leaves undecodable bytes behind, Balie falls
back to decoding encoded words itself with a forgiving charset chain.
"""

from __future__ import annotations

import codecs
import datetime
import email
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import html as html_lib
import re
from dataclasses import dataclass, field

import inscriptis
import nh3
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

from balie.email.quotes import latest_reply

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Real mail nests a handful of levels; deeper or wider trees are hostile or broken.
MAX_DEPTH = 20
MAX_PARTS = 200
_MAX_NAME = 200
_MAX_ID = 998

_Message = email.message.Message


@dataclass(frozen=True)
class MailAttachment:
    name: str
    content_type: str
    data: bytes
    inline: bool
    content_id: str | None


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str | None
    from_name: str
    reply_to: str | None
    recipients: tuple[str, ...]
    subject: str
    date: datetime.datetime | None
    text: str
    reply: str
    html: str | None
    attachments: tuple[MailAttachment, ...]
    skipped: tuple[str, ...]
    kind: str
    failed_recipients: tuple[str, ...]


# --- small text helpers -------------------------------------------------------------------

_SURROGATES = re.compile("[\ud800-\udfff]")
_SUSPICIOUS = re.compile("[\ud800-\udfff\ufffd]")
_WHITESPACE = re.compile(r"\s+")
_ADDRESS = re.compile(r"[^\s\x00-\x1f@<>(),;:\"\\\[\]]+@[^\s\x00-\x1f@<>(),;:\"\\\[\]]+")
_BRACKETED_ADDRESS = re.compile(r"<\s*([^\s@<>]+@[^\s@<>]+)\s*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTENT_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
# Charsets that Python knows but that are no text encodings a mail would use.
_REFUSED_CHARSETS = frozenset({"idna", "punycode", "raw_unicode_escape", "unicode_escape"})
# Mail labelled Latin-1 or ASCII is written on Windows more often than not (€ is 0x80).
_WINDOWS_CHARSET = {"iso8859-1": "cp1252", "ascii": "cp1252"}


def _clean(text: str) -> str:
    """Remove NULs (the database refuses them) and lone surrogates (not encodable)."""
    return _SURROGATES.sub("\ufffd", text.replace("\x00", ""))


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").split("*", 1)[0].strip().lower()
    if not name or len(name) > 40:
        return None
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None
    if codec in _REFUSED_CHARSETS or not getattr(codecs.lookup(codec), "_is_text_encoding", True):
        return None
    return _WINDOWS_CHARSET.get(codec, codec)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes: the declared charset, else UTF-8, else Windows-1252, else Latin-1."""
    for candidate in (_codec(charset), "utf-8", "cp1252"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    return data.decode("latin-1")


def _recover_8bit(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes; read them as UTF-8 or cp1252."""
    if not _SURROGATES.search(value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), None)


def _unfold(value: str) -> str:
    return "".join(value.splitlines())


def _raw_values(message: _Message, name: str) -> list[str]:
    wanted = name.lower()
    try:
        return [str(value) for key, value in message.raw_items() if key.lower() == wanted]
    except Exception:
        return []


def _first_raw(message: _Message, name: str) -> str | None:
    values = _raw_values(message, name)
    return values[0] if values else None


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded the forgiving way (unknown charsets, bad bytes)."""
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        return value
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            # decode_header hands unencoded stretches back in this form.
            parts.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            parts.append(decode_bytes(chunk, charset))
    return "".join(parts)


def _decode_header(name: str, raw: str) -> str:
    value = _recover_8bit(_unfold(raw))
    try:
        decoded = str(email.policy.default.header_factory(name, value))
        if not _SUSPICIOUS.search(decoded):
            return decoded
    except Exception:
        pass
    return _decode_words(value)


def _header_text(message: _Message, name: str) -> str:
    raw = _first_raw(message, name)
    return "" if raw is None else _clean(_decode_header(name, raw))


# --- addresses ----------------------------------------------------------------------------


def _valid_address(address: str) -> str | None:
    candidate = address.strip().strip("<>").strip().lower()
    return candidate if _ADDRESS.fullmatch(candidate) and len(candidate) <= 320 else None


def _parse_addresses(name: str, raw: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; unreadable entries left out."""
    value = _recover_8bit(_unfold(raw))
    try:
        header = email.policy.default.header_factory(name, value)
        found = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
        checked = [(n, a) for n, a in ((n, _valid_address(a)) for n, a in found) if a]
        if checked and not any(_SUSPICIOUS.search(n) for n, _ in checked):
            return checked
    except Exception:
        pass
    try:
        pairs = email.utils.getaddresses([value])
        checked = [
            (_decode_words(n), a) for n, a in ((n, _valid_address(a)) for n, a in pairs) if a
        ]
        if checked:
            return checked
    except Exception:
        pass
    # Last resort: anything that looks like an address, bracketed first.
    bracketed = _BRACKETED_ADDRESS.findall(value)
    loose = bracketed or _ADDRESS.findall(value)
    return [("", a) for a in (_valid_address(item) for item in loose) if a]


def _addresses(message: _Message, name: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for raw in _raw_values(message, name):
        found.extend(_parse_addresses(name, raw))
    return found


# --- ids, subject, date -------------------------------------------------------------------

_BRACKETED_ID = re.compile(r"<([^<>]*)>")


def normalise_message_id(value: str) -> str | None:
    """``<local@domain>`` with whitespace removed and the domain lower-cased; None if garbled."""
    text = "".join(value.split())
    match = _BRACKETED_ID.search(text)
    inner = match.group(1) if match else text
    if not inner or len(inner) > _MAX_ID or "<" in inner or ">" in inner:
        return None
    if _CONTROL.search(inner) or _SURROGATES.search(inner):
        return None
    local, at, domain = inner.rpartition("@")
    if not at or not local or not domain:
        return None
    return f"<{local}@{domain.lower()}>"


def message_ids(header_value: str | None) -> tuple[str, ...]:
    """All ids in a References or In-Reply-To value, normalised, in order, without repeats."""
    if not header_value:
        return ()
    text = _recover_8bit(_unfold(header_value))
    candidates = _BRACKETED_ID.findall(text) or [t for t in text.split() if "@" in t]
    seen: dict[str, None] = {}
    for candidate in candidates:
        normal = normalise_message_id(candidate)
        if normal is not None:
            seen.setdefault(normal, None)
    return tuple(seen)


_REPLY_PREFIX = re.compile(
    r"\s*(?:re|aw|antw|antwoord|fw|fwd|doorst|wg|tr|ref|sv|vs)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]",
    re.IGNORECASE,
)
_BRACKET_TAG = re.compile(r"\s*\[[^\[\]]*\]")


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, whitespace collapsed, case-folded.

    Bracket tags such as "[Ticket #12]" stay: they tell threads apart. Prefixes right after
    a leading tag go too, as clients put "Re:" either side of it.
    """
    text = _WHITESPACE.sub(" ", subject).strip()
    tags = ""
    while True:
        tag = _BRACKET_TAG.match(text)
        prefix = _REPLY_PREFIX.match(text)
        if prefix:
            text = text[prefix.end() :]
        elif tag and _REPLY_PREFIX.match(text, tag.end()):
            tags += tag.group(0)
            text = text[tag.end() :]
        else:
            break
    return _WHITESPACE.sub(" ", f"{tags} {text}").strip().casefold()


def _date(message: _Message) -> datetime.datetime | None:
    raw = _first_raw(message, "date")
    if raw is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_recover_8bit(_unfold(raw)).strip())
        if parsed.tzinfo is None:
            # RFC 5322's "-0000" (time zone unknown) arrives naive; UTC is the honest guess.
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.astimezone(datetime.UTC)
    except Exception:
        return None


# --- body parts ---------------------------------------------------------------------------


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    has_dsn: bool = False


@dataclass(frozen=True)
class _PartInfo:
    content_type: str
    charset: str | None
    disposition: str | None
    filename: str | None
    content_id: str | None
    flowed: bool
    delsp: bool


def _part_info(part: _Message) -> _PartInfo:
    """Content headers read through a compat32 view, whose parameter parsing forgives."""
    view = email.message.Message()
    for name in ("content-type", "content-disposition"):
        raw = _first_raw(part, name)
        if raw is not None:
            view[name] = _recover_8bit(_unfold(raw))
    content_type = "text/plain"
    charset = disposition = filename = None
    flowed = delsp = False
    try:
        content_type = view.get_content_type().lower()
        charset_param = view.get_param("charset")
        charset = charset_param if isinstance(charset_param, str) else None
        disposition = view.get_content_disposition()
        found = view.get_filename() or view.get_param("name")
        filename = _decode_words(found) if isinstance(found, str) and found.strip() else None
        flowed = str(view.get_param("format") or "").lower() == "flowed"
        delsp = str(view.get_param("delsp") or "").lower() == "yes"
    except Exception:
        pass
    if not _CONTENT_TYPE.fullmatch(content_type):
        content_type = "application/octet-stream"
    raw_id = _first_raw(part, "content-id")
    content_id = None
    if raw_id is not None:
        content_id = _clean("".join(_recover_8bit(_unfold(raw_id)).split()).strip("<>")) or None
    return _PartInfo(content_type, charset, disposition, filename, content_id, flowed, delsp)


def clean_filename(name: str | None) -> str:
    """A file name safe to show and store: no path, printable, at most 200 characters."""
    text = _clean(name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = _CONTROL.sub("", text)
    text = "".join(ch for ch in text if ch.isprintable())
    text = _WHITESPACE.sub(" ", text).strip().lstrip(".").strip()
    if len(text) > _MAX_NAME:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10 and stem:
            text = f"{stem[: _MAX_NAME - len(extension) - 1]}.{extension}"
        else:
            text = text[:_MAX_NAME]
    return text or "attachment"


def _payload_bytes(part: _Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    try:
        raw = part.get_payload()
    except Exception:
        return b""
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _unflow(text: str, delsp: bool) -> str:
    """Join format=flowed soft line breaks (RFC 3676) so paragraphs read as one line."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for line in text.split("\n"):
        stripped = line.rstrip("\r")
        depth = len(stripped) - len(stripped.lstrip(">"))
        content = stripped[depth:]
        content = content.removeprefix(" ")
        if pending is not None and depth != pending_depth:
            out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
            pending = None
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        pending = content if pending is None else pending + content
        pending_depth = depth
        if not soft:
            out.append(">" * depth + (" " if depth else "") + pending)
            pending = None
    if pending is not None:
        out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
    return "\n".join(out)


def _part_text(part: _Message, info: _PartInfo) -> str:
    text = decode_bytes(_payload_bytes(part), info.charset).replace("\r\n", "\n")
    if info.flowed:
        text = _unflow(text, info.delsp)
    return _clean(text)


def _dsn_fields(part: _Message) -> list[dict[str, str]]:
    """The blocks of a delivery-status part as lower-cased field -> value maps."""
    try:
        payload = part.get_payload()
    except Exception:
        return []
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, email.message.Message):
                blocks.append(
                    {k.lower(): _recover_8bit(_unfold(str(v))) for k, v in block.raw_items()}
                )
        return blocks
    text = decode_bytes(_payload_bytes(part), None).replace("\r\n", "\n")
    for chunk in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        last = None
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                last = key.strip().lower()
                fields[last] = value.strip()
        blocks.append(fields)
    return blocks


def _failed_recipients(part: _Message) -> list[str]:
    failed: list[str] = []
    for fields in _dsn_fields(part):
        if not fields.get("action", "").strip().lower().startswith("failed"):
            continue
        recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
        address = _valid_address(recipient.rpartition(";")[2])
        if address:
            failed.append(address)
    return failed


def _attached_message(part: _Message, body: _Body) -> None:
    """A forwarded mail (message/rfc822) kept whole as "<subject>.eml"."""
    try:
        payload = part.get_payload()
    except Exception:
        payload = None
    inner = payload[0] if isinstance(payload, list) and payload else None
    data = b""
    subject = ""
    if isinstance(inner, email.message.Message):
        subject = _header_text(inner, "subject")
        try:
            data = inner.as_bytes(policy=email.policy.compat32)
        except Exception:
            data = _payload_bytes(part)
    else:
        data = _payload_bytes(part)
    name = clean_filename(f"{_WHITESPACE.sub(' ', subject).strip() or 'message'}.eml")
    _add_attachment(body, name, "message/rfc822", data, inline=False, content_id=None)


def _add_attachment(
    body: _Body, name: str, content_type: str, data: bytes, *, inline: bool, content_id: str | None
) -> None:
    if len(data) > MAX_ATTACHMENT_BYTES:
        body.skipped.append(f"{name}: larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
        return
    body.attachments.append(MailAttachment(name, content_type, data, inline, content_id))


def _leaf(part: _Message, body: _Body) -> None:
    info = _part_info(part)
    kind = info.content_type
    name = clean_filename(info.filename)
    if kind in _TNEF_TYPES or name.lower() == "winmail.dat":
        body.skipped.append(f"{name} (Outlook TNEF) ignored")
        return
    if kind == "message/delivery-status":
        body.has_dsn = True
        body.failed.extend(_failed_recipients(part))
        return
    if kind in ("text/rfc822-headers", "message/disposition-notification"):
        return  # report furniture: the headers of the returned mail, a read receipt
    if kind == "message/rfc822":
        _attached_message(part, body)
        return
    is_body = info.disposition != "attachment" and info.filename is None
    if is_body and kind == "text/html":
        body.html.append(_part_text(part, info))
        return
    if is_body and (kind == "text/plain" or kind.startswith("multipart/")):
        # A multipart whose boundary is missing arrives as one leaf: its text is the body.
        body.plain.append(_part_text(part, info))
        return
    inline = kind.startswith("image/") and (
        info.content_id is not None or info.disposition == "inline"
    )
    _add_attachment(
        body, name, kind, _payload_bytes(part), inline=inline, content_id=info.content_id
    )


def _walk(message: _Message) -> _Body:
    """Visit the parts in document order without recursion, within depth and count caps."""
    body = _Body()
    stack: list[tuple[_Message, int]] = [(message, 0)]
    visited = 0
    too_deep = False
    while stack:
        part, depth = stack.pop()
        visited += 1
        if visited > MAX_PARTS:
            body.skipped.append(f"{len(stack) + 1} more parts left out (over {MAX_PARTS})")
            break
        try:
            children = part.get_payload() if part.is_multipart() else None
        except Exception:
            children = None
        if isinstance(children, list) and _part_info(part).content_type.startswith("multipart/"):
            if depth >= MAX_DEPTH:
                too_deep = True
                continue
            stack.extend((c, depth + 1) for c in reversed(children) if isinstance(c, _Message))
            continue
        try:
            _leaf(part, body)
        except Exception:
            body.skipped.append("an unreadable part")
    if too_deep:
        body.skipped.append(f"parts nested deeper than {MAX_DEPTH} levels left out")
    return body


def _html_to_text(markup: str) -> str:
    try:
        # The strict profile: the relaxed default indents every <div>, and mail is all divs.
        return str(inscriptis.get_text(markup, ParserConfig(css=CSS_PROFILES["strict"])))
    except Exception:
        # Balie still shows something when the HTML defeats the converter.
        return html_lib.unescape(re.sub(r"<[^>]*>", " ", markup))


def _sanitise_html(markup: str) -> str | None:
    try:
        # "cid:" keeps inline images pointing at their attachments.
        return _clean(str(nh3.clean(markup, url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"})))
    except Exception:
        return None


# --- kind ---------------------------------------------------------------------------------

_AUTO_SUBJECT = re.compile(
    r"\s*(automatic reply|auto[- ]?reply|autosvar|out of (the )?office|automatisch antwoord|"
    r"afwezig|abwesenheitsnotiz|automatische antwort|réponse automatique|absence)\b",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"\s*(undeliver|delivery status notification|failure notice|mail delivery failed|"
    r"returned mail|onbestelbaar|niet bezorgd|unzustellbar)",
    re.IGNORECASE,
)
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})


def _is_bounce(message: _Message, body: _Body, from_address: str | None, subject: str) -> bool:
    info = _part_info(message)
    report_type = ""
    try:
        view = email.message.Message()
        raw = _first_raw(message, "content-type")
        if raw is not None:
            view["content-type"] = _recover_8bit(_unfold(raw))
        param = view.get_param("report-type")
        report_type = param.lower() if isinstance(param, str) else ""
    except Exception:
        pass
    if info.content_type == "multipart/report" and report_type == "delivery-status":
        return True
    local = (from_address or "").partition("@")[0]
    daemon = local in _DAEMONS
    empty_return = (_first_raw(message, "return-path") or "").strip() == "<>"
    if body.has_dsn and (daemon or empty_return):
        return True
    return daemon and bool(_BOUNCE_SUBJECT.match(subject))


def _is_auto_reply(message: _Message, subject: str) -> bool:
    auto_submitted = (_first_raw(message, "auto-submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _first_raw(message, "x-autoreply") is not None:
        return True
    if _first_raw(message, "x-autorespond") is not None:
        return True
    if (_first_raw(message, "precedence") or "").strip().lower() == "auto_reply":
        return True
    # Outlook asks for no auto-replies on ordinary mail too, so the header alone proves
    # little; an Exchange rule loop marker beside it does.
    suppress = (_first_raw(message, "x-auto-response-suppress") or "").lower()
    if any(word in suppress for word in ("all", "oof", "autoreply")) and (
        _first_raw(message, "x-ms-exchange-inbox-rules-loop") is not None
    ):
        return True
    return bool(_AUTO_SUBJECT.match(subject))


def _is_list(message: _Message) -> bool:
    if _first_raw(message, "list-id") is not None:
        return True
    if _first_raw(message, "list-unsubscribe") is not None:
        return True
    precedence = (_first_raw(message, "precedence") or "").strip().lower()
    return precedence in ("bulk", "list", "junk")


def _kind(message: _Message, body: _Body, from_address: str | None, subject: str) -> str:
    if _is_bounce(message, body, from_address, subject):
        return "bounce"
    if _is_auto_reply(message, subject):
        return "auto_reply"
    if _is_list(message):
        return "list"
    return "mail"


# --- the whole message --------------------------------------------------------------------


def _load(raw: bytes) -> tuple[_Message, str | None]:
    """The parsed message, or just its headers when the body defeats the parser."""
    try:
        return email.message_from_bytes(raw, policy=email.policy.default), None
    except Exception:
        pass
    try:
        return email.message_from_bytes(raw, policy=email.policy.compat32), None
    except Exception:
        pass
    note = "the body could not be read"
    for policy in (email.policy.default, email.policy.compat32):
        try:
            parser = email.parser.BytesParser(policy=policy)
            return parser.parsebytes(raw, headersonly=True), note
        except Exception:
            continue
    return email.message.Message(), note


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _parse(raw: bytes) -> ParsedMail:
    message, note = _load(raw)
    from_pairs = _addresses(message, "from")
    from_name, from_address = from_pairs[0] if from_pairs else ("", None)
    reply_to_pairs = _addresses(message, "reply-to")
    recipients = [
        address
        for name in ("to", "cc", "delivered-to", "x-original-to")
        for _, address in _addresses(message, name)
    ]
    subject = _WHITESPACE.sub(" ", _header_text(message, "subject")).strip()
    message_id_raw = _first_raw(message, "message-id")
    message_id = None
    if message_id_raw is not None:
        ids = message_ids(message_id_raw)
        message_id = ids[0] if ids else normalise_message_id(_recover_8bit(message_id_raw))

    body = _walk(message) if note is None else _Body(skipped=[note])
    plain = "\n\n".join(p for p in body.plain if p.strip())
    html_source = "\n".join(body.html)
    html = _sanitise_html(_clean(html_source)) if body.html else None
    text = plain if plain.strip() else _clean(_html_to_text(_clean(html_source)))
    text = text.strip("\n")

    return ParsedMail(
        message_id=message_id,
        in_reply_to=message_ids(_first_raw(message, "in-reply-to")),
        references=message_ids(" ".join(_raw_values(message, "references"))),
        from_address=from_address,
        from_name=_clean(_WHITESPACE.sub(" ", from_name).strip()),
        reply_to=reply_to_pairs[0][1] if reply_to_pairs else None,
        recipients=_unique(recipients),
        subject=subject,
        date=_date(message),
        text=text,
        reply=_clean(latest_reply(text)) or text,
        html=html,
        attachments=tuple(body.attachments),
        skipped=tuple(_clean(note) for note in body.skipped),
        kind=_kind(message, body, from_address, subject),
        failed_recipients=_unique(body.failed),
    )


def parse(raw: bytes) -> ParsedMail:
    """Read a raw e-mail. Never raises: what cannot be read is left out."""
    try:
        return _parse(bytes(raw))
    except Exception:
        # A last guard: the inbox must keep moving even past a bug in the above.
        return ParsedMail(
            message_id=None,
            in_reply_to=(),
            references=(),
            from_address=None,
            from_name="",
            reply_to=None,
            recipients=(),
            subject="",
            date=None,
            text="",
            reply="",
            html=None,
            attachments=(),
            skipped=("the message could not be read",),
            kind="mail",
            failed_recipients=(),
        )
