"""Start Lantern's production configuration on loopback and walk a resident's journey through it.

    .venv/bin/python deploy/smoke.py          # exit 0: passed; 1: failed; 3: a component is missing

What runs, all as the current user, in one temporary folder, on free loopback ports:

- nginx with ``deploy/nginx/lantern.conf`` itself (only the ports, the certificate paths, the log
  paths and the upstream port are replaced), TLS from a throwaway self-signed certificate made
  with openssl, which the client trusts;
- ``lantern serve`` (gunicorn, 2 workers, the mail drainer) with ``LANTERN_ENV=production``,
  ``LANTERN_TRUST_PROXY=true``, the three keys in 0600 files (``LANTERN_*_FILE``), a fresh
  PostgreSQL database and a Redis database number of its own (emptied before and after);
- first: production refuses to start without a secret; then ``lantern db upgrade`` and
  ``lantern doctor`` (no problem found);
- the journey over HTTPS: the home page (HSTS), the complaint form (Secure cookie, CSRF token
  from the page), filing, the receipt, looking the complaint up with reference and access code,
  the staff sign-in page, /data/ (a tiny site in ``build/site`` of the working directory, where
  ``lantern site build`` writes), /healthz, and http:// redirected to https://;
- X-Forwarded-For honoured: nginx connects to gunicorn from 127.0.0.2, and the rate-limit keys in
  Redis carry the client's 127.0.0.1;
- the mail drainer sent the receipt email (a file in the outbox: no SMTP server here);
- nothing the resident typed, nor the reference or the access code, in gunicorn's or nginx's logs.

Everything is stopped and removed at the end, also on failure; each wait is bounded. Settings:
``LANTERN_TEST_POSTGRES_URL`` (admin URL, default ``postgresql://postgres@127.0.0.1:5432/test``),
``LANTERN_SMOKE_REDIS_URL`` (default ``redis://127.0.0.1:6379/13``), ``NGINX`` (default: on PATH
or /usr/sbin/nginx).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = ROOT / "deploy" / "nginx" / "lantern.conf"
POSTGRES_ADMIN_URL = os.environ.get(
    "LANTERN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("LANTERN_SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13")
#: The whole run must end within this many seconds (each wait below is bounded by it).
DEADLINE = 150.0
MISSING = 3

REFERENCE = re.compile(r'<p class="secret">(LNT-[0-9A-Z]{4}-[0-9A-Z]{4})</p>')
SECRET = re.compile(r'<p class="secret">([0-9A-Z]{4}(?:-[0-9A-Z]{4}){2,})</p>')
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')

#: What the smoke resident types: none of it may reach a log.
PERSONAL = {
    "narrative": "Smoke test: the officer took my bicycle (marker-smk-7qz).",
    "location": "Corner of Smoke Street and Main (marker-loc-7qz)",
    "name": "Smoke Resident Qz",
    "email": "smoke.resident.qz@example.org",
    "phone": "+1 555 017 7777",
}
ANSWERS = {
    "incident_date": "2026-02-27",
    "district": "D03",
    "categories": ["force"],
    "role": "self",
    "contact_method": "email",
    "language": "en",
    "age_band": "35_44",
    "gender": "woman",
    "race": "latino",
    "consent": "y",
    "submit": "Send my complaint",
}


class Missing(Exception):
    """A component the smoke test needs is not installed or not running."""


class Failed(Exception):
    """The production configuration did not behave."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def say(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Run:
    """One smoke run: its folder, ports, processes and deadline."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.start = time.monotonic()
        self.app_port, self.https_port, self.http_port = free_port(), free_port(), free_port()
        self.work = base / "srv"  # the service's working directory (build/site lives here)
        self.instance = self.work / "instance"
        self.keys = base / "keys"
        self.logs = base / "logs"

    def remaining(self) -> float:
        left = DEADLINE - (time.monotonic() - self.start)
        if left <= 0:
            raise Failed(f"the smoke run took more than {DEADLINE:.0f} s")
        return left


# --- components ------------------------------------------------------------------------------


def find_nginx() -> str:
    found = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).is_file():
        raise Missing("nginx is not installed (apt-get install nginx; make system-deps does it)")
    return found


def require_tools() -> str:
    if not shutil.which("openssl"):
        raise Missing("openssl is not installed")
    return find_nginx()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped at the end."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from portal.db import make_engine, normalize_url

    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"lantern_smoke_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        raise Missing(f"PostgreSQL at {POSTGRES_ADMIN_URL}: {type(error).__name__}") from None
    try:
        url = make_url(normalize_url(POSTGRES_ADMIN_URL)).set(database=name)
        yield url.render_as_string(hide_password=False)
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


@contextmanager
def redis_database() -> Iterator[object]:
    """The smoke's own Redis database number, emptied before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as error:
        raise Missing(f"Redis at {REDIS_URL}: {type(error).__name__}") from None
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


