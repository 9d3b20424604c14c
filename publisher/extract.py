"""Extraction: closed cases from the database into polars frames of allow-listed columns only.

This is the only code of the publisher that reads case tables. It selects, by name, the columns
the published schemas need — already reduced in SQL wherever an exact value would be personal:
months instead of dates (``received_month``, ``closed_month``: the month's first day),
``days_to_close`` as a whole number, age bands instead of ages, service-year bands instead of
hire dates. Names, contact details, narratives, notes, locations, references, access codes,
attachments and source ids are never selected. Internal ids become keyed pseudonyms here and the
internal ids are dropped before the frames leave this module.

Rows are streamed in batches ordered by id (server-side cursor on PostgreSQL), so memory holds
one batch of Python tuples at a time plus the compact polars frames.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.sql import ClauseElement

from portal.models import Allegation, Complainant, Complaint, InvolvedOfficer, Officer
from portal.vocabulary import CLOSED_STATES, PUBLIC_STATUS_OF, Finding, Gender, Race
from publisher.keys import CROCKFORD, officer_identity

_CURSOR_NUMBERS = itertools.count(1)
#: Rows fetched per round trip (a batch of Python tuples is the only unbounded-looking buffer).
BATCH_ROWS = 50_000
#: Token for a value the source does not record (never a suppression: that is ``withheld``).
UNKNOWN = "unknown"
#: Token for an allegation whose officer was not identified.
UNIDENTIFIED = "unidentified"

OfficerNames = Literal[False, "sustained_only", "all"]

#: Published columns of each frame, in order (the Table Schemas in publisher/schemas/ list the
#: same fields; ``received_month``/``closed_month`` become the published periods after the
#: anonymizer chooses their level).
COMPLAINT_COLUMNS = (
    "complaint_id",
    "received_month",
    "closed_month",
    "days_to_close",
    "channel",
    "district",
    "screening_outcome",
    "public_status",
)
ALLEGATION_COLUMNS = ("complaint_id", "officer_id", "category", "finding", "discipline")
OFFICER_COLUMNS = ("officer_id", "rank_group", "gender", "race", "years_of_service_band")
COMPLAINANT_COLUMNS = ("complaint_id", "age_band", "gender", "race")

#: Years-of-service bands (lower bound, label); the band is computed at the release's as-of date.
SERVICE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "0_4"),
    (5, "5_9"),
    (10, "10_14"),
    (15, "15_19"),
    (20, "20_24"),
    (25, "25_plus"),
)
#: Rank groups: a roster's free-text rank is matched on these words (first match wins).
RANK_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "command",
        ("captain", "inspector", "commander", "chief", "commissioner", "major", "colonel"),
    ),
    ("supervisor", ("sergeant", "lieutenant", "supervisor")),
    ("officer", ("officer", "corporal", "detective", "patrol", "trooper", "deputy")),
)
RANK_GROUP_VALUES = ("officer", "supervisor", "command", "other", UNKNOWN)


@dataclass
class Extraction:
    """The frames of one release before anonymization, and what was left out and why.

    ``closed_cases``: closed cases in the database; ``exclusions``: reason → cases not published
    (so ``len(complaints) + sum(exclusions.values()) == closed_cases``); ``notes``: published
    cases with something the source does not record (reason → count); ``as_of``: the first day
    of the latest month in the published data (the reference date of service-year bands).
    """

    complaints: pl.DataFrame
    allegations: pl.DataFrame
    officers: pl.DataFrame
    complainants: pl.DataFrame
    closed_cases: int
    exclusions: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    as_of: dt.date | None = None


# --- SQL helpers (the exact values stay in the database) -----------------------------------------


def _month(column: Any, dialect: str) -> ColumnElement[Any]:
    """``YYYY-MM`` of a UTC datetime column, computed by the database."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _days_between(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    """Whole calendar days from ``start`` to ``end`` (UTC dates), computed by the database."""
    if dialect == "postgresql":
        return cast(end, Date) - cast(start, Date)
    return cast(func.julianday(func.date(end)) - func.julianday(func.date(start)), Integer)


def _years_since(column: Any, reference: dt.date, dialect: str) -> ColumnElement[Any]:
    """Whole years from a date column to ``reference`` (365.25-day years; -1 if after it)."""
    if dialect == "postgresql":
        return cast(func.floor((cast(literal(reference), Date) - column) / 365.25), Integer)
    # SQLite: CAST truncates toward zero, which is the floor for the non-negative case.
    days = func.julianday(literal(reference.isoformat())) - func.julianday(column)
    return case((days < 0, -1), else_=cast(days / 365.25, Integer))


def _age_band_sql() -> ColumnElement[Any]:
    """The complainant's age band: the stored band, else the band of the exact age."""
    age = Complainant.age
    from_age = case(
        (age.is_(None), None),
        (age < 0, None),
        (age < 18, "under_18"),
        (age <= 24, "18_24"),
        (age <= 34, "25_34"),
        (age <= 44, "35_44"),
        (age <= 54, "45_54"),
        (age <= 64, "55_64"),
        else_="65_plus",
    )
    return func.coalesce(cast(Complainant.age_band, _string_type()), from_age)


