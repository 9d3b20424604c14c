"""Find any case (``/staff/search``): full-text search over every case, ranked and paged.

A GET form (no CSRF: it changes nothing but the audit trail), so every results page has its own
address and the page works without JavaScript. Every search is a view of personal data and is
audited by ``portal.services.search.search_cases`` (the query only as a keyed hash).
"""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.forms import LanternForm
from portal.request_db import db_session
from portal.services import search
from portal.services.permissions import Permission

#: What each searchable field is called on the results page.
FIELD_LABELS = {
    "complainant": _l("complainant's name"),
    "email": _l("email address"),
    "phone": _l("phone number"),
    "officer": _l("officer's name"),
    "badge": _l("badge number"),
    "narrative": _l("what happened"),
    "location": _l("location"),
}

PROBLEMS = {
    "empty": _l("Type a name, email address, phone number, badge or some words to look for."),
    "only_excluded": _l(
        "Add at least one word to look for: words with a minus sign only leave cases out."
    ),
    "long": _l("Shorten the search to at most 200 characters and 12 words."),
}


class SearchForm(LanternForm):
    """The search box (read from the query string)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search every case"),
        validators=[Optional(), Length(max=search.MAX_QUERY_LENGTH)],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )


@bp.get("/search")
@requires(Permission.CASE_SEARCH)
def case_search() -> tuple[str, int]:
    """The search page; with ``q``, one page of ranked results (audited)."""
    form = SearchForm(request.args)
    typed = (request.args.get("q") or "").strip()
    results = None
    problem = None
    status = 200
    session = db_session()
    if "q" in request.args:
        try:
            results = search.search_cases(
                session,
                typed,
                actor=g.staff,
                now=clock.utcnow(),
                audit_key=current_app.config["SECRET_KEY"],
                page=request.args.get("page", 1, type=int) or 1,
            )
        except search.SearchError as error:
            problem = PROBLEMS[error.reason]
            form.q.errors = [problem]
            status = 400
    html = render_template(
        "backoffice/search/search.html",
        form=form,
        results=results,
        problem=problem,
        field_labels=FIELD_LABELS,
        args={"q": typed},
        unindexed=search.unindexed_count(session),
    )
    return html, status
