"""The new part of an e-mail reply: quoted history, signature and mobile footer removed.

Agents read the customer's latest words, not the whole thread pasted below them. Mail
clients mark history in different ways: an attribution line ("On ... wrote:", "Op ...
schreef ..."), an Outlook header block ("Van: / Verzonden: / Aan: / Onderwerp:"), a
separator ("-----Original Message-----", a line of underscores) or ">"-quoted lines.
``mailparser_reply`` knows many of these; Balie adds the Dutch and English shapes it misses
(Gmail's Dutch attribution, Apple Mail's "het volgende geschreven", wrapped attributions)
and guards against cutting a customer's own sentence that happens to end in "wrote:".

Everything here is pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailparser_reply import EmailReplyParser

# Attribution lines are short; a longer line is prose, and skipping it keeps the
# regular expressions cheap on mail with megabyte-long lines.
_MAX_ATTRIBUTION = 400
# mailparser_reply's expressions backtrack on long inputs; the first header is near the top.
_LIBRARY_TEXT_LIMIT = 10_000
_LIBRARY_LINE_LIMIT = 300
# Runs of blank lines make its signature expression quadratic.
_BLANK_RUNS = re.compile(r"\n{3,}")

_ATTRIBUTIONS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # "On Mon, Nov 3, 2025 at 10:12 AM Jan <jan@x.nl> wrote:" (Gmail, Apple, Thunderbird)
        r"on\s.{1,300}?\swrote\s?:",
        # "Jan Jansen <jan@x.nl> wrote:" and "Jan wrote on 3/11/2025 10:12:"
        r".{0,200}@.{0,120}\swrote\s?:",
        r".{1,200}\swrote on\s.{1,120}:",
        # Dutch Gmail and Thunderbird: "Op ma 3 nov. 2025 om 10:12 schreef Jan <jan@x.nl>:"
        r"op\s.{1,300}?\sschreef(\s.{0,300})?:",
        # Apple Mail: "Op 3 nov. 2025, om 10:12 heeft Jan <jan@x.nl> het volgende geschreven:"
        r"op\s.{1,300}?\sheeft\s.{1,300}?\shet volgende geschreven\s?:",
        # Newer Thunderbird: "Jan Jansen schreef op 3-11-2025 om 10:12:"
        r".{1,200}\sschreef op\s.{1,120}:",
        r".{0,200}@.{0,120}\sschreef\s?:",
        # German and French clients, met in Dutch border trade
        r"am\s.{1,300}?\sschrieb\s.{0,300}:",
        r"le\s.{1,300}?\sa\sécrit\s?:",
    )
)
# A customer telling what they themselves wrote is prose, never an attribution.
_FIRST_PERSON = re.compile(
    r"\b(i|we|you|ik|wij|we|je|jij|u|jullie)\s+(wrote|schreef|schreven|heb|heeft)\b",
    re.IGNORECASE,
)
_HAS_DATE_OR_ADDRESS = re.compile(r"\d|@")
_VERBS = re.compile(r"wrote|schreef|geschreven|schrieb|écrit", re.IGNORECASE)

_SEPARATORS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"-{2,}\s*(original message|oorspronkelijk bericht|origineel bericht|"
        r"ursprüngliche nachricht|message d'origine|forwarded message|"
        r"doorgestuurd bericht|weitergeleitete nachricht|message transféré)\s*-{2,}",
        r"(begin forwarded message|begin doorgestuurd bericht|"
        r"doorgestuurd bericht begint|anfang der weitergeleiteten nachricht)\s?:",
        r"_{20,}",
    )
)

# Outlook puts a header block above the history, in the client's language.
_FROM_NAMES = frozenset({"from", "van", "de", "von"})
_HEADER_NAMES = _FROM_NAMES | frozenset(
    {
        "sent",
        "date",
        "to",
        "cc",
        "subject",
        "verzonden",
        "datum",
        "aan",
        "onderwerp",
        "envoyé",
        "à",
        "objet",
        "gesendet",
        "an",
        "betreff",
        "reply-to",
    }
)
_HEADER_LINE = re.compile(r"\*?([a-zà-ÿ-]{1,12})\s?:\*?(\s|$)", re.IGNORECASE)
_HEADER_WINDOW = 10

_SIGNATURE_DELIMITER = re.compile(r"--\s?")
_MOBILE_FOOTERS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"(sent|verstuurd|verzonden|gesendet|envoyé)\s+(from|vanaf|van|met|via|with|"
        r"von|mit|de|depuis)\s+.{1,45}",
        r"(get|download)\s+outlook\s+for\s+(ios|android).{0,60}",
        r"outlook\s+voor\s+(ios|android)\s+(downloaden|ophalen).{0,60}",
    )
)
_MAX_FOOTER = 70


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_length(lines: Sequence[str], index: int, keyed: Sequence[bool]) -> int:
    """How many lines (1-3) an attribution starting at ``index`` spans; 0 if none.

    Gmail and Outlook wrap a long attribution over two or three lines, so the line and its
    continuations are tried joined. ``keyed`` marks lines holding a verb every attribution
    has ("wrote", "schreef", ...): without one nearby there is no need to try the patterns.
    """
    if not any(keyed[index : index + 3]):
        return 0
    joined = ""
    for span in range(3):
        if index + span >= len(lines):
            return 0
        line = lines[index + span].strip()
        if not line or _is_quoted(line):
            return 0
        joined = f"{joined} {line}".strip()
        if len(joined) > _MAX_ATTRIBUTION:
            return 0
        if _is_attribution(joined):
            return span + 1
    return 0


def _is_attribution(candidate: str) -> bool:
    if not _HAS_DATE_OR_ADDRESS.search(candidate) or _FIRST_PERSON.search(candidate):
        return False
    return any(pattern.fullmatch(candidate) for pattern in _ATTRIBUTIONS)


def _header_name(line: str) -> str | None:
    if len(line) > _MAX_ATTRIBUTION:
        return None
    match = _HEADER_LINE.match(line.strip())
    return match.group(1).lower() if match and match.group(1).lower() in _HEADER_NAMES else None


def _is_header_block(names: Sequence[str | None], index: int) -> bool:
    """An Outlook-style block: three or more header lines close together, one of them From."""
    if names[index] is None:
        return False
    window = {name for name in names[index : index + _HEADER_WINDOW] if name is not None}
    return len(window) >= 3 and bool(window & _FROM_NAMES)


def _is_separator(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) <= 120 and any(p.fullmatch(stripped) for p in _SEPARATORS)


def _history_start(lines: Sequence[str]) -> tuple[int, int]:
    """Where the history starts and how many lines its marker spans; (len, 0) if none."""
    keyed = [len(line) <= _MAX_ATTRIBUTION and bool(_VERBS.search(line)) for line in lines]
    names = [_header_name(line) for line in lines]
    for index, line in enumerate(lines):
        if _is_quoted(line) or not line.strip():
            continue
        if _is_separator(line):
            return index, 1
        span = _attribution_length(lines, index, keyed)
        if span:
            return index, span
        if _is_header_block(names, index):
            return index, 1
    return len(lines), 0


def _library_line(line: str) -> str:
    stripped = line.strip()
    return stripped if len(stripped) <= _LIBRARY_LINE_LIMIT else ""


def _library_history_start(lines: Sequence[str]) -> int | None:
    """The line mailparser_reply sees as the first history header, if it is trustworthy."""
    trimmed = _BLANK_RUNS.sub("\n\n", "\n".join(_library_line(line) for line in lines))
    trimmed = trimmed[:_LIBRARY_TEXT_LIMIT]
    replies = EmailReplyParser(languages=["nl", "en"]).read(trimmed).replies
    header = next((reply.headers for reply in replies if reply.headers), "")
    if not header:
        return None
    first = header.strip().split("\n", 1)[0].strip()
    if not first:
        return None
    for index, line in enumerate(lines):
        if line.strip() == first:
            # The library takes "On Monday I wrote:" for an attribution; Balie does not.
            if _FIRST_PERSON.search(header) or not _HAS_DATE_OR_ADDRESS.search(header):
                return None
            return index
    return None


def _drop_footer(lines: list[str]) -> list[str]:
    """Cut at a "-- " signature delimiter or a mobile footer; both end the new text."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _SIGNATURE_DELIMITER.fullmatch(line.rstrip("\r")) or (
            len(stripped) <= _MAX_FOOTER and any(p.fullmatch(stripped) for p in _MOBILE_FOOTERS)
        ):
            return lines[:index]
    return lines


def _own_words(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if not _is_quoted(line)]


def _has_text(lines: Sequence[str]) -> bool:
    return any(line.strip() for line in lines)


def _bottom_reply(lines: Sequence[str], start: int, span: int) -> list[str]:
    """Words written below quoted history (bottom-posting or inline answers).

    Only for an attribution followed by ">"-quoted lines: an unquoted block (Outlook, a
    forward) is history through to the end.
    """
    after = lines[start + span :]
    if not after or not any(_is_quoted(line) for line in after[:3]):
        return []
    nested, _ = _history_start(after)
    return _own_words(after[:nested])


def latest_reply(text: str) -> str:
    """The new part of a reply: quoted history and signature removed.

    Falls back to the whole text (stripped) when nothing would remain, as with a forward
    that has no words of its own.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start, span = _history_start(lines)
    library_start = _library_history_start(lines)
    if library_start is not None and library_start < start:
        start, span = library_start, 1
    own = _own_words(lines[:start])
    if not _has_text(own) and span:
        own = _bottom_reply(lines, start, span)
    reply = "\n".join(_drop_footer(own)).strip()
    return reply or text.strip()
