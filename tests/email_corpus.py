"""A generated corpus of customer e-mail, deterministic from a seed.

No public mail corpus may be redistributed with Balie, so the tests and the parsing
benchmark use mail written here in the shapes real clients send: Gmail, Outlook (with its
Word HTML), Apple Mail, Thunderbird's format=flowed, the iPhone, old charsets, encoded
headers and file names, attachments, auto-replies, bounces, list mail and broken mail.

Each ``CorpusMail`` says what ``parse`` should find: the customer's words (``expected_reply``),
the older text the client quoted (``quoted``, which must not end up in the reply), the kind
and the number of attachments. ``reply_chain`` builds a thread between a customer and
support@shop.example for the threading tests.
"""

from __future__ import annotations

import base64
import datetime
import quopri
import random
from collections.abc import Callable
from dataclasses import dataclass

SUPPORT = "support@shop.example"
SUPPORT_NAME = {"nl": "Klantenservice Webwinkel", "en": "Webshop Customer Service"}
CHAIN_STYLES = ("full", "in_reply_to_only", "references_broken", "outlook")


@dataclass(frozen=True)
class CorpusMail:
    raw: bytes
    label: str
    expected_reply: str
    expected_kind: str
    expected_attachments: int
    # Older text the client quoted below the reply; "" when the mail quotes nothing.
    quoted: str = ""
    # Whether the reply must equal expected_reply (whitespace aside), not just contain it.
    exact: bool = True


# --- words ------------------------------------------------------------------------------

_FIRST = ["Jan", "Sanne", "Pieter", "Fatima", "Daan", "Emma", "Mohamed", "Lotte", "Kees", "Anouk"]
_FIRST_ACCENTED = ["Zoë", "Jérôme", "Anaïs", "Çağla", "Søren", "Chloé", "Ivo", "Noël"]
_LAST = ["Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "El Amrani"]
_DOMAINS = ["example.nl", "voorbeeld.nl", "mail.example.com", "example.org", "posteo.example"]

_PRODUCTS = {
    "nl": ["koffiezetapparaat", "stofzuiger", "koptelefoon", "wasmand", "bureaulamp", "fietspomp"],
    "en": ["coffee maker", "vacuum cleaner", "headphones", "desk lamp", "kettle", "bike pump"],
}
_OPENINGS = {
    "nl": ["Hallo,", "Beste klantenservice,", "Goedemiddag,", "Hoi,", "Geachte heer/mevrouw,"],
    "en": ["Hello,", "Hi there,", "Dear customer service,", "Good afternoon,", "Hi,"],
}
_COMPLAINTS = {
    "nl": [
        "Mijn bestelling {order} is vandaag aangekomen, maar de {product} is kapot.",
        "Ik wacht al {days} dagen op bestelling {order}. Waar blijft mijn pakket?",
        "Ik wil graag mijn geld terug voor de {product} uit bestelling {order}.",
        "De {product} uit bestelling {order} doet het na {days} dagen niet meer.",
        "Kunnen jullie de retourzending van bestelling {order} bevestigen?",
        "Er is {amount} van mijn rekening afgeschreven, maar bestelling {order} is geannuleerd.",
        "In het pakket van bestelling {order} zat een verkeerde {product}.",
    ],
    "en": [
        "My order {order} arrived today, but the {product} is broken.",
        "I have been waiting {days} days for order {order}. Where is my parcel?",
        "I would like a refund for the {product} in order {order}.",
        "The {product} from order {order} stopped working after {days} days.",
        "Could you confirm that you received the return of order {order}?",
        "You charged {amount} to my card, but order {order} was cancelled.",
        "The parcel for order {order} contained the wrong {product}.",
    ],
}
_FOLLOW_UPS = {
    "nl": [
        "Ik heb er een foto van gemaakt.",
        "Graag een snelle reactie, want het is een cadeau.",
        "Mijn telefoonnummer is 06-{phone}.",
        "Ik heb de doos nog gewoon.",
        "Het bedrag was {amount}.",
        "",
    ],
    "en": [
        "I took a photo of it.",
        "Please answer quickly, it is a present.",
        "My phone number is 07700 {phone}.",
        "I still have the box.",
        "It cost {amount}.",
        "",
    ],
}
_CLOSINGS = {
    "nl": [
        "Met vriendelijke groet,\n{name}",
        "Groet,\n{name}",
        "Alvast bedankt,\n{name}",
        "{name}",
    ],
    "en": ["Kind regards,\n{name}", "Best,\n{name}", "Thanks in advance,\n{name}", "{name}"],
}
# Support's words use none of the customer's sentences, so quoting them is detectable.
_SUPPORT_LINES = {
    "nl": [
        "Bedankt voor uw bericht over bestelling {order}.",
        "Wij hebben uw vraag doorgestuurd naar ons magazijn.",
        "U ontvangt binnen twee werkdagen een retourlabel per e-mail.",
        "Kunt u ons een foto van de schade sturen?",
    ],
    "en": [
        "Thank you for your message about order {order}.",
        "We have passed your question to our warehouse team.",
        "You will receive a return label by e-mail within two working days.",
        "Could you send us a photo of the damage?",
    ],
}
_SUBJECTS = {
    "nl": [
        "Bestelling {order}",
        "Kapotte {product}",
        "Retour {order}",
        "Vraag over mijn bestelling",
    ],
    "en": ["Order {order}", "Broken {product}", "Return {order}", "Question about my order"],
}
_NL_DAYS = ["ma", "di", "wo", "do", "vr", "za", "zo"]
_NL_MONTHS = ["jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt."]
_NL_MONTHS += ["nov.", "dec."]
_NL_LONG_DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
_NL_LONG_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus"]
_NL_LONG_MONTHS += ["september", "oktober", "november", "december"]
_EN_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class _Person:
    name: str
    address: str


@dataclass(frozen=True)
class _Story:
    """One customer's case: who, which order, the words written and the history quoted."""

    lang: str
    customer: _Person
    order: str
    subject: str
    reply: str
    support_text: str
    when: datetime.datetime


def _person(rng: random.Random, accented: bool = False) -> _Person:
    first = rng.choice(_FIRST_ACCENTED if accented else _FIRST)
    last = rng.choice(_LAST)
    local = f"{first}.{last}".lower().replace(" ", "")
    local = local.encode("ascii", "ignore").decode() or "klant"
    return _Person(f"{first} {last}", f"{local}{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}")


def _fill(template: str, rng: random.Random, order: str, lang: str) -> str:
    amount = f"€ {rng.randint(5, 400)},{rng.randint(0, 99):02d}"
    if lang == "en":
        amount = f"£{rng.randint(5, 400)}.{rng.randint(0, 99):02d}"
    return template.format(
        order=order,
        product=rng.choice(_PRODUCTS[lang]),
        days=rng.randint(3, 30),
        amount=amount,
        phone=rng.randint(10_000_000, 99_999_999) % 100_000_000,
    )


def _story(rng: random.Random, lang: str, accented: bool = False) -> _Story:
    customer = _person(rng, accented)
    order = f"{rng.choice(['WS', 'NL', ''])}{rng.randint(10_000, 99_999)}"
    sentences = [_fill(rng.choice(_COMPLAINTS[lang]), rng, order, lang)]
    follow_up = _fill(rng.choice(_FOLLOW_UPS[lang]), rng, order, lang)
    if follow_up:
        sentences.append(follow_up)
    paragraphs = [rng.choice(_OPENINGS[lang]), " ".join(sentences)]
    paragraphs.append(rng.choice(_CLOSINGS[lang]).format(name=customer.name.split()[0]))
    support = " ".join(
        _fill(line, rng, order, lang) for line in rng.sample(_SUPPORT_LINES[lang], k=2)
    )
    when = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        minutes=rng.randint(0, 500_000)
    )
    return _Story(
        lang=lang,
        customer=customer,
        order=order,
        subject=_fill(rng.choice(_SUBJECTS[lang]), rng, order, lang),
        reply="\n\n".join(paragraphs),
        support_text=support,
        when=when,
    )


