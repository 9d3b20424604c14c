"""Lessons learned from the residents' satisfaction survey: answers counted per question for a
period, and the free comments — without personal data.

Small counts: a count from 1 to ``threshold - 1`` is shown as ``"<N"``, and when a question
would have exactly one such answer, the next smallest count is withheld too (``"withheld"``), so
the small one cannot be worked out from the total.

Comments are shown only when the period has at least ``threshold`` responses (a comment must
not point at one known case), with the month they came in (never the day or the case), and with
e-mail addresses, phone numbers, reference numbers and web addresses replaced by ``[removed]``.
Names in free text cannot be found reliably: the page therefore goes only to staff who may read
cases (``Permission.CASE_VIEW``), and every view is audited.

No Flask here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import SurveyResponse

Count = int | str
REMOVED = "[removed]"
WITHHELD = "withheld"  # a count hidden only so that a small one cannot be worked out
QUESTIONS = ("ease", "kept_informed", "treated_fairly")
SURVEY_VIEW = "survey.view"

_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"(?:https?://|www\.)\S+", re.I),  # web addresses
    re.compile(r"\bLNT[-\s]?[0-9A-Z]{4}[-\s]?[0-9A-Z]{4}\b", re.I),  # reference numbers
    re.compile(r"\+?\d[\d\s().-]{5,}\d"),  # phone numbers and other long digit runs
]


def redact(text: str) -> str:
    """``text`` with contact details, reference numbers and web addresses removed."""
    for pattern in _PATTERNS:
        text = pattern.sub(REMOVED, text)
    return text.strip()


def withhold(counts: dict[str, int], threshold: int) -> dict[str, Count]:
    """Counts with small ones withheld, plus one more when only one would be (see module)."""
    small = {k for k, v in counts.items() if 0 < v < threshold}
    extra: set[str] = set()
    if len(small) == 1:
        others = sorted((v, k) for k, v in counts.items() if v > 0 and k not in small)
        if others:
            extra.add(others[0][1])
    return {
        k: (f"<{threshold}" if k in small else WITHHELD if k in extra else v)
        for k, v in counts.items()
    }


@dataclasses.dataclass(frozen=True, slots=True)
class SurveySummary:
    """The survey for one period."""

    start: dt.date
    end: dt.date
    threshold: int
    responses: int
    ratings: dict[str, dict[str, Count]]  # question → answer ("1".."5", "none") → count
    would_recommend: dict[str, Count]  # "yes", "no", "none" → count
    comments: list[tuple[str, str]] | None  # (month, redacted text); None: too few responses


def survey_summary(
    session: Session, *, start: dt.date, end: dt.date, threshold: int = 5
) -> SurveySummary:
    """Survey answers submitted from ``start`` up to (not including) ``end``. Read only."""
    since = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC)
    window = (SurveyResponse.submitted_at >= since, SurveyResponse.submitted_at < until)
    responses = int(
        session.scalar(select(func.count()).select_from(SurveyResponse).where(*window)) or 0
    )
    ratings: dict[str, dict[str, Count]] = {}
    for name in QUESTIONS:
        column = getattr(SurveyResponse, name)
        raw = {str(k): 0 for k in range(1, 6)} | {"none": 0}
        for value, n in session.execute(
            select(column, func.count()).where(*window).group_by(column)
        ):
            raw["none" if value is None else str(value)] = int(n)
        ratings[name] = withhold(raw, threshold)
    recommend = {"yes": 0, "no": 0, "none": 0}
    for value, n in session.execute(
        select(SurveyResponse.would_recommend, func.count())
        .where(*window)
        .group_by(SurveyResponse.would_recommend)
    ):
        recommend["none" if value is None else ("yes" if value else "no")] = int(n)
    comments: list[tuple[str, str]] | None = None
    if responses >= threshold:
        rows = session.execute(
            select(SurveyResponse.submitted_at, SurveyResponse.comment)
            .where(*window, SurveyResponse.comment.is_not(None))
            .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        )
        comments = [
            (at.strftime("%Y-%m"), redact(text)) for at, text in rows if text and text.strip()
        ]
    return SurveySummary(
        start=start,
        end=end,
        threshold=threshold,
        responses=responses,
        ratings=ratings,
        would_recommend=withhold(recommend, threshold),
        comments=comments,
    )


def case_survey(session: Session, complaint_id: int) -> SurveyResponse | None:
    """The survey answered for one case, if any."""
    return session.scalar(select(SurveyResponse).where(SurveyResponse.complaint_id == complaint_id))


__all__ = [
    "QUESTIONS",
    "SURVEY_VIEW",
    "SurveySummary",
    "case_survey",
    "redact",
    "survey_summary",
    "withhold",
]