# --- files -----------------------------------------------------------------------------------


def write_secret(path: Path, value: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return path


def make_certificate(run: Run) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1, valid one day."""
    cert, key = run.base / "tls" / "cert.pem", run.base / "tls" / "key.pem"
    cert.parent.mkdir(mode=0o755)
    subprocess.run(  # noqa: S603
        [
            shutil.which("openssl") or "openssl", "req", "-x509",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def nginx_config(run: Run, cert: Path, key: Path) -> Path:
    """``deploy/nginx/lantern.conf`` with loopback ports, this run's certificate and log paths,
    inside a main configuration of its own (pid, temp folders, error log under the run)."""
    site = NGINX_SITE.read_text()
    replacements = [
        (r"listen 80;", f"listen 127.0.0.1:{run.http_port};"),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{run.https_port} ssl http2;"),
        (r"\n\s*listen \[::\]:\d+[^;]*;", ""),
        (r"ssl_certificate \S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};"),
        (r"/var/log/nginx/", f"{run.logs}/"),
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{run.app_port};"),
        # The proxy connects from another loopback address, so the portal can only see the
        # client's 127.0.0.1 through X-Forwarded-For.
        (r"proxy_pass http://lantern_portal;", "proxy_pass http://lantern_portal;\n"
         "        proxy_bind 127.0.0.2;"),
    ]  # fmt: skip
    for pattern, replacement in replacements:
        site, count = re.subn(pattern, replacement, site)
        check(count, f"deploy/nginx/lantern.conf no longer has {pattern!r}")
    temp = run.base / "nginx"
    main = f"""
daemon off;
worker_processes 1;
pid {temp}/nginx.pid;
error_log {run.logs}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    {site}
}}
"""
    path = temp / "nginx.conf"
    path.write_text(main)
    return path


# --- processes -------------------------------------------------------------------------------


def lantern(*args: str) -> list[str]:
    return [sys.executable, "-m", "portal", *args]


def wait_for(
    url: str, run: Run, process: subprocess.Popen[bytes], name: str, **kwargs: object
) -> None:
    import requests

    while True:
        if process.poll() is not None:
            raise Failed(f"{name} exited with {process.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=2, **kwargs).status_code == 200:  # type: ignore[arg-type]
                return
        except requests.RequestException:
            pass
        if run.remaining() < 1:
            raise Failed(f"{url} did not answer in time")
        time.sleep(0.2)


@contextmanager
def started(command: list[str], log: Path, **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` in its own process group with output to ``log``; on exit stop it
    (SIGTERM, then SIGKILL after 15 s) and everything it started."""
    with log.open("wb") as handle:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )  # type: ignore[call-overload]
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        with suppress(ProcessLookupError):  # the mail drainer, if the master left it behind
            os.killpg(process.pid, signal.SIGKILL)


# --- the run ---------------------------------------------------------------------------------


