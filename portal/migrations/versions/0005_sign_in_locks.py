"""sign-in locks per account and client address: a stranger who knows a staff email locks the
account only for their own address (the account-wide lock stays, at a much higher count)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:49:40.128448
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_locks",
        sa.Column(
            "pair_key",
            sa.String(length=64),
            nullable=False,
            comment="HMAC-SHA256 (hex) of the account and the address",
        ),
        sa.Column("staff_id", sa.Integer(), nullable=False, comment="The account"),
        sa.Column("failures", sa.Integer(), nullable=False, comment="Failures in this window"),
        sa.Column(
            "window_started_at",
            portal.models.base.UTCDateTime(),
            nullable=False,
            comment="First failure of the current window (UTC)",
        ),
        sa.Column(
            "locked_until",
            portal.models.base.UTCDateTime(),
            nullable=True,
            comment="Sign-in from this address is refused until then (UTC)",
        ),
        sa.Column(
            "expires_at",
            portal.models.base.UTCDateTime(),
            nullable=False,
            comment="When the row means nothing any more and may be deleted (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_sign_in_locks_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pair_key", name=op.f("pk_sign_in_locks")),
    )
    with op.batch_alter_table("sign_in_locks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_locks_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sign_in_locks_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_locks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_locks_staff_id"))
        batch_op.drop_index(batch_op.f("ix_sign_in_locks_expires_at"))

    op.drop_table("sign_in_locks")
