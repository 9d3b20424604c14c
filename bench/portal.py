"""Portal benchmark: the real portal under gunicorn against its yardsticks, SQLite and PostgreSQL.

One run measures, per database, with ``wrk`` on loopback (32 connections, 10 s, 2 sync workers):

- ceiling      ``GET /ceiling`` of ``bench/bare_app.py`` (constant response)
- bare lookup  ``POST /lookup`` of the bare app (one complaint row by reference, plain SQLAlchemy)
- bare insert  ``POST /insert`` of the bare app (one complaint row, own write transaction)
- status       ``POST /status`` of the real portal with a valid reference + access code
- submit       ``POST /complaint`` of the real portal (no attachments), each with a fresh
               idempotency token, then a row count proving none lost
- flood        one client floods ``POST /status`` at full speed (gets 429s) while other clients
               look up their own complaints: their p99 must stay under 200 ms

Usage: ``.venv/bin/python bench/portal.py [--quick] [--databases sqlite,postgresql]``.
Prints a table and the target checks; exits 1 only when a correctness check fails (errors,
lost complaints, a flooded client refused), never for a slow figure.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import html.parser
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the portal from this tree

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal.db import make_engine, normalize_url  # noqa: E402
from portal.migrate import upgrade  # noqa: E402
from portal.models import Complaint  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "LANTERN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECRET_KEY = "bench-secret-key-not-for-production"
ACCESS_CODE_KEY = "bench-access-code-key"
# Rate limits high enough never to trigger: the lookup and submit runs measure the page, not the
# limiter's refusals (the limiter's check still runs on every request).
UNLIMITED = "100000000 per minute"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# Targets from issue 2.
TARGET_LOOKUP_RATIO = 0.80  # status page / bare lookup, same run
TARGET_LOOKUP_P99_MS = 50.0
TARGET_SUBMIT_RPS_POSTGRES = 250.0
TARGET_FLOOD_P99_MS = 200.0


@dataclasses.dataclass
class Options:
    """What one run measures and how hard."""

    databases: list[str]
    duration_s: int
    connections: int
    threads: int
    seed: int
    quick: bool
    rounds: int = 5
    json_path: Path | None = None


@dataclasses.dataclass
class Measured:
    """One wrk run."""

    database: str
    name: str
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int]
    sent: int
    note: str = ""

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.duration_s if self.duration_s else 0.0


@dataclasses.dataclass
class Report:
    """Everything one run found: measurements, correctness checks, target checks."""

    results: list[Measured] = dataclasses.field(default_factory=list)
    checks: list[tuple[str, bool, str]] = dataclasses.field(default_factory=list)
    targets: list[tuple[str, bool, str]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    #: (database, scenario) → that scenario's req/s over the bare lookup's, one per round.
    round_ratios: dict[tuple[str, str], list[float]] = dataclasses.field(default_factory=dict)
    load_before: float = dataclasses.field(default_factory=lambda: os.getloadavg()[0])

    def check(self, name: str, ok: bool, detail: str) -> None:
        """Record a correctness check (a failure makes the run exit 1)."""
        self.checks.append((name, ok, detail))

    def target(self, name: str, ok: bool, detail: str) -> None:
        """Record a performance target (a miss is reported, not fatal)."""
        self.targets.append((name, ok, detail))


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_request(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    """One request to 127.0.0.1:``port``; returns status, headers (lower-case names), body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read().decode("utf-8", errors="replace"),
        )
    finally:
        conn.close()


@dataclasses.dataclass
class Server:
    """A gunicorn process on a loopback port."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"


def start_gunicorn(
    name: str, app_spec: str, env: dict[str, str], workdir: Path, probe: str, pythonpath: str = ""
) -> Server:
    """Start gunicorn (2 sync workers, app preloaded, no access log) serving ``app_spec``; wait
    for ``probe``.

    Raises ``RuntimeError`` with the server's log when it does not answer within 30 s.
    """
    port = free_port()
    log = workdir / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync"]
    # Load the app before forking: both workers are ready when the probe answers, so no
    # measurement starts while one is still importing (a 1 s quick run could be half warm-up).
    command.append("--preload")
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning"]
    if pythonpath:
        command += ["--pythonpath", pythonpath]
    command.append(app_spec)
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError):
            if http_request(port, "GET", probe)[0] == 200:
                return server
        time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"{name} did not start:\n" + log.read_text(errors="replace")[-4000:])


def stop(server: Server) -> None:
    """Stop a server and wait for it (kill after 15 s)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=15)


