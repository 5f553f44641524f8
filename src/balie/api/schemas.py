"""Request and response bodies of the JSON API. Unknown fields are refused."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, field_validator

from balie.conversations.rules import Status
from balie.ids import Id
from balie.store.tables import Conversation, Message


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=50_000)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text and SQLite would; refuse it on both.
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("text must not contain NUL characters")
        return value


class CustomerRef(In):
    name: str | None = Field(None, max_length=200)
    email: EmailStr


class FirstMessage(In):
    text: str = Field(min_length=1)
    html: str | None = None


class ConversationCreate(In):
    customer: CustomerRef
    subject: str = Field(min_length=1, max_length=300)
    message: FirstMessage
    channel: Literal["chat", "email", "api", "phone"] = "api"
    inbox_id: Id | None = None
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    severity: Literal["normal", "high", "critical"] = "normal"
    language: Literal["nl", "en"] | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    order_id: Id | None = None


class ConversationUpdate(In):
    status: Status | None = None
    snoozed_until: AwareDatetime | None = None
    owner_id: Id | None = None
    tags: list[str] | None = Field(None, max_length=20)


class MessageCreate(In):
    text: str = Field(min_length=1)
    html: str | None = None
    internal: bool = False
    client_id: str | None = Field(None, min_length=1, max_length=100)
    override_id: int | None = None
    override_reason: str | None = Field(None, max_length=1000)


class HandoverCreate(In):
    to_agent_id: Id
    note: str = Field("", max_length=2000)


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    seq: int
    author_kind: str
    author_agent_id: int | None
    internal: bool
    text: str
    html: str | None
    attachments: list[Any]
    client_id: str | None
    triage: dict[str, Any] | None
    coaching: dict[str, Any] | None
    created_at: dt.datetime
    # The mail a message arrived in, or the delivery of a reply by e-mail.
    email: dict[str, Any] | None = None

    @classmethod
    def of(cls, m: Message, email: dict[str, Any] | None = None) -> MessageOut:
        out = cls.model_validate(m, from_attributes=True)
        out.email = email
        return out


class ConversationOut(BaseModel):
    id: int
    customer_id: int
    inbox_id: int | None
    team_id: int | None
    owner_id: int | None
    order_id: int | None
    status: str
    priority: str
    severity: str
    urgency: int
    abusive: bool
    angry: bool
    wants_human: bool
    intent: str | None
    channel: str
    subject: str
    language: str | None
    tags: list[str]
    last_seq: int
    snoozed_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    last_activity_at: dt.datetime
    resolved_at: dt.datetime | None
    product_id: int | None
    repeat: bool
    # SLA clocks: null when the clock does not run (answered, waiting on the customer).
    first_response_due_at: dt.datetime | None
    next_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    awaiting_since: dt.datetime | None
    bumped_at: dt.datetime | None

    @classmethod
    def of(cls, c: Conversation, tags: list[str]) -> ConversationOut:
        data = {k: getattr(c, k) for k in cls.model_fields if k != "tags"}
        return cls(**data, tags=tags)


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None
    counts: dict[str, int]


class HandoverOut(BaseModel):
    id: int
    conversation_id: int
    from_agent_id: int | None
    to_agent_id: int
    note: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class CoachRequest(In):
    text: str = Field(max_length=50_000)
    conversation_id: int | None = None
    internal: bool = False


class OverrideCreate(In):
    text: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=1000)
    internal: bool = False


class OverrideOut(BaseModel):
    id: int
    conversation_id: int
    agent_id: int
    text: str
    internal: bool
    reason: str
    status: str
    decided_by: int | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
