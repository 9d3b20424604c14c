"""A realistic synthetic case generator: ``lantern seed --cases N [--seed S]``.

The cases look like an oversight office's database after ~5 years: skewed categories and
districts, a roster with a few officers named again and again, lognormal time to close, a share of
cases still open, anonymous and third-party complainants, and personal data everywhere it can be
(narratives, contact details, notes, attachment names, exact dates and times) so the anonymizer
has something to remove.

Speed matters more than elegance here (1,000,000 cases in minutes): rows are built as plain dicts
and written with Core ``insert()`` executemany in batches with explicit ids, committed per batch.
The same seed on an empty database gives the same rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, func, insert, select, text
from tqdm import tqdm

from portal.config import Defaults, parse_districts
from portal.db import WRITE_OPTION
from portal.models import (
    Allegation,
    Attachment,
    CaseEvent,
    Complainant,
    Complaint,
    InternalNote,
    InvolvedOfficer,
    Officer,
    Staff,
    StatusEvent,
)
from portal.vocabulary import (
    CLOSED_STATES,
    PUBLIC_STATUS_OF,
    AgeBand,
    AllegationCategory,
    CaseState,
    Channel,
    ComplainantRole,
    ContactMethod,
    Discipline,
    Finding,
    Gender,
    Race,
    ScreeningOutcome,
    StaffRole,
    StatusEventKind,
)

#: Cases generated (and committed) per batch; ~18 rows per case keeps executemany near 10k rows.
CASES_PER_BATCH = 2_000
#: Rows per executemany call.
ROWS_PER_INSERT = 10_000
#: Source name on seeded officers, so they can be told apart from a real roster.
SEED_SOURCE = "seed"

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Donald",
    "Kimberly",
    "Steven",
    "Emily",
    "Andrew",
    "Donna",
    "Paul",
    "Michelle",
    "Joshua",
    "Carol",
    "Kenneth",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Deborah",
    "George",
    "Stephanie",
    "Luis",
    "Rebecca",
    "Jamal",
    "Aaliyah",
    "Wei",
    "Mei",
    "DeShawn",
    "Keisha",
    "Carlos",
    "Rosa",
    "Nguyen",
    "Fatima",
    "Omar",
    "Priya",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Okafor",
    "Kowalski",
]
STREETS = [
    "Market St",
    "Chestnut St",
    "Walnut St",
    "Broad St",
    "Girard Ave",
    "Lehigh Ave",
    "Germantown Ave",
    "Spruce St",
    "Pine St",
    "Erie Ave",
    "Allegheny Ave",
    "Frankford Ave",
    "Baltimore Ave",
    "Ridge Ave",
    "Oxford St",
    "Diamond St",
]
UNITS = [
    "Patrol Division",
    "Traffic Unit",
    "Narcotics Unit",
    "Highway Patrol",
    "Detective Bureau",
    "Community Relations",
    "Juvenile Unit",
    "SWAT",
    "Marine Unit",
    "Training Academy",
]
RANKS: tuple[tuple[str, float], ...] = (
    ("Police Officer", 70),
    ("Corporal", 8),
    ("Sergeant", 12),
    ("Detective", 6),
    ("Lieutenant", 3),
    ("Captain", 1),
)

# Skewed frequencies, roughly the shape of real oversight data (force and discourtesy dominate).
CATEGORY_WEIGHTS: tuple[tuple[AllegationCategory, float], ...] = (
    (AllegationCategory.DISCOURTESY, 22),
    (AllegationCategory.FAILURE_TO_PROVIDE_SERVICE, 18),
    (AllegationCategory.FORCE, 16),
    (AllegationCategory.ABUSE_OF_AUTHORITY, 14),
    (AllegationCategory.OFFENSIVE_LANGUAGE, 9),
    (AllegationCategory.IMPROPER_SEARCH_OR_SEIZURE, 8),
    (AllegationCategory.BIAS, 5),
    (AllegationCategory.UNTRUTHFULNESS, 4),
    (AllegationCategory.OTHER, 3),
    (AllegationCategory.SEXUAL_MISCONDUCT, 1),
)
CHANNEL_WEIGHTS: tuple[tuple[Channel, float], ...] = (
    (Channel.ONLINE, 45),
    (Channel.PHONE, 22),
    (Channel.EMAIL, 12),
    (Channel.WALK_IN, 8),
    (Channel.LETTER, 5),
    (Channel.REFERRAL, 5),
    (Channel.INTERNAL, 3),
)
#: Allegations per case, 1..6 (mean ~2.57).
ALLEGATION_COUNT_WEIGHTS = (28, 28, 20, 12, 7, 5)
#: Final findings after an investigation (identified officer).
FINDING_WEIGHTS: tuple[tuple[Finding, float], ...] = (
    (Finding.NOT_SUSTAINED, 38),
    (Finding.UNFOUNDED, 20),
    (Finding.EXONERATED, 15),
    (Finding.SUSTAINED, 16),
    (Finding.POLICY_FAILURE, 3),
    (Finding.COMPLAINANT_UNAVAILABLE, 5),
    (Finding.WITHDRAWN, 3),
)
#: Discipline for a sustained allegation (never ``none``: sustained → some discipline).
DISCIPLINE_WEIGHTS: tuple[tuple[Discipline, float], ...] = (
    (Discipline.COUNSELING, 30),
    (Discipline.TRAINING, 25),
    (Discipline.WRITTEN_REPRIMAND, 20),
    (Discipline.SUSPENSION, 15),
    (Discipline.RESIGNED_BEFORE_DISCIPLINE, 4),
    (Discipline.DEMOTION, 3),
    (Discipline.TERMINATION, 3),
)
ROUTE_WEIGHTS: tuple[tuple[ScreeningOutcome | None, float], ...] = (
    (ScreeningOutcome.INVESTIGATE, 62),
    (ScreeningOutcome.EARLY_RESOLUTION, 9),
    (ScreeningOutcome.REFER, 9),
    (ScreeningOutcome.DECLINE, 14),
    (None, 6),  # withdrawn by the complainant before screening
)
GENDER_WEIGHTS: tuple[tuple[Gender | None, float], ...] = (
    (Gender.MAN, 44),
    (Gender.WOMAN, 40),
    (Gender.NON_BINARY, 2),
    (Gender.PREFER_NOT_TO_SAY, 6),
    (None, 8),
)
RACE_WEIGHTS: tuple[tuple[Race | None, float], ...] = (
    (Race.BLACK, 45),
    (Race.WHITE, 20),
    (Race.LATINO, 14),
    (Race.ASIAN, 4),
    (Race.MULTIRACIAL, 3),
    (Race.MIDDLE_EASTERN, 1),
    (Race.NATIVE_AMERICAN, 1),
    (Race.OTHER, 2),
    (Race.PREFER_NOT_TO_SAY, 4),
    (None, 6),
)
AGE_WEIGHTS: tuple[tuple[AgeBand | None, float], ...] = (
    (AgeBand.UNDER_18, 3),
    (AgeBand.AGE_18_24, 15),
    (AgeBand.AGE_25_34, 27),
    (AgeBand.AGE_35_44, 21),
    (AgeBand.AGE_45_54, 14),
    (AgeBand.AGE_55_64, 9),
    (AgeBand.AGE_65_PLUS, 4),
    (AgeBand.PREFER_NOT_TO_SAY, 3),
    (None, 4),
)
ATTACHMENT_KINDS = (
    ("image/jpeg", "IMG_{stamp}.jpg"),
    ("video/mp4", "VID_{stamp}.mp4"),
    ("application/pdf", "{last}_{first}_medical_records.pdf"),
    ("image/png", "screenshot of {first} {last} texts {date}.png"),
)

# Internal workflow paths per screening outcome (each step is the state entered).
PATHS: dict[ScreeningOutcome | None, tuple[CaseState, ...]] = {
    ScreeningOutcome.INVESTIGATE: (
        CaseState.RECEIVED,
        CaseState.ACKNOWLEDGED,
        CaseState.SCREENING,
        CaseState.INVESTIGATION,
        CaseState.FINDINGS_REVIEW,
        CaseState.CLOSED,
    ),
    ScreeningOutcome.EARLY_RESOLUTION: (
        CaseState.RECEIVED,
        CaseState.ACKNOWLEDGED,
        CaseState.SCREENING,
        CaseState.EARLY_RESOLUTION,
        CaseState.CLOSED,
    ),
    ScreeningOutcome.REFER: (
        CaseState.RECEIVED,
        CaseState.ACKNOWLEDGED,
        CaseState.SCREENING,
        CaseState.REFERRED,
        CaseState.CLOSED,
    ),
    ScreeningOutcome.DECLINE: (
        CaseState.RECEIVED,
        CaseState.ACKNOWLEDGED,
        CaseState.SCREENING,
        CaseState.DECLINED,
    ),
    None: (CaseState.RECEIVED, CaseState.ACKNOWLEDGED, CaseState.WITHDRAWN),
}
#: Median days from receipt to closure per route (lognormal around it).
MEDIAN_DAYS: dict[ScreeningOutcome | None, float] = {
    ScreeningOutcome.INVESTIGATE: 120,
    ScreeningOutcome.EARLY_RESOLUTION: 35,
    ScreeningOutcome.REFER: 20,
    ScreeningOutcome.DECLINE: 14,
    None: 10,
}
#: Years of history the seeded cases span, ending at ``now``.
HISTORY_DAYS = 5 * 365
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone
_REFERENCE_MULTIPLIER = 0x9E3779B97F  # odd → a bijection mod 2**40, so references never collide


@dataclass
class SeedSummary:
    """What ``seed_cases`` created."""

    cases: int = 0
    open_cases: int = 0
    closed_cases: int = 0
    complainants: int = 0
    officers: int = 0
    involved_officers: int = 0
    allegations: int = 0
    attachments: int = 0
    status_events: int = 0
    case_events: int = 0
    notes: int = 0
    staff: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)


class _Picker:
    """Weighted choice with precomputed cumulative weights (``random.choices`` recomputes)."""

    def __init__(self, rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> None:
        self.rng = rng
        self.values = [value for value, _ in weighted]
        self.cumulative = list(itertools.accumulate(weight for _, weight in weighted))
        self.total = self.cumulative[-1]

    def __call__(self) -> Any:
        index = bisect.bisect_right(self.cumulative, self.rng.random() * self.total)
        return self.values[min(index, len(self.values) - 1)]


def reference_for(complaint_id: int) -> str:
    """A portal-style reference (``LNT-XXXX-XXXX``) unique per complaint id."""
    number = (complaint_id * _REFERENCE_MULTIPLIER) % (1 << 40)
    chars = []
    for _ in range(8):
        chars.append(_REFERENCE_ALPHABET[number & 31])
        number >>= 5
    return f"LNT-{''.join(chars[:4])}-{''.join(chars[4:])}"


def next_ids(bind: Engine | Connection, tables: Sequence[Table]) -> dict[str, int]:
    """The first free id of each table (new rows go after whatever is there)."""

    def read(conn: Connection) -> dict[str, int]:
        return {
            table.name: (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
            for table in tables
        }

    if isinstance(bind, Connection):
        return read(bind)
    with bind.connect() as conn:
        return read(conn)


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) in the caller's transaction.

    SQLite: Core executemany, ``ROWS_PER_INSERT`` rows a call. PostgreSQL: ``COPY`` (several
    times faster than multi-row INSERT), with every value passed through the column type's own
    bind processing so both databases store exactly the same thing.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, rows)
        return
    for start in range(0, len(rows), ROWS_PER_INSERT):
        conn.execute(insert(table), rows[start : start + ROWS_PER_INSERT])


def _copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY ``rows`` into ``table`` on the connection's PostgreSQL transaction."""
    names = list(rows[0])
    processors: list[Callable[[Any], Any] | None] = [
        # psycopg adapts JSON only for parameters, not COPY: serialise it here.
        json.dumps
        if isinstance(table.c[name].type, JSON)
        else table.c[name].type.bind_processor(conn.dialect)
        for name in names
    ]
    columns = ", ".join(f'"{name}"' for name in names)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if process is None or value is None else process(value)
                        for process, value in zip(processors, row.values(), strict=True)
                    ]
                )
    finally:
        cursor.close()


