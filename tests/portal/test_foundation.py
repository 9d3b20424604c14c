"""The foundation: migrations, configuration, security headers, language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy import Engine
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from portal import create_app
from portal.config import ConfigError
from portal.forms import LanternForm
from portal.migrate import alembic_config, include_object
from portal.models import Base


def test_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_migrations_produce_exactly_the_models_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"migrations and models differ: {diff}"


def test_production_mode_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        create_app(environ={"LANTERN_ENV": "production", "LANTERN_INSTANCE_PATH": str(tmp_path)})
    message = str(error.value)
    assert "LANTERN_SECRET_KEY" in message
    assert "LANTERN_REDIS_URL" in message


def test_every_page_has_strict_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_language_follows_the_browser_and_the_switcher(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Quejas sobre la conducta policial" in page  # the compiled catalog is in use
    assert "Complaints about police conduct" not in page
    client.get("/language/en?next=/")
    page = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    response = client.get("/language/es?next=//evil.example/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_rate_limit_hit_logs_no_client_address(caplog: pytest.LogCaptureFixture) -> None:
    """Flask-Limiter logs each breach with its key; the key (an address) must not reach the log."""
    from flask import Flask

    from portal.extensions import init_extensions, limiter

    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", RATELIMIT_STORAGE_URI="memory://", LANGUAGE_CODES=["en"])
    init_extensions(app)

    @app.get("/limited")
    @limiter.limit("1 per minute")
    def limited() -> str:
        return "ok"

    client = app.test_client()
    address = {"REMOTE_ADDR": "203.0.113.77"}
    with caplog.at_level("DEBUG"):
        assert client.get("/limited", environ_base=address).status_code == 200
        assert client.get("/limited", environ_base=address).status_code == 429
    assert any("exceeded" in r.getMessage() for r in caplog.records)  # the event is kept
    assert "203.0.113.77" not in caplog.text


def test_template_translations_escape_what_they_interpolate(app: Flask) -> None:
    # The templates' _() is Lantern's own one-call version of Jinja2's newstyle gettext: same
    # contract, a translated string with user data escaped into it, "%%" a literal percent.
    source = (
        '{{ _("Received") }}|{{ _("The file %(name)s is empty.", name=name) }}|{{ _("100%%") }}'
    )
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        page = render_template_string(source, name="<script>x</script>")
    received, empty_file, percent = page.split("|")
    assert received == "Recibida"
    assert "&lt;script&gt;x&lt;/script&gt;" in empty_file and "<script>" not in empty_file
    assert empty_file.startswith("El archivo")
    assert percent == "100%"


def test_dates_are_written_in_the_readers_language(app: Flask) -> None:
    day = dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.UTC)
    source = '{{ day|dateformat("long") }}'
    for language, expected in (("en", "March 5, 2026"), ("es", "5 de marzo de 2026")):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            assert render_template_string(source, day=day) == expected


def test_the_statistics_site_gets_its_own_single_policy(app: Flask, client: FlaskClient) -> None:
    site = Path(app.config["SITE_FOLDER"])
    site.mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><title>Statistics</title>")
    response = client.get("/data/")
    response.close()  # a file response
    assert response.status_code == 200
    policies = response.headers.getlist("Content-Security-Policy")
    assert len(policies) == 1  # the portal's stricter policy is not added beside it
    assert "style-src 'self' 'unsafe-inline'" in policies[0]
    assert "frame-ancestors 'none'" in policies[0]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_wtforms_own_messages_follow_the_readers_language(app: Flask) -> None:
    # Messages WTForms writes itself (no Lantern message given) are in the page's language too.
    class Choice(LanternForm):
        colour = SelectField(choices=[SelectChoice("red", "Red")])

    for language, expected in (("es", "Opción inválida."), ("en", "Not a valid choice.")):
        with app.test_request_context(
            "/", method="POST", data={"colour": "blue"}, headers={"Accept-Language": language}
        ):
            form = Choice(meta={"csrf": False})
            assert not form.validate()
            assert form.colour.errors == [expected]


def test_one_readers_language_never_leaks_into_the_next_readers_page(client: FlaskClient) -> None:
    # Macros live in imported template modules that Jinja2 keeps between renders: their words
    # must still follow each request's language.
    pages = {
        language: client.get("/complaint", headers={"Accept-Language": language}).get_data(
            as_text=True
        )
        for language in ("es", "en", "es")
    }
    assert "(opcional)" not in pages["en"] and "(optional)" in pages["en"]
    assert "(optional)" not in pages["es"] and "(opcional)" in pages["es"]