# --- encoding helpers ---------------------------------------------------------------------


def _encoded_word(text: str, rng: random.Random, charset: str = "utf-8") -> str:
    """RFC 2047: ASCII stays as it is; anything else as B or Q encoded words."""
    if text.isascii():
        return text
    data = text.encode(charset)
    if rng.random() < 0.5:
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    quoted = "".join(
        chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}" for b in data
    )
    return f"=?{charset}?Q?{quoted}?="


def _mailbox(person: _Person, rng: random.Random) -> str:
    return f"{_encoded_word(person.name, rng)} <{person.address}>"


def _message_id(rng: random.Random, domain: str = "example.nl") -> str:
    token = "".join(
        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(24)
    )
    return f"<{token}@{domain}>"


def _rfc_date(when: datetime.datetime) -> str:
    local = when.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
    return local.strftime("%a, %d %b %Y %H:%M:%S +0100")


def _encode_body(text: str, charset: str, cte: str) -> bytes:
    data = text.replace("\n", "\r\n").encode(charset)
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", b"\r\n")
    if cte == "quoted-printable":
        return quopri.encodestring(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data


def _text_part(
    text: str,
    subtype: str = "plain",
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    params: str = "",
) -> bytes:
    return (
        f"Content-Type: text/{subtype}; charset={charset}{params}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    ).encode() + _encode_body(text, charset, cte)


def _binary_part(
    content_type: str,
    data: bytes,
    filename: str | None,
    disposition: str = "attachment",
    content_id: str | None = None,
) -> bytes:
    headers = f"Content-Type: {content_type}"
    if filename is not None and filename.isascii():
        headers += (
            f'; name="{filename}"\r\nContent-Disposition: {disposition}; filename="{filename}"'
        )
    elif filename is not None:
        # RFC 2231, the way Thunderbird and Apple Mail name non-ASCII files
        encoded = "".join(
            chr(b) if (chr(b).isalnum() and b < 128) or chr(b) in ".-_" else f"%{b:02X}"
            for b in filename.encode()
        )
        headers += f"\r\nContent-Disposition: {disposition}; filename*=utf-8''{encoded}"
    else:
        headers += f"\r\nContent-Disposition: {disposition}"
    if content_id is not None:
        headers += f"\r\nContent-ID: <{content_id}>"
    headers += "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    return headers.encode() + base64.encodebytes(data).replace(b"\n", b"\r\n")


def _multipart(subtype: str, parts: list[bytes], rng: random.Random, params: str = "") -> bytes:
    boundary = f"----=_Part_{rng.randint(0, 10**9)}_{rng.randint(0, 10**6)}"
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}\r\n\r\n'.encode()
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def _message(headers: list[tuple[str, str]], entity: bytes, newline: bytes = b"\r\n") -> bytes:
    head = b"".join(f"{name}: {value}\r\n".encode() for name, value in headers)
    raw = head + b"MIME-Version: 1.0\r\n" + entity
    return raw if newline == b"\r\n" else raw.replace(b"\r\n", newline)


def _headers(
    rng: random.Random,
    story: _Story,
    subject: str | None = None,
    *,
    mailer: str | None = None,
    message_id_domain: str = "example.nl",
) -> list[tuple[str, str]]:
    headers = [
        ("From", _mailbox(story.customer, rng)),
        ("To", f"{_encoded_word(SUPPORT_NAME[story.lang], rng)} <{SUPPORT}>"),
        ("Subject", _encoded_word(subject if subject is not None else story.subject, rng)),
        ("Date", _rfc_date(story.when)),
        ("Message-ID", _message_id(rng, message_id_domain)),
    ]
    if mailer:
        headers.append(("X-Mailer", mailer))
    return headers


def _quote(text: str, prefix: str = "> ") -> str:
    return "\n".join(f"{prefix}{line}" if line else prefix.rstrip() for line in text.split("\n"))


def _html_paragraphs(text: str) -> str:
    return "".join(
        "<p>" + paragraph.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>") + "</p>"
        for paragraph in text.split("\n\n")
    )


def _earlier(story: _Story) -> datetime.datetime:
    return story.when - datetime.timedelta(hours=5, minutes=17)


def _attribution_gmail(story: _Story, name: str, address: str) -> str:
    when = _earlier(story)
    if story.lang == "nl":
        day = _NL_DAYS[when.weekday()]
        month = _NL_MONTHS[when.month - 1]
        return (
            f"Op {day} {when.day} {month} {when.year} om {when:%H:%M} schreef {name} <{address}>:"
        )
    hour = when.hour % 12 or 12
    ampm = "AM" if when.hour < 12 else "PM"
    return (
        f"On {_EN_DAYS[when.weekday()]}, {_EN_MONTHS[when.month - 1]} {when.day}, {when.year} "
        f"at {hour}:{when:%M} {ampm} {name} <{address}> wrote:"
    )


def _wrap_like_gmail(line: str, rng: random.Random) -> str:
    """Gmail hard-wraps a long attribution near 76 characters, sometimes inside the <...>."""
    if len(line) <= 76 or rng.random() < 0.3:
        return line
    if rng.random() < 0.5 and "<" in line:
        head, _, tail = line.partition("<")
        return f"{head}<\n{tail}"
    cut = line.rfind(" ", 0, 76)
    return f"{line[:cut]}\n{line[cut + 1 :]}"


def _attribution_apple(story: _Story, name: str, address: str) -> str:
    when = _earlier(story)
    if story.lang == "nl":
        return (
            f"Op {when.day} {_NL_MONTHS[when.month - 1]} {when.year}, om {when:%H:%M} heeft "
            f"{name} <{address}> het volgende geschreven:"
        )
    month = _EN_MONTHS[when.month - 1]
    return f"On {when.day} {month} {when.year}, at {when:%H:%M}, {name} <{address}> wrote:"


def _outlook_block(story: _Story, rng: random.Random, subject: str) -> str:
    when = _earlier(story)
    customer = f"{story.customer.name} <{story.customer.address}>"
    support = f"{SUPPORT_NAME[story.lang]} <{SUPPORT}>"
    if story.lang == "nl":
        day, month = _NL_LONG_DAYS[when.weekday()], _NL_LONG_MONTHS[when.month - 1]
        sent = f"{day} {when.day} {month} {when.year} {when:%H:%M}"
        block = f"Van: {support}\nVerzonden: {sent}\nAan: {customer}\nOnderwerp: {subject}"
        original = "-----Oorspronkelijk bericht-----"
    else:
        sent = f"{when:%A}, {when:%B} {when.day}, {when.year} {when:%I:%M %p}"
        block = f"From: {support}\nSent: {sent}\nTo: {customer}\nSubject: {subject}"
        original = "-----Original Message-----"
    style = rng.choice(["plain", "underscores", "original"])
    if style == "underscores":
        return "________________________________\n" + block
    if style == "original":
        return original + "\n" + block
    return block


# --- the client shapes --------------------------------------------------------------------

Generator = Callable[[random.Random, str], CorpusMail]


def _gmail(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang, accented=rng.random() < 0.4)
    attribution = _attribution_gmail(story, SUPPORT_NAME[lang], SUPPORT)
    plain = (
        f"{story.reply}\n\n{_wrap_like_gmail(attribution, rng)}\n\n{_quote(story.support_text)}\n"
    )
    html = (
        f'<div dir="ltr">{_html_paragraphs(story.reply)}</div><br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{attribution.replace("<", "&lt;")}<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px '
        f'solid rgb(204,204,204);padding-left:1ex">{_html_paragraphs(story.support_text)}'
        "</blockquote></div>"
    )
    cte = rng.choice(["quoted-printable", "base64"])
    entity = _multipart(
        "alternative",
        [_text_part(plain, cte=cte), _text_part(html, "html", cte=cte)],
        rng,
    )
    headers = _headers(rng, story, f"Re: {story.subject}", message_id_domain="mail.gmail.com")
    headers.append(("In-Reply-To", _message_id(rng, "shop.example")))
    return CorpusMail(
        _message(headers, entity), f"gmail-{lang}", story.reply, "mail", 0, story.support_text
    )


_WORD_HTML_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml"'
    ' xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">'
    '<head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">'
    "<style><!--\n/* Font Definitions */\n@font-face\n\t{{font-family:Calibri;}}\n"
    "p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{{margin:0cm;font-size:11.0pt;}}\n"
    "span.EmailStyle17\n\t{{mso-style-type:personal-compose;}}\n--></style>"
    '<!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext="edit" spidmax="1026" />\n</xml><![endif]-->'
    '</head><body lang="{lang}" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">'
    '<div class="WordSection1">'
)