def reset_sequences(conn: Connection, tables: Sequence[Table]) -> None:
    """Explicit ids bypass PostgreSQL's sequences; move them past the ids now in use."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        # Table names come from our own metadata, never from input.
        sql = (
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        )
        conn.execute(text(sql))


class _Generator:
    """Builds the rows of one batch of cases; all randomness flows from one ``Random``."""

    def __init__(self, rng: random.Random, now: dt.datetime, districts: list[str]) -> None:
        self.rng = rng
        self.now = now
        self.districts = districts
        # Zipf-like district weights: the first districts get most complaints.
        self.district = _Picker(rng, [(d, 1 / (i + 1) ** 0.8) for i, d in enumerate(districts)])
        self.category = _Picker(rng, CATEGORY_WEIGHTS)
        self.channel = _Picker(rng, CHANNEL_WEIGHTS)
        self.allegation_count = _Picker(
            rng, [(i + 1, w) for i, w in enumerate(ALLEGATION_COUNT_WEIGHTS)]
        )
        self.finding = _Picker(rng, FINDING_WEIGHTS)
        self.discipline = _Picker(rng, DISCIPLINE_WEIGHTS)
        self.route = _Picker(rng, ROUTE_WEIGHTS)
        self.gender = _Picker(rng, GENDER_WEIGHTS)
        self.race = _Picker(rng, RACE_WEIGHTS)
        self.age = _Picker(rng, AGE_WEIGHTS)
        self.rank = _Picker(rng, RANKS)
        self.officer_ids: list[int] = []
        self.officer_names: dict[int, tuple[str, str, str]] = {}
        self.officer_pick: _Picker | None = None
        self.staff_ids: list[int] = []

    # --- people ----------------------------------------------------------------------------

    def name(self) -> tuple[str, str]:
        """A random first and last name."""
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def phone(self) -> str:
        """A random phone number in the fictional 555 range."""
        return f"(215) 555-{self.rng.randrange(10_000):04d}"

    def address(self) -> str:
        """A random Philadelphia-style street address."""
        number = self.rng.randrange(100, 9_999)
        street = self.rng.choice(STREETS)
        return f"{number} {street}, Philadelphia PA 19{self.rng.randrange(100, 155)}"

    def officers(self, first_id: int, count: int) -> list[dict[str, Any]]:
        """The roster; complaint counts per officer follow a heavy-tailed (Zipf-like) law."""
        rows = []
        for offset in range(count):
            officer_id = first_id + offset
            first, last = self.name()
            badge = f"{officer_id:06d}"
            self.officer_ids.append(officer_id)
            self.officer_names[officer_id] = (first, last, badge)
            hired = self.now.date() - dt.timedelta(days=self.rng.randrange(180, 30 * 365))
            rows.append(
                {
                    "id": officer_id,
                    "badge_number": badge,
                    "first_name": first,
                    "last_name": last,
                    "rank": self.rank(),
                    "unit": self.rng.choice(UNITS),
                    # Roster values use the vocabulary's words, like the historical import does.
                    "gender": self.rng.choices((Gender.MAN, Gender.WOMAN), (78, 22))[0].value,
                    "race": self.rng.choices(
                        (Race.WHITE, Race.BLACK, Race.LATINO, Race.ASIAN, Race.OTHER),
                        (50, 30, 12, 5, 3),
                    )[0].value,
                    "hired_on": hired,
                    "source": SEED_SOURCE,
                    "source_id": str(officer_id),
                }
            )
        # Shuffle who is "popular" so it does not correlate with id order.
        ranked = self.officer_ids[:]
        self.rng.shuffle(ranked)
        self.officer_pick = _Picker(
            self.rng, [(o, 1 / (i + 1) ** 0.9) for i, o in enumerate(ranked)]
        )
        return rows

    def staff(self, first_id: int, stamp: str) -> list[dict[str, Any]]:
        """A small team: the authors of notes and the investigators cases are assigned to."""
        roles = [StaffRole.INTAKE] * 2 + [StaffRole.INVESTIGATOR] * 6 + [StaffRole.SUPERVISOR] * 2
        rows = []
        for offset, role in enumerate(roles):
            staff_id = first_id + offset
            first, last = self.name()
            self.staff_ids.append(staff_id)
            rows.append(
                {
                    "id": staff_id,
                    "email": f"seed-{stamp}-{staff_id}@oversight.example",
                    "name": f"{first} {last}",
                    "role": role,
                    "is_active": True,
                    "is_totp_enrolled": False,
                    "failed_logins": 0,
                    "session_version": 1,
                    "created_at": self.now - dt.timedelta(days=HISTORY_DAYS + 30),
                }
            )
        return rows

    # --- one case --------------------------------------------------------------------------

    def case(self, ids: dict[str, int], rows: dict[str, list[dict[str, Any]]]) -> CaseState:
        """Append every row of one case to ``rows`` (ids taken from ``ids``); return its state."""
        rng = self.rng
        now = self.now
        cid = ids["complaints"]
        ids["complaints"] += 1
        received = (now - dt.timedelta(seconds=rng.random() * HISTORY_DAYS * 86_400)).replace(
            microsecond=0
        )
        route = self.route()
        path = PATHS[route]
        days = max(0.5, MEDIAN_DAYS[route] * math.exp(rng.gauss(0.0, 0.8)))
        span = dt.timedelta(days=days)
        last = len(path) - 1
        # Early steps come quickly, the investigation takes most of the time: f = (k/last)**2.
        times = [received + span * ((k / last) ** 2) for k in range(len(path))]
        if times[-1] <= now:
            reached = last
        else:
            elapsed = (now - received) / span
            reached = min(last - 1, int(math.sqrt(max(elapsed, 0.0)) * last))
        steps = list(zip(path[: reached + 1], times[: reached + 1], strict=True))
        finished = reached == last
        closed_at = times[-1] if finished else None
        if finished and route is ScreeningOutcome.INVESTIGATE and rng.random() < 0.04:
            requested = times[-1] + dt.timedelta(days=rng.uniform(2, 28))
            if requested <= now:
                steps.append((CaseState.APPEAL_REQUESTED, requested))
                decided = requested + dt.timedelta(days=rng.uniform(10, 60))
                if decided <= now:
                    steps.append((CaseState.APPEAL_DECIDED, decided))
        state = steps[-1][0]
        screened = next((t for s, t in steps if s in _AFTER_SCREENING), None)

        incident_day = (received - dt.timedelta(days=rng.randrange(0, 45))).date()
        incident_time = dt.time(rng.randrange(24), rng.randrange(0, 60, 5))
        location = self.address()
        district = self.district()

        # Officers involved: 1-3, a few unidentified; repeat officers come from the Zipf pick.
        assert self.officer_pick is not None, "call officers() first"
        n_allegations = self.allegation_count()
        n_officers = min(n_allegations, rng.choices((1, 2, 3), (60, 30, 10))[0])
        involved: list[tuple[int, int | None]] = []
        seen: set[int] = set()
        for _ in range(n_officers):
            officer_id: int | None = None
            if rng.random() >= 0.08:
                officer_id = self.officer_pick()
                if officer_id in seen:
                    continue
                seen.add(officer_id)
            iid = ids["involved_officers"]
            ids["involved_officers"] += 1
            involved.append((iid, officer_id))
            if officer_id is None:
                rows["involved_officers"].append(
                    {
                        "id": iid,
                        "complaint_id": cid,
                        "officer_id": None,
                        "name_given": None,
                        "badge_given": None,
                        "unit_given": None,
                        "description": f"tall, shaved head, car {rng.randrange(1000, 9999)}",
                        "is_unknown": True,
                    }
                )
            else:
                officer_first, officer_last, badge = self.officer_names[officer_id]
                rows["involved_officers"].append(
                    {
                        "id": iid,
                        "complaint_id": cid,
                        "officer_id": officer_id,
                        "name_given": f"Officer {officer_first} {officer_last}",
                        "badge_given": badge,
                        "unit_given": None,
                        "description": None,
                        "is_unknown": False,
                    }
                )

        # Allegations: spread over the officers, one category at most once per officer.
        categories: list[str] = []
        used: set[tuple[int, AllegationCategory]] = set()
        for index in range(n_allegations):
            iid, officer_id = involved[index % len(involved)]
            category = self.category()
            for _ in range(8):
                if (iid, category) not in used:
                    break
                category = self.category()
            if (iid, category) in used:
                continue
            used.add((iid, category))
            if category.value not in categories:
                categories.append(category.value)
            finding, recommended, discipline, days_off = self._outcome(
                route, state, finished, officer_id
            )
            aid = ids["allegations"]
            ids["allegations"] += 1
            rows["allegations"].append(
                {
                    "id": aid,
                    "complaint_id": cid,
                    "involved_officer_id": iid,
                    "category": category,
                    "recommended_finding": recommended,
                    "finding": finding,
                    "discipline": discipline,
                    "suspension_days": days_off,
                    "decided_at": closed_at if finding is not None else None,
                }
            )

        complainant = self._complainants(cid, ids, rows)
        first_name, last_name, phone, email = complainant
        officer_text = "an officer whose name I did not get"
        for _, officer_id in involved:
            if officer_id is not None:
                first, last_name_o, badge = self.officer_names[officer_id]
                officer_text = f"Officer {first} {last_name_o} (badge #{badge})"
                break
        who = f"I, {first_name} {last_name} (phone {phone}, {email})," if first_name else "I"
        narrative = (
            f"On {incident_day:%B %d, %Y} at {incident_time:%I:%M %p}, {who} was outside "
            f"{location} when {officer_text} stopped me. My neighbour "
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} saw it and can be reached at "
            f"{self.phone()}. I was released at {incident_time.hour % 12 + 1}:"
            f"{rng.randrange(60):02d} without explanation."
        )
        witnesses = (
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}, {self.phone()}, lives at "
            f"{self.address()}"
            if rng.random() < 0.35
            else None
        )

        # Public timeline: one status change per change of public status, some messages.
        events: list[dict[str, Any]] = []
        previous_public = None
        previous_state: CaseState | None = None
        staff = self.staff_ids
        for step_state, at in steps:
            public = PUBLIC_STATUS_OF[step_state]
            if public != previous_public:
                events.append(
                    {
                        "kind": StatusEventKind.STATUS_CHANGE,
                        "public_status": public,
                        "message": None,
                        "created_at": at,
                    }
                )
                previous_public = public
            ceid = ids["case_events"]
            ids["case_events"] += 1
            rows["case_events"].append(
                {
                    "id": ceid,
                    "complaint_id": cid,
                    "from_state": previous_state,
                    "to_state": step_state,
                    "at": at,
                    "actor_id": None if previous_state is None else rng.choice(staff),
                    "reason": (
                        f"Declined: {first_name or 'complainant'} called {phone or 'us'} "
                        "and described a parking ticket dispute."
                        if step_state is CaseState.DECLINED
                        else None
                    ),
                }
            )
            previous_state = step_state
        if rng.random() < 0.25:
            at = received + (steps[-1][1] - received) / 2 + dt.timedelta(hours=1)
            events.append(
                {
                    "kind": StatusEventKind.MESSAGE,
                    "public_status": None,
                    "message": f"Dear {first_name or 'complainant'}, we tried to call you at "
                    f"{phone or 'the number given'} on {at:%m/%d/%Y} at {at:%H:%M}.",
                    "created_at": at,
                }
            )
            events.sort(key=lambda e: e["created_at"])
        for event in events:
            event["id"] = ids["status_events"]
            ids["status_events"] += 1
            event["complaint_id"] = cid
            event["actor_id"] = None
            rows["status_events"].append(event)

        for _ in range(rng.choices((0, 1, 2), (40, 45, 15))[0]):
            nid = ids["internal_notes"]
            ids["internal_notes"] += 1
            at = received + (steps[-1][1] - received) * rng.random()
            rows["internal_notes"].append(
                {
                    "id": nid,
                    "complaint_id": cid,
                    "author_id": rng.choice(staff),
                    "body": f"Spoke with {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} at "
                    f"{self.phone()} on {at:%Y-%m-%d %H:%M}; lives at {self.address()}.",
                    "created_at": at,
                }
            )
        if rng.random() < 0.3:
            for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
                atid = ids["attachments"]
                ids["attachments"] += 1
                content_type, pattern = rng.choice(ATTACHMENT_KINDS)
                at = received + dt.timedelta(minutes=rng.randrange(1, 600))
                rows["attachments"].append(
                    {
                        "id": atid,
                        "complaint_id": cid,
                        "original_name": pattern.format(
                            stamp=f"{incident_day:%Y%m%d}_{incident_time:%H%M}{atid % 60:02d}",
                            first=first_name or rng.choice(FIRST_NAMES),
                            last=last_name or rng.choice(LAST_NAMES),
                            date=f"{incident_day:%m-%d-%Y}",
                        ),
                        "stored_name": hashlib.sha256(f"attachment:{atid}".encode()).hexdigest(),
                        "content_type": content_type,
                        "size_bytes": rng.randrange(20_000, 20_000_000),
                        "sha256": f"{rng.getrandbits(256):064x}",
                        "uploaded_at": at,
                        "uploaded_by_id": None,
                    }
                )

        investigating = route is ScreeningOutcome.INVESTIGATE and reached >= 3
        last_change = steps[-1][1]
        rows["complaints"].append(
            {
                "id": cid,
                "reference": reference_for(cid),
                "access_code_hash": hashlib.sha256(f"code:{cid}".encode()).hexdigest(),
                "idempotency_key": None,
                "channel": self.channel(),
                "state": state,
                "received_at": received,
                "incident_date": incident_day,
                "incident_time": incident_time,
                "incident_date_is_approximate": rng.random() < 0.1,
                "incident_location": location,
                "district": district,
                "beat": f"{district}-{rng.randrange(1, 9)}",
                "narrative": narrative,
                "witnesses": witnesses,
                "reported_categories": categories,
                "preferred_language": "es" if rng.random() < 0.12 else "en",
                "screening_outcome": route if screened is not None else None,
                "screening_reason": None,
                "screened_at": screened,
                "closed_at": closed_at,
                "assigned_to_id": rng.choice(staff[2:8]) if investigating else None,
                "entered_by_id": None,
                "last_complainant_update_at": events[-1]["created_at"],
                "source": None,
                "source_id": None,
                "created_at": received,
                "updated_at": last_change,
            }
        )
        return state

    def _outcome(
        self,
        route: ScreeningOutcome | None,
        state: CaseState,
        finished: bool,
        officer_id: int | None,
    ) -> tuple[Finding | None, Finding | None, Discipline | None, int | None]:
        """Finding, recommended finding, discipline and suspension days of one allegation."""
        if route is ScreeningOutcome.INVESTIGATE:
            if state is CaseState.FINDINGS_REVIEW or finished:
                proposed = Finding.OFFICER_UNIDENTIFIED if officer_id is None else self.finding()
                if not finished:
                    return None, proposed, None, None
                if proposed is Finding.SUSTAINED:
                    discipline = self.discipline()
                    days = (
                        self.rng.choice((1, 2, 3, 5, 10, 15, 30))
                        if discipline is Discipline.SUSPENSION
                        else None
                    )
                    return proposed, proposed, discipline, days
                return proposed, proposed, Discipline.NONE, None
            return None, None, None, None
        if not finished:
            return None, None, None, None
        final = {
            ScreeningOutcome.EARLY_RESOLUTION: Finding.MEDIATED,
            ScreeningOutcome.REFER: Finding.REFERRED,
            None: Finding.WITHDRAWN,
        }.get(route)
        if final is None:  # declined: no finding on an allegation that was never examined
            return None, None, None, None
        return final, None, Discipline.NONE, None

    def _complainants(
        self, cid: int, ids: dict[str, int], rows: dict[str, list[dict[str, Any]]]
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """Add 1-2 complainants; return the first one's name, phone and email (None: anonymous)."""
        rng = self.rng
        first_contact: tuple[str | None, str | None, str | None, str | None] = (
            None,
            None,
            None,
            None,
        )
        count = 2 if rng.random() < 0.1 else 1
        for position in range(count):
            anonymous = position == 0 and rng.random() < 0.12
            role = ComplainantRole.SELF
            if position == 1:
                role = ComplainantRole.WITNESS
            elif rng.random() < 0.1:
                role = ComplainantRole.ON_BEHALF
            pid = ids["complainants"]
            ids["complainants"] += 1
            if anonymous:
                name = email = phone = address = None
                first = last = None
                contact = ContactMethod.NONE
            else:
                first, last = self.name()
                name = f"{first} {last}"
                email = f"{first}.{last}{pid % 1000}@example.com".lower()
                phone = self.phone()
                address = self.address()
                contact = rng.choice((ContactMethod.EMAIL, ContactMethod.PHONE, ContactMethod.POST))
            if position == 0:
                first_contact = (first, last, phone, email)
            interpreter = rng.random() < 0.05
            rows["complainants"].append(
                {
                    "id": pid,
                    "complaint_id": cid,
                    "role": role,
                    "is_anonymous": anonymous,
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "postal_address": address,
                    "on_behalf_of": (
                        f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                        if role is ComplainantRole.ON_BEHALF
                        else None
                    ),
                    "contact_method": contact,
                    "language": "en",
                    "interpreter_needed": interpreter,
                    "interpreter_language": "Spanish" if interpreter else None,
                    "wants_code_by_email": bool(email) and rng.random() < 0.5,
                    "age": None,
                    "age_band": self.age(),
                    "gender": self.gender(),
                    "race": self.race(),
                }
            )
        return first_contact


