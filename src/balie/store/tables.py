"""The tables. Changed only through Alembic migrations (see ``migrations/``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from balie.store.types import UTCDateTime

# Deterministic constraint names so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _ts() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime())


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = _ts()


class Inbox(Base):
    """Where conversations arrive: a chat widget or an e-mail address, served by a team."""

    __tablename__ = "inboxes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(320))
    # The public name of a chat inbox in the widget's script tag; not a secret.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    # Signs host sites' user ids (identity verification); never sent to a browser.
    secret: Mapped[str] = mapped_column(String(64))
    # The widget's pre-chat form: [{"name": "email", "required": true}, ...].
    prechat: Mapped[list[Any]] = mapped_column(JSON, default=list)
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Business hours as ``balie.hours.parse_hours`` reads them; null is always open.
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A banner for an ongoing incident, shown in the widget.
    incident: Mapped[str | None] = mapped_column(Text)
    # An e-mail inbox's settings: {"imap": {...} | null, "acknowledge": bool}.
    email: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = _ts()


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    mandate_limit_cents: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Show customers' swear words masked ("f***") in this agent's inbox.
    mask_profanity: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = _ts()


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Only a SHA-256 of the token is kept; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = _ts()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(5))
    notes: Mapped[str] = mapped_column(Text, default="")
    # Name and addresses, kept by the customer actions for full-text search.
    search_terms: Mapped[str] = mapped_column(Text, default="")
    # Set when this record was merged into another one; it then stays only as a pointer.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # Blocked after abuse: no new chats, mail kept but not queued, until this time.
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _ts()
    updated_at: Mapped[dt.datetime] = _ts()


class CustomerIdentity(Base):
    """One way to recognise a customer: an e-mail address, a chat visitor id, a phone."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_customer_identities_kind_value"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    # Set when mail to this address bounced; cleared when the customer writes from it again.
    failing_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    failure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _ts()


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    warranty_months: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = _ts()


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    purchase_date: Mapped[dt.date] = mapped_column(Date)
    warranty_months: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = _ts()


class Conversation(Base):
    __tablename__ = "conversations"
    # The inbox lists by urgency (critical first), then newest activity.
    __table_args__ = (
        Index("ix_conversations_status_order", "status", "urgency", "last_activity_at", "id"),
        # Status second: "my open conversations" then has two equalities to go on, which
        # SQLite's planner prefers even without statistics.
        Index(
            "ix_conversations_owner_order",
            "owner_id",
            "status",
            "urgency",
            "last_activity_at",
            "id",
        ),
        Index("ix_conversations_team_order", "team_id", "urgency", "last_activity_at", "id"),
        Index("ix_conversations_order", "urgency", "last_activity_at", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20), index=True)
    # 2 critical, 1 high, 0 normal: kept with severity so the list can sort on it.
    urgency: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(5))
    # What triage found in the customer's messages; sticky once seen.
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    angry: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_human: Mapped[bool] = mapped_column(Boolean, default=False)
    intent: Mapped[str | None] = mapped_column(String(20))
    # The sequence number of the newest message; the next message takes last_seq + 1.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The chat visitor (signed token) who may read this conversation in the widget.
    visitor: Mapped[str | None] = mapped_column(String(100), index=True)
    # Read receipts: the highest seq each side has seen.
    customer_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = _ts()
    updated_at: Mapped[dt.datetime] = _ts()
    last_activity_at: Mapped[dt.datetime] = _ts()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What the conversation is about, for repeat detection (its order's product, or named).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    # The same customer about the same product or order again (see balie.policy.repeats).
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    # SLA clocks (balie.policy.sla), kept by balie.sla.clock: null when not running.
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    next_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Since when the customer's newest message waits for an answer; null when answered.
    awaiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The customer wrote again while still waiting: shown as "bumped" in the inbox.
    bumped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ConversationTag(Base):
    __tablename__ = "conversation_tags"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class Handover(Base):
    """A request to pass a conversation to another agent; ownership moves on acceptance."""

    __tablename__ = "handovers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    from_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    to_agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = _ts()
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    author_kind: Mapped[str] = mapped_column(String(20))
    author_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Set by clients that retry: the same client_id in a conversation is stored once.
    client_id: Mapped[str | None] = mapped_column(String(100))
    # Triage of a customer's message; the coach's verdict on an agent's message.
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    coaching: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = _ts()


class Attachment(Base):
    """A file sent with a message; kept in the database so every process can serve it."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The uploader: a visitor key, or "agent:N". Only they can attach it to a message.
    owner: Mapped[str] = mapped_column(String(100), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _ts()


class MailRecord(Base):
    """One e-mail in or out, by its Message-ID: how replies find their conversation, and
    the original as it arrived (kept whole, viewable, while the timeline shows the reply)."""

    __tablename__ = "mail_records"
    __table_args__ = (
        # The same mail arriving twice at an inbox (a sender retrying after a lost 250, an
        # IMAP mail fetched again) is stored once.
        UniqueConstraint(
            "inbox_id", "direction", "header_id", name="uq_mail_records_inbox_direction_header"
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    header_id: Mapped[str] = mapped_column(String(998), index=True)
    # The customer's address: the sender of mail in, the recipient of mail out.
    address: Mapped[str | None] = mapped_column(String(320), index=True)
    subject_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # mail, auto_reply, bounce, list
    source: Mapped[str] = mapped_column(String(300))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _ts()


class OutboxMail(Base):
    """A mail to send, committed with the reply it carries, sent after commit and retried
    with backoff; its status shows on the message."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))  # reply, acknowledgement, chat_follow_up
    # The envelope sender, an inbox address: bounces come back to Balie.
    from_address: Mapped[str] = mapped_column(String(320))
    to_address: Mapped[str] = mapped_column(String(320))
    header_id: Mapped[str] = mapped_column(String(998))
    # The MIME message, built when the reply was committed: what is retried is what was written.
    content: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))  # queued, sending, sent, failed, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = _ts()
    # A chat follow-up is dropped if the visitor read the reply (seq) before it was due.
    unless_read_seq: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _ts()
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AgentPresence(Base):
    """Whether an agent takes chats now, and how many at once."""

    __tablename__ = "agent_presence"
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(Integer)
    # Refreshed by the agent's live socket; a stale heartbeat is not online.
    seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Round robin: the agent assigned longest ago gets the next chat.
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = _ts()


