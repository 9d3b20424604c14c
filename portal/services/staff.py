"""Staff accounts: add, disable, enable, reset; passwords, TOTP two-factor, recovery codes, lockout.

No Flask here: the actor and the clock (``now``) are arguments, and every function works on the
caller's SQLAlchemy session without committing (the caller commits; each change is audited in
the same transaction, see ``portal.services.audit``).

- Passwords: argon2id (argon2-cffi defaults), rehashed on sign-in when the parameters change.
  A new or reset account gets a random temporary password; the first sign-in with it forces
  two-factor enrolment, which also sets the staff member's own password.
- TOTP: RFC 6238, 30-second steps, six digits, one step of clock drift either side; each code
  is accepted once (the last accepted step is stored, so a seen code cannot be replayed).
- Recovery codes: ten per enrolment, each ``XXXXX-XXXXX`` (Crockford base32, 50 bits), stored
  only as an HMAC-SHA256 keyed with the server secret and bound to the account; each works once.
- Lockout (``portal.services.lockout``): failures (password or second factor) from one client
  address lock the account for that address; many more in a row, from anywhere, lock the
  account itself; an administrator's ``enable`` or ``reset`` lifts every lock early.
- Comparisons of secrets are constant-time (argon2, ``hmac.compare_digest``, pyotp).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import RecoveryCode, Staff
from portal.services import audit, lockout
from portal.services.lockout import UNKNOWN_CLIENT, LockoutPolicy, is_locked_out
from portal.vocabulary import StaffRole

RECOVERY_CODE_COUNT = 10
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this bounds the work per request
TOTP_DRIFT_STEPS = 1
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the email matches no account, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("lantern-no-such-account")


class StaffError(ValueError):
    """A staff-account operation was refused; the message is safe to show to staff."""


class LoginStatus(enum.Enum):
    """Outcome of the password step."""

    OK = "ok"  # password right: second factor next
    ENROL = "enrol"  # password right, no two-factor yet: enrolment next
    FAILED = "failed"  # wrong email or password, disabled or locked (the user sees one message)


@dataclass(frozen=True)
class LoginResult:
    """What the password step decided (``staff`` is set unless it failed)."""

    status: LoginStatus
    staff: Staff | None = None
    reason: str = ""  # for the audit trail and tests: unknown, password, disabled, locked


def normalize_email(email: str) -> str:
    """The stored form of a login email: stripped, lower case."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    """Raise ``StaffError`` unless ``password`` is acceptable (length only: no composition rules,
    as NIST SP 800-63B advises)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(f"Choose a password of at most {MAX_PASSWORD_LENGTH} characters.")


