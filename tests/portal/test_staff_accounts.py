"""Staff account service: hashing, TOTP, recovery codes, lockout, disable/enable/reset."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEntry, RecoveryCode, Staff
from portal.services import lockout
from portal.services import staff as service
from portal.vocabulary import StaffRole

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ENROLLED_AT = NOW - dt.timedelta(minutes=5)  # so codes at NOW are not the one used to enrol
KEY = service.recovery_key("test-secret")
POLICY = lockout.LockoutPolicy(failures=5, minutes=15)


def actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def enrolled(db: Session, role: StaffRole = StaffRole.INTAKE) -> tuple[Staff, str, list[str]]:
    """A new account that has finished enrolment: (staff, TOTP secret, recovery codes)."""
    staff, temporary = service.add_staff(
        db, email="Maria.Lopez@Oversight.example", role=role, name="María", actor_id=None, now=NOW
    )
    enrolment = service.start_enrolment(staff, issuer="Office")
    codes = service.complete_enrolment(
        db,
        staff,
        code=pyotp.TOTP(enrolment.secret).at(ENROLLED_AT),
        new_password="my own long passphrase",
        key=KEY,
        now=ENROLLED_AT,
    )
    db.commit()
    assert temporary != "my own long passphrase"
    return staff, enrolment.secret, codes


def test_passwords_are_argon2id_and_never_stored_in_clear(db: Session) -> None:
    staff, temporary = service.add_staff(
        db, email="a@oversight.example", role=StaffRole.ADMIN, actor_id=None, now=NOW
    )
    db.commit()
    assert staff.password_hash is not None
    assert staff.password_hash.startswith("$argon2id$")
    assert temporary not in staff.password_hash
    assert PasswordHasher().verify(staff.password_hash, temporary)
    assert len(temporary) >= 16


def test_email_is_normalized_and_unique(db: Session) -> None:
    service.add_staff(db, email=" Bo@X.org ", role=StaffRole.INTAKE, actor_id=None, now=NOW)
    db.commit()
    assert service.find_staff(db, "BO@x.ORG") is not None
    with pytest.raises(service.StaffError, match="already exists"):
        service.add_staff(db, email="bo@x.org", role=StaffRole.ADMIN, actor_id=None, now=NOW)
    with pytest.raises(service.StaffError, match="not a valid email"):
        service.add_staff(db, email="not-an-email", role=StaffRole.ADMIN, actor_id=None, now=NOW)


def test_new_account_must_enrol_before_anything_else(db: Session) -> None:
    staff, temporary = service.add_staff(
        db, email="new@x.org", role=StaffRole.INTAKE, actor_id=None, now=NOW
    )
    db.commit()
    result = service.check_password(db, email="new@x.org", password=temporary, now=NOW)
    assert result.status is service.LoginStatus.ENROL
    assert result.staff is not None and result.staff.id == staff.id


def test_enrolment_needs_a_right_code_and_a_long_password(db: Session) -> None:
    staff, _ = service.add_staff(db, email="e@x.org", role=StaffRole.INTAKE, actor_id=None, now=NOW)
    enrolment = service.start_enrolment(staff, issuer="Office of Police Oversight")
    assert enrolment.uri.startswith("otpauth://totp/")
    assert "e%40x.org" in enrolment.uri and "secret=" + enrolment.secret in enrolment.uri
    assert len(enrolment.secret) == 32  # 160 bits
    right = pyotp.TOTP(enrolment.secret).at(NOW)
    with pytest.raises(service.StaffError, match="12 characters"):
        service.complete_enrolment(db, staff, code=right, new_password="short", key=KEY, now=NOW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(service.StaffError, match="not right"):
        service.complete_enrolment(
            db, staff, code=wrong, new_password="long enough passphrase", key=KEY, now=NOW
        )
    assert not staff.is_totp_enrolled
    codes = service.complete_enrolment(
        db, staff, code=right, new_password="long enough passphrase", key=KEY, now=NOW
    )
    db.commit()
    assert staff.is_totp_enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    stored = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.staff_id == staff.id))
    hashes = list(stored)
    assert len(hashes) == 10
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert "staff.totp_enrolled" in actions(db)


def test_qr_code_is_a_png() -> None:
    png = service.qr_png("otpauth://totp/Office:a%40x.org?secret=JBSWY3DPEHPK3PXP&issuer=Office")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_totp_accepts_one_step_of_drift_and_no_more() -> None:
    secret = pyotp.random_base32(32)
    totp = pyotp.TOTP(secret)
    assert service.verify_totp(secret, totp.at(NOW), NOW)
    assert service.verify_totp(secret, totp.at(NOW - dt.timedelta(seconds=30)), NOW)
    assert service.verify_totp(secret, totp.at(NOW + dt.timedelta(seconds=30)), NOW)
    assert not service.verify_totp(secret, totp.at(NOW - dt.timedelta(seconds=90)), NOW)
    assert not service.verify_totp(secret, totp.at(NOW + dt.timedelta(seconds=90)), NOW)
    code = totp.at(NOW)
    assert service.verify_totp(secret, f"{code[:3]} {code[3:]}", NOW)  # spaces are fine
    assert not service.verify_totp(secret, "12345", NOW)
    assert not service.verify_totp(secret, "abcdef", NOW)


def test_sign_in_with_password_and_totp(db: Session) -> None:
    staff, secret, _ = enrolled(db)
    result = service.check_password(
        db, email="maria.lopez@oversight.example", password="my own long passphrase", now=NOW
    )
    assert result.status is service.LoginStatus.OK
    later = NOW + dt.timedelta(minutes=1)
    code = pyotp.TOTP(secret).at(later)
    assert service.check_second_factor(db, staff, code=code, key=KEY, now=later)
    db.commit()
    assert staff.last_login_at == later
    assert actions(db)[-1] == "login"


def test_a_totp_code_works_once(db: Session) -> None:
    staff, secret, _ = enrolled(db)
    code = pyotp.TOTP(secret).at(NOW)
    assert service.check_second_factor(db, staff, code=code, key=KEY, now=NOW)
    # Seen over someone's shoulder and typed again within its window: refused.
    again = NOW + dt.timedelta(seconds=20)
    assert not service.check_second_factor(db, staff, code=code, key=KEY, now=again)
    # So is an older code still inside the drift window; the next step's code works.
    older = pyotp.TOTP(secret).at(NOW - dt.timedelta(seconds=30))
    assert not service.check_second_factor(db, staff, code=older, key=KEY, now=again)
    later = NOW + dt.timedelta(seconds=30)
    assert service.check_second_factor(
        db, staff, code=pyotp.TOTP(secret).at(later), key=KEY, now=later
    )


def test_recovery_code_works_once_only(db: Session) -> None:
    staff, _, codes = enrolled(db)
    typed = codes[3].lower().replace("-", " ")  # any case, any separator
    assert service.check_second_factor(db, staff, code=typed, key=KEY, now=NOW)
    db.commit()
    assert not service.check_second_factor(db, staff, code=codes[3], key=KEY, now=NOW)
    assert service.check_second_factor(db, staff, code=codes[4], key=KEY, now=NOW)
    db.commit()
    used = db.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).all()
    assert len(used) == 2
    assert "login.recovery_code" in actions(db)


def test_recovery_code_of_another_account_does_not_work(db: Session) -> None:
    _staff, _, codes = enrolled(db)
    other, _ = service.add_staff(db, email="o@x.org", role=StaffRole.INTAKE, actor_id=None, now=NOW)
    enrolment = service.start_enrolment(other, issuer="Office")
    service.complete_enrolment(
        db,
        other,
        code=pyotp.TOTP(enrolment.secret).at(NOW),
        new_password="another long passphrase",
        key=KEY,
        now=NOW,
    )
    db.commit()
    assert not service.check_second_factor(db, other, code=codes[0], key=KEY, now=NOW)


def _locked_out(db: Session, staff: Staff, client: str = lockout.UNKNOWN_CLIENT) -> bool:
    return lockout.is_locked_out(db, staff, client=client, now=NOW)


def test_wrong_password_locks_the_address_after_five_failures_for_fifteen_minutes(
    db: Session,
) -> None:
    staff, _, _ = enrolled(db)
    email, good = staff.email, "my own long passphrase"
    for attempt in range(4):
        result = service.check_password(db, email=email, password="wrong", now=NOW, policy=POLICY)
        assert result.status is service.LoginStatus.FAILED, attempt
    db.commit()
    assert not _locked_out(db, staff)
    service.check_password(db, email=email, password="wrong", now=NOW, policy=POLICY)
    db.commit()
    assert _locked_out(db, staff)
    # Locked: even the right password fails, and says nothing different.
    locked = service.check_password(db, email=email, password=good, now=NOW, policy=POLICY)
    assert locked.status is service.LoginStatus.FAILED and locked.reason == "locked"
    still = NOW + dt.timedelta(minutes=14, seconds=59)
    assert service.check_password(db, email=email, password=good, now=still).reason == "locked"
    after = NOW + dt.timedelta(minutes=15, seconds=1)
    assert service.check_password(db, email=email, password=good, now=after).status is (
        service.LoginStatus.OK
    )
    db.commit()
    log = actions(db)
    assert log.count("login.locked") == 1
    assert log.count("login.failed") >= 7


def test_wrong_second_factor_counts_toward_lockout(db: Session) -> None:
    staff, secret, _ = enrolled(db)
    right = pyotp.TOTP(secret).at(NOW)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        assert not service.check_second_factor(db, staff, code=wrong, key=KEY, now=NOW)
    db.commit()
    assert _locked_out(db, staff)
    assert not service.check_second_factor(db, staff, code=right, key=KEY, now=NOW)


def test_a_stranger_who_knows_the_email_locks_only_their_own_address(db: Session) -> None:
    staff, secret, _ = enrolled(db)
    stranger = lockout.client_key(KEY, "203.0.113.9")
    owner = lockout.client_key(KEY, "198.51.100.20")
    for _ in range(6):
        service.check_password(
            db, email=staff.email, password="guess", now=NOW, policy=POLICY, client=stranger
        )
    db.commit()
    assert _locked_out(db, staff, stranger)
    assert not lockout.is_locked(staff, NOW)  # the account itself is not locked
    signed_in = service.check_password(
        db, email=staff.email, password="my own long passphrase", now=NOW, client=owner
    )
    assert signed_in.status is service.LoginStatus.OK
    code = pyotp.TOTP(secret).at(NOW)
    assert service.check_second_factor(db, staff, code=code, key=KEY, now=NOW, client=owner)
    db.commit()
    assert _locked_out(db, staff, stranger)  # the stranger's lock outlives the owner's sign-in
    assert "scope=address" in (
        db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "login.locked")).one() or ""
    )


def test_failures_from_many_addresses_lock_the_account_everywhere(db: Session) -> None:
    staff, _, _ = enrolled(db)
    policy = lockout.LockoutPolicy(failures=3, minutes=15, account_failures=8)
    for attempt in range(8):  # four addresses, two guesses each: none reaches its own limit
        client = lockout.client_key(KEY, f"192.0.2.{attempt // 2}")
        service.check_password(
            db, email=staff.email, password="guess", now=NOW, policy=policy, client=client
        )
    db.commit()
    assert lockout.is_locked(staff, NOW)
    anyone = lockout.client_key(KEY, "198.51.100.20")
    refused = service.check_password(
        db, email=staff.email, password="my own long passphrase", now=NOW, client=anyone
    )
    assert refused.reason == "locked"
    details = list(db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "login.locked")))
    assert details == ["scope=account minutes=15"]


def test_enable_lifts_every_lock_of_the_account(db: Session) -> None:
    staff, _, _ = enrolled(db)
    stranger = lockout.client_key(KEY, "203.0.113.9")
    for _ in range(5):
        service.check_password(db, email=staff.email, password="x", now=NOW, client=stranger)
    db.commit()
    assert _locked_out(db, staff, stranger)
    service.enable_staff(db, staff, actor_id=None, now=NOW)
    db.commit()
    assert not _locked_out(db, staff, stranger)


def test_success_clears_the_failure_count(db: Session) -> None:
    staff, secret, _ = enrolled(db)
    for _ in range(4):
        service.check_password(db, email=staff.email, password="wrong", now=NOW)
    service.check_password(db, email=staff.email, password="my own long passphrase", now=NOW)
    assert service.check_second_factor(db, staff, code=pyotp.TOTP(secret).at(NOW), key=KEY, now=NOW)
    db.commit()
    assert staff.failed_logins == 0
    service.check_password(db, email=staff.email, password="wrong", now=NOW)
    assert not _locked_out(db, staff)


def test_unknown_email_fails_like_a_wrong_password_and_is_audited_without_the_email(
    db: Session,
) -> None:
    result = service.check_password(
        db, email="nobody.here@example.org", password="whatever", now=NOW
    )
    db.commit()
    assert result.status is service.LoginStatus.FAILED and result.staff is None
    entry = db.scalars(select(AuditEntry)).one()
    assert entry.action == "login.failed" and entry.actor_id is None
    assert "nobody" not in repr((entry.detail, entry.before, entry.after))


def test_disabled_account_is_refused_and_enable_restores_it(db: Session) -> None:
    staff, _, _ = enrolled(db)
    version = staff.session_version
    service.disable_staff(db, staff, actor_id=None, now=NOW)
    db.commit()
    assert staff.session_version == version + 1  # its sessions end
    result = service.check_password(
        db, email=staff.email, password="my own long passphrase", now=NOW
    )
    assert result.status is service.LoginStatus.FAILED and result.reason == "disabled"
    with pytest.raises(service.StaffError):
        service.disable_staff(db, staff, actor_id=None, now=NOW)
    service.enable_staff(db, staff, actor_id=None, now=NOW)
    db.commit()
    assert (
        service.check_password(
            db, email=staff.email, password="my own long passphrase", now=NOW
        ).status
        is service.LoginStatus.OK
    )


def test_reset_replaces_password_and_two_factor_and_ends_sessions(db: Session) -> None:
    staff, secret, codes = enrolled(db)
    version = staff.session_version
    temporary = service.reset_staff(db, staff, actor_id=None, now=NOW)
    db.commit()
    assert staff.session_version == version + 1
    assert not staff.is_totp_enrolled and staff.totp_secret is None
    assert db.scalars(select(RecoveryCode).where(RecoveryCode.staff_id == staff.id)).all() == []
    old = service.check_password(db, email=staff.email, password="my own long passphrase", now=NOW)
    assert old.status is service.LoginStatus.FAILED
    new = service.check_password(db, email=staff.email, password=temporary, now=NOW)
    assert new.status is service.LoginStatus.ENROL
    assert secret not in repr(actions(db)) and codes[0] not in repr(actions(db))


def test_password_is_rehashed_when_parameters_change(db: Session) -> None:
    staff, _, _ = enrolled(db)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    staff.password_hash = weak.hash("my own long passphrase")
    db.commit()
    old_hash = staff.password_hash
    result = service.check_password(
        db, email=staff.email, password="my own long passphrase", now=NOW
    )
    db.commit()
    assert result.status is service.LoginStatus.OK
    assert staff.password_hash != old_hash
    assert not PasswordHasher().check_needs_rehash(staff.password_hash)


def test_the_same_code_sent_twice_at_once_signs_in_once(engine, db: Session) -> None:
    """Two requests race with one TOTP code: the row lock lets exactly one through."""
    import threading

    from portal.db import begin_write, session_factory

    staff, secret, _ = enrolled(db)
    code = pyotp.TOTP(secret).at(NOW)
    factory = session_factory(engine)
    loaded = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        session = factory()
        try:
            account = session.get(Staff, staff.id)  # as the view does, before the write
            session.commit()
            assert account is not None
            loaded.wait(timeout=10)
            begin_write(session)
            results.append(
                service.check_second_factor(session, account, code=code, key=KEY, now=NOW)
            )
            session.commit()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(results) == [False, True]
