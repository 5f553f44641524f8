"""An inbox's chat settings (pre-chat form, topics, hours, incident banner): pure checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie import hours

PRECHAT_FIELDS = ("name", "email", "order", "topic")
MAX_TOPICS = 30
MAX_TOPIC_CHARS = 80
MAX_INCIDENT_CHARS = 1000


def clean_prechat(value: Any) -> list[dict[str, Any]]:
    """``[{"name": "email", "required": true}, ...]``, each field at most once."""
    if not isinstance(value, list):
        raise ValueError("prechat must be a list of fields.")
    seen: set[str] = set()
    fields = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"name", "required"}:
            raise ValueError('Each prechat field is {"name": ..., "required": true|false}.')
        name, required = item.get("name"), item.get("required", False)
        if name not in PRECHAT_FIELDS:
            raise ValueError(f"A prechat field is one of {', '.join(PRECHAT_FIELDS)}.")
        if not isinstance(required, bool):
            raise ValueError("prechat required must be true or false.")
        if name in seen:
            raise ValueError(f"The prechat field {name} is listed twice.")
        seen.add(name)
        fields.append({"name": name, "required": required})
    return fields


def clean_topics(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_TOPICS:
        raise ValueError(f"topics must be a list of at most {MAX_TOPICS} names.")
    topics = []
    for item in value:
        if not isinstance(item, str) or not 1 <= len(item.strip()) <= MAX_TOPIC_CHARS:
            raise ValueError(f"A topic needs 1 to {MAX_TOPIC_CHARS} characters.")
        if item.strip() in topics:
            raise ValueError(f"The topic {item.strip()!r} is listed twice.")
        topics.append(item.strip())
    return topics


def clean_hours(value: Any) -> dict[str, Any] | None:
    """Business hours as stored: checked by ``balie.hours`` and written back normalised."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("hours must be an object or null.")
    parsed = hours.parse_hours(value)
    return None if parsed is None else hours.hours_json(parsed)


def clean_incident(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_INCIDENT_CHARS:
        raise ValueError(f"incident is text of at most {MAX_INCIDENT_CHARS} characters, or null.")
    return value.strip() or None


def clean_fields(prechat: list[dict[str, Any]], topics: list[str], given: Any) -> dict[str, str]:
    """The visitor's answers to the pre-chat form; required fields must be there."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ValueError("fields must be an object.")
    unknown = set(given) - set(PRECHAT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown field: {sorted(unknown)[0]}.")
    answers: dict[str, str] = {}
    for name, value in given.items():
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 200 or "\x00" in value:
            raise ValueError(f"The field {name} is text of at most 200 characters.")
        if value.strip():
            answers[name] = " ".join(value.split())
    for field in prechat:
        if field["required"] and field["name"] not in answers:
            raise ValueError(f"The field {field['name']} is required.")
    if "topic" in answers and topics and answers["topic"] not in topics:
        raise ValueError("The topic is not one of this inbox's topics.")
    return answers


def opening(stored: dict[str, Any] | None, now: dt.datetime) -> tuple[bool, str | None]:
    """Whether the inbox is within business hours now, and if not, when it opens again."""
    parsed = hours.parse_hours(stored)
    if parsed is None or hours.is_open(parsed, now):
        return True, None
    back = hours.next_open(parsed, now)
    return False, back.isoformat() if back else None
