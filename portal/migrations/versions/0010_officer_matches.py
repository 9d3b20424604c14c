"""officer matches: a supervisor's decision that an officer from imported history is (or is not)
a roster officer, so one person does not get two identities in early warning and releases

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-05 16:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0010"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "officer_matches",
        sa.Column("id", sa.Integer(), nullable=False, comment="Internal id; never published."),
        sa.Column(
            "officer_id",
            sa.Integer(),
            nullable=False,
            comment="The officer from imported history",
        ),
        sa.Column(
            "roster_officer_id",
            sa.Integer(),
            nullable=False,
            comment="The roster officer it was compared with",
        ),
        sa.Column(
            "rule",
            sa.String(length=32),
            nullable=False,
            comment="Why it was suggested: badge or name",
        ),
        sa.Column(
            "decision", sa.String(length=16), nullable=False, comment="confirmed or rejected"
        ),
        sa.Column(
            "decided_by_id", sa.Integer(), nullable=False, comment="The supervisor who decided"
        ),
        sa.Column(
            "decided_at", portal.models.base.UTCDateTime(), nullable=False, comment="When (UTC)"
        ),
        sa.Column(
            "moved_involvements",
            sa.Integer(),
            nullable=False,
            comment="Complaint involvements moved to the roster officer on confirmation",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["staff.id"], name=op.f("fk_officer_matches_decided_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_officer_matches_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["roster_officer_id"],
            ["officers.id"],
            name=op.f("fk_officer_matches_roster_officer_id_officers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_matches")),
        sa.UniqueConstraint("officer_id", "roster_officer_id", name="uq_officer_matches_pair"),
    )
    with op.batch_alter_table("officer_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_matches_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_officer_matches_roster_officer_id"), ["roster_officer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("officer_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_matches_roster_officer_id"))
        batch_op.drop_index(batch_op.f("ix_officer_matches_officer_id"))

    op.drop_table("officer_matches")
