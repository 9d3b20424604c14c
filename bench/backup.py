"""Time ``lantern backup create``, ``verify`` and ``restore`` on an office of realistic size.

Seeds N synthetic cases (``lantern seed``) and M evidence files of S KB (random bytes stored as
plain-text-free binary through the real evidence service, attached to the first M complaints),
then backs up, verifies and restores into an empty instance, on SQLite and on PostgreSQL (a temp
database on ``LANTERN_BENCH_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/
postgres``, dropped at the end). Prints one line per step: seconds and the archive's size.

    .venv/bin/python bench/backup.py --cases 10000 --files 500 --kb 400
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.db import make_engine, normalize_url, session_factory  # noqa: E402
from portal.migrate import upgrade  # noqa: E402
from portal.models import Complaint  # noqa: E402
from portal.services import evidence  # noqa: E402

LANTERN = str(Path(sys.executable).with_name("lantern"))
ADMIN = os.environ.get(
    "LANTERN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def run(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([LANTERN, *args], env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"lantern {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return took


def add_evidence(url: str, uploads: Path, files: int, kb: int) -> None:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        # The seed's attachment rows have no files behind them: real evidence replaces them.
        session.execute(text("DELETE FROM attachments"))
        complaints = list(session.scalars(select(Complaint).order_by(Complaint.id).limit(files)))
        for complaint in complaints:
            body = PNG_HEAD + os.urandom(kb * 1024 - len(PNG_HEAD))
            stored = evidence.store_upload(
                io.BytesIO(body), "photo.png", uploads, max_file_bytes=len(body) + 1
            )
            evidence.attach(
                session, complaint, [stored], now=complaint.received_at, uploaded_by=None
            )
        session.commit()
    engine.dispose()


def bench(
    kind: str, url: str, restore_url: str, folder: Path, cases: int, files: int, kb: int
) -> None:
    office, fresh = folder / f"{kind}-office", folder / f"{kind}-fresh"
    base = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    env = base | {
        "LANTERN_INSTANCE_PATH": str(office / "instance"),
        "LANTERN_DATABASE_URL": url,
        "LANTERN_SECRET_KEY": "s" * 48,
        "LANTERN_ACCESS_CODE_KEY": "a" * 48,
        "LANTERN_PSEUDONYM_KEY": "p" * 48,
    }
    upgrade(url)
    run(env, "seed", "--cases", str(cases), "--no-progress")
    add_evidence(url, office / "instance" / "uploads", files, kb)
    out = folder / f"{kind}-backups"
    took = run(env, "backup", "create", "--out", str(out))
    (archive,) = out.glob("*.tar")
    size = archive.stat().st_size / 1024 / 1024
    print(f"{kind}: {cases} cases, {files} files x {kb} KB: create {took:.1f} s ({size:.0f} MB)")
    print(f"{kind}: verify {run(env, 'backup', 'verify', str(archive)):.1f} s")
    fresh_env = env | {
        "LANTERN_INSTANCE_PATH": str(fresh / "instance"),
        "LANTERN_DATABASE_URL": restore_url,
    }
    took = run(fresh_env, "backup", "restore", str(archive))
    print(f"{kind}: restore (verify, write, check) {took:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--kb", type=int, default=400)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lantern-bench-backup-") as name:
        folder = Path(name)
        if "sqlite" in options.databases:
            bench(
                "sqlite",
                f"sqlite:///{folder / 'office.sqlite3'}",
                f"sqlite:///{folder / 'fresh.sqlite3'}",
                folder,
                options.cases,
                options.files,
                options.kb,
            )
        if "postgresql" in options.databases:
            names = [f"lantern_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
            admin = make_engine(ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for db in names:
                    conn.execute(text(f'CREATE DATABASE "{db}"'))
            urls = [
                make_url(normalize_url(ADMIN))
                .set(database=db)
                .render_as_string(hide_password=False)
                for db in names
            ]
            try:
                bench(
                    "postgresql", urls[0], urls[1], folder, options.cases, options.files, options.kb
                )
            finally:
                with admin.connect() as conn:
                    for db in names:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
