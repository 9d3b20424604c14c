"""casework desk: notices staff must not miss and what each staff member has seen of them; the
recommended discipline kept apart from the imposed one (with the date it was decided)

Existing discipline values stay the IMPOSED discipline (the ``discipline`` column keeps its
meaning "discipline imposed", which is what every release so far published: re-publishing an
already-closed case gives the same files). They are also copied as the recommendation, the best
record of what the office itself decided at findings review; ``pending`` (not decided yet) is
not copied, and only a decided value gets a decision date (the day its final finding was made).

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-06 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_notices",
        sa.Column("id", sa.Integer(), nullable=False, comment="Order of arrival (see module)"),
        sa.Column("complaint_id", sa.Integer(), nullable=False, comment="The complaint"),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="What happened: portal.services.desk.NoticeKind value",
        ),
        sa.Column(
            "source_id",
            sa.Integer(),
            nullable=True,
            comment="The row behind it (status event, case event, outbox message), if any",
        ),
        sa.Column(
            "clock",
            sa.String(length=32),
            nullable=True,
            comment="For an overdue deadline: which service-level clock",
        ),
        sa.Column(
            "clock_started_at",
            portal.models.base.UTCDateTime(),
            nullable=True,
            comment="For an overdue deadline: when that clock started (one notice per run)",
        ),
        sa.Column(
            "created_at",
            portal.models.base.UTCDateTime(),
            nullable=False,
            comment="When it was noticed (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_case_notices_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notices")),
    )
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_notices_complaint_id_id", ["complaint_id", "id"], unique=False
        )
        batch_op.create_index("ix_case_notices_kind_source_id", ["kind", "source_id"], unique=False)

    op.create_table(
        "case_seen",
        sa.Column("staff_id", sa.Integer(), nullable=False, comment="Staff member"),
        sa.Column("complaint_id", sa.Integer(), nullable=False, comment="The complaint"),
        sa.Column(
            "last_notice_id",
            sa.Integer(),
            nullable=False,
            comment="Highest CaseNotice id of this case the staff member has seen",
        ),
        sa.Column(
            "seen_at",
            portal.models.base.UTCDateTime(),
            nullable=False,
            comment="When they last looked (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_case_seen_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_case_seen_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "complaint_id", name=op.f("pk_case_seen")),
    )

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaints_assigned_to_id_state", ["assigned_to_id", "state"], unique=False
        )

    with op.batch_alter_table("allegations", schema=None) as batch_op:
        batch_op.alter_column(
            "discipline",
            existing_type=sa.String(length=40),
            comment="Discipline imposed (pending: not decided yet)",
            existing_comment="Discipline imposed",
            existing_nullable=True,
        )
        batch_op.add_column(
            sa.Column(
                "recommended_discipline",
                sa.Enum(
                    "none",
                    "training",
                    "counseling",
                    "written_reprimand",
                    "suspension",
                    "demotion",
                    "termination",
                    "resigned_before_discipline",
                    "pending",
                    name="discipline",
                    native_enum=False,
                    create_constraint=False,
                    length=40,
                ),
                nullable=True,
                comment="Discipline the office recommended at findings review",
            )
        )
        batch_op.add_column(
            sa.Column(
                "recommended_suspension_days",
                sa.Integer(),
                nullable=True,
                comment="Days of suspension recommended, when the recommendation is suspension",
            )
        )
        batch_op.add_column(
            sa.Column(
                "discipline_decided_on",
                sa.Date(),
                nullable=True,
                comment="When the imposed discipline was decided (by the department)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "discipline_recorded_at",
                portal.models.base.UTCDateTime(),
                nullable=True,
                comment="When the imposed discipline was last recorded here (UTC)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "discipline_recorded_by_id",
                sa.Integer(),
                nullable=True,
                comment="Staff member who last recorded the imposed discipline",
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_allegations_discipline_recorded_by_id_staff"),
            "staff",
            ["discipline_recorded_by_id"],
            ["id"],
        )

    allegations = sa.table(
        "allegations",
        sa.column("discipline", sa.String()),
        sa.column("suspension_days", sa.Integer()),
        sa.column("recommended_discipline", sa.String()),
        sa.column("recommended_suspension_days", sa.Integer()),
        sa.column("decided_at", portal.models.base.UTCDateTime()),
        sa.column("discipline_decided_on", sa.Date()),
    )
    decided_day = (
        sa.func.date(allegations.c.decided_at)
        if op.get_bind().dialect.name == "sqlite"
        else sa.cast(allegations.c.decided_at, sa.Date())
    )
    op.execute(
        allegations.update()
        .where(allegations.c.discipline.is_not(None), allegations.c.discipline != "pending")
        .values(
            recommended_discipline=allegations.c.discipline,
            recommended_suspension_days=allegations.c.suspension_days,
            discipline_decided_on=decided_day,
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("allegations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_allegations_discipline_recorded_by_id_staff"), type_="foreignkey"
        )
        batch_op.drop_column("discipline_recorded_by_id")
        batch_op.drop_column("discipline_recorded_at")
        batch_op.drop_column("discipline_decided_on")
        batch_op.drop_column("recommended_suspension_days")
        batch_op.drop_column("recommended_discipline")
        batch_op.alter_column(
            "discipline",
            existing_type=sa.String(length=40),
            comment="Discipline imposed",
            existing_comment="Discipline imposed (pending: not decided yet)",
            existing_nullable=True,
        )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_assigned_to_id_state")
    op.drop_table("case_seen")
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_case_notices_kind_source_id")
        batch_op.drop_index("ix_case_notices_complaint_id_id")
    op.drop_table("case_notices")