def production_env(run: Run, database_url: str) -> dict[str, str]:
    keys = {
        name: write_secret(run.keys / name.lower(), secrets.token_urlsafe(48))
        for name in ("SECRET_KEY", "ACCESS_CODE_KEY", "PSEUDONYM_KEY")
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    env.update(
        {
            "LANTERN_ENV": "production",
            "LANTERN_INSTANCE_PATH": str(run.instance),
            "LANTERN_DATABASE_URL": database_url,
            "LANTERN_REDIS_URL": REDIS_URL,
            "LANTERN_TRUST_PROXY": "true",
            "LANTERN_PUBLIC_BASE_URL": f"https://127.0.0.1:{run.https_port}",
            "LANTERN_MAIL_FROM": "Office of Police Oversight <complaints@example.org>",
            "PYTHONPATH": str(ROOT),
            **{f"LANTERN_{name}_FILE": str(path) for name, path in keys.items()},
        }
    )
    return env


def refuses_without_a_secret(run: Run, env: dict[str, str]) -> None:
    without = {k: v for k, v in env.items() if k != "LANTERN_SECRET_KEY_FILE"}
    result = subprocess.run(  # noqa: S603
        lantern("serve", "--port", str(run.app_port)),
        env=without,
        cwd=run.work,
        capture_output=True,
        text=True,
        timeout=run.remaining(),
    )
    check(result.returncode == 2, f"serve without a secret exited {result.returncode}, not 2")
    check("LANTERN_SECRET_KEY" in result.stderr, "serve did not name the missing secret")
    check(not (run.instance / "secret_key").exists(), "production generated a secret key file")
    say("production refuses to start without LANTERN_SECRET_KEY")


def doctor(run: Run, env: dict[str, str]) -> None:
    import json

    result = subprocess.run(  # noqa: S603
        lantern("doctor", "--json", "--min-free-mb", "1"),
        env=env,
        cwd=run.work,
        capture_output=True,
        text=True,
        timeout=run.remaining(),
    )
    report = json.loads(result.stdout)
    problems = [f for f in report["findings"] if f["status"] == "problem"]
    check(result.returncode == 0 and not problems, f"lantern doctor found problems: {problems}")
    say(f"lantern doctor: {report['status']} ({len(report['findings'])} checks, no problem)")


def journey(run: Run, cert: Path, redis_client: object) -> tuple[str, str]:
    """The resident's and the visitor's journey over HTTPS through nginx."""
    import requests

    base = f"https://127.0.0.1:{run.https_port}"
    web = requests.Session()
    web.trust_env = False  # only this run's certificate, no proxy from the environment
    web.verify = str(cert)

    home = web.get(base + "/", timeout=10)
    check(home.status_code == 200, f"home page answered {home.status_code}")
    check("max-age=" in home.headers.get("Strict-Transport-Security", ""), "no HSTS over HTTPS")
    check(home.headers.get("Server") == "nginx", "the answer did not come through nginx")

    redirect = requests.get(
        f"http://127.0.0.1:{run.http_port}/complaint", allow_redirects=False, timeout=10
    )
    check(redirect.status_code == 301, "http:// was not redirected")
    check(redirect.headers["Location"].startswith("https://"), "http:// not sent to https://")

    form = web.get(base + "/complaint", timeout=10)
    check(form.status_code == 200, f"the complaint form answered {form.status_code}")
    cookie = form.headers.get("Set-Cookie", "")
    check("lantern_session=" in cookie and "Secure" in cookie, "the session cookie is not Secure")
    token, key = CSRF.search(form.text), KEY.search(form.text)
    check(token and key, "no CSRF token or idempotency key in the form")
    assert token and key
    data = {**ANSWERS, **PERSONAL, "csrf_token": token.group(1), "idempotency_key": key.group(1)}
    refused = web.post(base + "/complaint", data={**data, "csrf_token": "x"}, timeout=30)
    check(refused.status_code == 400, f"a wrong CSRF token got {refused.status_code}, not 400")
    sent = web.post(base + "/complaint", data=data, allow_redirects=False, timeout=30)
    check(sent.status_code == 303, f"filing answered {sent.status_code}, not 303")
    receipt = web.get(base + "/complaint/receipt", timeout=10)
    reference, code = REFERENCE.search(receipt.text), SECRET.search(receipt.text)
    check(reference and code, "the receipt shows no reference or access code")
    assert reference and code
    say(f"filed a complaint through the form ({reference.group(1)[:4]}…)")

    lookup_page = requests.Session()
    lookup_page.trust_env = False
    lookup_page.verify = str(cert)
    page = lookup_page.get(base + "/status", timeout=10)
    token = CSRF.search(page.text)
    check(token, "no CSRF token on the status page")
    assert token
    found = lookup_page.post(
        base + "/status",
        data={
            "csrf_token": token.group(1),
            "reference": reference.group(1),
            "access_code": code.group(1),
        },
        timeout=10,
    )
    check(found.status_code == 200 and "Your complaint" in found.text, "the lookup failed")
    check(found.headers.get("Cache-Control") == "no-store", "the status page may be cached")
    say("looked the complaint up with its reference and access code")

    staff = web.get(base + "/staff/auth/sign-in", timeout=10)
    check(staff.status_code == 200 and 'name="csrf_token"' in staff.text, "no staff sign-in page")
    site = web.get(base + "/data/", timeout=10)
    check(site.status_code == 200 and "Smoke statistics" in site.text, "/data/ is not the site")
    check("'unsafe-inline'" in site.headers["Content-Security-Policy"], "/data/ lacks its CSP")
    health = web.get(base + "/healthz", timeout=10)
    check(health.status_code == 200 and health.text == "ok\n", "/healthz is not ok")
    say("staff sign-in page, /data/ and /healthz answer through the proxy")

    keys = [k.decode() for k in redis_client.scan_iter(count=1000)]  # type: ignore[attr-defined]
    check(any("127.0.0.1" in k for k in keys), f"no rate-limit key for the client: {keys}")
    check(not any("127.0.0.2" in k for k in keys), "rate limits counted the proxy's address")
    say("X-Forwarded-For honoured: rate limits count the client, not the proxy")
    return reference.group(1), code.group(1)


def receipt_email_sent(run: Run) -> None:
    outbox = run.instance / "outbox"
    while not list(outbox.glob("*.eml")):
        check(run.remaining() > 1, "the mail drainer sent no receipt email")
        time.sleep(0.5)
    say("the mail drainer sent the receipt email")


def logs_hold_nothing_personal(run: Run, secrets_typed: list[str]) -> None:
    logs = {path.name: path.read_text(errors="replace") for path in run.logs.glob("*.log")}
    check('"POST /complaint" 303' in logs["lantern.log"], "gunicorn's access log is missing")
    check('"POST /complaint" 303' in logs["lantern-access.log"], "nginx's access log is missing")
    for name, text in logs.items():
        for value in secrets_typed:
            check(value.lower() not in text.lower(), f"{name} contains what the resident typed")
    check("127.0.0.1" not in logs["lantern-access.log"], "nginx logged the client's address")
    say("no personal data, reference or access code in gunicorn's or nginx's logs")


def smoke(base: Path) -> None:
    run = Run(base)
    nginx = require_tools()
    for folder in (run.keys, run.logs):
        folder.mkdir(mode=0o700)
    (base / "nginx").mkdir(mode=0o755)
    base.chmod(0o755)  # nginx's workers (nobody, when run as root) reach their temp folders
    site = run.work / "build" / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>Smoke statistics</title>\n")
    cert, key = make_certificate(run)
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database())
        redis_client = stack.enter_context(redis_database())
        env = production_env(run, database_url)
        refuses_without_a_secret(run, env)
        subprocess.run(  # noqa: S603
            lantern("db", "upgrade"), env=env, cwd=run.work, check=True, capture_output=True,
            timeout=run.remaining(),
        )  # fmt: skip
        run.instance.mkdir(mode=0o700)  # the instance volume and the uploads folder, as the
        (run.instance / "uploads").mkdir(mode=0o700)  # guide says
        doctor(run, env)
        portal = stack.enter_context(
            started(
                lantern("serve", "--host", "127.0.0.1", "--port", str(run.app_port),
                        "--workers", "2", "--no-migrate"),
                run.logs / "lantern.log", env=env, cwd=run.work,
            )
        )  # fmt: skip
        wait_for(f"http://127.0.0.1:{run.app_port}/healthz", run, portal, "lantern serve")
        proxy = stack.enter_context(
            started(
                [nginx, "-e", str(run.logs / "nginx-error.log"), "-p", str(base / "nginx"),
                 "-c", str(nginx_config(run, cert, key))],
                run.logs / "nginx-stdout.log",
            )
        )  # fmt: skip
        wait_for(
            f"https://127.0.0.1:{run.https_port}/healthz", run, proxy, "nginx", verify=str(cert)
        )
        say(f"nginx (TLS) → gunicorn (2 workers), up after {time.monotonic() - run.start:.1f} s")
        reference, code = journey(run, cert, redis_client)
        receipt_email_sent(run)
        stack.close()  # stop nginx and gunicorn so every log line is written
        logs_hold_nothing_personal(run, [*PERSONAL.values(), reference, code])
    say(f"passed in {time.monotonic() - run.start:.1f} s")


def main() -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    base = Path(tempfile.mkdtemp(prefix="lantern-smoke-"))

    def out_of_time(_signal: int, _frame: object) -> None:
        raise Failed(f"the smoke run took more than {DEADLINE:.0f} s")

    # A hard stop even inside a blocked call: the cleanup below still runs.
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(DEADLINE) + 10)
    try:
        smoke(base)
    except Missing as error:
        print(f"smoke: MISSING {error}", file=sys.stderr)
        return MISSING
    except Exception as error:
        import traceback

        if not isinstance(error, Failed):
            traceback.print_exc()
        print(f"smoke: FAILED {error}", file=sys.stderr)
        for log in sorted((base / "logs").glob("*.log")):
            print(f"--- {log.name} (last lines)", file=sys.stderr)
            print("\n".join(log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
