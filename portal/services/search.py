"""Find any case: full-text search over complainants, contacts, officers, narrative and location.

One interface, two real backends chosen by the session's database:

- PostgreSQL: a generated, weighted ``tsvector`` column (``'simple'`` configuration) with a GIN
  index; matches with ``@@`` and ranks with ``ts_rank``.
- SQLite: an FTS5 table over ``search_documents`` (external content, kept in sync by triggers);
  matches with ``MATCH`` and ranks with ``bm25`` (column weights like PostgreSQL's).

The query language is the one people know from web search engines (PostgreSQL's
``websearch_to_tsquery`` syntax): words must all match, ``"a phrase"`` matches words in order,
``or`` between two words accepts either, ``-word`` excludes. It is parsed once here, in Python,
into lexemes normalized exactly like the documents (lower case, accents removed, so "Muñoz"
finds "munoz"), and rendered for each backend (``to_tsquery`` with quoted lexemes; an FTS5
expression with quoted strings), so both databases answer the same question the same way and no
typed character can reach either query syntax.

Contacts match whatever the user types: an email address is matched exactly (case aside); a
phone number by its digits, with or without country code, spaces, dashes or brackets (the last
10 digits, or the last 7 when fewer were typed). Badge numbers match with or without their
punctuation.

The index (``search_documents``) is a derived copy: ``reindex_complaint`` rebuilds one case's
document from the case and must be called, in the same transaction, by anything that changes
what is searchable (intake, corrections, officer changes, redaction or erasure of personal
data); ``rebuild_index`` rebuilds every case (``lantern search reindex``).

A search is a view of personal data: ``search_cases`` writes a ``complaint.search`` audit entry
with a keyed hash of the query (never the query), the number of results and the ids shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, selectinload

from portal.db import begin_write
from portal.models import Complaint, InvolvedOfficer, SearchDocument, Staff
from portal.models.search import TSVECTOR_INDEX
from portal.services import audit
from portal.services.permissions import Permission, has_permission
from portal.vocabulary import CaseState, PublicStatus

SEARCH = "complaint.search"
DEFAULT_PER_PAGE = 25
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12

#: The searchable fields, in the FTS5 column order; ``FIELD_WEIGHTS`` ranks them for bm25.
FIELDS = ("complainant", "email", "phone", "officer", "badge", "narrative", "location")
FIELD_WEIGHTS = {
    "complainant": 10.0,
    "email": 10.0,
    "phone": 10.0,
    "badge": 10.0,
    "officer": 5.0,
    "location": 3.0,
    "narrative": 1.0,
}

_WORD = re.compile(r"[^\W_]+")
_EMAIL = re.compile(r"^[^@\s\"]+@[^@\s\"]+\.[^@\s\"]+$")
# A phone number as typed: an optional +, then digits with spaces, dashes, dots or brackets.
_PHONE_RUN = re.compile(r"(?<![\w@])\+?\(?\d[\d\s().-]{5,}\d(?![\w@])")
_TERM = re.compile(r'-?"[^"]*"?|\S+')


class SearchError(ValueError):
    """A query that cannot be searched; ``reason`` is ``empty``, ``only_excluded`` or ``long``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- normalization (documents and queries alike) ---------------------------------------------


def words(value: str | None) -> list[str]:
    """The words of ``value``: accents removed, lower case, split on anything not a letter or
    digit (so "García-López" gives ``["garcia", "lopez"]``)."""
    if not value:
        return []
    if value.isascii():  # most text: nothing to decompose
        return _WORD.findall(value.lower())
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(plain.casefold())


def email_token(email: str) -> str:
    """The one token an email address is indexed and searched as (exact, case-insensitive)."""
    digest = hashlib.blake2b(email.strip().casefold().encode(), digest_size=10).hexdigest()
    return "m" + digest


def phone_tokens(phone: str | None) -> list[str]:
    """The tokens a stored phone number is indexed as: its last 10 and last 7 digits."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 7:
        return []
    return list(dict.fromkeys(["p" + digits[-10:], "p" + digits[-7:]]))


def _phone_query_token(digits: str) -> str:
    """The token a typed phone number is searched as (last 10 digits, else last 7)."""
    return "p" + (digits[-10:] if len(digits) >= 10 else digits[-7:])


def badge_tokens(badge: str | None) -> list[str]:
    """A badge's words plus the badge without punctuation ("B-1234" → b, 1234, b1234)."""
    parts = words(badge)
    joined = "".join(parts)
    return list(dict.fromkeys([*parts, joined])) if joined else []


# --- documents -----------------------------------------------------------------------------