def temporary_password() -> str:
    """A random one-time password (about 100 bits) for a new or reset account."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def find_staff(session: Session, email: str, *, lock: bool = False) -> Staff | None:
    """The account with this login email (any case), or None; ``lock`` takes its row lock
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write transaction already serializes)."""
    query = select(Staff).where(Staff.email == normalize_email(email))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def _lock(session: Session, staff: Staff) -> None:
    """Re-read ``staff`` under its row lock, so concurrent sign-in steps of one account (the
    same TOTP code twice, failures counted at once) are applied one after the other."""
    session.flush()
    session.refresh(staff, with_for_update=True)


def get_staff(session: Session, email: str) -> Staff:
    """The account with this login email; ``StaffError`` when there is none."""
    staff = find_staff(session, email)
    if staff is None:
        raise StaffError("No staff account has that email.")
    return staff


def list_staff(session: Session) -> list[Staff]:
    """Every staff account, by email."""
    return list(session.scalars(select(Staff).order_by(Staff.email)))


# --- administration ----------------------------------------------------------------------------


def add_staff(
    session: Session,
    *,
    email: str,
    role: StaffRole,
    name: str = "",
    actor_id: int | None,
    now: dt.datetime,
) -> tuple[Staff, str]:
    """Create an active account that must enrol two-factor at first sign-in.

    Returns the account (flushed, so it has an id) and its temporary password, which the caller
    shows once and never stores or logs. Raises ``StaffError`` for an invalid or taken email.
    """
    address = normalize_email(email)
    local, _, domain = address.partition("@")
    if not local or "." not in domain or len(address) > 254 or any(c.isspace() for c in address):
        raise StaffError("That is not a valid email address.")
    if find_staff(session, address) is not None:
        raise StaffError("A staff account with that email already exists.")
    password = temporary_password()
    staff = Staff(
        email=address,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        totp_secret=None,
        is_totp_enrolled=False,
        is_active=True,
        failed_logins=0,
        session_version=1,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action=audit.STAFF_ADD,
        object_type="staff",
        object_id=staff.id,
        after={"role": role, "is_active": True},
        now=now,
    )
    return staff, password


def disable_staff(
    session: Session, staff: Staff, *, actor_id: int | None, now: dt.datetime
) -> None:
    """Disable ``staff``: no sign-in, and every session of the account ends now."""
    if not staff.is_active:
        raise StaffError("That account is already disabled.")
    staff.is_active = False
    staff.session_version += 1
    audit.record(
        session,
        actor_id=actor_id,
        action=audit.STAFF_DISABLE,
        object_type="staff",
        object_id=staff.id,
        before={"is_active": True},
        after={"is_active": False},
        now=now,
    )


def enable_staff(session: Session, staff: Staff, *, actor_id: int | None, now: dt.datetime) -> None:
    """Enable ``staff`` again and lift any lockout."""
    before = {"is_active": staff.is_active, "locked_until": staff.locked_until}
    staff.is_active = True
    lockout.lift(session, staff)
    audit.record(
        session,
        actor_id=actor_id,
        action=audit.STAFF_ENABLE,
        object_type="staff",
        object_id=staff.id,
        before=before,
        after={"is_active": True, "locked_until": None},
        now=now,
    )


def reset_staff(session: Session, staff: Staff, *, actor_id: int | None, now: dt.datetime) -> str:
    """Reset ``staff``: new temporary password, two-factor and recovery codes removed (enrolment
    again at next sign-in), lockout lifted, every session ended. Returns the temporary password."""
    password = temporary_password()
    staff.password_hash = hash_password(password)
    staff.totp_secret = None
    staff.totp_last_step = None
    staff.is_totp_enrolled = False
    lockout.lift(session, staff)
    staff.session_version += 1
    staff.recovery_codes.clear()
    audit.record(
        session,
        actor_id=actor_id,
        action=audit.STAFF_RESET,
        object_type="staff",
        object_id=staff.id,
        after={"password": audit.PERSONAL, "totp": "removed", "recovery_codes": "removed"},
        now=now,
    )
    return password


def change_role(
    session: Session, staff: Staff, role: StaffRole, *, actor_id: int | None, now: dt.datetime
) -> None:
    """Give ``staff`` another role; their sessions end so the new permissions apply at once."""
    if staff.role is role:
        raise StaffError("The account already has that role.")
    before = staff.role
    staff.role = role
    staff.session_version += 1
    audit.record(
        session,
        actor_id=actor_id,
        action=audit.STAFF_ROLE,
        object_type="staff",
        object_id=staff.id,
        before={"role": before},
        after={"role": role},
        now=now,
    )


def sign_out_everywhere(session: Session, staff: Staff, *, now: dt.datetime) -> None:
    """End every session of ``staff`` (the session version every session carries changes)."""
    staff.session_version += 1
    audit.record_sign_in(session, staff.id, audit.LOGOUT_EVERYWHERE, now=now)


# --- sign-in -----------------------------------------------------------------------------------


def check_password(
    session: Session,
    *,
    email: str,
    password: str,
    now: dt.datetime,
    policy: LockoutPolicy | None = None,
    client: str = UNKNOWN_CLIENT,
) -> LoginResult:
    """The password step of sign-in from ``client`` (``lockout.client_key`` of the address).

    Always costs one argon2 verification (also for an unknown email or a locked account) so the
    answer's timing does not tell which accounts exist. Failures are counted toward the lockout
    and audited; an unknown email is audited without the email (it could be anything a person
    typed). A right password is rehashed when the hashing parameters changed.
    """
    policy = policy or LockoutPolicy()
    staff = find_staff(session, email, lock=True) if len(email) <= 254 else None
    stored = staff.password_hash if staff is not None and staff.password_hash else _DUMMY_HASH
    try:
        matched = len(password) <= MAX_PASSWORD_LENGTH and _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if staff is None:
        audit.record(
            session, actor_id=None, action=audit.LOGIN_FAILED, detail="reason=unknown", now=now
        )
        return LoginResult(LoginStatus.FAILED, reason="unknown")
    if is_locked_out(session, staff, client=client, now=now):
        audit.record_sign_in(session, staff.id, audit.LOGIN_FAILED, detail="reason=locked", now=now)
        return LoginResult(LoginStatus.FAILED, reason="locked")
    if not staff.is_active:
        audit.record_sign_in(
            session, staff.id, audit.LOGIN_FAILED, detail="reason=disabled", now=now
        )
        return LoginResult(LoginStatus.FAILED, reason="disabled")
    if not matched or staff.password_hash is None:
        lockout.record_failure(
            session, staff, client=client, reason="password", policy=policy, now=now
        )
        return LoginResult(LoginStatus.FAILED, reason="password")
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    if not staff.is_totp_enrolled or not staff.totp_secret:
        return LoginResult(LoginStatus.ENROL, staff)
    return LoginResult(LoginStatus.OK, staff)


def totp_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose TOTP of ``secret`` is ``code`` (± ``TOTP_DRIFT_STEPS`` around
    ``now``), or None. Every candidate is compared in constant time."""
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found: int | None = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found


