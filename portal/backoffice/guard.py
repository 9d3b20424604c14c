"""The staff area's guard: who may open which /staff page.

Two layers, both fail closed:

1. ``guard_request`` runs before EVERY request to the ``backoffice`` blueprint (installed by
   ``portal/backoffice/__init__.py``). It redirects to sign-in unless a signed-in, two-factor
   verified, active staff member with a live session is present (``g.staff``), refuses (403) a
   view that did not declare ``requires(...)``, and refuses (403) a staff member whose role lacks
   any permission the view requires.
2. ``requires(*permissions)`` declares a view's permissions (attribute ``required_permissions``,
   read by the guard, the navigation and the meta-test) and checks them again when called.

Usage (the decorator goes *under* the route, so the registered function carries it)::

    @bp.route("/cases/<int:case_id>")
    @requires(Permission.CASE_VIEW)
    def case(case_id: int) -> str: ...

``requires()`` with no permission means "any signed-in staff member" (e.g. the staff home page).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal.auth import session as staff_session
from portal.services.permissions import Permission, has_all

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute a view function carries with the permissions it needs.
ATTRIBUTE = "required_permissions"


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Declare (and enforce) the permissions a backoffice view needs; all must be granted.

    The wrapped view gets ``required_permissions`` (a frozenset). When the signed-in staff
    member's role lacks one, the view is not called and a 403 staff page is returned.
    """
    for permission in permissions:
        if not isinstance(permission, Permission):
            raise TypeError(f"requires() takes Permission members, not {permission!r}")
    needed = frozenset(permissions)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = g.get("staff")
            if staff is None or not has_all(staff.role, needed):
                return forbidden()
            return view(*args, **kwargs)

        setattr(wrapper, ATTRIBUTE, needed)
        return wrapper  # type: ignore[return-value]

    return decorate


def required_permissions(view: Callable[..., Any] | None) -> frozenset[Permission] | None:
    """The permissions ``view`` declared with ``requires``, or None when it declared none."""
    if view is None:
        return None
    value = getattr(view, ATTRIBUTE, None)
    return value if isinstance(value, frozenset) else None


def forbidden() -> tuple[str, int]:
    """The staff 403 page."""
    return render_template("backoffice/forbidden.html"), 403


def sign_in_redirect() -> Response:
    """Redirect to staff sign-in, coming back to this page (GET only) afterwards."""
    target = request.full_path if request.method == "GET" else None
    if target and target.endswith("?"):
        target = target[:-1]
    return redirect(url_for("auth.sign_in", next=target) if target else url_for("auth.sign_in"))


def guard_request() -> Response | tuple[str, int] | None:
    """``before_request`` of the backoffice blueprint: sign-in, declared and granted permissions.

    Sets ``g.staff`` to the current ``Staff`` when it lets the request through.
    """
    staff = staff_session.current_staff()
    if staff is None:
        return sign_in_redirect()
    g.staff = staff
    view = current_app.view_functions.get(request.endpoint or "")
    needed = required_permissions(view)
    if needed is None:
        # Fail closed: a staff page that forgot to declare its permissions is never served.
        current_app.logger.error("backoffice endpoint %s has no requires()", request.endpoint)
        return forbidden()
    if not has_all(staff.role, needed):
        return forbidden()
    return None


def staff_can(*permissions: Permission | str) -> bool:
    """Template helper: whether the signed-in staff member has every one of ``permissions``."""
    staff = g.get("staff")
    if staff is None:
        return False
    return has_all(staff.role, tuple(Permission(p) for p in permissions))


def can_open(endpoint: str) -> bool:
    """Template helper: whether ``endpoint`` exists and the signed-in staff member may open it."""
    staff = g.get("staff")
    needed = required_permissions(current_app.view_functions.get(endpoint))
    return staff is not None and needed is not None and has_all(staff.role, needed)
