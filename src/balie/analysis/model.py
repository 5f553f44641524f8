"""The plain data the guardrails take and give. No behaviour beyond shaping JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["nl", "en", "other"]
Severity = Literal["normal", "high", "critical"]
Intent = Literal["complaint", "question", "praise", "non_customer", "spam"]
Verdict = Literal["ok", "warn", "block"]
FlagKind = Literal[
    "insult",
    "sarcasm",
    "blame_customer",
    "internal_process",
    "no_apology",
    "qualified_apology",
    "refusal_without_alternative",
    "gag_clause",
    "charge_for_fault",
]


@dataclass(frozen=True)
class Evidence:
    """Why a judgement was made: the span of text it rests on, a label and a reason."""

    start: int
    end: int
    label: str
    reason: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "reason": self.reason,
            "text": self.text,
        }


@dataclass(frozen=True)
class Triage:
    language: Language
    sentiment: float  # -1 (very negative) .. 1 (very positive)
    anger: bool
    anger_score: float  # 0..1
    abusive: bool
    abusive_score: float  # 0..1
    severity: Severity
    intent: Intent
    wants_human: bool
    evidence: tuple[Evidence, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "sentiment": round(self.sentiment, 3),
            "anger": self.anger,
            "anger_score": round(self.anger_score, 3),
            "abusive": self.abusive,
            "abusive_score": round(self.abusive_score, 3),
            "severity": self.severity,
            "intent": self.intent,
            "wants_human": self.wants_human,
            "evidence": [e.as_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class ReplyContext:
    """What the coach needs to know about the conversation a draft answers."""

    customer_upset: bool = False
    severity: Severity = "normal"
    company_at_fault: bool = False
    internal: bool = False  # an internal note or a record field, not a reply
    customer_abusive: bool = False
    now: dt.datetime | None = None  # needed to give promises a due time
    language: Language | None = None


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    start: int
    end: int
    explanation: str
    suggestion: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "explanation": self.explanation,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class Promise:
    """A commitment in a reply ("morgen voor 12:00") and when it falls due."""

    text: str
    start: int
    end: int
    due: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "due": self.due.isoformat() if self.due else None,
        }


@dataclass(frozen=True)
class Coaching:
    verdict: Verdict
    flags: tuple[Flag, ...] = ()
    promises: tuple[Promise, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "flags": [f.as_json() for f in self.flags],
            "promises": [p.as_json() for p in self.promises],
        }