@contextlib.contextmanager
def serving(*args: Any, **kwargs: Any) -> Iterator[Server]:
    """``start_gunicorn`` as a context manager."""
    server = start_gunicorn(*args, **kwargs)
    try:
        yield server
    finally:
        stop(server)


# --- databases -----------------------------------------------------------------------------------


@contextlib.contextmanager
def temp_database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file (WAL) in ``workdir`` or a PostgreSQL database
    created on ``LANTERN_BENCH_POSTGRES_URL`` and dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'instance' / 'lantern.sqlite3'}"
        upgrade(url)
        yield url
        return
    name = f"lantern_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(POSTGRES_ADMIN_URL)).set(database=name)
    url_text = url.render_as_string(hide_password=False)
    try:
        upgrade(url_text)
        yield url_text
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def count_complaints(url: str) -> int:
    """Number of complaint rows."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Complaint)).scalar_one())
    finally:
        engine.dispose()


# --- what depends on the portal's resident routes (intake and status, issue 2) ------------------

LOOKUP_PATH = "/status"
SUBMIT_PATH = "/complaint"
SUBMIT_OK = 303  # Post/Redirect/Get: a stored complaint redirects to its receipt
FLOOD_RATE_LIMIT = "30 per minute"  # the shipped per-client default


#: The four functions below speak the real intake and status forms (portal/intake/forms.py,
#: portal/status/forms.py).
RESIDENT_ROUTES_ADAPTED = True


def portal_missing() -> str | None:
    """Why the portal's resident routes cannot be benchmarked yet (None when they can)."""
    try:
        from portal.services.intake import file_complaint  # noqa: F401
        from portal.services.status import lookup  # noqa: F401
    except ImportError as error:
        return f"the resident services are missing: {error}"
    if not RESIDENT_ROUTES_ADAPTED:
        return "bench/portal.py does not speak the intake and status forms yet"
    return None


