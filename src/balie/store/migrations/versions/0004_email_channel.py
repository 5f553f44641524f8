"""email channel

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:39:20.742204
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from balie.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "mail_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("inbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("header_id", sa.String(length=998), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("subject_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_mail_records_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_mail_records_inbox_id_inboxes")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_mail_records_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_records")),
        sa.UniqueConstraint(
            "inbox_id", "direction", "header_id", name="uq_mail_records_inbox_direction_header"
        ),
    )
    with op.batch_alter_table("mail_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_records_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_records_header_id"), ["header_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_records_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_records_address"), ["address"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("header_id", sa.String(length=998), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("unless_read_seq", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_outbox_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_outbox_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_id"), ["message_id"], unique=False)

    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failing_since", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("failure", sa.Text(), nullable=True))

    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:

    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.drop_column("email")

    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_column("failure")
        batch_op.drop_column("failing_since")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_id"))
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index(batch_op.f("ix_outbox_conversation_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("mail_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_records_address"))
        batch_op.drop_index(batch_op.f("ix_mail_records_message_id"))
        batch_op.drop_index(batch_op.f("ix_mail_records_header_id"))
        batch_op.drop_index(batch_op.f("ix_mail_records_conversation_id"))

    op.drop_table("mail_records")