_AFTER_SCREENING = frozenset(
    {CaseState.INVESTIGATION, CaseState.EARLY_RESOLUTION, CaseState.REFERRED, CaseState.DECLINED}
)

#: Tables written per batch, parents before children.
_CASE_TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (
        Complaint,
        Complainant,
        InvolvedOfficer,
        Allegation,
        Attachment,
        StatusEvent,
        CaseEvent,
        InternalNote,
    )
)


def district_codes(spec: str | None = None) -> list[str]:
    """District codes from a ``LANTERN_DISTRICTS``-style spec (default: the portal default)."""
    return [code for code, _ in parse_districts(spec or Defaults.DISTRICTS)]


def seed_cases(
    engine: Engine,
    n: int,
    seed: int,
    *,
    now: dt.datetime,
    progress: bool = True,
    districts: list[str] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> SeedSummary:
    """Insert ``n`` synthetic cases (with roster, staff and every child row) into ``engine``.

    Deterministic for ``seed`` and ``now`` on an empty database; on a non-empty one the new rows
    take the next free ids. ``received_at`` spans the ~5 years before ``now`` (aware UTC); cases
    whose workflow would end after ``now`` are left open in the state they would have reached.
    Commits every ``CASES_PER_BATCH`` cases. ``districts`` defaults to the portal's default codes.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    started = time.perf_counter()
    rng = random.Random(seed)
    gen = _Generator(rng, now.astimezone(dt.UTC), districts or district_codes())
    officer_table: Table = Officer.__table__  # type: ignore[assignment]
    staff_table: Table = Staff.__table__  # type: ignore[assignment]
    ids = next_ids(engine, (officer_table, staff_table, *_CASE_TABLES))
    summary = SeedSummary()
    # A department roster: about one officer per 4 cases, within what a city employs.
    roster_size = max(20, min(n // 4, 20_000))
    with engine.begin() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        officers = gen.officers(ids["officers"], roster_size)
        insert_rows(conn, officer_table, officers)
        staff = gen.staff(ids["staff"], f"{seed}-{ids['staff']}")
        insert_rows(conn, staff_table, staff)
    summary.officers = len(officers)
    summary.staff = len(staff)

    bar = tqdm(total=n, unit="case", disable=not progress, desc="seeding")
    try:
        remaining = n
        while remaining > 0:
            size = min(CASES_PER_BATCH, remaining)
            rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in _CASE_TABLES}
            for _ in range(size):
                state = gen.case(ids, rows)
                summary.states[state.value] = summary.states.get(state.value, 0) + 1
            with engine.connect() as conn:
                conn = conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    for table in _CASE_TABLES:
                        insert_rows(conn, table, rows[table.name])
            summary.complainants += len(rows["complainants"])
            summary.involved_officers += len(rows["involved_officers"])
            summary.allegations += len(rows["allegations"])
            summary.attachments += len(rows["attachments"])
            summary.status_events += len(rows["status_events"])
            summary.case_events += len(rows["case_events"])
            summary.notes += len(rows["internal_notes"])
            remaining -= size
            bar.update(size)
            if on_batch is not None:
                on_batch(n - remaining)
    finally:
        bar.close()
    with engine.begin() as conn:
        reset_sequences(conn, (officer_table, staff_table, *_CASE_TABLES))
    summary.cases = n
    closed = {s.value for s in CLOSED_STATES}
    summary.closed_cases = sum(c for s, c in summary.states.items() if s in closed)
    summary.open_cases = n - summary.closed_cases
    summary.seconds = time.perf_counter() - started
    return summary