def seed_complaints(url: str, count: int) -> list[tuple[str, str]]:
    """File ``count`` complaints through the real intake service; (reference, access code) pairs.

    While the intake service does not exist, inserts bare rows (no access code) so the bare
    scenarios still run.
    """
    from portal.db import session_factory, transaction

    engine = make_engine(url)
    factory = session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    pairs: list[tuple[str, str]] = []
    try:
        if portal_missing():
            from portal.vocabulary import Channel

            with transaction(factory) as session:
                for i in range(count):
                    reference = f"BNS-{i:04d}-{uuid.uuid4().hex[:6].upper()}"
                    session.add(
                        Complaint(
                            reference=reference,
                            channel=Channel.ONLINE,
                            received_at=now,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    pairs.append((reference, ""))
            return pairs
        from portal.services.intake import Submission, file_complaint
        from portal.vocabulary import AllegationCategory, Channel

        session = factory()
        try:
            for i in range(count):
                filed = file_complaint(
                    session,
                    Submission(
                        narrative=f"Benchmark complaint {i}: an officer was rude at a stop.",
                        district="D01",
                        categories=(AllegationCategory.DISCOURTESY,),
                        consent=True,
                    ),
                    channel=Channel.ONLINE,
                    entered_by=None,
                    now=now,
                    access_code_key=ACCESS_CODE_KEY,
                    idempotency_key=None,
                )
                assert filed.access_code is not None
                pairs.append((filed.reference, filed.access_code))
        finally:
            session.close()
        return pairs
    finally:
        engine.dispose()


def lookup_fields(hidden: dict[str, str], reference: str, code: str) -> list[tuple[str, str]]:
    """The status form's fields for one lookup (hidden fields such as the CSRF token kept)."""
    return [*hidden.items(), ("reference", reference), ("access_code", code)]


def submit_fields(hidden: dict[str, str], token: str) -> list[tuple[str, str]]:
    """A minimal valid complaint (no attachments) with idempotency token ``token``."""
    fields = {**hidden, "idempotency_key": token}
    return [
        *fields.items(),
        ("narrative", "An officer was rude to me at a traffic stop and would not give a name."),
        ("district", "D01"),
        ("categories", "discourtesy"),
        ("role", "self"),
        ("contact_method", "none"),
        ("language", "en"),
        ("age_band", "prefer_not_to_say"),
        ("gender", "prefer_not_to_say"),
        ("race", "prefer_not_to_say"),
        ("consent", "y"),
        ("submit", "Send my complaint"),
    ]


def shows_status(page: str, reference: str) -> bool:
    """Whether a status page shows the complaint's status (not the 'not found' message)."""
    return (
        reference in page
        and 'id="current-status"' in page
        and '<ol class="timeline">' in page
        and "We could not find a complaint" not in page
    )


# --- wrk -----------------------------------------------------------------------------------------


def write_lines(path: Path, lines: list[str]) -> str:
    """Write ``lines`` to ``path`` (one per line); returns the path as a string."""
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def wrk(
    database: str,
    name: str,
    url: str,
    opts: Options,
    workdir: Path,
    *,
    method: str = "GET",
    bodies: list[str] | None = None,
    headers: dict[str, str] | None = None,
    addresses: list[str] | None = None,
    count: bool = False,
    connections: int | None = None,
    threads: int | None = None,
    duration_s: int | None = None,
) -> Measured:
    """Run wrk once against ``url`` with ``bench/wrk_replay.lua``; returns what it measured.

    ``bodies`` are sent in turn ("__TOKEN__" in a body becomes a per-request unique token);
    ``addresses`` are sent in turn as X-Forwarded-For. Errors = socket errors + timeouts +
    non-2xx/3xx responses.
    """
    connections = connections or opts.connections
    threads = min(threads or opts.threads, connections)
    duration_s = duration_s or opts.duration_s
    tag = f"{database}-{name}".replace(" ", "_")
    env = {**os.environ, "BENCH_LUA_DIR": str(BENCH), "BENCH_METHOD": method}
    if bodies:
        env["BENCH_BODIES"] = write_lines(workdir / f"{tag}.bodies", bodies)
    if headers:
        header_lines = [f"{k}: {v}" for k, v in headers.items()]
        env["BENCH_HEADERS"] = write_lines(workdir / f"{tag}.headers", header_lines)
    if addresses:
        env["BENCH_ADDRESSES"] = write_lines(workdir / f"{tag}.addresses", addresses)
    if count:
        env["BENCH_COUNT"] = "1"
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(BENCH / "wrk_replay.lua"), url]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    errors = sum(
        int(data[k])
        for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "non_2xx_3xx")
    )
    return Measured(
        database=database,
        name=name,
        requests=int(data["requests"]),
        duration_s=float(data["duration_s"]),
        p50_ms=float(data["p50_ms"]),
        p99_ms=float(data["p99_ms"]),
        errors=errors,
        statuses={k: int(v) for k, v in (data.get("statuses") or {}).items()},
        sent=int(data.get("sent", 0)),
    )


# --- reading the portal's forms ------------------------------------------------------------------


