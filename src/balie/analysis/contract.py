"""The JSON-lines contract of ``balie analyze message`` and ``balie analyze reply``.

Tooling outside the project depends on it, so the shapes here are kept stable. One input
line gives one output line; a bad line gives an error object for that id, and the other
lines are still answered.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from balie.analysis.model import ReplyContext

Id = str | int | None


class _Line(BaseModel):
    # Unknown keys are ignored: callers may send more than Balie reads.
    model_config = ConfigDict(extra="ignore", strict=True)


class MessageLine(_Line):
    id: str | int
    text: str = Field(max_length=100_000)
    language: Literal["nl", "en"] | None = None


class ContextIn(_Line):
    customer_upset: bool = False
    severity: Literal["normal", "high", "critical"] = "normal"
    company_at_fault: bool = False
    internal: bool = False
    customer_abusive: bool = False
    language: Literal["nl", "en"] | None = None


class ReplyLine(_Line):
    id: str | int
    text: str = Field(max_length=100_000)
    context: ContextIn = Field(default_factory=ContextIn)
    now: str | None = None


def answer_message(line: MessageLine) -> dict[str, Any]:
    from balie.analysis.triage import triage

    result = triage(line.text, line.language).as_json()
    keys = ("language", "sentiment", "anger", "abusive", "severity", "intent", "wants_human")
    return {"id": line.id, **{k: result[k] for k in keys}, "evidence": result["evidence"]}


def _parse_now(raw: str | None) -> tuple[dt.datetime | None, bool]:
    """The reference time and whether it came without a zone. A naive time is read as
    UTC wall-clock time and due times are given back naive, in the same wall clock."""
    if raw is None:
        return None, False
    try:
        now = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"now is not an ISO 8601 date-time: {raw!r}") from exc
    if now.tzinfo is None:
        return now.replace(tzinfo=dt.UTC), True
    return now, False


def answer_reply(line: ReplyLine) -> dict[str, Any]:
    from balie.analysis.coach import coach

    now, naive = _parse_now(line.now)
    context = ReplyContext(**line.context.model_dump(), now=now)
    result = coach(line.text, context)
    promises = []
    for p in result.promises:
        due = p.due.replace(tzinfo=None) if (p.due and naive) else p.due
        promises.append({"text": p.text, "due": due.isoformat() if due else None})
    return {
        "id": line.id,
        "verdict": result.verdict,
        "flags": [f.as_json() for f in result.flags],
        "promises": promises,
    }


def _error(raw: Any, message: str) -> dict[str, Any]:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return {"id": ident if isinstance(ident, str | int) else None, "error": message}


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()
    )


def answer_lines(
    lines: Iterable[str], kind: Literal["message", "reply"]
) -> Iterator[tuple[dict[str, Any], bool]]:
    """(output object, ok) for each non-empty input line."""
    model: type[_Line] = MessageLine if kind == "message" else ReplyLine
    answer: Callable[[Any], dict[str, Any]] = answer_message if kind == "message" else answer_reply
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            yield {"id": None, "error": f"line {number}: not JSON ({exc.msg})"}, False
            continue
        try:
            parsed = model.model_validate(raw)
            yield answer(parsed), True
        except ValidationError as exc:
            yield _error(raw, f"line {number}: {_describe(exc)}"), False
        except ValueError as exc:
            yield _error(raw, f"line {number}: {exc}"), False
