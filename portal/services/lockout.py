"""Sign-in lockout, per account and client address and per account.

- Failures from one client address lock sign-in to that account *from that address*:
  ``policy.failures`` failures within ``policy.minutes`` lock the pair for ``policy.minutes``.
  The address is only ever stored as part of a keyed hash (``client_key``).
- Consecutive failures from any address lock the account itself at ``policy.account_failures``
  (NIST SP 800-63B asks for no more than 100), for ``policy.minutes``: the bound on guessing
  spread over many addresses.

So a stranger who knows a staff email can lock that account for their own address, not for the
staff member. Password and second-factor failures count alike; a complete sign-in clears the
account's count and its address's; an administrator's ``enable`` or ``reset`` lifts every lock.
The caller holds the account's row lock (``staff._lock`` / ``find_staff(lock=True)``), so two
failures of one account are counted one after the other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.models import SignInLock, Staff
from portal.services import audit

#: The client of callers that have no address (scripts, tests): all share one.
UNKNOWN_CLIENT = "unknown"


@dataclass(frozen=True)
class LockoutPolicy:
    """When failures lock: ``failures`` from one address within ``minutes`` lock that address
    out of the account, ``account_failures`` in a row from anywhere lock the account; both for
    ``minutes``."""

    failures: int = 5
    minutes: int = 15
    account_failures: int = 50


def client_key(secret: bytes, address: str) -> str:
    """The opaque key of a client address (HMAC-SHA256 under the server secret)."""
    message = f"lantern-sign-in-client:{address}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _pair_key(staff: Staff, client: str) -> str:
    return hashlib.sha256(f"{staff.id}:{client}".encode()).hexdigest()


def is_locked(staff: Staff, now: dt.datetime) -> bool:
    """Whether the account itself is locked at ``now`` (for every address)."""
    return staff.locked_until is not None and staff.locked_until > now


def is_locked_out(session: Session, staff: Staff, *, client: str, now: dt.datetime) -> bool:
    """Whether sign-in to ``staff`` from ``client`` is refused at ``now``."""
    if is_locked(staff, now):
        return True
    pair = session.get(SignInLock, _pair_key(staff, client))
    return pair is not None and pair.locked_until is not None and pair.locked_until > now


def record_failure(
    session: Session,
    staff: Staff,
    *,
    client: str,
    reason: str,
    policy: LockoutPolicy,
    now: dt.datetime,
) -> None:
    """Count a failed sign-in step of ``staff`` from ``client``; lock at the thresholds; audit."""
    audit.record_sign_in(session, staff.id, audit.LOGIN_FAILED, detail=f"reason={reason}", now=now)
    window = dt.timedelta(minutes=policy.minutes)
    # Forget what no longer matters (indexed), so the table stays as small as the attempts.
    session.execute(delete(SignInLock).where(SignInLock.expires_at <= now))
    key = _pair_key(staff, client)
    pair = session.get(SignInLock, key)
    if pair is None:
        pair = SignInLock(
            pair_key=key, staff_id=staff.id, failures=0, window_started_at=now, expires_at=now
        )
        session.add(pair)
    elif pair.locked_until is not None or pair.window_started_at + window <= now:
        pair.failures, pair.window_started_at, pair.locked_until = 0, now, None
    pair.failures += 1
    if pair.failures >= policy.failures:
        pair.locked_until = now + window
        detail = f"scope=address minutes={policy.minutes}"
        audit.record_sign_in(session, staff.id, audit.LOGIN_LOCKED, detail=detail, now=now)
    pair.expires_at = pair.locked_until or pair.window_started_at + window
    staff.failed_logins += 1
    if staff.failed_logins >= policy.account_failures:
        staff.locked_until = now + window
        staff.failed_logins = 0
        detail = f"scope=account minutes={policy.minutes}"
        audit.record_sign_in(session, staff.id, audit.LOGIN_LOCKED, detail=detail, now=now)


def clear_failures(session: Session, staff: Staff, *, client: str) -> None:
    """After a complete sign-in from ``client``: the account's count and that address's go."""
    staff.failed_logins = 0
    staff.locked_until = None
    session.execute(delete(SignInLock).where(SignInLock.pair_key == _pair_key(staff, client)))


def lift(session: Session, staff: Staff) -> None:
    """Lift every lock of ``staff`` (the account's and every address's)."""
    staff.failed_logins = 0
    staff.locked_until = None
    session.execute(delete(SignInLock).where(SignInLock.staff_id == staff.id))