def verify_totp(secret: str, code: str, now: dt.datetime) -> bool:
    """Whether ``code`` is the TOTP of ``secret`` at ``now`` (± ``TOTP_DRIFT_STEPS`` steps)."""
    return totp_step(secret, code, now) is not None


def _accept_totp(staff: Staff, code: str, now: dt.datetime) -> bool:
    """Accept ``code`` for ``staff`` once: a step at or before the last accepted one is refused
    (someone who saw a code cannot reuse it within its 90-second window)."""
    if not staff.totp_secret:
        return False
    step = totp_step(staff.totp_secret, code, now)
    if step is None or (staff.totp_last_step is not None and step <= staff.totp_last_step):
        return False
    staff.totp_last_step = step
    return True


def _recovery_hash(key: bytes, staff_id: int, code: str) -> str:
    """HMAC-SHA256 of a normalized recovery code, bound to the account."""
    message = f"lantern-recovery-code:{staff_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def normalize_recovery_code(code: str) -> str:
    """A typed recovery code in stored form: no dashes or spaces, upper case, O→0, I/L→1."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -\t")
    return cleaned.translate(str.maketrans("OIL", "011"))


def _use_recovery_code(
    session: Session, staff: Staff, code: str, *, key: bytes, now: dt.datetime
) -> bool:
    """Consume one unused recovery code of ``staff`` matching ``code``; whether one matched."""
    normalized = normalize_recovery_code(code)
    if len(normalized) != 10:
        return False
    wanted = _recovery_hash(key, staff.id, normalized)
    found: RecoveryCode | None = None
    for stored in staff.recovery_codes:  # compare against all: constant time per code
        if hmac.compare_digest(stored.code_hash, wanted) and stored.used_at is None:
            found = stored
    if found is None:
        return False
    found.used_at = now
    return True


def check_second_factor(
    session: Session,
    staff: Staff,
    *,
    code: str,
    key: bytes,
    now: dt.datetime,
    policy: LockoutPolicy | None = None,
    client: str = UNKNOWN_CLIENT,
) -> bool:
    """The second step of sign-in from ``client``: a TOTP code or an unused recovery code.

    On success the failure counts (the account's and this address's) are cleared,
    ``last_login_at`` set and ``login`` audited (plus ``login.recovery_code`` when one was used
    up). On failure the attempt counts toward the lockout. A locked or disabled account, or one
    locked for this address, always fails.
    """
    policy = policy or LockoutPolicy()
    _lock(session, staff)
    locked = is_locked_out(session, staff, client=client, now=now)
    if not staff.is_active or locked or not staff.totp_secret:
        return False
    used_recovery = False
    ok = _accept_totp(staff, code, now)
    if not ok:
        ok = used_recovery = _use_recovery_code(session, staff, code, key=key, now=now)
    if not ok:
        lockout.record_failure(
            session, staff, client=client, reason="second_factor", policy=policy, now=now
        )
        return False
    lockout.clear_failures(session, staff, client=client)
    staff.last_login_at = now
    if used_recovery:
        remaining = sum(1 for c in staff.recovery_codes if c.used_at is None)
        audit.record_sign_in(
            session, staff.id, audit.RECOVERY_CODE_USED, detail=f"remaining={remaining}", now=now
        )
    audit.record_sign_in(
        session,
        staff.id,
        audit.LOGIN,
        detail="factor=recovery_code" if used_recovery else "factor=totp",
        now=now,
    )
    return True


# --- enrolment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret (as text too) and the otpauth:// URI."""

    secret: str
    uri: str