def _word_paragraphs(text: str) -> str:
    out = ""
    for paragraph in text.split("\n\n"):
        for line in paragraph.split("\n"):
            escaped = line.replace("&", "&amp;").replace("<", "&lt;")
            out += f'<p class="MsoNormal"><span lang="NL">{escaped}<o:p></o:p></span></p>'
        out += '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
    return out


def _outlook(rng: random.Random, lang: str, html_only: bool = False) -> CorpusMail:
    story = _story(rng, lang)
    prefix = "RE" if lang == "en" else rng.choice(["RE", "Antw"])
    subject = f"{prefix}: {story.subject}"
    block = _outlook_block(story, rng, story.subject)
    plain = f"{story.reply}\n\n{block}\n\n{story.support_text}\n"
    header_html = "".join(
        f"<b>{line.partition(':')[0]}:</b>{line.partition(':')[2].replace('<', '&lt;')}<br>"
        for line in block.split("\n")
        if ":" in line
    )
    charset = rng.choice(["us-ascii", "iso-8859-1", "windows-1252", "utf-8"])
    if not (story.reply + plain).isascii() and charset == "us-ascii":
        charset = "utf-8"
    if "€" in plain and charset == "iso-8859-1":
        charset = "windows-1252"
    html = (
        _WORD_HTML_HEAD.format(charset=charset, lang="NL" if lang == "nl" else "EN-US")
        + _word_paragraphs(story.reply)
        + '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        + f'<p class="MsoNormal">{header_html}<o:p></o:p></p></div>'
        + _word_paragraphs(story.support_text)
        + "</div></body></html>"
    )
    html_part = _text_part(html, "html", charset)
    entity = (
        html_part
        if html_only
        else _multipart("alternative", [_text_part(plain, charset=charset), html_part], rng)
    )
    headers = _headers(rng, story, subject, mailer="Microsoft Outlook 16.0")
    headers += [
        ("Thread-Topic", _encoded_word(story.subject, rng)),
        ("Thread-Index", base64.b64encode(rng.randbytes(27)).decode()),
        ("X-MS-Has-Attach", ""),
        ("Content-Language", "nl-NL" if lang == "nl" else "en-US"),
    ]
    label = f"outlook-{lang}" + ("-html-only" if html_only else "")
    return CorpusMail(_message(headers, entity), label, story.reply, "mail", 0, story.support_text)


