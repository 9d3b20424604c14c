"""outbox channels and phone calls: each queued message has a channel (email, letter, sms) and
its complainant, a letter records when it was printed, the recipient holds a postal address; activities record phone
calls (when, made or received, with whom, outcome, number)

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-06 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel",
                sa.String(length=40),
                server_default="email",
                nullable=False,
                comment="email, letter or sms",
            )
        )
        batch_op.add_column(
            sa.Column(
                "complainant_id",
                sa.Integer(),
                nullable=True,
                comment=(
                    "The complainant it goes to (letters follow a corrected address until printed)"
                ),
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_complainant_id_complainants"),
            "complainants",
            ["complainant_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.add_column(
            sa.Column(
                "printed_at",
                portal.models.base.UTCDateTime(),
                nullable=True,
                comment="Letters: when staff marked it printed (UTC)",
            )
        )
        batch_op.alter_column(
            "to_address",
            existing_type=sa.String(length=254),
            type_=sa.Text(),
            existing_nullable=False,
            comment=(
                "PERSONAL: recipient (email address, phone number, or name and postal address)"
            ),
            existing_comment="PERSONAL: recipient",
        )
        batch_op.create_index("ix_outbox_channel_status", ["channel", "status"], unique=False)
    # Rows that already failed an attempt and will be tried again are now "retrying".
    op.execute(
        "UPDATE outbox SET status = 'retrying' "
        "WHERE status = 'pending' AND attempts > 0 AND last_error IS NOT NULL"
    )

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "occurred_at",
                portal.models.base.UTCDateTime(),
                nullable=True,
                comment="Phone calls: when the call took place (UTC)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "call_direction",
                sa.String(length=40),
                nullable=True,
                comment="Phone calls: made or received",
            )
        )
        batch_op.add_column(
            sa.Column(
                "call_party",
                sa.String(length=40),
                nullable=True,
                comment="Phone calls: who was on the other end",
            )
        )
        batch_op.add_column(
            sa.Column(
                "call_outcome",
                sa.String(length=40),
                nullable=True,
                comment="Phone calls: reached, left a message, no answer...",
            )
        )
        batch_op.add_column(
            sa.Column(
                "phone_number",
                sa.String(length=40),
                nullable=True,
                comment="PERSONAL: phone calls: the number called or calling",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("phone_number")
        batch_op.drop_column("call_outcome")
        batch_op.drop_column("call_party")
        batch_op.drop_column("call_direction")
        batch_op.drop_column("occurred_at")

    # Letters and SMS cannot exist before this revision: they go with it.
    op.execute("UPDATE outbox SET status = 'pending' WHERE status IN ('retrying', 'printed')")
    op.execute("DELETE FROM outbox WHERE channel <> 'email'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_channel_status")
        batch_op.alter_column(
            "to_address",
            existing_type=sa.Text(),
            type_=sa.String(length=254),
            existing_nullable=False,
            comment="PERSONAL: recipient",
            existing_comment=(
                "PERSONAL: recipient (email address, phone number, or name and postal address)"
            ),
        )
        batch_op.drop_column("printed_at")
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_complainant_id_complainants"), type_="foreignkey"
        )
        batch_op.drop_column("complainant_id")
        batch_op.drop_column("channel")
