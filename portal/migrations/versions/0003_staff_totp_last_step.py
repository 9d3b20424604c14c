"""staff.totp_last_step: remember the last accepted TOTP step so a code cannot be replayed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(
            sa.Column(
                "totp_last_step",
                sa.Integer(),
                nullable=True,
                comment="Last TOTP time step accepted (a code works once: no replay)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("totp_last_step")
