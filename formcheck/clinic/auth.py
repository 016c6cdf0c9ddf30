"""Clinics, clinician accounts and login sessions.

Passwords are hashed with argon2 (argon2-cffi). A login returns a random token; only its
SHA-256 is stored. A session expires after ``idle_timeout`` without use (default 30 min, at
least 1 min, at most 12 h); :func:`authenticate` refreshes a live session and rejects (and
deletes) an expired one; every login purges expired sessions. Usernames are case-insensitive.
Each refused login is recorded (table ``failed_login``, and a warning on the
``formcheck.clinic.auth`` logger); after :data:`MAX_FAILED_LOGINS` failures within
:data:`LOCKOUT_WINDOW` a username is locked out until the window has passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from formcheck.clinic.db import Database
from formcheck.clinic.models import Clinic, Clinician, FailedLogin, LoginSession, utcnow

DEFAULT_IDLE_TIMEOUT = dt.timedelta(minutes=30)
MIN_IDLE_TIMEOUT = dt.timedelta(minutes=1)
MAX_IDLE_TIMEOUT = dt.timedelta(hours=12)
MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
FAILED_LOGIN_KEPT = dt.timedelta(days=90)
USERNAME_FORM = re.compile(r"[\w.@-]{1,100}")

log = logging.getLogger(__name__)

password_hasher = PasswordHasher()


class AuthError(Exception):
    """Login refused, or a session token unknown or expired."""


class LockedOutError(AuthError):
    """Login refused without checking the password: too many recent failures."""


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str) -> None:
    """Raise :class:`AuthError` if ``password`` has fewer than 8 characters besides spaces."""
    if len("".join(password.split())) < MIN_PASSWORD_LENGTH:
        raise AuthError(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters (spaces not counted)"
        )


def normal_username(username: str) -> str:
    """Return ``username`` stripped and in lower case (usernames are case-insensitive)."""
    return username.strip().lower()


def check_idle_timeout(idle_timeout: dt.timedelta) -> dt.timedelta:
    """Return ``idle_timeout`` if it is between 1 minute and 12 hours, else raise ``ValueError``."""
    if not MIN_IDLE_TIMEOUT <= idle_timeout <= MAX_IDLE_TIMEOUT:
        raise ValueError(
            f"idle timeout must be {MIN_IDLE_TIMEOUT.total_seconds() / 60:.0f} to "
            f"{MAX_IDLE_TIMEOUT.total_seconds() / 60:.0f} minutes"
        )
    return idle_timeout


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
    username = normal_username(username)
    if not USERNAME_FORM.fullmatch(username):
        raise ValueError("username: 1-100 letters, digits and . _ @ - (no spaces)")
    with db.transaction() as s:
        if s.get(Clinic, clinic_id) is None:
            raise ValueError(f"no clinic with id {clinic_id}")
        if s.scalar(select(Clinician).where(func.lower(Clinician.username) == username)):
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
    """Check the password and return a new session token; raise :class:`AuthError` if wrong.

    A refused attempt is recorded; a username with :data:`MAX_FAILED_LOGINS` refused attempts
    in the last :data:`LOCKOUT_WINDOW` is refused without checking the password.
    """
    now = now or utcnow()
    check_idle_timeout(idle_timeout)
    name = normal_username(username)[:100]
    refused = _check_login(db, name, password, now)
    if refused is not None:
        with db.transaction() as s:
            s.add(FailedLogin(username=name, attempted_at=now))
        log.warning("failed login for %r: %s", name, refused)
        raise refused
    with db.transaction() as s:
        clinician = s.scalar(select(Clinician).where(func.lower(Clinician.username) == name))
        if clinician is None:  # deleted between the two transactions
            raise AuthError("unknown user or wrong password")
        s.execute(
            update(FailedLogin)
            .where(FailedLogin.username == name, FailedLogin.cleared.is_(False))
            .values(cleared=True)
        )
        _purge(s, now)
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


def _check_login(db: Database, name: str, password: str, now: dt.datetime) -> AuthError | None:
    """Return why a login of ``name`` is refused, or ``None`` if the password is right."""
    with db.transaction() as s:
        recent = s.scalar(
            select(func.count())
            .select_from(FailedLogin)
            .where(
                FailedLogin.username == name,
                FailedLogin.cleared.is_(False),
                FailedLogin.attempted_at > now - LOCKOUT_WINDOW,
            )
        )
        password_hash = s.scalar(
            select(Clinician.password_hash).where(func.lower(Clinician.username) == name)
        )
    if (recent or 0) >= MAX_FAILED_LOGINS:
        minutes = round(LOCKOUT_WINDOW.total_seconds() / 60)
        return LockedOutError(
            f"too many failed logins for this user; locked for up to {minutes} minutes"
        )
    if password_hash is None:
        password_hasher.hash(password)  # same cost as a real check: no user enumeration
        return AuthError("unknown user or wrong password")
    try:
        password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return AuthError("unknown user or wrong password")
    return None


def _purge(s: Session, now: dt.datetime) -> None:
    """Delete expired login sessions and failed-login records older than 90 days."""
    s.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    s.execute(delete(FailedLogin).where(FailedLogin.attempted_at < now - FAILED_LOGIN_KEPT))


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
