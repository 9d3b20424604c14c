"""What each staff role may do: the permission table, in one place, with no Flask.

Least privilege: a role gets only what its job needs. The admin runs accounts and reads the audit
trail but never sees a complaint's personal data; the commissioner reads closed cases without the
complainant's identity and aggregate reports, and decides appeals, nothing else.

Views in the staff area declare what they need with ``portal.backoffice.guard.requires``; the
meta-test (tests/portal/test_permissions.py) proves every endpoint against every role using
``ROLE_PERMISSIONS``. To add a permission: add a member here, grant it in ``ROLE_PERMISSIONS``,
and document it in the README's permission table.
"""

from __future__ import annotations

from enum import StrEnum

from portal.vocabulary import StaffRole


class Permission(StrEnum):
    """One thing a staff member may be allowed to do."""

    CASE_QUEUE = "case.queue"  # see the case queue
    CASE_VIEW = "case.view"  # open a case with its personal data
    CASE_VIEW_ANONYMIZED = "case.view_anonymized"  # closed cases without complainant identity
    CASE_ENTER = "case.enter"  # staff intake: phone, email, letter, walk-in
    CASE_SCREEN = "case.screen"  # screening decision (investigate, resolve, refer, decline)
    CASE_ASSIGN = "case.assign"  # assign an investigator
    CASE_INVESTIGATE = "case.investigate"  # activities, notes, officers, allegations, recommended
    CASE_DECIDE = "case.decide"  # final findings, discipline, close
    CASE_MESSAGE = "case.message"  # message the complainant
    CASE_LINK = "case.link"  # link duplicate / related complaints
    CASE_SEARCH = "case.search"  # find any case by name, contact, officer, words (audited)
    CASE_CORRECT = "case.correct"  # correct a complaint's details after filing (history kept)
    ACCESS_CODE_REISSUE = "access_code.reissue"  # new access code after verifying identity
    REFERRAL_DIRECTORY = "referral.directory"  # maintain the agencies and service providers
    APPEAL_DECIDE = "appeal.decide"  # decide a complainant's appeal
    REPORT_VIEW = "report.view"  # internal trend report (management)
    REPORT_VIEW_AGGREGATE = "report.view_aggregate"  # aggregate / anonymized report only
    REPORT_COMMISSION = "report.commission"  # commission report from the published release
    AUDIT_READ = "audit.read"  # read and export the audit trail
    STAFF_MANAGE = "staff.manage"  # add, disable, enable, reset staff accounts
    OFFICER_EARLY_WARNING = "officer.early_warning"  # early-warning flags and the cases behind
    OFFICER_MATCH = "officer.match"  # confirm or reject imported officers' roster matches
    RECORDS_SCHEDULE = "records.schedule"  # see which cases are due for disposal, and the holds
    RECORDS_HOLD = "records.hold"  # set or release a legal hold on a case
    RECORDS_SUBJECT_REQUEST = "records.subject_request"  # export or erase one complainant's data
    LETTERS_PRINT = "letters.print"  # print queued letters to complainants, mark them mailed


P = Permission

ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.INTAKE: frozenset(
        {
            P.CASE_QUEUE,
            P.CASE_VIEW,
            P.CASE_ENTER,
            P.CASE_SCREEN,
            P.CASE_MESSAGE,
            P.CASE_LINK,
            P.REFERRAL_DIRECTORY,
            P.CASE_SEARCH,
            P.CASE_CORRECT,
            P.ACCESS_CODE_REISSUE,
            P.LETTERS_PRINT,
        }
    ),
    StaffRole.INVESTIGATOR: frozenset(
        {P.CASE_QUEUE, P.CASE_VIEW, P.CASE_INVESTIGATE, P.CASE_MESSAGE, P.CASE_LINK}
        | {P.CASE_SEARCH, P.CASE_CORRECT}
    ),
    StaffRole.SUPERVISOR: frozenset(
        {
            P.CASE_QUEUE,
            P.CASE_VIEW,
            P.CASE_ENTER,
            P.CASE_SCREEN,
            P.CASE_ASSIGN,
            P.CASE_INVESTIGATE,
            P.CASE_DECIDE,
            P.CASE_MESSAGE,
            P.CASE_LINK,
            P.REFERRAL_DIRECTORY,
            P.APPEAL_DECIDE,
            P.REPORT_VIEW,
            P.REPORT_COMMISSION,
            P.OFFICER_EARLY_WARNING,
            P.OFFICER_MATCH,
            P.RECORDS_SCHEDULE,
            P.RECORDS_HOLD,
            P.RECORDS_SUBJECT_REQUEST,
            P.CASE_SEARCH,
            P.CASE_CORRECT,
            P.ACCESS_CODE_REISSUE,
            P.LETTERS_PRINT,
        }
    ),
    # Runs the system, not the cases: no personal data of any complaint.
    StaffRole.ADMIN: frozenset({P.STAFF_MANAGE, P.AUDIT_READ, P.REPORT_VIEW, P.REFERRAL_DIRECTORY}),
    # Read-only oversight: closed cases without identity, aggregate reports; decides appeals.
    StaffRole.COMMISSIONER: frozenset(
        {P.CASE_VIEW_ANONYMIZED, P.APPEAL_DECIDE, P.REPORT_VIEW_AGGREGATE, P.REPORT_COMMISSION}
    ),
}


def has_permission(role: StaffRole, permission: Permission) -> bool:
    """Whether ``role`` is granted ``permission`` (an unknown role has none)."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def has_all(role: StaffRole, permissions: frozenset[Permission] | tuple[Permission, ...]) -> bool:
    """Whether ``role`` is granted every one of ``permissions`` (true for none)."""
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    return all(permission in granted for permission in permissions)
