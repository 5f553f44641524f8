"""The reply coach in the inbox: the panel under the reply and note boxes, and the way
past a block (an agent asks, a supervisor decides).

The panel is rendered from the coach's JSON, so the live check as the agent types and the
check that refused a send show the same thing. The coach's own verdict is never taken from
the browser: sending runs the check again in the conversation actions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.analysis.coach import coach
from balie.conversations import actions, guardrails
from balie.errors import InvalidInput
from balie.ids import IdPath
from balie.store.tables import CoachOverride, Conversation
from balie.web.pages import PageRoute, SignedIn, checked_form, field, local_path, redirect, render

router = APIRouter(route_class=PageRoute)
BOXES = ("reply", "note")
# A declined request stays on the agent's page this long, so the answer is seen.
DECLINED_SHOWN = dt.timedelta(hours=24)


@dataclass(frozen=True)
class FlagView:
    number: int
    kind: str
    words: str  # the flagged part of the draft; empty for "something is missing"
    explanation: str
    suggestion: str


@dataclass(frozen=True)
class PromiseView:
    text: str
    due: dt.datetime | None


@dataclass(frozen=True)
class Panel:
    """The coach's verdict on one draft, ready for ``_coach.html``."""

    box: str
    text: str
    verdict: str
    flags: tuple[FlagView, ...]
    promises: tuple[PromiseView, ...]
    # The draft cut at the flagged spans: (piece, flag number or None), for highlighting.
    segments: tuple[tuple[str, int | None], ...]


def _due(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _segments(text: str, flags: list[FlagView], spans: list[tuple[int, int]]) -> list[Any]:
    """Shortest spans first, so a narrow insult is marked even inside a wider flag."""
    chosen: list[tuple[int, int, int]] = []
    for flag, (start, end) in sorted(
        zip(flags, spans, strict=True), key=lambda x: (x[1][1] - x[1][0], x[1][0])
    ):
        if not flag.words:
            continue
        if all(end <= s or e <= start for s, e, _ in chosen):
            chosen.append((start, end, flag.number))
    pieces: list[tuple[str, int | None]] = []
    at = 0
    for start, end, number in sorted(chosen):
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], number))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces


def _flagged_words(text: str, start: int, end: int) -> str:
    """The flagged part of the draft; nothing when the flag is about the whole text (no
    apology anywhere), where marking every word would point at nothing."""
    if not 0 <= start < end <= len(text):
        return ""
    if not text[:start].strip() and not text[end:].strip():
        return ""
    return text[start:end]


def panel(text: str, coaching: dict[str, Any], box: str) -> Panel:
    """``coaching`` is ``Coaching.as_json()``, as the coach gives it or as a refused send
    carries it (``CoachBlocked.data["coaching"]``)."""
    flags: list[FlagView] = []
    spans: list[tuple[int, int]] = []
    for number, f in enumerate(coaching.get("flags", []), start=1):
        start, end = int(f.get("start", 0)), int(f.get("end", 0))
        words = _flagged_words(text, start, end)
        flags.append(
            FlagView(
                number,
                str(f.get("kind", "")),
                words,
                str(f.get("explanation", "")),
                str(f.get("suggestion", "")),
            )
        )
        spans.append((start, end))
    promises = tuple(
        PromiseView(str(p.get("text", "")), _due(p.get("due")))
        for p in coaching.get("promises", [])
    )
    return Panel(
        box,
        text,
        str(coaching.get("verdict", "ok")),
        tuple(flags),
        promises,
        tuple(_segments(text, flags, spans)) if any(f.words for f in flags) else (),
    )


def box_of(value: str) -> str:
    return value if value in BOXES else "reply"


@dataclass(frozen=True)
class MyOverride:
    override: CoachOverride
    text: str
    box: str


async def my_overrides(
    request: Request, session: AsyncSession, actor: Actor, conversation_id: int, now: dt.datetime
) -> list[MyOverride]:
    """This agent's requests on this conversation: waiting, approved (ready to send) and
    recently declined."""
    rows = await session.scalars(
        select(CoachOverride)
        .where(
            CoachOverride.conversation_id == conversation_id,
            CoachOverride.agent_id == actor.id,
            CoachOverride.status.in_(("pending", "approved", "declined")),
        )
        .order_by(CoachOverride.id)
    )
    shown = []
    for o in rows:
        if o.status == "declined" and (o.decided_at is None or o.decided_at < now - DECLINED_SHOWN):
            continue
        shown.append(MyOverride(o, o.text, "note" if o.internal else "reply"))
    return shown


@dataclass(frozen=True)
class OverrideRequest:
    override: CoachOverride
    conversation: Conversation
    text: str


async def pending_requests(session: AsyncSession) -> list[OverrideRequest]:
    """Requests waiting for a supervisor, oldest first (for the inbox of supervisors)."""
    rows = await session.execute(
        select(CoachOverride, Conversation)
        .join(Conversation, Conversation.id == CoachOverride.conversation_id)
        .where(CoachOverride.status == "pending")
        .order_by(CoachOverride.created_at, CoachOverride.id)
        .limit(50)
    )
    return [OverrideRequest(o, c, o.text) for o, c in rows]


@router.post("/conversations/{conversation_id}/coach")
async def coach_panel(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    """The panel under a reply or note box, for what the agent has typed so far.
    Nothing is stored."""
    form = await checked_form(request)
    text, box = field(form, "text").replace("\r\n", "\n"), box_of(field(form, "box"))
    if not text.strip():
        return render(request, "_coach.html", coached=None)
    async with caller.reading() as act:
        conversation = await actions.get_visible(act, conversation_id)
        context = await guardrails.reply_context(act, conversation, internal=box == "note")
    result = coach(text, context).as_json()
    return render(request, "_coach.html", coached=panel(text, result, box))


@router.post("/coach-overrides/{override_id}/{decision}")
async def decide(
    request: Request, override_id: IdPath, decision: str, caller: SignedIn
) -> Response:
    form = await checked_form(request)
    if decision not in ("approve", "decline"):
        raise InvalidInput("An override is approved or declined.")
    async with caller.writing() as act:
        await guardrails.decide_override(act, override_id, approve=decision == "approve")
    return redirect(local_path(field(form, "next")))
