"""The case search index: one normalized document per complaint (``portal.services.search``).

The text columns hold words already normalized by the search service (lower case, accents
removed, one space between words; emails and phone numbers as match tokens), so both databases
index exactly the same words. The full-text structures that make it fast are backend-specific
and live outside the ORM (created by migration 0012): on PostgreSQL a generated, weighted
``document`` tsvector column with a GIN index; on SQLite an FTS5 table ``search_fts`` with
external content kept in sync by triggers. ``is_backend_specific`` names them so schema
comparisons can leave them out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base

#: Objects the migration creates on one backend only (not in the ORM metadata).
FTS_TABLE = "search_fts"
TSVECTOR_COLUMN = "document"
TSVECTOR_INDEX = "ix_search_documents_document"


class SearchDocument(Base):
    """The searchable words of one complaint (a derived copy: rebuilt from the case any time)."""

    __tablename__ = "search_documents"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"),
        primary_key=True,
        comment="The complaint (also the FTS5 rowid on SQLite)",
    )
    complainant: Mapped[str] = mapped_column(
        Text, default="", comment="PERSONAL: complainants' names, normalized words"
    )
    email: Mapped[str] = mapped_column(
        Text, default="", comment="PERSONAL: one token per email address (hash of the address)"
    )
    phone: Mapped[str] = mapped_column(
        Text, default="", comment="PERSONAL: phone tokens (last 10 and last 7 digits)"
    )
    officer: Mapped[str] = mapped_column(
        Text, default="", comment="PERSONAL: officers' names as given and on the roster"
    )
    badge: Mapped[str] = mapped_column(
        Text, default="", comment="PERSONAL: officers' badge numbers as given and on the roster"
    )
    narrative: Mapped[str] = mapped_column(
        Text, default="", comment="PERSONAL: words of the narrative and the witnesses"
    )
    location: Mapped[str] = mapped_column(
        Text, default="", comment="PERSONAL: words of the incident location and beat"
    )
    indexed_at: Mapped[dt.datetime] = mapped_column(comment="When the document was last built")


def is_backend_specific(name: str | None, type_: str, table: str | None = None) -> bool:
    """Whether a schema object is one of the search index's backend-specific structures (the
    FTS5 table and its shadow tables, the tsvector column and its GIN index)."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "column":
        return name == TSVECTOR_COLUMN and table == SearchDocument.__tablename__
    if type_ == "index":
        return name == TSVECTOR_INDEX
    return False
