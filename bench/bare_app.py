"""The benchmark's yardsticks: a minimal Flask app with none of the portal's machinery.

Three routes, served by gunicorn next to the real portal in ``bench/portal.py``:

- ``GET /ceiling`` — a constant response: what Flask + gunicorn can do at all on this machine.
- ``POST /lookup`` — reads one complaint row by ``reference`` (form field) with plain SQLAlchemy,
  through the same engine settings as the portal (``portal.db.make_engine``): the floor the full
  status page is compared with.
- ``POST /insert`` — inserts one minimal complaint row in its own write transaction: the floor
  complaint submission is compared with.

No CSRF, no rate limit, no template, no security headers, on purpose: they are what the
benchmark measures the cost of. Serve it with
``gunicorn --pythonpath bench 'bare_app:create_bare_app()'`` and ``BENCH_DATABASE_URL`` set.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets

from flask import Flask, Response, abort, request
from sqlalchemy import select

from portal.db import begin_write, make_engine, session_factory, transaction
from portal.models import Complaint
from portal.vocabulary import Channel


def create_bare_app(database_url: str | None = None) -> Flask:
    """Build the bare benchmark app on ``database_url`` (default: ``BENCH_DATABASE_URL``).

    Raises ``KeyError`` when neither is given. The database must already be migrated.
    """
    url = database_url or os.environ["BENCH_DATABASE_URL"]
    app = Flask(__name__)
    factory = session_factory(make_engine(url))

    @app.get("/ceiling")
    def ceiling() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @app.post("/lookup")
    def lookup() -> Response:
        reference = request.form.get("reference", "")
        with transaction(factory) as session:
            row = session.execute(
                select(Complaint.reference, Complaint.state, Complaint.received_at).where(
                    Complaint.reference == reference
                )
            ).first()
        if row is None:
            abort(404)
        body = f"{row.reference} {row.state.value} {row.received_at.isoformat()}\n"
        return Response(body, mimetype="text/plain")

    @app.post("/insert")
    def insert() -> Response:
        now = dt.datetime.now(dt.UTC)
        with transaction(factory) as session:
            begin_write(session)
            # Random, not sequential: the same unique-index work a real reference causes.
            complaint = Complaint(
                reference="BNC-" + secrets.token_hex(6).upper(),
                channel=Channel.ONLINE,
                received_at=now,
                created_at=now,
                updated_at=now,
                narrative=request.form.get("narrative", ""),
            )
            session.add(complaint)
        return Response("created\n", status=201, mimetype="text/plain")

    return app
