"""``lantern publish``: extract → anonymize → aggregate → write → validate → rename into place.

The release is written into a temporary folder next to the target (same file system), validated
with Frictionless, and only then renamed to ``<out>/<version>`` in one atomic step. Any failure
removes the temporary folder, so a release either exists whole or not at all. An existing
version is never touched. Same database + policy + version + pseudonym key → byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl
from sqlalchemy import Engine
from tqdm import tqdm

from publisher.aggregate import AggregateInputs, build_aggregates
from publisher.anonymize import anonymize_complainants, apply_to_complaints, headline_finding
from publisher.changelog import changelog, previous_release
from publisher.disclosure import build_report, report_json, report_markdown
from publisher.extract import (
    ALLEGATION_COLUMNS,
    COMPLAINANT_COLUMNS,
    Extraction,
    extract,
    extract_caseload,
)
from publisher.formats import check_formats, extra_resources, write_formats
from publisher.officer_privacy import (
    OFFICER_QUASI_IDENTIFIERS,
    protect_officer_links,
    protect_officers,
)
from publisher.package import (
    RECORD_TABLES,
    PackageError,
    PackageInfo,
    check_columns,
    datapackage,
    schema_for,
    version_key,
    write_csv,
    write_json,
    write_sha256sums,
)
from publisher.policy import UNKNOWN, WITHHELD, Policy
from publisher.validate import peak_rss_mib, validate_release

#: Published columns of complaints.csv (periods after generalization).
COMPLAINTS_PUBLISHED = (
    "complaint_id",
    "received_period",
    "closed_period",
    "days_to_close",
    "channel",
    "district",
    "screening_outcome",
    "public_status",
)
STAGES = ("extract", "anonymize", "aggregate", "write", "validate")


class PublishError(Exception):
    """Publishing failed; nothing was published. ``exit_code``: 2 for a refused request (bad or
    existing version), 1 for a failure while publishing (invalid release...)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Stage:
    """Wall time and memory high-water marks (MiB) at the end of one stage: this process's,
    and the largest validation worker's (validate stage only)."""

    name: str
    seconds: float
    peak_rss_mib: float
    peak_workers_rss_mib: float = 0.0


@dataclass
class PublishResult:
    """What ``publish`` wrote and how long each stage took."""

    folder: Path
    version: str
    closed_cases: int
    complaints: int
    allegations: int
    officers: int
    complainants: int
    exclusions: dict[str, int]
    k_achieved: int
    validated_rows: dict[str, int]
    stages: list[Stage] = field(default_factory=list)


@contextlib.contextmanager
def _stage(
    stages: list[Stage], name: str, on_stage: Callable[[Stage], None] | None
) -> Iterator[Stage]:
    """Time a stage and record this process's memory high-water mark when it ends."""
    started = time.perf_counter()
    stage = Stage(name, 0.0, 0.0)
    yield stage
    stage.seconds = time.perf_counter() - started
    stage.peak_rss_mib = peak_rss_mib()
    stages.append(stage)
    if on_stage is not None:
        on_stage(stage)


def policy_values(policy: Policy, attribute: str) -> set[str]:
    """Every value a generalized ``attribute`` can take under ``policy`` (groups, ``other``,
    ``unknown``, ``withheld``) besides its stored values."""
    values = {UNKNOWN, WITHHELD}
    if attribute in policy.hierarchies:
        for level in policy.hierarchy(attribute).levels:
            values |= set(level.groups.values())
            if level.other is not None:
                values.add(level.other)
    return values


def _as_of(data: Extraction, cases: pl.DataFrame) -> dt.date:
    """The last month of the release's data (from the data, never the clock)."""
    months = [
        m
        for m in (cases["received_at"].max(), cases["closed_at"].max(), data.as_of)
        if isinstance(m, dt.date)
    ]
    if not months:
        raise PublishError("there are no cases to publish", exit_code=1)
    return max(months)


