"""Views of the staff area. Each feature lives in its own module and registers its routes on
``bp`` when imported here (one import line per module; add yours)."""

from portal.backoffice import (  # noqa: F401
    account,
    actions,
    admin,
    case,
    commission,
    contact,
    corrections,
    desk,
    directory,
    discipline,
    early_warning,
    evidence,
    home,
    intake,
    letters,
    queue,
    records,
    reports,
    search,
    surveys,
)
