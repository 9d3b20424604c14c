"""records schedule: legal holds on cases, the record of every disposal and erasure, and
evidence rows kept as tombstones (``attachments.disposed_at``) once their file is deleted

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:14:05.537017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False, comment="Internal id"),
        sa.Column("complaint_id", sa.Integer(), nullable=False, comment="The case held"),
        sa.Column(
            "set_at",
            portal.models.base.UTCDateTime(),
            nullable=False,
            comment="When the hold was set (UTC)",
        ),
        sa.Column("set_by_id", sa.Integer(), nullable=False, comment="Who set it"),
        sa.Column(
            "reason",
            sa.Text(),
            nullable=False,
            comment="Why the case is held (litigation, inquiry); staff only, never audited",
        ),
        sa.Column(
            "released_at",
            portal.models.base.UTCDateTime(),
            nullable=True,
            comment="When the hold was released (UTC); null while it is active",
        ),
        sa.Column("released_by_id", sa.Integer(), nullable=True, comment="Who released it"),
        sa.Column("release_reason", sa.Text(), nullable=True, comment="Why it was released"),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_legal_holds_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["staff.id"], name=op.f("fk_legal_holds_released_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["staff.id"], name=op.f("fk_legal_holds_set_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legal_holds_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "disposals",
        sa.Column("id", sa.Integer(), nullable=False, comment="Internal id"),
        sa.Column("complaint_id", sa.Integer(), nullable=False, comment="The case"),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="personal_data, evidence or complainant_erasure",
        ),
        sa.Column(
            "complainant_id",
            sa.Integer(),
            nullable=True,
            comment="The complainant erased (complainant_erasure only)",
        ),
        sa.Column(
            "rule",
            sa.String(length=64),
            nullable=True,
            comment="Id of the records-schedule rule applied (null: an erasure request)",
        ),
        sa.Column(
            "reason",
            sa.Text(),
            nullable=True,
            comment="Why an erasure was made (the request); staff only, never audited",
        ),
        sa.Column("at", portal.models.base.UTCDateTime(), nullable=False, comment="When (UTC)"),
        sa.Column(
            "actor_id",
            sa.Integer(),
            nullable=True,
            comment="Staff member (null: the scheduled retention run)",
        ),
        sa.Column(
            "files_removed",
            sa.Integer(),
            nullable=False,
            comment="Evidence files deleted from disk by this disposal",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_disposals_actor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["complainant_id"],
            ["complainants.id"],
            name=op.f("fk_disposals_complainant_id_complainants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_disposals_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposals")),
    )
    with op.batch_alter_table("disposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_disposals_complaint_id_kind", ["complaint_id", "kind"], unique=False
        )

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "disposed_at",
                portal.models.base.UTCDateTime(),
                nullable=True,
                comment="When the file was deleted under the records schedule or an erasure (the row stays as a tombstone: size, type and SHA-256 of what was held)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("disposed_at")

    with op.batch_alter_table("disposals", schema=None) as batch_op:
        batch_op.drop_index("ix_disposals_complaint_id_kind")

    op.drop_table("disposals")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_complaint_id"))

    op.drop_table("legal_holds")