class _HiddenInputs(html.parser.HTMLParser):
    """Collects ``<input type=hidden>`` name/value pairs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        attributes = dict(attrs)
        if attributes.get("type") == "hidden" and attributes.get("name"):
            self.values[str(attributes["name"])] = attributes.get("value") or ""


def open_form(port: int, path: str) -> tuple[str, dict[str, str]]:
    """GET a form page as a browser would; returns (Cookie header value, hidden fields).

    Raises ``RuntimeError`` when the page does not answer 200.
    """
    status, headers, body = http_request(port, "GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    cookie = ""
    if "set-cookie" in headers:
        cookie = headers["set-cookie"].split(";", 1)[0]
    parser = _HiddenInputs()
    parser.feed(body)
    return cookie, parser.values


def encode(pairs: list[tuple[str, str]]) -> str:
    """A form body (keeps repeated names and order)."""
    return urllib.parse.urlencode(pairs)


# --- one database --------------------------------------------------------------------------------


def bench_database(kind: str, opts: Options, report: Report, workdir: Path) -> None:
    """Measure every scenario on one database kind, adding results and checks to ``report``."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "instance").mkdir(exist_ok=True)
    with temp_database(kind, workdir) as url:
        started = time.monotonic()
        pairs = seed_complaints(url, opts.seed)
        how = "bare rows (no intake service yet)" if portal_missing() else "file_complaint"
        report.notes.append(
            f"{kind}: seeded {len(pairs)} complaints through {how} "
            f"in {time.monotonic() - started:.1f} s"
        )
        bare_env = {"BENCH_DATABASE_URL": url}
        portal_env = {
            "LANTERN_DATABASE_URL": url,
            "LANTERN_INSTANCE_PATH": str(workdir / "instance"),
            "LANTERN_SECRET_KEY": SECRET_KEY,
            "LANTERN_ACCESS_CODE_KEY": ACCESS_CODE_KEY,
            "LANTERN_LOOKUP_RATE_LIMIT": UNLIMITED,
            "LANTERN_SUBMIT_RATE_LIMIT": UNLIMITED,
        }
        missing = portal_missing()
        with contextlib.ExitStack() as servers:
            # Every server the lookup comparison needs is up at once (idle ones cost nothing),
            # so those lookups can take turns (see ``compare_lookups``).
            # "bench.bare_app", never --pythonpath bench: bench/portal.py would shadow the package.
            bare = servers.enter_context(
                serving("bare", "bench.bare_app:create_bare_app()", bare_env, workdir, "/ceiling")
            )
            portal = servers.enter_context(
                serving("portal", "portal:create_app()", portal_env, workdir, "/healthz")
            )
            stripped = (
                []
                if missing
                else [
                    (
                        name,
                        servers.enter_context(
                            serving(
                                "portal-" + strip.replace(",", "-"),
                                f"bench.stripped_portal:create_stripped_app({strip!r})",
                                portal_env,
                                workdir,
                                "/healthz",
                            )
                        ),
                    )
                    for name, strip in BREAKDOWN
                ]
            )
            report.results.append(wrk(kind, "ceiling", bare.url + "/ceiling", opts, workdir))
            compare_lookups(
                kind, bare, None if missing else portal, stripped, pairs, opts, report, workdir
            )
            before = count_complaints(url)
            insert = wrk(
                kind,
                "bare insert",
                bare.url + "/insert",
                opts,
                workdir,
                method="POST",
                bodies=["narrative=benchmark"],
                headers=FORM,
                count=True,
            )
            report.results.append(insert)
            created = count_complaints(url) - before
            insert.note = f"rows {created}"
            # The portal's fixed cost per request (app, session, locale, security headers), with
            # and without a template: what the resident routes start from.
            report.results.append(
                wrk(kind, "portal /healthz", portal.url + "/healthz", opts, workdir)
            )
            report.results.append(wrk(kind, "portal home page", portal.url + "/", opts, workdir))
            if missing:
                report.notes.append(f"{kind}: status, submit and flood not run: {missing}")
                return
            measure_submit(kind, portal, url, opts, report, workdir)

        flood_env = {
            **portal_env,
            "LANTERN_TRUST_PROXY": "true",
            "LANTERN_LOOKUP_RATE_LIMIT": FLOOD_RATE_LIMIT,
        }
        with serving("portal-flood", "portal:create_app()", flood_env, workdir, "/healthz") as p:
            measure_flood(kind, p, pairs, opts, report, workdir)


