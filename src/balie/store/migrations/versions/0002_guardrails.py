"""guardrails

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:45:51.296209
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from balie.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_overrides",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("draft_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_coach_overrides_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_coach_overrides_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["agents.id"], name=op.f("fk_coach_overrides_decided_by_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_overrides")),
    )
    with op.batch_alter_table("coach_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coach_overrides_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "promises",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_promises_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_promises_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_promises_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises")),
    )
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_promises_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_promises_due_at"), ["due_at"], unique=False)

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mask_profanity", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgency", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("abusive", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("angry", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("wants_human", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("intent", sa.String(length=20), nullable=True))
        batch_op.drop_index(batch_op.f("ix_conversations_activity"))
        batch_op.drop_index(batch_op.f("ix_conversations_owner_activity"))
        batch_op.drop_index(batch_op.f("ix_conversations_status_activity"))
        batch_op.drop_index(batch_op.f("ix_conversations_team_activity"))
        batch_op.create_index(
            "ix_conversations_order", ["urgency", "last_activity_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_conversations_owner_order",
            ["owner_id", "status", "urgency", "last_activity_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_conversations_status_order",
            ["status", "urgency", "last_activity_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_conversations_team_order",
            ["team_id", "urgency", "last_activity_at", "id"],
            unique=False,
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("coaching", sa.JSON(), nullable=True))

    op.execute(
        "UPDATE conversations SET urgency = CASE severity "
        "WHEN 'critical' THEN 2 WHEN 'high' THEN 1 ELSE 0 END"
    )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("coaching")
        batch_op.drop_column("triage")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_team_order")
        batch_op.drop_index("ix_conversations_status_order")
        batch_op.drop_index("ix_conversations_owner_order")
        batch_op.drop_index("ix_conversations_order")
        batch_op.create_index(
            batch_op.f("ix_conversations_team_activity"),
            ["team_id", "last_activity_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_status_activity"),
            ["status", "last_activity_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_owner_activity"),
            ["owner_id", "last_activity_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_activity"), ["last_activity_at", "id"], unique=False
        )
        batch_op.drop_column("intent")
        batch_op.drop_column("wants_human")
        batch_op.drop_column("angry")
        batch_op.drop_column("abusive")
        batch_op.drop_column("urgency")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("mask_profanity")

    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promises_due_at"))
        batch_op.drop_index(batch_op.f("ix_promises_conversation_id"))

    op.drop_table("promises")
    with op.batch_alter_table("coach_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coach_overrides_conversation_id"))

    op.drop_table("coach_overrides")
