"""Promises in a reply and when they fall due (C4). Pure: time comes from ``now``.

A promise is a sentence that names a time the customer can hold us to: "u ontvangt binnen
48 uur een e-mail", "I'll call you back this afternoon", "morgen voor 12:00". Questions
and requests to the customer ("could you reply within 3 days?", "wilt u dit binnen een
week terugsturen") are not ours to keep and are skipped.

How a due time is computed, in the timezone of ``now`` (a naive ``now`` is read as UTC):
- "binnen 2 uur", "within 30 minutes", "within the hour": ``now`` plus that time.
- "binnen 3 dagen", "within a week": the same clock time that many calendar days later.
- "binnen 2 werkdagen", "within 3 working/business days": the same clock time that many
  working days later; Saturday and Sunday are skipped, holidays are not known.
- "vandaag (nog)", "today", "end of day": 17:00 today (23:59 when it is already later).
  "vanochtend"/"this morning" 12:00, "vanmiddag"/"this afternoon" 17:00,
  "vanavond"/"tonight" 21:00.
- "morgen", "tomorrow": the next day 17:00, the end of a working day; "morgenochtend"
  12:00; "overmorgen" two days later 17:00.
- "vrijdag", "by Friday", "uiterlijk vrijdag": the coming Friday 17:00 (today when it is
  Friday before 17:00). "volgende vrijdag", "next Friday": Friday in next week.
- "volgende week", "next week": Friday 17:00 next week; "deze week", "end of the week":
  the coming Friday 17:00.
- A clock time next to a day sets the hour: "morgen voor 12:00" is tomorrow 12:00,
  "by 3pm Friday" is Friday 15:00. A clock time alone ("om 15:00") is today, or tomorrow
  when that time has passed.
- Vague amounts: "a couple of days" is 2, "een paar dagen", "a few days", "enkele
  dagen" are 3.
- "begin volgende week", "early next week": Tuesday 17:00 next week; "dinsdagochtend",
  "Friday afternoon": that day at 12:00 or 17:00 ("avond"/"evening" 21:00).
- A range ("binnen 3-5 werkdagen", "within 24-48 hours") is held to its later end.
A commitment with no time ("I'll call you back", "ik zoek het voor u uit", "zo snel
mogelijk") is a promise with ``due`` None. Without ``now`` every promise is still found,
with ``due`` None.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from balie.analysis.model import Promise
from balie.analysis.text import sentences

_NUMBERS = {
    "een": 1, "één": 1, "eén": 1, "a": 1, "an": 1, "one": 1, "het": 1, "the": 1,
    "twee": 2, "two": 2, "drie": 3, "three": 3, "vier": 4, "four": 4, "vijf": 5, "five": 5,
    "zes": 6, "six": 6, "zeven": 7, "seven": 7, "acht": 8, "eight": 8, "negen": 9,
    "nine": 9, "tien": 10, "ten": 10, "elf": 11, "eleven": 11, "twaalf": 12, "twelve": 12,
    "veertien": 14, "fourteen": 14, "a couple of": 2, "a couple": 2, "een paar": 3,
    "a few": 3, "enkele": 3, "een aantal": 3, "several": 3,
}  # fmt: skip
_WEEKDAYS = {
    "maandag": 0, "dinsdag": 1, "woensdag": 2, "donderdag": 3, "vrijdag": 4, "zaterdag": 5,
    "zondag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}  # fmt: skip
_NUM = "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
_DAY_NAMES = "|".join(_WEEKDAYS)

_PERIOD = re.compile(
    r"\b(?:binnen|within|in|over|in\s+de\s+komende|in\s+the\s+next|within\s+the\s+next)\s+"
    rf"(?P<num>\d+|{_NUM})(?:\s*(?:-|–|tot|to)\s*(?P<upto>\d+))?\s*"
    r"(?P<work>werk|working\s+|business\s+)?"
    r"(?P<unit>minuten|minuut|minutes|minute|mins|min|uren|uur|hours|hour|hrs|u|"
    r"dagen|dag|days|day|weken|week|weeks)\b",
    re.IGNORECASE,
)
_DAY = re.compile(
    r"\b(?:(?P<today>vandaag(?:\s+nog)?|today|(?:the\s+)?end\s+of\s+(?:the\s+)?day|eod|"
    r"eind(?:e)?\s+van\s+de\s+dag)"
    r"|(?P<morning>vanochtend|vanmorgen|this\s+morning)"
    r"|(?P<afternoon>vanmiddag|this\s+afternoon)"
    r"|(?P<evening>vanavond|tonight|this\s+evening)"
    r"|(?P<after>overmorgen|the\s+day\s+after\s+tomorrow)"
    r"|(?P<tomorrow>morgen|tomorrow)(?:\s*(?P<part>ochtend|middag|avond|morning|afternoon|"
    r"evening))?"
    r"|(?P<nextweek>(?P<early>early\s+|begin\s+|(?:the\s+)?start\s+of\s+)?"
    r"(?:next|volgende|komende)\s+week)"
    r"|(?P<thisweek>(?:this|deze)\s+week|(?:the\s+)?end\s+of\s+(?:the|this)\s+week|"
    r"eind(?:e)?\s+van\s+(?:de|deze)\s+week)"
    rf"|(?:(?P<next>next|volgende)\s+)?(?P<weekday>{_DAY_NAMES})"
    r"(?:\s*(?P<wpart>ochtend|middag|avond|morning|afternoon|evening))?)\b",
    re.IGNORECASE,
)
# A clock time needs a sign that it is one: minutes, am/pm or "uur", after a preposition.
_TIME = re.compile(
    r"\b(?:voor|vóór|om|before|by|at|rond|uiterlijk|tot|until)\s+"
    r"(?:(?P<noon>noon|12\s+uur\s+'s\s+middags)|(?P<hour>\d{1,2})"
    r"(?:(?P<minsep>[:.])(?P<minute>[0-5]\d))?\s*(?P<suffix>am|pm|a\.m\.|p\.m\.|uur|u)?)"
    r"(?!\s*(?:euro|eur|€|%))",
    re.IGNORECASE,
)
# Requests to the customer and questions carry times that are not our promises.
_NOT_OURS = re.compile(
    r"\b(?:please\s+(?:send|reply|return|respond|provide|upload|contact|call|fill|let)|"
    r"could\s+you|can\s+you|would\s+you|you\s+need\s+to|you\s+must|you\s+have\s+to|"
    r"make\s+sure\s+you|send\s+us|let\s+us\s+know|wilt\s+u|kunt\s+u|zou\s+u|gelieve|"
    r"u\s+dient|u\s+moet|stuur\s+ons|stuurt\s+u|laat\s+u\s+ons|we\s+are\s+closed|"
    r"zijn\s+(?:wij|we)\s+gesloten|(?:wij|we)\s+zijn\s+\w*\s*gesloten)\b",
    re.IGNORECASE,
)
# A time alone is not a commitment ("thank you for writing today"): the sentence must also
# say that something will happen. Dutch uses the present tense for the future ("ik bel u
# morgen"), so its list holds the verbs agents promise with.
_COMMITS = re.compile(
    r"\b(?:will|shall|going\s+to|promise|expect|\w+'ll|\w+’ll|"
    r"zal|zullen|zult|ga|gaan|gaat|ontvangt|krijgt|bel|bellen|belt|stuur|sturen|stuurt|"
    r"mail|mailen|mailt|neem|nemen|neemt|hoort|horen|regel|regelen|regelt|beloof|beloven|"
    r"komt|komen|staat|wordt|worden|heeft|hebt|verwachten|uiterlijk|binnen|within|by|"
    r"before|voor|vóór)\b",
    re.IGNORECASE,
)
_PAST = re.compile(
    r"\b(?:thank|thanks|bedankt|dank|yesterday|gisteren|ago|geleden|was|were|waren)\b",
    re.IGNORECASE,
)
# A commitment without a time ("I'll call you back", "ik zoek het voor u uit", "as soon as
# possible") is still a promise; it has no due time.
_TIMELESS = re.compile(
    r"\b(?:(?:i|we)(?:'ll|’ll|\s+will|\s+shall|\s+am\s+going\s+to|\s+are\s+going\s+to|"
    r"\s+promise\s+to)\s+(?:personally\s+|also\s+|now\s+)?(?:call|ring|phone|send|e-?mail|"
    r"refund|contact|get\s+back|reply|update|check|arrange|look\s+into|follow\s+up|ship|"
    r"replace|repair|deliver|book|schedule|credit|fix|sort|investigate|let\s+you\s+know)|"
    r"you(?:'ll|’ll|\s+will)\s+(?:receive|get|hear)|"
    r"ik\s+(?:bel|stuur|mail|regel|zorg|neem|laat|controleer|boek|plan|zoek)|"
    r"(?:wij|we)\s+(?:bellen|sturen|mailen|regelen|zorgen|nemen|laten|controleren|zoeken)|"
    r"(?:ik|wij|we)\s+(?:zal|zullen|ga|gaan)|u\s+(?:ontvangt|krijgt|hoort)|"
    r"as\s+soon\s+as\s+(?:possible|we\s+can|i\s+can)|asap|zo\s+snel\s+mogelijk|zsm)\b",
    re.IGNORECASE,
)
# Something done now ("ik stuur u hierbij de factuur") is kept, not promised.
_DONE_NOW = re.compile(
    r"\b(?:hierbij|bijgaand|in\s+de\s+bijlage|attached|herewith|enclosed)\b", re.IGNORECASE
)
_END_OF_WORKDAY = dt.time(17)
_DAY_KINDS = ("today", "morning", "afternoon", "evening", "after", "tomorrow", "nextweek")


@dataclass(frozen=True)
class _When:
    start: int
    end: int
    kind: str  # "period", "day" or "clock"
    match: re.Match[str]


def _clock(m: re.Match[str]) -> dt.time | None:
    if m.group("noon"):
        return dt.time(12)
    hour = int(m.group("hour"))
    minute = int(m.group("minute") or 0)
    suffix = (m.group("suffix") or "").lower().replace(".", "")
    if not m.group("minute") and not suffix:
        return None  # "at 3" may be anything
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if hour > 23:
        return None
    return dt.time(hour, minute)


def _add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _at(day: dt.datetime, clock: dt.time) -> dt.datetime:
    return day.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)


def _coming(now: dt.datetime, weekday: int, clock: dt.time) -> dt.datetime:
    ahead = (weekday - now.weekday()) % 7
    due = _at(now + dt.timedelta(days=ahead), clock)
    return due if due > now else due + dt.timedelta(days=7)


def _period_due(m: re.Match[str], now: dt.datetime) -> dt.datetime:
    word = (m.group("upto") or m.group("num")).lower()
    amount = int(word) if word.isdigit() else _NUMBERS.get(re.sub(r"\s+", " ", word), 1)
    unit = m.group("unit").lower()
    if unit.startswith("min"):
        delta = dt.timedelta(minutes=amount)
    elif unit.startswith(("u", "h")):
        delta = dt.timedelta(hours=amount)
    else:
        days = amount * 7 if unit.startswith("we") else amount
        if m.group("work") and not unit.startswith("we"):
            return _add_working_days(now, days)
        return now + dt.timedelta(days=days)
    # Hours and minutes are elapsed time: count them in UTC so a DST change cannot shift them.
    return (now.astimezone(dt.UTC) + delta).astimezone(now.tzinfo)


def _part_of_day(part: str | None) -> dt.time:
    """The end of a morning, afternoon or evening; the end of the working day by default."""
    hours = {"ochtend": 12, "morning": 12, "avond": 21, "evening": 21}
    return dt.time(hours.get((part or "").lower(), 17))


def _day_due(m: re.Match[str], now: dt.datetime, clock: dt.time | None) -> dt.datetime:
    kind = next((k for k in _DAY_KINDS if m.group(k)), "")
    if m.group("tomorrow"):
        return _at(now + dt.timedelta(days=1), clock or _part_of_day(m.group("part")))
    if m.group("weekday"):
        weekday = _WEEKDAYS[m.group("weekday").lower()]
        clock = clock or _part_of_day(m.group("wpart"))
        if m.group("next"):
            monday = now - dt.timedelta(days=now.weekday()) + dt.timedelta(days=7)
            return _at(monday + dt.timedelta(days=weekday), clock)
        return _coming(now, weekday, clock)
    if kind == "today":
        due = _at(now, clock or _END_OF_WORKDAY)
        return due if due > now or clock else _at(now, dt.time(23, 59))
    if kind in ("morning", "afternoon", "evening"):
        return _at(now, clock or dt.time({"morning": 12, "afternoon": 17}.get(kind, 21)))
    if kind == "after":
        return _at(now + dt.timedelta(days=2), clock or _END_OF_WORKDAY)
    if kind == "nextweek":
        day = 1 if m.group("early") else 4  # "early next week": Tuesday; else Friday
        monday = now - dt.timedelta(days=now.weekday()) + dt.timedelta(days=7)
        return _at(monday + dt.timedelta(days=day), clock or _END_OF_WORKDAY)
    return _coming(now, 4, clock or _END_OF_WORKDAY)  # this week: the coming Friday


def _due(when: _When, clock: dt.time | None, now: dt.datetime | None) -> dt.datetime | None:
    if now is None:
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    if when.kind == "period":
        return _period_due(when.match, now)
    if when.kind == "clock":
        assert clock is not None
        due = _at(now, clock)
        return due if due > now else due + dt.timedelta(days=1)
    return _day_due(when.match, now, clock)


def _times_in(text: str, start: int, end: int) -> list[tuple[_When, dt.time | None]]:
    """The time expressions in one sentence, a clock time joined to the day next to it."""
    whens = [_When(*m.span(), "period", m) for m in _PERIOD.finditer(text, start, end)]
    taken = [(w.start, w.end) for w in whens]
    for m in _DAY.finditer(text, start, end):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            whens.append(_When(*m.span(), "day", m))
    clocks = [(m, _clock(m)) for m in _TIME.finditer(text, start, end)]
    found: list[tuple[_When, dt.time | None]] = []
    used: set[int] = set()
    for when in sorted(whens, key=lambda w: w.start):
        clock = None
        if when.kind != "period":
            for i, (m, value) in enumerate(clocks):
                near = 0 <= m.start() - when.end <= 2 or 0 <= when.start - m.end() <= 2
                if value and near and i not in used:
                    clock = value
                    used.add(i)
                    break
        found.append((when, clock))
    for i, (m, value) in enumerate(clocks):
        if value and i not in used:
            found.append((_When(*m.span(), "clock", m), value))
    return found


def find_promises(text: str, language: str, now: dt.datetime | None) -> list[Promise]:
    """Every promise in ``text`` in order, one per time expression; ``language`` is kept
    for rules that may differ per language (both are matched alike today)."""
    del language
    promises: list[Promise] = []
    for s_start, s_end in sentences(text):
        sentence = text[s_start:s_end]
        if sentence.rstrip().endswith("?") or _NOT_OURS.search(sentence):
            continue
        # Thanks and the past ("thank you for writing today", "it was delivered on Friday")
        # carry times that promise nothing, unless the sentence also commits to something.
        committed = _TIMELESS.search(sentence) is not None
        if not committed and (_PAST.search(sentence) or not _COMMITS.search(sentence)):
            continue
        lead = len(sentence) - len(sentence.lstrip())
        start, end = s_start + lead, s_start + len(sentence.rstrip())
        times = _times_in(text, s_start, s_end)
        for when, clock in times:
            promises.append(Promise(text[start:end], start, end, _due(when, clock, now)))
        if not times and committed and not _DONE_NOW.search(sentence):
            promises.append(Promise(text[start:end], start, end, None))
    return promises