def _string_type() -> String:
    """A plain string type (enum columns are stored as strings; no enum conversion needed)."""
    return String(40)


def _closed() -> ColumnElement[bool]:
    """Complaints in a closed state."""
    return Complaint.state.in_(sorted(CLOSED_STATES))


def stream(
    conn: Connection, query: ClauseElement, batch_rows: int = BATCH_ROWS
) -> Iterator[Sequence[Any]]:
    """Yield the rows of ``query`` as batches of plain tuples, from a server-side cursor.

    The DBAPI cursor is used directly, skipping SQLAlchemy's per-row wrapping (a third of the
    extraction time at a million cases). The queries here select only columns without result
    processing (ints, text, enums cast to text), and their only bound values are the module's
    own constants (closed states, formats, the as-of date), rendered as literals.
    """
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        # A named cursor is a server-side cursor: rows arrive batch by batch.
        cursor = raw.cursor(name=f"lantern_extract_{next(_CURSOR_NUMBERS)}")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch_rows):
            yield rows
    finally:
        cursor.close()


def _frame(
    conn: Connection,
    query: ClauseElement,
    schema: dict[str, Any],
    on_rows: Callable[[int], None] | None,
    batch_rows: int,
) -> pl.DataFrame:
    """Stream ``query`` into one polars frame with ``schema`` (batch by batch)."""
    parts = []
    for rows in stream(conn, query, batch_rows):
        parts.append(pl.DataFrame(list(rows), schema=schema, orient="row"))
        if on_rows is not None:
            on_rows(len(rows))
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts, rechunk=False)


# --- pseudonyms, vectorised -----------------------------------------------------------------------


#: Crockford base32 of every 10-bit value (two characters), for a fast 60-bit encoding.
_PAIRS = tuple(CROCKFORD[i >> 5] + CROCKFORD[i & 31] for i in range(1024))
_IPAD = bytes(0x36 for _ in range(64))
_OPAD = bytes(0x5C for _ in range(64))


def _keyed_sha256(key: bytes) -> tuple[Any, Any]:
    """The inner and outer SHA-256 states of HMAC with ``key`` (RFC 2104), ready to copy."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(k ^ p for k, p in zip(key, _IPAD, strict=True)))
    outer = hashlib.sha256(bytes(k ^ p for k, p in zip(key, _OPAD, strict=True)))
    return inner, outer


def _pseudonyms(ids: Iterable[str], prefix: str, key: bytes) -> list[str]:
    """``prefix-`` + 12 base32 chars of HMAC-SHA256(key, identity) for each identity.

    Same result as ``publisher.keys.pseudonym`` (the first 60 bits of the HMAC), several times
    faster at millions of ids: the keyed SHA-256 states are computed once and copied (HMAC as
    RFC 2104 defines it), and the 60 bits are encoded 10 bits at a time from a table.
    """
    inner, outer = _keyed_sha256(key)
    head = f"{prefix}-"
    pairs = _PAIRS
    out = []
    for identity in ids:
        i = inner.copy()
        i.update(identity.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        n = int.from_bytes(o.digest()[:8], "big") >> 4
        out.append(
            head
            + pairs[n >> 50]
            + pairs[(n >> 40) & 1023]
            + pairs[(n >> 30) & 1023]
            + pairs[(n >> 20) & 1023]
            + pairs[(n >> 10) & 1023]
            + pairs[n & 1023]
        )
    return out


# --- the extraction -------------------------------------------------------------------------------


def _as_of(conn: Connection, dialect: str) -> dt.date | None:
    """First day of the latest month any closed case was received or closed in."""
    row = conn.execute(
        select(
            func.max(_month(Complaint.received_at, dialect)),
            func.max(_month(Complaint.closed_at, dialect)),
        ).where(_closed())
    ).one()
    months = [m for m in row if m]
    if not months:
        return None
    year, month = max(months).split("-")
    return dt.date(int(year), int(month), 1)


def _month_date(column: str) -> pl.Expr:
    """A ``YYYY-MM`` text column as the month's first day (Date)."""
    return (pl.col(column) + "-01").str.to_date("%Y-%m-%d", strict=True)


