"""``lantern staff ...``: manage staff accounts from the command line.

Commands act as the system (their audit entries have no staff actor). A temporary
password is printed once to the terminal and never logged or stored in clear; the staff member
must replace it, and set up two-factor, at first sign-in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.vocabulary import StaffRole


@contextmanager
def _session() -> Iterator[Session]:
    from portal.cli import database_url
    from portal.db import begin_write, make_engine, session_factory, transaction

    engine = make_engine(database_url())
    try:
        with transaction(session_factory(engine)) as session:
            begin_write(session)
            yield session
    finally:
        engine.dispose()


def _fail(message: str) -> None:
    click.echo(f"lantern staff: {message}", err=True)
    sys.exit(1)


@click.group("staff")
def staff_group() -> None:
    """Staff accounts: add, disable, enable, reset, role, list."""


@staff_group.command("add")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in StaffRole]),
    help="What the account may do (see the permission table in the README).",
)
@click.option("--name", default="", help="Display name shown to colleagues.")
def add(email: str, role: str, name: str) -> None:
    """Add a staff account and print its one-time temporary password."""
    from portal.services import staff as service

    try:
        with _session() as session:
            staff, password = service.add_staff(
                session, email=email, role=StaffRole(role), name=name, actor_id=None, now=utcnow()
            )
            address = staff.email
    except service.StaffError as error:
        _fail(str(error))
        return
    click.echo(f"Added {address} ({role}).")
    click.echo(f"Temporary password (shown once, give it to them privately): {password}")
    click.echo("At first sign-in (/staff/auth/sign-in) they set up two-factor and a new password.")


def _account_command(
    name: str, help_text: str, action: Callable[[Session, object], str | None], done: str
) -> None:
    @staff_group.command(name, help=help_text)
    @click.argument("email")
    def command(email: str) -> None:
        from portal.services import staff as service

        try:
            with _session() as session:
                staff = service.get_staff(session, email)
                secret = action(session, staff)
                address = staff.email
        except service.StaffError as error:
            _fail(str(error))
            return
        click.echo(done.format(email=address))
        if secret:
            click.echo(f"Temporary password (shown once, give it to them privately): {secret}")
            click.echo("At next sign-in they set up two-factor again and choose a new password.")


def _disable(session: Session, staff: object) -> None:
    from portal.models import Staff
    from portal.services import staff as service

    assert isinstance(staff, Staff)
    service.disable_staff(session, staff, actor_id=None, now=utcnow())


def _enable(session: Session, staff: object) -> None:
    from portal.models import Staff
    from portal.services import staff as service

    assert isinstance(staff, Staff)
    service.enable_staff(session, staff, actor_id=None, now=utcnow())


def _reset(session: Session, staff: object) -> str:
    from portal.models import Staff
    from portal.services import staff as service

    assert isinstance(staff, Staff)
    return service.reset_staff(session, staff, actor_id=None, now=utcnow())


_account_command(
    "disable",
    "Disable an account: it can no longer sign in and its sessions end now.",
    _disable,
    "Disabled {email}; every session of the account has ended.",
)
_account_command(
    "enable", "Enable an account again (also lifts a lockout).", _enable, "Enabled {email}."
)
_account_command(
    "reset",
    "Reset an account: new temporary password, two-factor set up again, sessions ended.",
    _reset,
    "Reset {email}; every session of the account has ended.",
)


@staff_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in StaffRole]))
def role_command(email: str, role: str) -> None:
    """Give an account another role (its sessions end so the new permissions apply at once)."""
    from portal.services import staff as service

    try:
        with _session() as session:
            staff = service.get_staff(session, email)
            service.change_role(session, staff, StaffRole(role), actor_id=None, now=utcnow())
            address = staff.email
    except service.StaffError as error:
        _fail(str(error))
        return
    click.echo(f"{address} is now {role}; every session of the account has ended.")


@staff_group.command("list")
def list_command() -> None:
    """List staff accounts: email, role, state, last sign-in."""
    from portal.services import lockout
    from portal.services import staff as service

    with _session() as session:
        now = utcnow()
        rows = [
            (
                s.email,
                s.role.value,
                "disabled"
                if not s.is_active
                else "locked"
                if lockout.is_locked(s, now)
                else "active"
                if s.is_totp_enrolled
                else "not set up",
                s.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if s.last_login_at else "never",
            )
            for s in service.list_staff(session)
        ]
    if not rows:
        click.echo("No staff accounts yet. Add one: lantern staff add EMAIL --role admin")
        return
    width = max(len(r[0]) for r in rows)
    click.echo(f"{'email':<{width}}  {'role':<12}  {'state':<10}  last sign-in")
    for email, role, state, last in rows:
        click.echo(f"{email:<{width}}  {role:<12}  {state:<10}  {last}")


def register(main: click.Group) -> None:
    """Add the ``staff`` command group to the ``lantern`` command line."""
    main.add_command(staff_group)