def lookup_bodies(port: int, pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Headers (cookie) and one form body per seeded complaint for ``POST /status``."""
    cookie, hidden = open_form(port, LOOKUP_PATH)
    headers = {**FORM, **({"Cookie": cookie} if cookie else {})}
    bodies = [encode(lookup_fields(hidden, ref, code)) for ref, code in pairs]
    return headers, bodies


#: The status lookup again on the portal minus parts (``bench/stripped_portal.py``), each
#: variant removing one more: how far below the full page's cost the route can get at all.
BREAKDOWN = (
    ("status, no page", "page"),
    ("… no rate limit", "page,limiter"),
    ("… no CSRF check", "page,limiter,csrf"),
)


def compare_lookups(
    kind: str,
    bare: Server,
    portal: Server | None,
    stripped: list[tuple[str, Server]],
    pairs: list[tuple[str, str]],
    opts: Options,
    report: Report,
    workdir: Path,
) -> None:
    """The bare lookup, the full status page and each ``BREAKDOWN`` variant, taking turns.

    Each is measured for ``duration_s / rounds`` seconds per round, in the same order every
    round, so a machine whose speed drifts during the run (seen here: 30 % within minutes)
    slows them alike; the ratio to the bare lookup is taken per round and reported as the
    median. A scenario's req/s is its requests over its time in all rounds, its p50 and p99 the
    median of its rounds' (the worst round's p99 is noted). Each answer is proven right first.
    """
    bare_status, _, _ = http_request(
        bare.port, "POST", "/lookup", encode([("reference", pairs[0][0])]), FORM
    )
    report.check(f"{kind}: bare lookup finds a seeded row", bare_status == 200, str(bare_status))
    contenders = [
        ("bare lookup", bare.url + "/lookup", [encode([("reference", r)]) for r, _ in pairs], FORM)
    ]
    if portal is not None:
        headers, bodies = lookup_bodies(portal.port, pairs)
        status, _, page = http_request(portal.port, "POST", LOOKUP_PATH, bodies[0], headers)
        shown = status == 200 and shows_status(page, pairs[0][0])
        report.check(f"{kind}: a benchmark lookup shows the complaint's status", shown, str(status))
        contenders.append(("status lookup", portal.url + LOOKUP_PATH, bodies, headers))
    for name, server in stripped:
        headers, bodies = lookup_bodies(server.port, pairs)
        status, _, page = http_request(server.port, "POST", LOOKUP_PATH, bodies[0], headers)
        found = status == 200 and page.strip() == pairs[0][0]
        report.check(f"{kind}: '{name}' finds the complaint", found, str(status))
        contenders.append((name, server.url + LOOKUP_PATH, bodies, headers))
    turn_s = max(1, opts.duration_s // opts.rounds)
    runs: dict[str, list[Measured]] = {name: [] for name, *_ in contenders}
    for _ in range(opts.rounds):
        for name, url, bodies, headers in contenders:
            runs[name].append(
                wrk(
                    kind,
                    name,
                    url,
                    opts,
                    workdir,
                    method="POST",
                    bodies=bodies,
                    headers=headers,
                    duration_s=turn_s,
                )
            )
    for name, measured in runs.items():
        combined = combine(measured)
        report.results.append(combined)
        report.check(f"{kind}: {name} without errors", combined.errors == 0, str(combined.errors))
        if name != "bare lookup":
            report.round_ratios[(kind, name)] = [
                m.rps / b.rps if b.rps else 0.0
                for m, b in zip(measured, runs["bare lookup"], strict=True)
            ]


def combine(rounds: list[Measured]) -> Measured:
    """One scenario's rounds as one measurement (see ``compare_lookups``)."""
    first = rounds[0]
    statuses: dict[str, int] = {}
    for m in rounds:
        for code, n in m.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    combined = Measured(
        database=first.database,
        name=first.name,
        requests=sum(m.requests for m in rounds),
        duration_s=sum(m.duration_s for m in rounds),
        p50_ms=statistics.median(m.p50_ms for m in rounds),
        p99_ms=statistics.median(m.p99_ms for m in rounds),
        errors=sum(m.errors for m in rounds),
        statuses=statuses,
        sent=sum(m.sent for m in rounds),
    )
    if len(rounds) > 1:
        combined.note = f"{len(rounds)} turns; worst p99 {max(m.p99_ms for m in rounds):.1f}"
    return combined


def measure_submit(
    kind: str, portal: Server, url: str, opts: Options, report: Report, workdir: Path
) -> None:
    """Complaint submission with a fresh idempotency token per request; proves none was lost."""
    cookie, hidden = open_form(portal.port, SUBMIT_PATH)
    headers = {**FORM, **({"Cookie": cookie} if cookie else {})}
    body = encode(submit_fields(hidden, "__TOKEN__"))
    # One submission by hand first: the body must create a complaint, not re-render with errors.
    before = count_complaints(url)
    probe = body.replace("__TOKEN__", uuid.uuid4().hex)
    status, _, _ = http_request(portal.port, "POST", SUBMIT_PATH, probe, headers)
    again, _, _ = http_request(portal.port, "POST", SUBMIT_PATH, probe, headers)
    after_probe = count_complaints(url)
    report.check(
        f"{kind}: a benchmark submission creates one complaint (and a resubmission none)",
        status == SUBMIT_OK and after_probe == before + 1,
        f"status {status}, resubmitted {again}, rows +{after_probe - before}",
    )
    result = wrk(
        kind,
        "submit",
        portal.url + SUBMIT_PATH,
        opts,
        workdir,
        method="POST",
        bodies=[body],
        headers=headers,
        count=True,
    )
    report.results.append(result)
    created = count_complaints(url) - after_probe
    acknowledged = result.statuses.get(str(SUBMIT_OK), 0)
    cut_off = result.sent - sum(result.statuses.values())
    result.note = f"rows {created}, ok {acknowledged}, cut at deadline {cut_off}"
    # wrk stops at its deadline with up to one request per connection in flight: the server still
    # commits those, so rows may exceed acknowledgements by at most the requests cut off.
    report.check(
        f"{kind}: every acknowledged submission is a stored complaint (none lost, none extra)",
        acknowledged <= created <= acknowledged + cut_off and acknowledged == result.requests,
        f"acknowledged {acknowledged}, rows {created}, cut off {cut_off}, "
        f"responses {result.requests}",
    )
    report.check(f"{kind}: submission without errors", result.errors == 0, str(result.errors))