def _outlook_html_only(rng: random.Random, lang: str) -> CorpusMail:
    return _outlook(rng, lang, html_only=True)


def _apple(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang, accented=rng.random() < 0.5)
    attribution = _attribution_apple(story, SUPPORT_NAME[lang], SUPPORT)
    plain = f"{story.reply}\n\n{_quote(attribution)}\n>\n{_quote(story.support_text)}\n"
    html = (
        f'<html><body dir="auto">{_html_paragraphs(story.reply)}<div><br>'
        f'<blockquote type="cite"><div>{attribution.replace("<", "&lt;")}</div><br>'
        f"{_html_paragraphs(story.support_text)}</blockquote></div></body></html>"
    )
    entity = _multipart("alternative", [_text_part(plain), _text_part(html, "html")], rng)
    headers = _headers(rng, story, f"Re: {story.subject}", mailer="Apple Mail (2.3776.700.51)")
    return CorpusMail(
        _message(headers, entity), f"apple-{lang}", story.reply, "mail", 0, story.support_text
    )


def _flow(text: str, width: int = 66) -> str:
    """format=flowed: long lines broken after a space that stays (a soft break)."""
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > width and " " in line[:width]:
            cut = line.rfind(" ", 0, width) + 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return "\n".join(out)


def _thunderbird(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    when = _earlier(story)
    if lang == "nl":
        attribution = rng.choice(
            [
                f"Op {when:%d-%m-%Y} om {when:%H:%M} schreef {SUPPORT_NAME[lang]}:",
                f"{SUPPORT_NAME[lang]} schreef op {when:%d-%m-%Y} om {when:%H:%M}:",
            ]
        )
    else:
        attribution = (
            f"On {when.month}/{when.day}/{when:%y} {when:%H:%M}, {SUPPORT_NAME[lang]} wrote:"
        )
    plain = f"{_flow(story.reply)}\n\n{attribution}\n{_quote(_flow(story.support_text), '> ')}\n"
    entity = _text_part(
        plain, params="; format=flowed", cte=rng.choice(["8bit", "quoted-printable"])
    )
    headers = _headers(rng, story, f"Re: {story.subject}", mailer="Mozilla Thunderbird")
    headers.append(("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Thunderbird/128.4.0"))
    return CorpusMail(
        _message(headers, entity), f"thunderbird-{lang}", story.reply, "mail", 0, story.support_text
    )


def _iphone(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    footer = "Verstuurd vanaf mijn iPhone" if lang == "nl" else "Sent from my iPhone"
    attribution = _attribution_apple(story, SUPPORT_NAME[lang], SUPPORT).replace(", om ", " om ")
    plain = f"{story.reply}\n\n{footer}\n\n{_quote(attribution)}\n>\n{_quote(story.support_text)}\n"
    entity = _text_part(plain, cte="quoted-printable")
    headers = _headers(rng, story, f"Re: {story.subject}", mailer="iPhone Mail (22A3354)")
    return CorpusMail(
        _message(headers, entity), f"iphone-{lang}", story.reply, "mail", 0, story.support_text
    )


def _mobile_outlook(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    footer = rng.choice(
        [
            "Verzonden vanaf Outlook voor Android",
            "Outlook voor iOS downloaden<https://aka.ms/o0ukef>",
        ]
        if lang == "nl"
        else ["Get Outlook for Android<https://aka.ms/AAb9ysg>", "Sent from Outlook for iOS"]
    )
    block = _outlook_block(story, rng, story.subject)
    plain = f"{story.reply}\n\n{footer}\n{block}\n\n{story.support_text}\n"
    entity = _text_part(plain, cte="base64")
    headers = _headers(rng, story, f"Re: {story.subject}")
    return CorpusMail(
        _message(headers, entity),
        f"outlook-mobile-{lang}",
        story.reply,
        "mail",
        0,
        story.support_text,
    )


def _plain_ascii(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, "en")
    reply = story.reply.replace("£", "GBP ")
    newline = rng.choice([b"\r\n", b"\n"])
    entity = _text_part(reply, charset="us-ascii", cte="7bit")
    return CorpusMail(
        _message(_headers(rng, story), entity, newline), "plain-ascii", reply, "mail", 0
    )


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def _latin1(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, "nl", accented=True)
    while not _encodable(story.reply + story.customer.name, "latin-1"):
        story = _story(rng, "nl", accented=True)
    reply = story.reply.replace("Hallo,", "Hallo, één vraag:").replace("€", "EUR")
    reply = f"{reply}\n\nPS: ideeën voor een café-bon zijn welkom."
    entity = _text_part(reply, charset="iso-8859-1", cte=rng.choice(["8bit", "quoted-printable"]))
    headers = _headers(rng, story)
    headers[0] = (
        "From",
        f"{_encoded_word(story.customer.name, rng, 'iso-8859-1')} <{story.customer.address}>",
    )
    return CorpusMail(_message(headers, entity), "iso-8859-1", reply, "mail", 0)


def _windows1252(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    reply = f"{story.reply}\n\nHet totaal was € {rng.randint(10, 99)},95 – dat klopt niet."
    # Windows often labels its own code page as Latin-1.
    charset = rng.choice(["windows-1252", "iso-8859-1"])
    data = reply.replace("\n", "\r\n").encode("cp1252")
    cte = rng.choice(["8bit", "quoted-printable"])
    body = data if cte == "8bit" else quopri.encodestring(data)
    entity = (
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode()
        + body
    )
    return CorpusMail(_message(_headers(rng, story), entity), "windows-1252", reply, "mail", 0)


def _emoji(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang, accented=True)
    reply = f"{story.reply} 😡📦\n\n🙏 {rng.choice(['Dank!', 'Thanks!'])} 👍🏽"
    subject = f"{story.subject} 😡"
    entity = _text_part(reply, cte=rng.choice(["8bit", "base64", "quoted-printable"]))
    return CorpusMail(
        _message(_headers(rng, story, subject), entity), "utf-8-emoji", reply, "mail", 0
    )


_JAPANESE = [
    "注文番号{order}の商品がまだ届いていません。",
    "届いた商品が壊れていました。返金をお願いします。",
    "注文{order}の配送状況を教えてください。",
]
_RUSSIAN = [
    "Здравствуйте! Мой заказ {order} до сих пор не пришёл.",
    "Товар из заказа {order} пришёл сломанным. Прошу вернуть деньги.",
]


def _japanese(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, "en")
    reply = rng.choice(_JAPANESE).format(order=story.order) + "\nよろしくお願いします。"
    charset = rng.choice(["iso-2022-jp", "shift_jis"])
    cte = "7bit" if charset == "iso-2022-jp" else rng.choice(["8bit", "base64"])
    entity = _text_part(reply, charset=charset, cte=cte)
    headers = _headers(rng, story, "ご注文について")
    headers[2] = ("Subject", _encoded_word("ご注文について", rng, "iso-2022-jp"))
    return CorpusMail(_message(headers, entity), charset, reply, "mail", 0)


def _russian(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, "en")
    reply = rng.choice(_RUSSIAN).format(order=story.order) + "\nС уважением, Иван"
    entity = _text_part(reply, charset="koi8-r", cte=rng.choice(["8bit", "quoted-printable"]))
    headers = _headers(rng, story)
    headers[2] = ("Subject", _encoded_word("Заказ " + story.order, rng, "koi8-r"))
    return CorpusMail(_message(headers, entity), "koi8-r", reply, "mail", 0)


def _html_only(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    html = (
        "<!DOCTYPE html><html><head><style>body{font-family:Arial}</style></head><body>"
        f'<div>{_html_paragraphs(story.reply)}</div><img src="https://track.example/p.gif" width=1>'
        "</body></html>"
    )
    entity = _text_part(html, "html", cte=rng.choice(["quoted-printable", "base64"]))
    return CorpusMail(
        _message(_headers(rng, story), entity), f"html-only-{lang}", story.reply, "mail", 0
    )


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _jpeg(rng: random.Random) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(rng.randint(200, 3000)) + b"\xff\xd9"


def _docx(rng: random.Random) -> bytes:
    return b"PK\x03\x04\x14\x00\x06\x00" + rng.randbytes(rng.randint(100, 1500))


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _attachments(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    names = {
        "nl": [
            "factuur.pdf",
            "foto kapot.jpg",
            "Retourformulier.docx",
            "bon €12.pdf",
            "schade-ñ.jpg",
        ],
        "en": [
            "invoice.pdf",
            "broken photo.jpg",
            "Return form.docx",
            "receipt €12.pdf",
            "damage-ñ.jpg",
        ],
    }[lang]
    chosen = rng.sample(names, k=rng.randint(1, 3))
    parts = [_text_part(story.reply)]
    for name in chosen:
        if name.endswith(".pdf"):
            parts.append(_binary_part("application/pdf", _pdf(), name))
        elif name.endswith(".jpg"):
            parts.append(_binary_part("image/jpeg", _jpeg(rng), name))
        else:
            parts.append(_binary_part(_DOCX, _docx(rng), name))
    entity = _multipart("mixed", parts, rng)
    return CorpusMail(
        _message(_headers(rng, story), entity),
        f"attachments-{lang}",
        story.reply,
        "mail",
        len(chosen),
    )


def _inline_images(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    count = rng.randint(1, 2)
    ids = [
        f"image{i:03d}.jpg@01DB{rng.randint(1000, 9999)}.{rng.randint(1000, 9999)}"
        for i in range(count)
    ]
    html = _html_paragraphs(story.reply) + "".join(
        f'<p><img src="cid:{cid}" width="400"></p>' for cid in ids
    )
    related = _multipart(
        "related",
        [_text_part(html, "html")]
        + [
            _binary_part("image/jpeg", _jpeg(rng), f"image{i:03d}.jpg", "inline", cid)
            for i, cid in enumerate(ids)
        ],
        rng,
    )
    entity = _multipart(
        "alternative",
        [
            _text_part(story.reply + "".join(f"\n\n[cid:{cid}]" for cid in ids)),
            related,
        ],
        rng,
    )
    reply = story.reply + "".join(f"\n\n[cid:{cid}]" for cid in ids)
    return CorpusMail(
        _message(_headers(rng, story), entity), f"inline-images-{lang}", reply, "mail", count
    )


def _winmail(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    tnef = b"\x78\x9f\x3e\x22" + rng.randbytes(300)
    entity = _multipart(
        "mixed",
        [
            _text_part(story.reply, charset="us-ascii" if story.reply.isascii() else "utf-8"),
            _binary_part("application/ms-tnef", tnef, "winmail.dat"),
        ],
        rng,
    )
    headers = _headers(rng, story, mailer="Microsoft Outlook 14.0")
    return CorpusMail(_message(headers, entity), "winmail-dat", story.reply, "mail", 0)


def _forward_attached(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    inner_story = _story(rng, lang)
    inner = _message(
        [
            ("From", "Webwinkel <noreply@shop.example>"),
            ("To", story.customer.address),
            ("Subject", _encoded_word(inner_story.subject, rng)),
            ("Date", _rfc_date(inner_story.when)),
            ("Message-ID", _message_id(rng, "shop.example")),
        ],
        _text_part(inner_story.support_text),
    )
    words = {
        "nl": "Zie het doorgestuurde bericht hieronder.",
        "en": "See the forwarded message below.",
    }[lang]
    reply = f"{story.reply}\n\n{words}"
    entity = _multipart(
        "mixed",
        [
            _text_part(reply),
            b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + inner,
        ],
        rng,
    )
    headers = _headers(rng, story, f"Fwd: {inner_story.subject}")
    return CorpusMail(_message(headers, entity), f"forward-attached-{lang}", reply, "mail", 1)


def _auto_reply(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    until = _rfc_date(story.when + datetime.timedelta(days=7))[5:16]
    if lang == "nl":
        text = f"Ik ben afwezig tot en met {until}. Uw bericht wordt niet doorgestuurd."
        subject = rng.choice(["Automatisch antwoord: ", "Afwezig: "]) + story.subject
    else:
        text = f"I am out of the office until {until}. Your message will not be forwarded."
        subject = rng.choice(["Automatic reply: ", "Out of Office: "]) + story.subject
    headers = _headers(rng, story, subject)
    style = rng.choice(["auto-submitted", "exchange", "subject-only"])
    if style == "auto-submitted":
        headers.append(("Auto-Submitted", "auto-replied"))
    elif style == "exchange":
        headers += [
            ("X-Auto-Response-Suppress", "All"),
            ("X-MS-Exchange-Inbox-Rules-Loop", story.customer.address),
        ]
    label = f"auto-reply-{lang}-{style}"
    return CorpusMail(_message(headers, _text_part(text)), label, text, "auto_reply", 0)


def _bounce(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    failed = [story.customer.address] + [_person(rng).address for _ in range(rng.randint(0, 2))]
    text = (
        "This is the mail system at host mx.shop.example.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "                   The mail system\n\n"
        + "\n".join(f"<{a}>: host mx.example.nl said: 550 5.1.1 User unknown" for a in failed)
    )
    status = (
        "Reporting-MTA: dns; mx.shop.example\r\nArrival-Date: " + _rfc_date(story.when) + "\r\n"
    )
    for address in failed:
        status += (
            f"\r\nFinal-Recipient: rfc822; {address}\r\nOriginal-Recipient: rfc822;{address}\r\n"
        )
        status += (
            "Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        )
    returned_headers = f"From: {SUPPORT}\r\nTo: {failed[0]}\r\nSubject: {story.subject}\r\n"
    with_message = rng.random() < 0.5
    returned = (
        b"Content-Type: message/rfc822\r\n\r\n"
        + returned_headers.encode()
        + b"\r\nUw bestelling.\r\n"
        if with_message
        else b"Content-Type: text/rfc822-headers\r\n\r\n" + returned_headers.encode()
    )
    entity = _multipart(
        "report",
        [
            _text_part(text, charset="us-ascii", cte="7bit"),
            b"Content-Type: message/delivery-status\r\n\r\n" + status.encode(),
            returned,
        ],
        rng,
        "; report-type=delivery-status",
    )
    headers = [
        ("Return-Path", "<>"),
        ("From", "MAILER-DAEMON@mx.shop.example (Mail Delivery System)"),
        ("To", SUPPORT),
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("Date", _rfc_date(story.when)),
        ("Message-ID", _message_id(rng, "mx.shop.example")),
        ("Auto-Submitted", "auto-replied"),
    ]
    return CorpusMail(
        _message(headers, entity), "bounce-dsn", text, "bounce", int(with_message), exact=False
    )


def _mailing_list(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    text = {
        "nl": "Deze week 20% korting op alle koffiezetapparaten. Bekijk de aanbiedingen.",
        "en": "This week 20% off all coffee makers. See the offers in our shop.",
    }[lang]
    headers = [
        ("From", "Nieuwsbrief <news@partner.example>"),
        ("To", SUPPORT),
        ("Subject", "Nieuwsbrief week 45" if lang == "nl" else "Newsletter week 45"),
        ("Date", _rfc_date(story.when)),
        ("Message-ID", _message_id(rng, "partner.example")),
        ("List-Id", "Nieuws <news.partner.example>"),
        ("List-Unsubscribe", "<mailto:unsubscribe@partner.example>, <https://partner.example/u>"),
        ("Precedence", rng.choice(["bulk", "list"])),
    ]
    return CorpusMail(_message(headers, _text_part(text)), f"mailing-list-{lang}", text, "list", 0)


def _without(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    missing = rng.choice(["Message-ID", "Date", "Subject"])
    headers = [(k, v) for k, v in _headers(rng, story) if k != missing]
    label = f"no-{missing.lower()}"
    return CorpusMail(_message(headers, _text_part(story.reply)), label, story.reply, "mail", 0)


def _garbled(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    raw = (
        f"From: {story.customer.name} <{story.customer.address}\r\n"
        'To: support@shop.example,, <>, "unterminated\r\n'
        "Subject: =?utf-8?B?broken!!?= =?unknown-8bit?Q?caf=E9?=\r\n"
        "Date: gisteren om drie uur\r\n"
        "Message-ID: <garbled id with spaces\r\n"
        "X-Broken-Header-Without-Colon\r\n"
        'Content-Type: text/plain; charset="utf-8\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + story.reply.replace("\n", "\r\n").encode()
    # The colon-less line ends the header section, as in every MTA: the rest reads as body.
    return CorpusMail(raw, "garbled-headers", story.reply, "mail", 0, exact=False)


def _long_lines(rng: random.Random, lang: str) -> CorpusMail:
    story = _story(rng, lang)
    filler = " ".join(
        _fill(rng.choice(_COMPLAINTS[lang]), rng, story.order, lang) for _ in range(300)
    )
    reply = f"{story.reply}\n\n{filler}"
    entity = _text_part(reply, cte=rng.choice(["8bit", "quoted-printable", "base64"]))
    return CorpusMail(_message(_headers(rng, story), entity), "very-long-lines", reply, "mail", 0)


GENERATORS: tuple[Generator, ...] = (
    _gmail,
    _outlook,
    _outlook_html_only,
    _apple,
    _thunderbird,
    _iphone,
    _mobile_outlook,
    _plain_ascii,
    _latin1,
    _windows1252,
    _emoji,
    _japanese,
    _russian,
    _html_only,
    _attachments,
    _inline_images,
    _winmail,
    _forward_attached,
    _auto_reply,
    _bounce,
    _mailing_list,
    _without,
    _garbled,
    _long_lines,
)


def corpus(n: int = 400, seed: int = 7) -> list[CorpusMail]:
    """``n`` messages; every shape appears once ``n`` reaches len(GENERATORS)."""
    rng = random.Random(seed)
    return [GENERATORS[i % len(GENERATORS)](rng, rng.choice(["nl", "en"])) for i in range(n)]


# --- threads ------------------------------------------------------------------------------


def _thread_index(rng: random.Random, previous: bytes | None) -> bytes:
    """Outlook's Thread-Index: 22 bytes for the first message, 5 more per reply."""
    return rng.randbytes(22) if previous is None else previous + rng.randbytes(5)


def reply_chain(length: int, seed: int, style: str) -> list[bytes]:
    """A thread between a customer and support@shop.example, each mail replying to the last.

    Styles: "full" (Message-ID, In-Reply-To and References), "in_reply_to_only",
    "references_broken" (no In-Reply-To; References missing or holding only an id Balie
    never saw; subjects with "Re:", "Antw:" or "RE: AW:"), "outlook" (Thread-Index and
    Thread-Topic, no In-Reply-To or References).
    """
    if style not in CHAIN_STYLES:
        raise ValueError(f"unknown style {style!r}; use one of {CHAIN_STYLES}")
    rng = random.Random(seed)
    lang = rng.choice(["nl", "en"])
    story = _story(rng, lang)
    support = _Person(SUPPORT_NAME[lang], SUPPORT)
    ids: list[str] = []
    index: bytes | None = None
    history = ""
    messages: list[bytes] = []
    for number in range(length):
        from_customer = number % 2 == 0
        sender, recipient = (
            (story.customer, support) if from_customer else (support, story.customer)
        )
        turn = _story(rng, lang)
        words = turn.reply if from_customer else turn.support_text
        when = story.when + datetime.timedelta(hours=3 * number)
        message_id = _message_id(rng, sender.address.partition("@")[2])
        subject = story.subject
        if number:
            prefix = {
                "references_broken": rng.choice(["Re: ", "Antw: ", "RE: AW: "]),
                "outlook": "RE: ",
            }.get(style, "Re: ")
            subject = prefix + story.subject
        headers = [
            ("From", _mailbox(sender, rng)),
            ("To", _mailbox(recipient, rng)),
            ("Subject", _encoded_word(subject, rng)),
            ("Date", _rfc_date(when)),
            ("Message-ID", message_id),
        ]
        if ids and style in ("full", "in_reply_to_only"):
            headers.append(("In-Reply-To", ids[-1]))
        if ids and style == "full":
            headers.append(("References", "\r\n ".join(ids[-20:])))
        if ids and style == "references_broken" and rng.random() < 0.5:
            headers.append(("References", _message_id(rng, "elsewhere.example")))
        if style == "outlook":
            index = _thread_index(rng, index)
            headers += [
                ("Thread-Topic", _encoded_word(story.subject, rng)),
                ("Thread-Index", base64.b64encode(index).decode()),
            ]
        body = words
        if history:
            attribution = _attribution_gmail(
                _Story(lang, recipient, story.order, subject, "", "", when),
                recipient.name,
                recipient.address,
            )
            body = f"{words}\n\n{attribution}\n{_quote(history)}\n"
        messages.append(_message(headers, _text_part(body)))
        ids.append(message_id)
        history = body
    return messages
