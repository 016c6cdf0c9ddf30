"""Patient links: a personal programme link a clinician gives one patient.

The link carries a random token; only its SHA-256 is stored (like a login token). Opening it
(:func:`open_link`) exchanges the token for a page session token, so the link's token need not
stay in the address bar; :func:`authenticate_link` turns that session token into a
:class:`~formcheck.clinic.records.LinkGrant`, the principal that reaches exactly one
patient's programme and home sets (see :mod:`formcheck.clinic.records`). A link expires after
``days`` (default :data:`DEFAULT_DAYS`) and can be revoked; both end its page sessions too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from urllib.parse import urlencode

from sqlalchemy import delete, select, update

from formcheck.clinic.db import Database
from formcheck.clinic.models import Clinician, LinkSession, PatientLink, utcnow
from formcheck.clinic.records import (
    LinkGrant,
    LinkRefused,
    check_link_live,
    clinician_only,
    patient_in_clinic,
)

DEFAULT_DAYS = 42          # six weeks: the usual home-programme period after the operation
MAX_DAYS = 366
PAGE_SESSION = dt.timedelta(hours=12)
BASE_URL_ENV = "FORMCHECK_BASE_URL"
DEFAULT_BASE_URL = "http://localhost:8501"
HOME_PATH = "home"
LINK_PARAM = "link"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def base_url(given: str | None = None) -> str:
    """The app's address for links: ``given``, else ``$FORMCHECK_BASE_URL``, else the default."""
    url = (given or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base URL must start with http:// or https:// (got {url!r})")
    return url


def link_url(token: str, base: str | None = None) -> str:
    """The patient's address: ``<base>/home?link=<token>``."""
    return f"{base_url(base)}/{HOME_PATH}?{urlencode({LINK_PARAM: token})}"


def create_link(
    db: Database, clinician: Clinician, code: str, days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> tuple[str, PatientLink]:
    """Make a new link for patient ``code``; returns the token (shown once) and the link."""
    clinician_only(clinician)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a link lasts 1 to {MAX_DAYS} days")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        link = PatientLink(patient_id=patient.id, clinician_id=clinician.id,
                           token_sha256=_digest(token), created_at=now,
                           expires_at=now + dt.timedelta(days=days), revoked=False)
        s.add(link)
    return token, link


def revoke_links(db: Database, clinician: Clinician, code: str) -> int:
    """Revoke every live link of patient ``code`` (their page sessions end too); how many."""
    clinician_only(clinician)
    now = utcnow()
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        ids = list(s.scalars(select(PatientLink.id).where(
            PatientLink.patient_id == patient.id, PatientLink.revoked.is_(False),
            PatientLink.expires_at > now)))
        if ids:  # their page sessions end too: every use checks the link (records.py)
            s.execute(update(PatientLink).where(PatientLink.id.in_(ids)).values(revoked=True))
    return len(ids)


def renew_link(db: Database, clinician: Clinician, code: str,
               days: int = DEFAULT_DAYS) -> tuple[str, PatientLink]:
    """Revoke the patient's live links and make a new one."""
    revoke_links(db, clinician, code)
    return create_link(db, clinician, code, days)


def list_links(db: Database, clinician: Clinician, code: str) -> list[PatientLink]:
    """The patient's links, newest first."""
    clinician_only(clinician)
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        return list(s.scalars(select(PatientLink).where(PatientLink.patient_id == patient.id)
                              .order_by(PatientLink.created_at.desc(), PatientLink.id.desc())))


def link_status(link: PatientLink, now: dt.datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if link.revoked:
        return "revoked"
    return "expired" if (now or utcnow()) >= link.expires_at else "active"


def set_home_video(db: Database, clinician: Clinician, code: str, allowed: bool) -> None:
    """Switch storing video from home on or off for a patient (the patient must also agree)."""
    clinician_only(clinician)
    with db.transaction() as s:
        patient_in_clinic(s, clinician, code).home_video_allowed = bool(allowed)


def open_link(db: Database, token: str, now: dt.datetime | None = None) -> str:
    """Exchange a link's token for a page session token; :class:`LinkRefused` if not valid."""
    now = now or utcnow()
    if not isinstance(token, str) or not token:
        raise LinkRefused("unknown")
    with db.transaction() as s:
        link = s.scalar(select(PatientLink).where(PatientLink.token_sha256 == _digest(token)))
        if link is None:
            raise LinkRefused("unknown")
        check_link_live(s, LinkGrant(link.id, link.patient_id, link.patient.clinic_id), now)
        s.execute(delete(LinkSession).where(LinkSession.expires_at <= now))
        link.last_used_at = now
        session_token = secrets.token_urlsafe(32)
        s.add(LinkSession(link_id=link.id, token_sha256=_digest(session_token), created_at=now,
                          expires_at=min(now + PAGE_SESSION, link.expires_at)))
    return session_token


def authenticate_link(db: Database, session_token: str,
                      now: dt.datetime | None = None) -> LinkGrant:
    """The :class:`LinkGrant` of a page session; :class:`LinkRefused` if it or its link ended."""
    now = now or utcnow()
    with db.transaction() as s:
        found = s.scalar(select(LinkSession).where(
            LinkSession.token_sha256 == _digest(session_token or "")))
        if found is None:
            raise LinkRefused("unknown")
        link = found.link
        grant = LinkGrant(link.id, link.patient_id, link.patient.clinic_id)
        check_link_live(s, grant, now)
        if now >= found.expires_at:
            s.delete(found)
            expired = True
        else:
            expired = False
    if expired:
        raise LinkRefused("session_expired")
    return grant