def extract(
    engine: Engine,
    key: bytes,
    *,
    officer_names: OfficerNames = False,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Extraction:
    """Read every closed case of ``engine`` into allow-listed frames (see ``Extraction``).

    ``complaints``: COMPLAINT_COLUMNS (months as Date, ``days_to_close`` Int64 or null when the
    closing date is not recorded); ``allegations``: ALLEGATION_COLUMNS (``officer_id``
    ``unidentified`` when no roster officer is linked); ``officers``: OFFICER_COLUMNS (plus
    ``officer_name`` when ``officer_names`` allows it: ``"all"`` or ``"sustained_only"``);
    ``complainants``: COMPLAINANT_COLUMNS. Missing demographic values are ``unknown``. Frames are
    sorted by their published ids (stable: rows of one complaint stay in database id order).
    ``progress`` is called with the number of rows read per batch.
    """
    with engine.connect() as conn:
        dialect = conn.dialect.name
        as_of = _as_of(conn, dialect)
        complaints = _complaints(conn, dialect, key, progress, batch_rows)
        closed_cases = len(complaints)
        exclusions: dict[str, int] = {}
        notes: dict[str, int] = {}
        inconsistent = complaints.filter(pl.col("days_to_close") < 0)
        if len(inconsistent):
            exclusions["closed before it was received (inconsistent dates)"] = len(inconsistent)
            complaints = complaints.filter(
                pl.col("days_to_close").is_null() | (pl.col("days_to_close") >= 0)
            )
        no_close = int(complaints["closed_month"].null_count())
        if no_close:
            notes["closing date not recorded (closed period and days to close left empty)"] = (
                no_close
            )
        ids = complaints.select("_id", "complaint_id")
        allegations, officer_keys = _allegations(conn, ids, progress, batch_rows)
        officers = _officers(
            conn, dialect, officer_keys, allegations, as_of, key, officer_names, batch_rows
        )
        allegations = (
            allegations.join(
                officers.select("_oid", "officer_id"), on="_oid", how="left", maintain_order="left"
            )
            .with_columns(pl.col("officer_id").fill_null(UNIDENTIFIED))
            .select(ALLEGATION_COLUMNS)
            # Stable sort on the published id: within a complaint, rows keep the database order
            # (allegation id), so the order is fully determined without a costly multi-column
            # sort of millions of rows.
            .sort("complaint_id", maintain_order=True)
        )
        complainants = _complainants(conn, ids, progress, batch_rows)
    officer_cols = [*OFFICER_COLUMNS, *(["officer_name"] if officer_names else [])]
    return Extraction(
        complaints=complaints.drop("_id").sort("complaint_id"),
        allegations=allegations,
        officers=officers.select(officer_cols).sort("officer_id"),
        complainants=complainants,
        closed_cases=closed_cases,
        exclusions=exclusions,
        notes=notes,
        as_of=as_of,
    )


def _complaints(
    conn: Connection,
    dialect: str,
    key: bytes,
    progress: Callable[[int], None] | None,
    batch_rows: int,
) -> pl.DataFrame:
    """Closed complaints: internal ``_id`` (dropped later), pseudonym and published columns."""
    query = (
        select(
            Complaint.id,
            _month(Complaint.received_at, dialect),
            _month(Complaint.closed_at, dialect),
            _days_between(Complaint.received_at, Complaint.closed_at, dialect),
            cast(Complaint.channel, _string_type()),
            Complaint.district,
            cast(Complaint.screening_outcome, _string_type()),
            cast(Complaint.state, _string_type()),
        )
        .where(_closed())
        .order_by(Complaint.id)
    )
    schema = {
        "_id": pl.Int64,
        "received_month": pl.Utf8,
        "closed_month": pl.Utf8,
        "days_to_close": pl.Int64,
        "channel": pl.Utf8,
        "district": pl.Utf8,
        "screening_outcome": pl.Utf8,
        "state": pl.Utf8,
    }
    frame = _frame(conn, query, schema, progress, batch_rows)
    public = {state.value: status.value for state, status in PUBLIC_STATUS_OF.items()}
    pseudonyms = _pseudonyms((f"complaint:{i}" for i in frame["_id"]), "C", key)
    return frame.with_columns(
        pl.Series("complaint_id", pseudonyms, dtype=pl.Utf8),
        _month_date("received_month").alias("received_month"),
        _month_date("closed_month").alias("closed_month"),
        pl.when(pl.col("district").is_null() | (pl.col("district") == ""))
        .then(pl.lit(UNKNOWN))
        .otherwise(pl.col("district"))
        .alias("district"),
        pl.col("state").replace_strict(public, return_dtype=pl.Utf8).alias("public_status"),
    ).select("_id", *COMPLAINT_COLUMNS)


def _allegations(
    conn: Connection,
    ids: pl.DataFrame,
    progress: Callable[[int], None] | None,
    batch_rows: int,
) -> tuple[pl.DataFrame, list[int]]:
    """Allegations of closed complaints with the internal roster officer id ``_oid``."""
    query = (
        select(
            Allegation.complaint_id,
            InvolvedOfficer.officer_id,
            cast(Allegation.category, _string_type()),
            cast(Allegation.finding, _string_type()),
            cast(Allegation.imposed_discipline, _string_type()),  # never the recommended
        )
        .join(Complaint, Complaint.id == Allegation.complaint_id)
        .outerjoin(InvolvedOfficer, InvolvedOfficer.id == Allegation.involved_officer_id)
        .where(_closed())
        .order_by(Allegation.complaint_id, Allegation.id)
    )
    schema = {
        "_id": pl.Int64,
        "_oid": pl.Int64,
        "category": pl.Utf8,
        "finding": pl.Utf8,
        "discipline": pl.Utf8,
    }
    frame = _frame(conn, query, schema, progress, batch_rows)
    frame = frame.join(ids, on="_id", how="inner", maintain_order="left").drop("_id")
    officer_keys = frame["_oid"].drop_nulls().unique().sort().to_list()
    return frame, officer_keys


def _service_band(years: pl.Expr) -> pl.Expr:
    """Years of service as a band label (``unknown`` when the hire date is not recorded)."""
    expr: Any = pl.lit(UNKNOWN)
    for lower, label in SERVICE_BANDS:
        expr = pl.when(years >= lower).then(pl.lit(label)).otherwise(expr)
    return pl.when(years.is_null() | (years < 0)).then(pl.lit(UNKNOWN)).otherwise(expr)


def rank_group(rank: str | None) -> str:
    """The published group of a roster rank (``officer``, ``supervisor``, ``command``...)."""
    if not rank or not rank.strip():
        return UNKNOWN
    words = rank.lower()
    for group, needles in RANK_GROUPS:
        if any(needle in words for needle in needles):
            return group
    return "other"


def _vocabulary_value(values: frozenset[str]) -> Callable[[str | None], str]:
    """Map a roster's free text onto a vocabulary value (``other``/``unknown`` otherwise)."""

    def convert(value: str | None) -> str:
        if value is None or not value.strip():
            return UNKNOWN
        text = value.strip().lower().replace(" ", "_").replace("-", "_")
        return text if text in values else "other"

    return convert


_GENDERS = frozenset(g.value for g in Gender)
_RACES = frozenset(r.value for r in Race)


def _officers(
    conn: Connection,
    dialect: str,
    officer_keys: list[int],
    allegations: pl.DataFrame,
    as_of: dt.date | None,
    key: bytes,
    officer_names: OfficerNames,
    batch_rows: int,
) -> pl.DataFrame:
    """Roster officers named in published allegations: ``_oid``, pseudonym, published columns."""
    reference = as_of or dt.date(1970, 1, 1)
    columns: list[Any] = [
        Officer.id,
        Officer.source,
        Officer.source_id,
        Officer.rank,
        Officer.gender,
        Officer.race,
        _years_since(Officer.hired_on, reference, dialect),
    ]
    schema: dict[str, Any] = {
        "_oid": pl.Int64,
        "_source": pl.Utf8,
        "_source_id": pl.Utf8,
        "_rank": pl.Utf8,
        "_gender": pl.Utf8,
        "_race": pl.Utf8,
        "_years": pl.Int64,
    }
    if officer_names:
        columns += [Officer.first_name, Officer.last_name]
        schema |= {"_first": pl.Utf8, "_last": pl.Utf8}
    wanted = set(officer_keys)
    parts = []
    # Officers are read in id order and filtered here: an IN list of thousands of ids would
    # be slower on both databases than reading the roster (tens of thousands of rows at most).
    query = select(*columns).order_by(Officer.id)
    for rows in stream(conn, query, batch_rows):
        kept = [tuple(r) for r in rows if r[0] in wanted]
        if kept:
            parts.append(pl.DataFrame(kept, schema=schema, orient="row"))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    identities = [
        officer_identity(source, source_id, oid)
        for oid, source, source_id in zip(
            frame["_oid"].to_list(),
            frame["_source"].to_list(),
            frame["_source_id"].to_list(),
            strict=True,
        )
    ]
    frame = frame.with_columns(
        pl.Series("officer_id", _pseudonyms(identities, "O", key), dtype=pl.Utf8),
        pl.col("_rank")
        .map_elements(rank_group, return_dtype=pl.Utf8, skip_nulls=False)
        .alias("rank_group"),
        pl.col("_gender")
        .map_elements(_vocabulary_value(_GENDERS), return_dtype=pl.Utf8, skip_nulls=False)
        .alias("gender"),
        pl.col("_race")
        .map_elements(_vocabulary_value(_RACES), return_dtype=pl.Utf8, skip_nulls=False)
        .alias("race"),
        _service_band(pl.col("_years")).alias("years_of_service_band"),
    )
    if officer_names:
        name = pl.concat_str([pl.col("_first"), pl.col("_last")], separator=" ", ignore_nulls=True)
        if officer_names == "sustained_only":
            sustained = (
                allegations.filter(pl.col("finding") == Finding.SUSTAINED.value)["_oid"]
                .drop_nulls()
                .unique()
            )
            name = pl.when(pl.col("_oid").is_in(sustained.implode())).then(name)
        frame = frame.with_columns(name.alias("officer_name"))
    keep = ["_oid", *OFFICER_COLUMNS, *(["officer_name"] if officer_names else [])]
    return frame.select(keep)


def _complainants(
    conn: Connection,
    ids: pl.DataFrame,
    progress: Callable[[int], None] | None,
    batch_rows: int,
) -> pl.DataFrame:
    """Complainants of published complaints: pseudonymous complaint id and demographics."""
    query = (
        select(
            Complainant.complaint_id,
            _age_band_sql(),
            cast(Complainant.gender, _string_type()),
            cast(Complainant.race, _string_type()),
        )
        .join(Complaint, Complaint.id == Complainant.complaint_id)
        .where(_closed())
        .order_by(Complainant.complaint_id, Complainant.id)
    )
    schema = {"_id": pl.Int64, "age_band": pl.Utf8, "gender": pl.Utf8, "race": pl.Utf8}
    frame = _frame(conn, query, schema, progress, batch_rows)
    fill = [
        pl.when(pl.col(c).is_null() | (pl.col(c) == "")).then(pl.lit(UNKNOWN)).otherwise(c).alias(c)
        for c in ("age_band", "gender", "race")
    ]
    return (
        frame.join(ids, on="_id", how="inner", maintain_order="left")
        .with_columns(fill)
        .select(COMPLAINANT_COLUMNS)
        .sort("complaint_id", maintain_order=True)
    )


def extract_caseload(engine: Engine, batch_rows: int = BATCH_ROWS) -> pl.DataFrame:
    """Every complaint's received and closed month (open ones too), for the caseload aggregates.

    Returns ``received_at`` and ``closed_at`` as the month's first day (Date; null while open):
    no ids and nothing finer than a month leave the database.
    """
    schema = {"received_at": pl.Utf8, "closed_at": pl.Utf8}
    with engine.connect() as conn:
        dialect = conn.dialect.name
        query = select(
            _month(Complaint.received_at, dialect), _month(Complaint.closed_at, dialect)
        ).order_by(Complaint.id)
        frame = _frame(conn, query, schema, None, batch_rows)
    return frame.select(
        _month_date("received_at").alias("received_at"),
        _month_date("closed_at").alias("closed_at"),
    )
