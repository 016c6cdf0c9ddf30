"""Clinics, clinician accounts and login sessions.

Passwords are hashed with argon2 (argon2-cffi). A login returns a random token; only its
SHA-256 is stored. A session expires after ``idle_timeout`` without use (default 30 min);
:func:`authenticate` refreshes a live session and rejects (and deletes) an expired one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from formcheck.clinic.db import Database
from formcheck.clinic.models import Clinic, Clinician, LoginSession, utcnow

DEFAULT_IDLE_TIMEOUT = dt.timedelta(minutes=30)
MIN_PASSWORD_LENGTH = 8

password_hasher = PasswordHasher()


class AuthError(Exception):
    """Login refused, or a session token unknown or expired."""


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str) -> None:
    """Raise :class:`AuthError` if ``password`` is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def count_clinics(db: Database) -> int:
    """Return the number of clinics in the store (0 on first run)."""
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Clinic)) or 0


def create_clinic(db: Database, name: str) -> Clinic:
    """Create a clinic."""
    if not name.strip():
        raise ValueError("clinic name is empty")
    with db.transaction() as s:
        if s.scalar(select(Clinic).where(Clinic.name == name.strip())):
            raise ValueError(f"clinic {name!r} already exists")
        clinic = Clinic(name=name.strip())
        s.add(clinic)
    return clinic


def create_clinician(db: Database, clinic_id: int, username: str, password: str) -> Clinician:
    """Create a clinician account in ``clinic_id`` with an argon2-hashed password."""
    check_password_strength(password)
    username = username.strip()
    if not username:
        raise ValueError("username is empty")
    with db.transaction() as s:
        if s.get(Clinic, clinic_id) is None:
            raise ValueError(f"no clinic with id {clinic_id}")
        if s.scalar(select(Clinician).where(Clinician.username == username)):
            raise ValueError(f"username {username!r} is taken")
        clinician = Clinician(
            clinic_id=clinic_id, username=username, password_hash=password_hasher.hash(password)
        )
        s.add(clinician)
    return clinician


def login(
    db: Database,
    username: str,
    password: str,
    idle_timeout: dt.timedelta = DEFAULT_IDLE_TIMEOUT,
    now: dt.datetime | None = None,
) -> str:
    """Check the password and return a new session token; raise :class:`AuthError` if wrong."""
    now = now or utcnow()
    with db.transaction() as s:
        clinician = s.scalar(select(Clinician).where(Clinician.username == username.strip()))
        if clinician is None:
            password_hasher.hash(password)  # same cost as a real check: no user enumeration
            raise AuthError("unknown user or wrong password")
        try:
            password_hasher.verify(clinician.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise AuthError("unknown user or wrong password") from None
        if password_hasher.check_needs_rehash(clinician.password_hash):
            clinician.password_hash = password_hasher.hash(password)
        token = secrets.token_urlsafe(32)
        s.add(
            LoginSession(
                clinician_id=clinician.id,
                token_sha256=_token_digest(token),
                created_at=now,
                last_seen_at=now,
                idle_timeout_s=int(idle_timeout.total_seconds()),
                expires_at=now + idle_timeout,
            )
        )
    return token


def authenticate(db: Database, token: str, now: dt.datetime | None = None) -> Clinician:
    """Return the clinician of a live session and extend it; raise :class:`AuthError` if not."""
    now = now or utcnow()
    with db.transaction() as s:
        login_session = s.scalar(
            select(LoginSession).where(LoginSession.token_sha256 == _token_digest(token))
        )
        if login_session is None:
            raise AuthError("not logged in (unknown session)")
        if now >= login_session.expires_at:
            s.delete(login_session)
            expired = True
        else:
            expired = False
            login_session.last_seen_at = now
            login_session.expires_at = now + dt.timedelta(seconds=login_session.idle_timeout_s)
            clinician = login_session.clinician
            s.refresh(clinician, ["clinic"])
    if expired:
        raise AuthError("session expired; log in again")
    return clinician


def logout(db: Database, token: str) -> None:
    """End a session (no error if it is already gone)."""
    with db.transaction() as s:
        s.execute(delete(LoginSession).where(LoginSession.token_sha256 == _token_digest(token)))


def purge_expired_sessions(db: Database, now: dt.datetime | None = None) -> int:
    """Delete expired login sessions; return how many."""
    now = now or utcnow()
    with db.transaction() as s:
        result = s.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
        return result.rowcount or 0
