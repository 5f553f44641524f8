"""What triage found in a customer's message, as an agent sees it on the timeline: a line
of badges (abusive, angry, severity, wants a human), the evidence behind each, and the
text itself with swear words masked for agents who asked for that."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from balie.analysis.masking import MASKED_LABELS, mask
from balie.store.tables import Message

# Which evidence labels explain which badge. Triage's labels are lexicon names, so a
# badge also takes any label that starts with one of its prefixes.
_BADGE_LABELS: dict[str, tuple[str, ...]] = {
    "abusive": ("insult", "profanity", "threat"),
    "angry": ("anger", "shouting"),
    "severity": ("severity",),
    "wants_human": ("wants_human",),
}


@dataclass(frozen=True)
class Reason:
    label: str
    words: str  # the span of the message, masked when the agent masks swearing
    reason: str


@dataclass(frozen=True)
class Badge:
    kind: str  # abusive | angry | critical | high | wants_human
    reasons: tuple[Reason, ...]

    @property
    def title(self) -> str:
        return "; ".join(f"“{r.words}”: {r.reason}" for r in self.reasons)


@dataclass(frozen=True)
class Shown:
    """A message as the timeline shows it."""

    text: str
    masked: bool  # the text differs from what the customer wrote
    badges: tuple[Badge, ...]
    reasons: tuple[Reason, ...]


def _evidence(triage: dict[str, Any]) -> list[dict[str, Any]]:
    found = triage.get("evidence")
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def _belongs(label: str, badge: str) -> bool:
    return label.startswith(_BADGE_LABELS[badge])


_WORD = re.compile(r"[^\W\d_]+")


def _masked_reason(reason: str, words: str) -> str:
    """A lexicon's reason may quote the insult ("stelletje oplichters"): its words that
    also occur in the flagged span are masked like the span."""
    said = {w.lower()[:4] for w in _WORD.findall(words) if len(w) >= 3}
    spans = [
        {"label": "insult", "start": m.start(), "end": m.end()}
        for m in _WORD.finditer(reason)
        if len(m.group()) >= 3 and m.group().lower()[:4] in said
    ]
    return mask(reason, spans)


def shown(message: Message, *, mask_profanity: bool) -> Shown:
    triage = message.triage if message.author_kind == "customer" else None
    if not triage:
        return Shown(message.text, False, (), ())
    evidence = _evidence(triage)
    text = mask(message.text, evidence) if mask_profanity else message.text
    reasons = []
    for e in evidence:
        label, start, end = str(e.get("label", "")), e.get("start"), e.get("end")
        written = str(e.get("text", ""))
        reason = str(e.get("reason") or label)
        words = written
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            words = text[start:end]  # the masked form when masking is on
        if mask_profanity and label in MASKED_LABELS:
            words = mask(words, [{"label": label, "start": 0, "end": len(words)}])
            reason = _masked_reason(reason, written)
        reasons.append(Reason(label, words, reason))
    wanted = []
    if triage.get("abusive"):
        wanted.append(("abusive", "abusive"))
    if triage.get("anger"):
        wanted.append(("angry", "angry"))
    if triage.get("severity") in ("critical", "high"):
        wanted.append((str(triage["severity"]), "severity"))
    if triage.get("wants_human"):
        wanted.append(("wants_human", "wants_human"))
    badges = tuple(
        Badge(kind, tuple(r for r in reasons if _belongs(r.label, group))) for kind, group in wanted
    )
    # Only the evidence behind a badge: "Wat" as a question word explains nothing here.
    behind = tuple(r for r in reasons if any(_belongs(r.label, g) for _, g in wanted))
    return Shown(text, text != message.text, badges, behind)


def shown_all(messages: list[Message], *, mask_profanity: bool) -> dict[int, Shown]:
    return {m.id: shown(m, mask_profanity=mask_profanity) for m in messages}
