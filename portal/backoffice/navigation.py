"""The staff navigation: one line per page, shown only to staff whose role may open it.

Each feature adds its own line (endpoint, label). A link appears when the endpoint exists and
the signed-in staff member holds every permission the view declared with ``requires`` — so the
navigation can never offer a page the guard would refuse.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: (endpoint, label) in display order.
NAV_ITEMS: list[tuple[str, object]] = [
    ("backoffice.home", _l("Home")),
    ("backoffice.case_queue", _l("Case queue")),
    ("backoffice.case_search", _l("Find a case")),
    ("backoffice.staff_intake", _l("Enter a complaint")),
    ("backoffice.closed_cases", _l("Closed cases")),
    ("backoffice.agency_list", _l("Referral directory")),
    ("backoffice.letters_list", _l("Letters to print")),
    ("backoffice.trend_report", _l("Trend report")),
    ("backoffice.aggregate_report", _l("Aggregate report")),
    ("backoffice.survey_lessons", _l("Survey: lessons learned")),
    ("backoffice.commission_report", _l("Commission report")),
    ("backoffice.early_warning_list", _l("Early warning")),
    ("backoffice.officer_matches", _l("Officer matches")),
    ("backoffice.records_schedule", _l("Records schedule")),
    ("backoffice.staff_list", _l("Staff accounts")),
    ("backoffice.audit_log", _l("Audit trail")),
    ("backoffice.account", _l("Your account")),
]


def staff_nav_items() -> list[tuple[str, object]]:
    """Template helper: the navigation lines (filtered in the template with ``can_open``)."""
    return NAV_ITEMS
