"""Views of the staff area. Each feature lives in its own module and registers its routes on
``bp`` when imported here (one import line per module; add yours)."""

from portal.backoffice import account, admin, home  # noqa: F401
from portal.backoffice import queue  # noqa: F401
from portal.backoffice import case  # noqa: F401
