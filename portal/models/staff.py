"""Staff accounts and the append-only audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, enum_column
from portal.vocabulary import StaffRole


class Staff(Base):
    """An oversight staff member (intake, investigator, supervisor, admin, commissioner)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    email: Mapped[str] = mapped_column(String(254), unique=True, comment="Login (lower case)")
    name: Mapped[str] = mapped_column(String(200), default="", comment="Display name")
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole), comment="Permission role")
    password_hash: Mapped[str | None] = mapped_column(String(255), comment="argon2id hash")
    totp_secret: Mapped[str | None] = mapped_column(String(64), comment="TOTP secret (base32)")
    is_totp_enrolled: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Two-factor enrolment confirmed"
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="Account enabled")
    failed_logins: Mapped[int] = mapped_column(
        Integer, default=0, comment="Consecutive failed logins"
    )
    locked_until: Mapped[dt.datetime | None] = mapped_column(comment="Lockout end after failures")
    totp_last_step: Mapped[int | None] = mapped_column(
        Integer, comment="Last TOTP time step accepted (a code works once: no replay)"
    )
    session_version: Mapped[int] = mapped_column(
        Integer, default=1, comment="Bumped to log the account out everywhere"
    )
    created_at: Mapped[dt.datetime] = mapped_column(comment="When the account was created")
    last_login_at: Mapped[dt.datetime | None] = mapped_column(comment="Last successful login")

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )


class RecoveryCode(Base):
    """A one-time two-factor recovery code, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), index=True, comment="Owner"
    )
    code_hash: Mapped[str] = mapped_column(String(128), comment="HMAC of the code")
    used_at: Mapped[dt.datetime | None] = mapped_column(comment="When it was used (once only)")

    staff: Mapped[Staff] = relationship(back_populates="recovery_codes")


class SignInLock(Base):
    """Failed sign-ins to one account from one client address, and that pair's lock.

    Someone who only knows a staff email locks the account for their own address, not for the
    staff member (``Staff.locked_until`` is the account-wide lock, at a much higher count).
    Keyed by an HMAC of the account and the address: the table never lists addresses.
    """

    __tablename__ = "sign_in_locks"

    pair_key: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="HMAC-SHA256 (hex) of the account and the address"
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), index=True, comment="The account"
    )
    failures: Mapped[int] = mapped_column(Integer, default=0, comment="Failures in this window")
    window_started_at: Mapped[dt.datetime] = mapped_column(
        comment="First failure of the current window (UTC)"
    )
    locked_until: Mapped[dt.datetime | None] = mapped_column(
        comment="Sign-in from this address is refused until then (UTC)"
    )
    expires_at: Mapped[dt.datetime] = mapped_column(
        index=True, comment="When the row means nothing any more and may be deleted (UTC)"
    )


class AuditEntry(Base):
    """One line of the append-only audit trail. No route may update or delete it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Sequence of the entry")
    at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), index=True, comment="Staff member (null: the public or the system)"
    )
    action: Mapped[str] = mapped_column(String(64), comment="e.g. complaint.view, login.failed")
    object_type: Mapped[str | None] = mapped_column(String(64), comment="e.g. complaint")
    object_id: Mapped[int | None] = mapped_column(Integer, comment="Id of the object")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="Values before a change")
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="Values after a change")
    detail: Mapped[str | None] = mapped_column(Text, comment="Free-text detail (no personal data)")

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)
