"""case search index (PostgreSQL tsvector + GIN, SQLite FTS5), corrections history and
access-code reissues

The search index is filled by ``lantern search reindex`` (existing cases) and kept current by the
services that change a case (``portal.services.search.reindex_complaint``).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-06 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The searchable columns, in the order of the FTS5 table (and of its bm25 weights).
COLUMNS = ("complainant", "email", "phone", "officer", "badge", "narrative", "location")
#: PostgreSQL weight of each column (A: identifiers and names … D: the narrative).
WEIGHTS = {
    "complainant": "A",
    "email": "A",
    "phone": "A",
    "badge": "A",
    "officer": "B",
    "location": "C",
    "narrative": "D",
}


def _text_column(name: str, comment: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False, comment=comment)


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column(
            "complaint_id",
            sa.Integer(),
            nullable=False,
            comment="The complaint (also the FTS5 rowid on SQLite)",
        ),
        _text_column("complainant", "PERSONAL: complainants' names, normalized words"),
        _text_column("email", "PERSONAL: one token per email address (hash of the address)"),
        _text_column("phone", "PERSONAL: phone tokens (last 10 and last 7 digits)"),
        _text_column("officer", "PERSONAL: officers' names as given and on the roster"),
        _text_column("badge", "PERSONAL: officers' badge numbers as given and on the roster"),
        _text_column("narrative", "PERSONAL: words of the narrative and the witnesses"),
        _text_column("location", "PERSONAL: words of the incident location and beat"),
        sa.Column(
            "indexed_at",
            portal.models.base.UTCDateTime(),
            nullable=False,
            comment="When the document was last built",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_search_documents_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_search_documents")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        vector = " || ".join(
            f"setweight(to_tsvector('simple'::regconfig, {name}), '{WEIGHTS[name]}')"
            for name in COLUMNS
        )
        op.execute(
            f"ALTER TABLE search_documents ADD COLUMN document tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        op.execute("COMMENT ON COLUMN search_documents.document IS 'Weighted full-text vector'")
        op.execute(
            "CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)"
        )
    elif dialect == "sqlite":
        names = ", ".join(COLUMNS)
        new = ", ".join(f"new.{c}" for c in COLUMNS)
        old = ", ".join(f"old.{c}" for c in COLUMNS)
        op.execute(
            f"CREATE VIRTUAL TABLE search_fts USING fts5({names}, content='search_documents', "
            "content_rowid='complaint_id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "  # noqa: S608 (constant names)
            f"INSERT INTO search_fts(rowid, {names}) VALUES (new.complaint_id, {new}); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "  # noqa: S608 (constant names)
            f"INSERT INTO search_fts(search_fts, rowid, {names}) "
            f"VALUES ('delete', old.complaint_id, {old}); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "  # noqa: S608 (constant names)
            f"INSERT INTO search_fts(search_fts, rowid, {names}) "
            f"VALUES ('delete', old.complaint_id, {old}); "
            f"INSERT INTO search_fts(rowid, {names}) VALUES (new.complaint_id, {new}); END"
        )

    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False, comment="Internal id; never published."),
        sa.Column("complaint_id", sa.Integer(), nullable=False, comment="The complaint"),
        sa.Column(
            "batch",
            sa.String(length=32),
            nullable=False,
            comment="Groups the fields corrected together in one save",
        ),
        sa.Column(
            "subject",
            sa.String(length=64),
            nullable=False,
            comment=(
                "What was corrected: complaint, complainant:<id>, officer:<id>, allegation:<id>"
            ),
        ),
        sa.Column(
            "field", sa.String(length=64), nullable=False, comment="Field name, e.g. incident_date"
        ),
        sa.Column(
            "before_value",
            sa.Text(),
            nullable=True,
            comment="PERSONAL when is_personal: the value before (null: empty)",
        ),
        sa.Column(
            "after_value",
            sa.Text(),
            nullable=True,
            comment="PERSONAL when is_personal: the value after (null: empty)",
        ),
        sa.Column(
            "is_personal",
            sa.Boolean(),
            nullable=False,
            comment="The values are personal data (masked in audit and views)",
        ),
        sa.Column(
            "reason", sa.Text(), nullable=False, comment="Why it was corrected (staff-facing)"
        ),
        sa.Column(
            "actor_id",
            sa.Integer(),
            nullable=True,
            comment="Staff member (null: the complainant)",
        ),
        sa.Column("at", portal.models.base.UTCDateTime(), nullable=False, comment="When (UTC)"),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_corrections_actor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_corrections_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_corrections_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "access_code_reissues",
        sa.Column("id", sa.Integer(), nullable=False, comment="Internal id; never published."),
        sa.Column("complaint_id", sa.Integer(), nullable=False, comment="The complaint"),
        sa.Column(
            "reissued_by_id",
            sa.Integer(),
            nullable=False,
            comment="Staff member who verified identity and reissued",
        ),
        sa.Column(
            "method",
            sa.String(length=32),
            nullable=False,
            comment="How identity was verified (portal.services.access_codes.Method)",
        ),
        sa.Column(
            "verification_note",
            sa.Text(),
            nullable=True,
            comment="PERSONAL: what was checked (never the code; never in the audit)",
        ),
        sa.Column(
            "delivery",
            sa.String(length=16),
            nullable=False,
            comment="How the new code reached the resident: shown, email or both",
        ),
        sa.Column(
            "reissued_at", portal.models.base.UTCDateTime(), nullable=False, comment="When (UTC)"
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_access_code_reissues_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reissued_by_id"],
            ["staff.id"],
            name=op.f("fk_access_code_reissues_reissued_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_code_reissues")),
    )
    with op.batch_alter_table("access_code_reissues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_code_reissues_complaint_id"), ["complaint_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("access_code_reissues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_code_reissues_complaint_id"))
    op.drop_table("access_code_reissues")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrections_complaint_id"))
    op.drop_table("corrections")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_documents")
