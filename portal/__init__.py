"""Lantern's portal: the Flask app factory and nothing else at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask is imported inside create_app: the publisher imports portal.models
    from flask import Flask


#: One Babel catalog per area (relative to this package), so areas are translated independently;
#: Flask-Babel merges them. ``make translations`` compiles each.
TRANSLATION_DIRECTORIES = (
    "translations",
    "intake/translations",
    "status/translations",
    "backoffice/translations",
)


def create_app(
    test_config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Flask:
    """Build the portal app.

    ``environ`` (default ``os.environ``) supplies ``LANTERN_*`` settings; ``test_config`` overrides
    any key afterwards. In production mode missing secrets raise ``ConfigError``; locally they are
    generated once into ``instance/``.
    """
    from flask import Flask

    from portal.config import (
        check_production,
        default_folders,
        ensure_secret_file,
        load_config,
        parse_districts,
    )

    environ = os.environ if environ is None else environ
    instance_path = Path(environ.get("LANTERN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.config.update(load_config(environ, instance_path))
    if test_config:
        app.config.update(test_config)
    check_production(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_file(instance_path, "secret_key")
    if not app.config.get("ACCESS_CODE_KEY"):
        app.config["ACCESS_CODE_KEY"] = ensure_secret_file(instance_path, "access_code_key")
    for key, folder in default_folders(instance_path).items():
        app.config.setdefault(key, folder)
    if not app.config.get("RELEASES_FOLDER"):  # where `lantern publish` writes by default
        app.config["RELEASES_FOLDER"] = str(Path.cwd() / "data_releases")
    app.config["LANGUAGE_CODES"] = [c.strip() for c in app.config["LANGUAGES"].split(",")]
    app.config["DISTRICT_CHOICES"] = parse_districts(app.config["DISTRICTS"])
    from portal.choices import parse_subset
    from portal.vocabulary import AllegationCategory, Discipline

    app.config["CATEGORY_VALUES"] = parse_subset(
        app.config["ALLEGATION_CATEGORIES"], AllegationCategory, "ALLEGATION_CATEGORIES"
    )
    app.config["DISCIPLINE_VALUES"] = parse_subset(
        app.config["DISCIPLINE_OUTCOMES"], Discipline, "DISCIPLINE_OUTCOMES"
    )
    from portal.services.early_warning import load_rules

    # A wrong rules file stops the app here, with the rule and key named, not at a supervisor.
    app.config["EARLY_WARNING"] = load_rules(app.config["EARLY_WARNING_RULES"] or None)
    from portal.services.retention import load_schedule

    app.config["RETENTION"] = load_schedule(app.config["RETENTION_SCHEDULE"] or None)
    app.config["MAX_CONTENT_LENGTH"] = app.config["UPLOAD_MAX_TOTAL_BYTES"] + 1024 * 1024
    # One catalog per area so areas can be translated independently; Flask-Babel merges them.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(TRANSLATION_DIRECTORIES)
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # a resident may take an hour over the form
    # In process without Redis: limits' memory storage minus its timer thread (portal/ratelimit.py)
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "lantern-memory://"
    app.config["RATELIMIT_HEADERS_ENABLED"] = True

    if app.config["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    from portal.extensions import init_extensions
    from portal.i18n import init_i18n
    from portal.request_db import init_db
    from portal.security import init_security

    init_security(app)
    init_extensions(app)
    init_i18n(app)
    init_db(app)

    from portal import auth, backoffice, errors, intake, main, status

    for blueprint in (main.bp, intake.bp, status.bp, auth.bp, backoffice.bp):
        app.register_blueprint(blueprint)
    errors.init_errors(app)
    return app