class Promise(Base):
    """A commitment found in a sent reply ("morgen voor 12:00"), due for its owner."""

    __tablename__ = "promises"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = _ts()


class CoachOverride(Base):
    """An agent's request to send a draft the coach blocked; a supervisor decides."""

    __tablename__ = "coach_overrides"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    # The text the supervisor reads, and whether it is a reply or an internal note.
    text: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the exact draft: an approval is for that text, not for any text.
    draft_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = _ts()
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Timer(Base):
    """Something to do at a time (an SLA check, a reminder, a survey): a row, claimed by
    one worker with FOR UPDATE SKIP LOCKED and fired in the transaction that marks it done,
    so it fires exactly once whatever the number of workers."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Scheduling again under the same key moves the one timer instead of adding one.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[dt.datetime] = _ts()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20))  # pending, done, cancelled, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Which worker fired it: the scale-out test reads it, operators debug with it.
    fired_by: Mapped[str | None] = mapped_column(String(100))
    fired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = _ts()


class Alert(Base):
    """Something a person must look at: a breached SLA, an approval to decide, a block.
    For one agent, or (agent_id null) for every supervisor; shown live and mailed."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = _ts()
    # Who dealt with it and when; an alert for all supervisors is done when one has.
    done_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SlaPolicy(Base):
    """Response targets for an inbox (or, with inbox_id null, every inbox) and a severity,
    in business minutes of the inbox's hours."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("inbox_id", "severity", name="uq_sla_policies_inbox_severity"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id"))
    severity: Mapped[str] = mapped_column(String(20))
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    next_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = _ts()


class SlaBreach(Base):
    """A target that passed unanswered: escalated once, counted in reports."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id", "target", "due_at", name="uq_sla_breaches_conversation_target"
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    target: Mapped[str] = mapped_column(String(20))  # first_response, next_response, resolution
    severity: Mapped[str] = mapped_column(String(20))
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    due_at: Mapped[dt.datetime] = _ts()
    breached_at: Mapped[dt.datetime] = _ts()


class MandateLimit(Base):
    """How much goodwill of one kind a role may grant without approval: per action and in
    total per calendar month, in cents of one currency."""

    __tablename__ = "mandate_limits"
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    per_action_cents: Mapped[int] = mapped_column(Integer)
    per_month_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[dt.datetime] = _ts()


class GoodwillAction(Base):
    """A refund, credit, replacement...: granted within the agent's mandate, or waiting for
    a supervisor's decision."""

    __tablename__ = "goodwill_actions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    # granted, pending_approval, approved, denied
    status: Mapped[str] = mapped_column(String(20), index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _ts()
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AbuseWarning(Base):
    """A boundary message sent to an abusive customer: the count decides what may follow."""

    __tablename__ = "abuse_warnings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = _ts()


class Macro(Base):
    """A reply an agent inserts: personal (owner_id set) or shared; with placeholders and
    actions (tag, status, goodwill) carried out when it is sent."""

    __tablename__ = "macros"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5))
    body: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = _ts()
    updated_at: Mapped[dt.datetime] = _ts()


class Callback(Base):
    """A promised phone call in a time slot; reminded, and a missed one is recorded."""

    __tablename__ = "callbacks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    phone: Mapped[str] = mapped_column(String(40))
    slot_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    slot_end: Mapped[dt.datetime] = _ts()
    note: Mapped[str] = mapped_column(Text, default="")
    # scheduled, done, no_show, cancelled, rescheduled
    status: Mapped[str] = mapped_column(String(20))
    rescheduled_from_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    created_at: Mapped[dt.datetime] = _ts()
    updated_at: Mapped[dt.datetime] = _ts()


class Survey(Base):
    """The short question after resolution: satisfaction 1-5 and how it could have been
    prevented."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # sent, answered
    score: Mapped[int | None] = mapped_column(Integer)
    prevention: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = _ts()
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Incident(Base):
    """A known problem ("the web shop is down") on an inbox: a banner in the widget, linked
    conversations, and one update to all of them when it is resolved."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))  # open, resolved
    resolution: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = _ts()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class IncidentLink(Base):
    __tablename__ = "incident_links"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id"), primary_key=True, index=True
    )
    how: Mapped[str] = mapped_column(String(20))  # keyword, similarity, agent
    created_at: Mapped[dt.datetime] = _ts()


class AuditEvent(Base):
    """Append-only, hash-chained record of every change (see ``balie.audit``)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[dt.datetime] = _ts()
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the chain's newest seq and hash. Every write transaction locks it first,
    which serialises appends, and it lets ``verify`` notice a deleted tail."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