def _next_month(month: dt.date) -> dt.date:
    """First day of the month after ``month``.

    ``created`` is the data's cut-off (the instant after the last month of data): from the
    data, so the release is reproducible, and never a day on which a case was received.
    """
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def publish(
    engine: Engine,
    version: str,
    out: Path,
    *,
    policy: Policy,
    key: bytes,
    publisher_name: str = "Police oversight office",
    progress: bool = False,
    workers: int = 2,
    on_stage: Callable[[Stage], None] | None = None,
) -> PublishResult:
    """Publish release ``version`` of ``engine``'s closed cases into ``out/version``.

    Raises ``PublishError`` (exit code 2) for a version that is not ``MAJOR.MINOR.PATCH`` or
    already exists (nothing is touched), and (exit code 1) when the written release does not
    validate; in every failure the temporary folder is removed and nothing is published.
    """
    try:
        version_key(version)
    except PackageError as error:
        raise PublishError(str(error), exit_code=2) from None
    target = out / version
    if target.exists():
        raise PublishError(
            f"release {version} already exists in {out}: releases are immutable, "
            "publish a new version instead",
            exit_code=2,
        )
    out.mkdir(parents=True, exist_ok=True)
    sweep_abandoned(out)
    temp = Path(tempfile.mkdtemp(prefix=f".{version}{PARTIAL}", dir=out))
    claim = _claim(temp)
    try:
        result = _publish_into(
            temp, engine, version, out, policy, key, publisher_name, progress, workers, on_stage
        )
        if target.exists():
            raise PublishError(f"release {version} appeared in {out} meanwhile", exit_code=2)
        os.chmod(temp, 0o755)  # noqa: S103 - a release is public; mkdtemp made it private
        os.rename(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        _release(temp, claim)
    result.folder = target
    return result


#: Infix of a release being written (``OUT/.VERSION.partial-XXXX``); its lock file is beside it.
PARTIAL = ".partial-"
LOCK_SUFFIX = ".lock"
#: A temporary folder without its lock file is left alone this long (it may have just been made).
UNCLAIMED_GRACE_S = 60.0


def _claim(temp: Path) -> IO[bytes]:
    """Lock ``temp``'s lock file for as long as this publish runs.

    The operating system drops the lock when the process ends in any way (``kill -9``
    included), which is how ``sweep_abandoned`` tells a dead publish from a running one.
    """
    handle = (temp.parent / (temp.name + LOCK_SUFFIX)).open("wb")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def _release(temp: Path, claim: IO[bytes]) -> None:
    (temp.parent / (temp.name + LOCK_SUFFIX)).unlink(missing_ok=True)
    claim.close()


def sweep_abandoned(out: Path, *, now: float | None = None) -> list[Path]:
    """Remove what publishes that died without cleaning up left in ``out``; return it.

    A temporary release folder is abandoned when nobody holds its lock (its publish process is
    gone), or when it has no lock file and is older than ``UNCLAIMED_GRACE_S``. A publish still
    running, in this process or another, is never touched.
    """
    removed: list[Path] = []
    clock = time.time() if now is None else now
    for folder in sorted(out.glob(f".*{PARTIAL}*")):
        if not folder.is_dir():
            continue
        lock = folder.parent / (folder.name + LOCK_SUFFIX)
        if lock.exists():
            with lock.open("rb") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a publish is writing it
                shutil.rmtree(folder, ignore_errors=True)
                lock.unlink(missing_ok=True)
        elif clock - folder.stat().st_mtime > UNCLAIMED_GRACE_S:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            continue
        removed.append(folder)
    return removed


def _publish_into(
    folder: Path,
    engine: Engine,
    version: str,
    out: Path,
    policy: Policy,
    key: bytes,
    publisher_name: str,
    progress: bool,
    workers: int,
    on_stage: Callable[[Stage], None] | None,
) -> PublishResult:
    """Run every stage, writing the release into ``folder`` (the temporary one)."""
    stages: list[Stage] = []
    # One bar over the stages; extract (rows) and validate (tables) show their own bars too.
    overall = tqdm(
        total=len(STAGES), desc=f"publish {version}", unit=" stage", disable=not progress
    )

    def done(stage: Stage) -> None:
        overall.set_postfix_str(f"{stage.name} {stage.seconds:.1f} s")
        overall.update()
        if on_stage is not None:
            on_stage(stage)

    with _stage(stages, "extract", done):
        bar = tqdm(desc="extract", unit=" rows", disable=not progress, leave=False)
        data = extract(engine, key, officer_names=policy.publish_officer_names, progress=bar.update)
        cases = extract_caseload(engine)
        bar.close()
        as_of = _as_of(data, cases)

    with _stage(stages, "anonymize", done):
        complaints = data.complaints.rename(
            {"received_month": "received_at", "closed_month": "closed_at"}
        )
        frame = data.complainants.join(
            complaints.select(
                "complaint_id", "received_at", "closed_at", "days_to_close", "channel", "district"
            ),
            on="complaint_id",
            how="left",
            maintain_order="left",
        ).join(
            headline_finding(data.allegations),
            on="complaint_id",
            how="left",
            maintain_order="left",
        )
        anonymized = anonymize_complainants(frame, policy)
        del frame
        data.complainants = data.complainants.clear()  # only the anonymized rows go on
        shown = apply_to_complaints(complaints, anonymized, policy)
        # The anonymizer keeps the row order, so the extraction's order (published complaint
        # id, then database id) stands.
        complainants = anonymized.complainants.select(COMPLAINANT_COLUMNS)
        kanon = anonymized.report
        del anonymized
        officers, officer_report = protect_officers(data.officers, policy.k)
        officers, allegations, link_report = protect_officer_links(
            officers, data.allegations.select(ALLEGATION_COLUMNS), shown, policy.k
        )
        officer_report["links"] = link_report
        published_complaints = shown.join(
            complaints.select("complaint_id", "screening_outcome", "public_status"),
            on="complaint_id",
            how="left",
            maintain_order="left",
        ).select(COMPLAINTS_PUBLISHED)

    with _stage(stages, "aggregate", done):
        # Aggregates count the exact channel and days (one-way tables with small-cell
        # suppression, no ids) and the published district, and every allegation's officer
        # (the link withheld in allegations.csv is not needed to count officers by caseload).
        aggregates = build_aggregates(
            AggregateInputs(
                complaints=complaints.select(
                    "complaint_id", "channel", "days_to_close", "closed_at"
                ).with_columns(shown.get_column("district")),
                allegations=data.allegations,
                complainants=complainants,
                caseload=cases,
                as_of=as_of,
            ),
            policy,
        )

    with _stage(stages, "write", done):
        records = {
            "complaints": published_complaints.sort("complaint_id"),
            "allegations": allegations,
            "officers": officers,
            "complainants": complainants,
        }
        schemas: dict[str, dict[str, Any]] = {}
        extra: dict[str, dict[str, Iterable[str]]] = {
            "complainants": {a: policy_values(policy, a) for a in ("age_band", "gender", "race")},
            "complaints": {a: policy_values(policy, a) for a in ("channel", "days_to_close")},
            "officers": {a: [WITHHELD] for a in OFFICER_QUASI_IDENTIFIERS},
        }
        for name in RECORD_TABLES:
            schemas[name] = schema_for(
                name,
                extra_values=extra.get(name),
                drop_fields=() if policy.publish_officer_names else ("officer_name",),
            )
        for filename in aggregates.tables:
            schemas[filename.removesuffix(".csv")] = schema_for(filename.removesuffix(".csv"))
        tables = records | {f.removesuffix(".csv"): t for f, t in aggregates.tables.items()}
        for name, table in tables.items():
            check_columns(name, table, schemas[name])
            write_csv(table, folder / "data" / f"{name}.csv")
        info = PackageInfo(
            version=version,
            created=f"{_next_month(as_of):%Y-%m-%d}T00:00:00Z",
            licence=policy.licence,
            licence_url=policy.licence_url,
            attribution=policy.attribution,
            publisher=publisher_name,
        )
        copies = write_formats(
            folder,
            version,
            schemas,
            {"version": version, "created": info.created, "licence": info.licence},
        )
        write_json(
            folder / "datapackage.json",
            datapackage(folder, info, schemas, extra_resources(copies)),
        )
        (folder / "policy.toml").write_text(policy.to_toml(), encoding="utf-8")
        report = build_report(kanon, aggregates.suppressed, policy)
        report["extraction"] = {
            "closed_cases": data.closed_cases,
            "complaints_published": records["complaints"].height,
            "exclusions": dict(sorted(data.exclusions.items())),
            "notes": dict(sorted(data.notes.items())),
            "data_through": f"{as_of:%Y-%m}",
        }
        report["officers"] = officer_report
        (folder / "disclosure-report.json").write_text(report_json(report), encoding="utf-8")
        (folder / "disclosure-report.md").write_text(
            report_markdown(report, version)
            + _extraction_markdown(report["extraction"])
            + _officers_markdown(officer_report),
            encoding="utf-8",
        )
        previous = previous_release(out, version)
        (folder / "CHANGELOG.md").write_text(
            changelog(version, records, schemas, previous), encoding="utf-8"
        )
        write_sha256sums(folder)
        counts = {name: frame.height for name, frame in records.items()}
        names = list(tables)
        # Everything is on disk now: free the frames before validation reads the files again.
        del records, tables, complaints, complainants, aggregates, cases, published_complaints
        del shown, allegations
        data.complaints = data.allegations = data.officers = pl.DataFrame()

    with _stage(stages, "validate", done) as stage:
        bar = tqdm(total=len(names), desc="validate", unit=" tables", disable=not progress)
        validation = validate_release(
            folder, names, workers=workers, on_done=lambda _: bar.update()
        )
        bar.close()
        stage.peak_workers_rss_mib = validation.peak_rss_mib
        formats = check_formats(folder, copies, validation.rows)
        if formats:
            validation.problems["formats"] = formats
        if not validation.valid:
            raise PublishError(
                f"release {version} is not valid; nothing was published.\n" + validation.report()
            )

    overall.close()
    return PublishResult(
        folder=folder,
        version=version,
        closed_cases=data.closed_cases,
        complaints=counts["complaints"],
        allegations=counts["allegations"],
        officers=counts["officers"],
        complainants=counts["complainants"],
        exclusions=data.exclusions,
        k_achieved=int(report["k_achieved"]),
        validated_rows=validation.rows,
        stages=stages,
    )


def _officers_markdown(officers: dict[str, Any]) -> str:
    """The disclosure report's section on the officers table and its links to allegations."""
    withheld = ", ".join(
        f"{attribute.replace('_', ' ')} {count:,}"
        for attribute, count in officers["values_withheld"].items()
    )
    links = officers["links"]
    joined_withheld = ", ".join(
        f"{attribute.replace('_', ' ')} {count:,}"
        for attribute, count in links["values_withheld"].items()
    )
    achieved = links["k_achieved"]
    named = (
        f" Officers named by the policy ({links['officers_named_by_policy']:,}) are left out of"
        " this measure: the office chose to publish who they are."
        if links["officers_named_by_policy"]
        else ""
    )
    return (
        "\n## Officers\n\n"
        f"Every combination of {', '.join(officers['quasi_identifiers'])} in the officers table"
        f" is shared by at least {officers['k_required']} officers (achieved:"
        f" {officers['k_achieved']}), so a pseudonymous officer cannot be picked out by rank,"
        " gender, race and years of service. Values shown as `withheld` to reach that, out of"
        f" {officers['officers']:,} officers: {withheld}.\n\n"
        "Someone who knows an officer and roughly where and when a complaint against them was"
        " made can also join the officers to their allegations and complaints. Over that join"
        f" ({', '.join(links['quasi_identifiers'])}), every combination holds at least"
        f" {links['k_required']} different officers"
        + (f" (achieved: {achieved})" if achieved is not None else "")
        + ". To reach that, further officer values were withheld"
        f" ({joined_withheld}; {links['officers_fully_withheld']:,} officers show no"
        f" attribute at all), and {links['links_withheld']:,} of {links['links']:,} allegations"
        " show `withheld` instead of their officer's id: the allegation is published and"
        f" counted, without saying which pseudonymous officer it concerns.{named}\n"
    )


def _extraction_markdown(extraction: dict[str, Any]) -> str:
    """The disclosure report's section on which closed cases are published."""
    lines = [
        "",
        "## Which cases are published",
        "",
        f"- closed cases in the database: {extraction['closed_cases']:,}",
        f"- published: {extraction['complaints_published']:,}",
    ]
    for reason, count in extraction["exclusions"].items():
        lines.append(f"- not published, {reason}: {count:,}")
    for reason, count in extraction["notes"].items():
        lines.append(f"- published, {reason}: {count:,}")
    lines.append(f"- data through: {extraction['data_through']}")
    return "\n".join(lines) + "\n"