def start_enrolment(staff: Staff, *, issuer: str) -> Enrolment:
    """Give ``staff`` a new TOTP secret (160 bits) unless one is already pending; not enrolled
    until ``complete_enrolment`` checks a code. Refuses an account that is already enrolled."""
    if staff.is_totp_enrolled:
        raise StaffError("Two-factor is already set up for this account.")
    if not staff.totp_secret:
        staff.totp_secret = pyotp.random_base32(32)
    uri = pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.email, issuer_name=issuer)
    return Enrolment(secret=staff.totp_secret, uri=uri)


def qr_png(uri: str) -> bytes:
    """A PNG image of the QR code for ``uri`` (what authenticator apps scan)."""
    import qrcode  # imported here: only the enrolment page needs it

    image = qrcode.make(uri, box_size=8, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_CROCKFORD) for _ in range(10))
    return raw


def complete_enrolment(
    session: Session,
    staff: Staff,
    *,
    code: str,
    new_password: str,
    key: bytes,
    now: dt.datetime,
) -> list[str]:
    """Confirm two-factor with a code from the app, set the staff member's own password, and
    issue fresh recovery codes.

    Returns the ten recovery codes (``XXXXX-XXXXX``) to show once; only their HMACs are stored.
    Raises ``StaffError`` (nothing changed) for a wrong code or an unacceptable password.
    """
    _lock(session, staff)
    if staff.is_totp_enrolled or not staff.totp_secret:
        raise StaffError("Two-factor set-up has not been started for this account.")
    check_password_rules(new_password)
    if not _accept_totp(staff, code, now):
        raise StaffError("That code is not right. Enter the 6-digit code your app shows now.")
    staff.password_hash = hash_password(new_password)
    staff.is_totp_enrolled = True
    staff.recovery_codes.clear()
    session.flush()  # delete the old codes before the new ones go in
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for plain in codes:
        staff.recovery_codes.append(RecoveryCode(code_hash=_recovery_hash(key, staff.id, plain)))
    audit.record(
        session,
        actor_id=staff.id,
        action=audit.TOTP_ENROLLED,
        object_type="staff",
        object_id=staff.id,
        after={"totp": "enrolled", "recovery_codes": RECOVERY_CODE_COUNT},
        now=now,
    )
    audit.record(
        session,
        actor_id=staff.id,
        action=audit.PASSWORD_CHANGED,
        object_type="staff",
        object_id=staff.id,
        after={"password": audit.PERSONAL},
        now=now,
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def _password_matches(staff: Staff, password: str) -> bool:
    """Constant-time argon2 check of ``password`` against ``staff``'s hash."""
    if not staff.password_hash or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(staff.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def change_password(
    session: Session, staff: Staff, *, current: str, new: str, now: dt.datetime
) -> None:
    """Replace ``staff``'s password after checking the current one; every *other* session of
    the account ends (the caller starts a fresh one for this browser).

    Raises ``StaffError`` (nothing changed) for a wrong current password or a too short new one.
    """
    _lock(session, staff)
    if not _password_matches(staff, current):
        raise StaffError("Your current password is not right.")
    check_password_rules(new)
    staff.password_hash = hash_password(new)
    staff.session_version += 1
    audit.record(
        session,
        actor_id=staff.id,
        action=audit.PASSWORD_CHANGED,
        object_type="staff",
        object_id=staff.id,
        after={"password": audit.PERSONAL},
        now=now,
    )


def unused_recovery_codes(staff: Staff) -> int:
    """How many of ``staff``'s recovery codes are still unused."""
    return sum(1 for code in staff.recovery_codes if code.used_at is None)


def replace_recovery_codes(
    session: Session, staff: Staff, *, password: str, key: bytes, now: dt.datetime
) -> list[str]:
    """Issue ten new recovery codes (the old ones stop working) after checking the password.

    Returns the codes to show once. Raises ``StaffError`` for a wrong password.
    """
    _lock(session, staff)
    if not staff.is_totp_enrolled:
        raise StaffError("Two-factor is not set up for this account.")
    if not _password_matches(staff, password):
        raise StaffError("Your password is not right.")
    staff.recovery_codes.clear()
    session.flush()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for plain in codes:
        staff.recovery_codes.append(RecoveryCode(code_hash=_recovery_hash(key, staff.id, plain)))
    audit.record(
        session,
        actor_id=staff.id,
        action=audit.RECOVERY_CODES_REPLACED,
        object_type="staff",
        object_id=staff.id,
        after={"recovery_codes": RECOVERY_CODE_COUNT},
        now=now,
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_key(secret: str) -> bytes:
    """The HMAC key for recovery codes, derived from a server secret (domain-separated)."""
    return hashlib.sha256(b"lantern recovery codes\x00" + secret.encode()).digest()