def measure_flood(
    kind: str,
    portal: Server,
    pairs: list[tuple[str, str]],
    opts: Options,
    report: Report,
    workdir: Path,
) -> None:
    """One address floods the lookup while many other addresses look up their own complaints."""
    headers, bodies = lookup_bodies(portal.port, pairs)
    flood_url = portal.url + LOOKUP_PATH
    # The flooder looks up its own complaint (pairs[0]) at full speed from one address over half
    # the connections; the others look up every other complaint, also without pause, each request
    # from a different address (residents), so no resident exceeds the per-client limit. (No
    # paced clients: wrk's delay() connects first and then waits, which would pin a sync worker
    # for the whole pause — the slow-client problem the production reverse proxy absorbs.)
    flood_headers = {**headers, "X-Forwarded-For": "10.66.66.66"}
    residents = [f"10.{i // 62500 + 1}.{(i // 250) % 250 + 1}.{i % 250 + 1}" for i in range(60000)]
    results: dict[str, Measured] = {}

    def run_flood() -> None:
        results["flood"] = wrk(
            kind,
            "flood (1 client)",
            flood_url,
            opts,
            workdir,
            method="POST",
            bodies=bodies[:1],
            headers=flood_headers,
            count=True,
            connections=max(2, opts.connections // 2),
        )

    flooder = threading.Thread(target=run_flood, daemon=True)
    flooder.start()
    time.sleep(0.2)  # let the flood reach full speed first
    others = wrk(
        kind,
        "others during flood",
        flood_url,
        opts,
        workdir,
        method="POST",
        bodies=bodies[1:],
        headers=headers,
        addresses=residents,
        count=True,
        connections=max(2, opts.connections // 8),
        threads=2,
    )
    flooder.join(timeout=opts.duration_s + 90)
    flood = results.get("flood")
    report.results.append(others)
    if flood is None:
        report.check(f"{kind}: flood run finished", False, "wrk did not return")
        return
    report.results.append(flood)
    refused = flood.statuses.get("429", 0)
    flood.note = f"429: {refused}"
    others_ok = others.statuses.get("200", 0)
    others.note = f"200: {others_ok}"
    report.check(f"{kind}: the flood is refused (429)", refused > 0, f"{refused} × 429")
    report.check(
        f"{kind}: every other client got its status during the flood",
        others.errors == 0 and others_ok == others.requests and others_ok > 0,
        f"{others_ok} of {others.requests} answered 200",
    )


# --- output --------------------------------------------------------------------------------------


def find(report: Report, database: str, name: str) -> Measured | None:
    """The measurement ``name`` on ``database``."""
    return next((m for m in report.results if m.database == database and m.name == name), None)


def evaluate(report: Report, opts: Options) -> None:
    """Add ratios and target checks to ``report``."""
    for kind in opts.databases:
        ceiling, bare = find(report, kind, "ceiling"), find(report, kind, "bare lookup")
        lookup, submit = find(report, kind, "status lookup"), find(report, kind, "submit")
        others = find(report, kind, "others during flood")
        if not (ceiling and bare and lookup and submit):
            continue
        turns = report.round_ratios[(kind, "status lookup")]
        ratio = statistics.median(turns)
        report.notes.append(
            f"{kind}: lookup/bare-lookup {ratio:.0%} (median of {len(turns)} turns, "
            f"{min(turns):.0%}–{max(turns):.0%}), lookup/ceiling {lookup.rps / ceiling.rps:.0%}, "
            f"submit/ceiling {submit.rps / ceiling.rps:.0%}"
        )
        stripped = [
            (name, report.round_ratios[(kind, name)])
            for name, _ in BREAKDOWN
            if (kind, name) in report.round_ratios
        ]
        if stripped:
            report.notes.append(
                f"{kind}: stripped status lookups / bare lookup (medians): "
                + ", ".join(f"{name} {statistics.median(r):.0%}" for name, r in stripped)
            )
        report.target(
            f"{kind}: status ≥ 80 % of bare lookup", ratio >= TARGET_LOOKUP_RATIO, f"{ratio:.0%}"
        )
        report.target(
            f"{kind}: status p99 < 50 ms",
            lookup.p99_ms < TARGET_LOOKUP_P99_MS,
            f"{lookup.p99_ms:.1f} ms",
        )
        if kind == "postgresql":
            report.target(
                "postgresql: submit ≥ 250/s",
                submit.rps >= TARGET_SUBMIT_RPS_POSTGRES,
                f"{submit.rps:.0f}/s",
            )
        if others:
            report.target(
                f"{kind}: others' p99 < 200 ms during flood",
                others.p99_ms < TARGET_FLOOD_P99_MS,
                f"{others.p99_ms:.1f} ms",
            )


def render(report: Report, opts: Options) -> str:
    """The human-readable report: table, ratios, checks, targets."""
    lines = [
        f"wrk {opts.connections} connections, {opts.duration_s} s per run (the lookups in "
        f"{opts.rounds} turns of {max(1, opts.duration_s // opts.rounds)} s each), gunicorn 2 "
        f"sync workers, {os.cpu_count()} CPUs, loopback; load average before the run "
        f"{report.load_before:.1f} (above ~0.5, other work on the machine skews the figures)",
        "",
        f"{'database':<11} {'scenario':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7}  note",
    ]
    for m in report.results:
        lines.append(
            f"{m.database:<11} {m.name:<20} {m.rps:>8.0f} {m.p50_ms:>8.1f} {m.p99_ms:>8.1f} "
            f"{m.errors:>7}  {m.note}"
        )
    lines.append("")
    lines += report.notes
    lines.append("")
    for title, items in (("checks", report.checks), ("targets", report.targets)):
        lines.append(f"{title}:")
        lines += [f"  {'ok  ' if ok else 'MISS'} {name}: {detail}" for name, ok, detail in items]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> Options:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seed", type=int, default=200, help="complaints seeded for lookups")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="turns the lookups take (each runs duration / rounds seconds per turn)",
    )
    parser.add_argument("--quick", action="store_true", help="1 s runs, SQLite only (smoke test)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    opts = Options(
        databases=[d.strip() for d in args.databases.split(",") if d.strip()],
        duration_s=args.duration,
        connections=args.connections,
        threads=args.threads,
        seed=args.seed,
        quick=args.quick,
        rounds=max(1, args.rounds),
        json_path=args.json,
    )
    if args.quick:
        opts.databases, opts.duration_s, opts.connections, opts.seed = ["sqlite"], 1, 8, 20
        opts.rounds = 1
    return opts


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the report; 0 when every correctness check passed."""
    opts = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk; `make bench` does it)")
        return 2
    report = Report()
    with tempfile.TemporaryDirectory(prefix="lantern-bench-") as tmp:
        for kind in opts.databases:
            print(f"benchmarking on {kind} …", flush=True)
            bench_database(kind, opts, report, Path(tmp) / kind)
    evaluate(report, opts)
    print(render(report, opts))
    if opts.json_path:
        opts.json_path.write_text(
            json.dumps(
                {
                    "results": [dataclasses.asdict(m) | {"rps": m.rps} for m in report.results],
                    "checks": report.checks,
                    "targets": report.targets,
                    "round_ratios": {
                        f"{database}/{name}": ratios
                        for (database, name), ratios in report.round_ratios.items()
                    },
                    "measured_at": dt.datetime.now(dt.UTC).isoformat(),
                },
                indent=2,
            )
        )
    return 0 if all(ok for _, ok, _ in report.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