def document_for(complaint: Complaint) -> dict[str, str]:
    """The searchable words of ``complaint``, field by field (each a space-separated string)."""
    fields: dict[str, list[str]] = {name: [] for name in FIELDS}
    for person in complaint.complainants:
        fields["complainant"] += words(person.name) + words(person.on_behalf_of)
        if person.email:
            fields["email"].append(email_token(person.email))
        fields["phone"] += phone_tokens(person.phone)
    for involved in complaint.officers:
        fields["officer"] += words(involved.name_given)
        fields["badge"] += badge_tokens(involved.badge_given)
        roster = involved.officer
        if roster is not None:
            fields["officer"] += words(roster.first_name) + words(roster.last_name)
            fields["badge"] += badge_tokens(roster.badge_number)
    fields["narrative"] = words(complaint.narrative) + words(complaint.witnesses)
    fields["location"] = words(complaint.incident_location) + words(complaint.beat)
    return {name: " ".join(values) for name, values in fields.items()}


def _load_for_index(session: Session, complaint_ids: Sequence[int]) -> list[Complaint]:
    query = (
        select(Complaint)
        .where(Complaint.id.in_(complaint_ids))
        .options(
            selectinload(Complaint.complainants),
            selectinload(Complaint.officers).selectinload(InvolvedOfficer.officer),
        )
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def reindex_complaint(
    session: Session, complaint_id: int, *, now: dt.datetime | None = None
) -> None:
    """Rebuild complaint ``complaint_id``'s search document from its current data.

    Call it after any change to what is searchable (names, contacts, officers, narrative,
    location), in the same transaction, before the commit: it flushes the session, reads the
    case back and writes the document (nothing is committed). A complaint that no longer exists
    loses its document. Redaction or erasure of personal data must call it too, so the index
    forgets what the case forgot.
    """
    session.flush()
    found = _load_for_index(session, [complaint_id])
    stamp = now or dt.datetime.now(dt.UTC)
    if not found:
        session.execute(delete(SearchDocument).where(SearchDocument.complaint_id == complaint_id))
        return
    _store(session, found[0], stamp)


def _store(
    session: Session,
    complaint: Complaint,
    now: dt.datetime,
    existing: dict[int, SearchDocument] | None = None,
) -> None:
    values = document_for(complaint)
    if existing is None:
        document = session.get(SearchDocument, complaint.id)
    else:
        document = existing.get(complaint.id)
    if document is None:
        session.add(SearchDocument(complaint_id=complaint.id, indexed_at=now, **values))
    else:
        for name, value in values.items():
            setattr(document, name, value)
        document.indexed_at = now


def rebuild_index(
    session: Session,
    *,
    now: dt.datetime,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild every complaint's search document, committing every ``batch`` cases.

    Returns the number of cases indexed; ``progress(done, total)`` is called after each batch.
    """
    total = session.scalar(select(func.count()).select_from(Complaint)) or 0
    done = 0
    last_id = 0
    while True:
        ids = list(
            session.scalars(
                select(Complaint.id)
                .where(Complaint.id > last_id)
                .order_by(Complaint.id)
                .limit(batch)
            )
        )
        if not ids:
            break
        existing = {
            d.complaint_id: d
            for d in session.scalars(
                select(SearchDocument).where(SearchDocument.complaint_id.in_(ids))
            )
        }
        for complaint in _load_for_index(session, ids):
            _store(session, complaint, now, existing)
        session.commit()
        session.expunge_all()
        done += len(ids)
        last_id = ids[-1]
        if progress is not None:
            progress(done, total)
    if session.get_bind().dialect.name == "postgresql":
        # A bulk load leaves the new entries in the GIN index's pending list, which every search
        # scans until autovacuum merges it (a search of 100,000 fresh cases took 160 ms instead
        # of 1); merge it now, and give the planner the table's statistics.
        session.execute(text(f"SELECT gin_clean_pending_list('{TSVECTOR_INDEX}'::regclass)"))
        session.execute(text(f"ANALYZE {SearchDocument.__tablename__}"))
        session.commit()
    return done


def unindexed_count(session: Session) -> int:
    """How many complaints have no search document (e.g. seeded or imported without reindex)."""
    cases = session.scalar(select(func.count()).select_from(Complaint)) or 0
    documents = session.scalar(select(func.count()).select_from(SearchDocument)) or 0
    return max(0, cases - documents)


# --- queries -------------------------------------------------------------------------------

#: One way a term may match: a sequence of lexemes that must appear in order (one: a word).
Alternative = tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Clause:
    """Alternatives of which one must match (several only with ``or`` or punctuation)."""

    alternatives: tuple[Alternative, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedQuery:
    """What to look for: every ``required`` clause matches and no ``excluded`` clause does."""

    required: tuple[Clause, ...]
    excluded: tuple[Clause, ...]

    def canonical(self) -> str:
        """A stable text form (what the audit hashes)."""
        return render_tsquery(self)


def _term_alternatives(term: str, phrase: bool) -> tuple[Alternative, ...]:
    """The ways one typed term (or quoted phrase) may match."""
    if phrase:
        found = tuple(words(term))
        return (found,) if found else ()
    if _EMAIL.fullmatch(term):
        return ((email_token(term),),)
    digits = re.sub(r"\D", "", term)
    if len(digits) >= 7 and re.fullmatch(r"\+?[\d().-]+", term):
        return ((_phone_query_token(digits),), (digits,))
    found = tuple(words(term))
    if not found:
        return ()
    if len(found) == 1:
        return (found,)
    # "García-López", "B-1234": the words in order, or run together (a badge is indexed so).
    return (found, ("".join(found),))


def parse_query(raw: str) -> ParsedQuery:
    """Parse what a staff member typed into a ``ParsedQuery``.

    Raises ``SearchError``: ``empty`` (nothing searchable), ``only_excluded`` (only ``-words``)
    or ``long`` (over ``MAX_QUERY_LENGTH`` characters or ``MAX_TERMS`` terms).
    """
    if len(raw) > MAX_QUERY_LENGTH:
        raise SearchError("long")
    # A phone number typed with spaces is one term, not three.
    prepared = _PHONE_RUN.sub(
        lambda m: (
            re.sub(r"[\s]", "", m.group(0))
            if len(re.sub(r"\D", "", m.group(0))) >= 7
            else m.group(0)
        ),
        raw,
    )
    required: list[Clause] = []
    excluded: list[Clause] = []
    join_next = False
    for match in _TERM.finditer(prepared):
        term = match.group(0)
        if term.casefold() == "or" and required:
            join_next = True
            continue
        negative = term.startswith("-") and len(term) > 1
        if negative:
            term = term[1:]
        phrase = term.startswith('"')
        alternatives = _term_alternatives(term.strip('"'), phrase)
        if not alternatives:
            join_next = False
            continue
        if negative:
            excluded.append(Clause(alternatives))
        elif join_next:
            previous = required.pop()
            merged = tuple(dict.fromkeys(previous.alternatives + alternatives))
            required.append(Clause(merged))
        else:
            required.append(Clause(alternatives))
        join_next = False
    if len(required) + len(excluded) > MAX_TERMS:
        raise SearchError("long")
    if not required:
        raise SearchError("only_excluded" if excluded else "empty")
    return ParsedQuery(tuple(required), tuple(excluded))


def _ts_clause(clause: Clause) -> str:
    options = [" <-> ".join(f"'{lexeme}'" for lexeme in alt) for alt in clause.alternatives]
    return "(" + " | ".join(options) + ")"


def render_tsquery(query: ParsedQuery) -> str:
    """The query in PostgreSQL ``to_tsquery`` syntax (lexemes are letters and digits only)."""
    rendered = " & ".join(_ts_clause(c) for c in query.required)
    for clause in query.excluded:
        rendered += " & !" + _ts_clause(clause)
    return rendered


def _fts_clause(clause: Clause) -> str:
    return "(" + " OR ".join('"' + " ".join(alt) + '"' for alt in clause.alternatives) + ")"


def render_fts5(query: ParsedQuery) -> str:
    """The query as an FTS5 expression (each alternative a quoted string: a word or a phrase)."""
    rendered = " AND ".join(_fts_clause(c) for c in query.required)
    if query.excluded:
        rendered = f"({rendered}) NOT ({' OR '.join(_fts_clause(c) for c in query.excluded)})"
    return rendered


# --- backends ------------------------------------------------------------------------------


class SearchBackend(Protocol):
    """A full-text backend: the complaint ids of one page, best first, and the total."""

    def search(
        self, session: Session, query: ParsedQuery, *, offset: int, limit: int
    ) -> tuple[list[int], int]: ...


class PostgresBackend:
    """tsvector + GIN index, ``to_tsquery('simple', …)``, ranked by ``ts_rank``."""

    def search(
        self, session: Session, query: ParsedQuery, *, offset: int, limit: int
    ) -> tuple[list[int], int]:
        """Ids of one page of matching complaints (best first) and how many match in all."""
        params = {"q": render_tsquery(query), "offset": offset, "limit": limit}
        ids = session.scalars(
            text(
                "SELECT d.complaint_id FROM search_documents d, "
                "to_tsquery('simple'::regconfig, :q) q WHERE d.document @@ q "
                "ORDER BY ts_rank(d.document, q) DESC, d.complaint_id DESC "
                "LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        total = session.scalar(
            text(
                "SELECT count(*) FROM search_documents "
                "WHERE document @@ to_tsquery('simple'::regconfig, :q)"
            ),
            {"q": params["q"]},
        )
        return list(ids), int(total or 0)


class SqliteBackend:
    """FTS5 with external content, ranked by ``bm25`` with the fields' weights."""

    def search(
        self, session: Session, query: ParsedQuery, *, offset: int, limit: int
    ) -> tuple[list[int], int]:
        """Ids of one page of matching complaints (best first) and how many match in all."""
        weights = ", ".join(str(FIELD_WEIGHTS[name]) for name in FIELDS)
        expression = render_fts5(query)
        ids = session.scalars(
            text(
                f"SELECT rowid FROM search_fts WHERE search_fts MATCH :q "  # noqa: S608 (constants)
                f"ORDER BY bm25(search_fts, {weights}), rowid DESC LIMIT :limit OFFSET :offset"
            ),
            {"q": expression, "offset": offset, "limit": limit},
        ).all()
        total = session.scalar(
            text("SELECT count(*) FROM search_fts WHERE search_fts MATCH :q"), {"q": expression}
        )
        return list(ids), int(total or 0)


def backend_for(session: Session) -> SearchBackend:
    """The backend for the session's database (PostgreSQL or SQLite)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return PostgresBackend()
    if name == "sqlite":
        return SqliteBackend()
    raise RuntimeError(f"no search backend for {name}")


# --- searching -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SearchHit:
    """One case found: what the results list shows (never the narrative or contact details)."""

    complaint_id: int
    reference: str
    received_at: dt.datetime
    state: CaseState
    public_status: PublicStatus
    assigned_to_name: str | None
    matched: tuple[str, ...]  # field names from FIELDS


@dataclasses.dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of hits, best first."""

    hits: Sequence[SearchHit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def rows(self) -> Sequence[SearchHit]:
        """The hits (the name the pagination macro expects)."""
        return self.hits


def _contains(tokens: list[str], alternative: Alternative) -> bool:
    size = len(alternative)
    return any(tuple(tokens[i : i + size]) == alternative for i in range(len(tokens) - size + 1))


def matched_fields(document: SearchDocument, query: ParsedQuery) -> tuple[str, ...]:
    """The fields of ``document`` in which a required term of ``query`` occurs."""
    found = []
    for name in FIELDS:
        tokens = (getattr(document, name) or "").split()
        if any(_contains(tokens, alt) for c in query.required for alt in c.alternatives):
            found.append(name)
    return tuple(found)


def query_fingerprint(query: ParsedQuery, key: str) -> str:
    """A keyed hash of the normalized query: lets an auditor who holds the key check whether a
    given search was made, without the audit trail holding what was searched for."""
    digest = hmac.new(key.encode(), b"search\0" + query.canonical().encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def search_cases(
    session: Session,
    raw_query: str,
    *,
    actor: Staff,
    now: dt.datetime,
    audit_key: str,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> SearchResults:
    """Search every case for ``raw_query``, audit the search and COMMIT the audit entry.

    Raises ``SearchError`` for a query with nothing to search (nothing is audited then) and
    ``PermissionError`` when ``actor`` may not search. Returns one page of hits, best first.
    """
    if not actor.is_active or not has_permission(actor.role, Permission.CASE_SEARCH):
        raise PermissionError("not allowed to search cases")
    query = parse_query(raw_query)
    per_page = max(1, min(per_page, 100))
    page = max(1, page)
    ids, total = backend_for(session).search(
        session, query, offset=(page - 1) * per_page, limit=per_page
    )
    hits = _hits(session, ids, query)
    session.rollback()  # end the read so SQLite can begin the write
    begin_write(session)
    audit.record(
        session,
        actor_id=actor.id,
        action=SEARCH,
        object_type="complaint",
        detail=(
            f"query={query_fingerprint(query, audit_key)} results={total} page={page} "
            f"shown={','.join(str(i) for i in ids) or '-'}"
        ),
        now=now,
    )
    session.commit()
    return SearchResults(hits=hits, total=total, page=page, per_page=per_page)


def _hits(session: Session, ids: Iterable[int], query: ParsedQuery) -> list[SearchHit]:
    order = list(ids)
    if not order:
        return []
    rows = session.execute(
        select(Complaint, Staff.name, SearchDocument)
        .join(SearchDocument, SearchDocument.complaint_id == Complaint.id)
        .outerjoin(Staff, Staff.id == Complaint.assigned_to_id)
        .where(Complaint.id.in_(order))
    ).all()
    by_id = {complaint.id: (complaint, name, document) for complaint, name, document in rows}
    hits = []
    for complaint_id in order:
        if complaint_id not in by_id:
            continue
        complaint, name, document = by_id[complaint_id]
        hits.append(
            SearchHit(
                complaint_id=complaint.id,
                reference=complaint.reference,
                received_at=complaint.received_at,
                state=complaint.state,
                public_status=complaint.public_status,
                assigned_to_name=name,
                matched=matched_fields(document, query),
            )
        )
    return hits
