"""SQLAlchemy 2.0 mapped classes of the clinic store.

clinic 1-n clinician, clinic 1-n patient, patient 1-n screening session 1-n exercise set 1-n rep;
patient 1-n patient link 1-n link session (a patient's personal programme link and the page
sessions it was exchanged for). Deleting a patient cascades to everything recorded about them.
Times are stored as naive UTC and read back as timezone-aware UTC (:class:`UTCDateTime`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A ``DateTime`` kept as naive UTC in the database, aware UTC in Python."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        """Convert an aware datetime to naive UTC (naive values are taken as UTC)."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        """Mark a stored naive UTC datetime as UTC."""
        return value.replace(tzinfo=dt.UTC) if value is not None else None


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is the migration target."""

    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class Clinic(Base):
    """A clinic; clinicians see only its patients."""

    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    clinicians: Mapped[list[Clinician]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", passive_deletes=True
    )
    patients: Mapped[list[Patient]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", passive_deletes=True
    )


class Clinician(Base):
    """A clinician account; ``username`` is unique across the store."""

    __tablename__ = "clinician"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    clinic: Mapped[Clinic] = relationship(back_populates="clinicians")
    login_sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="clinician", cascade="all, delete-orphan", passive_deletes=True
    )


class LoginSession(Base):
    """A login; only the SHA-256 of its token is stored. Idle sessions expire."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinician.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    idle_timeout_s: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime]

    clinician: Mapped[Clinician] = relationship(back_populates="login_sessions")


class FailedLogin(Base):
    """A refused login attempt (wrong password, unknown user or locked out), for lockout and audit.

    ``username`` is the name as tried, normalised (stripped, lower case, at most 100 chars).
    ``cleared`` is set when the user next logs in, so old typos stop counting to a lockout.
    """

    __tablename__ = "failed_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)


class Patient(Base):
    """A patient under a pseudonymous code (never a name), with their exercise protocol."""

    __tablename__ = "patient"
    __table_args__ = (UniqueConstraint("clinic_id", "code", name="uq_patient_clinic_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    approach: Mapped[str] = mapped_column(String(20))
    operated_side: Mapped[str] = mapped_column(String(5))
    surgery_date: Mapped[dt.date | None] = mapped_column(Date)
    enabled_exercises: Mapped[list[str]] = mapped_column(JSON)
    limit_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dosage_sets: Mapped[int] = mapped_column(Integer, default=3)
    dosage_reps: Mapped[int] = mapped_column(Integer, default=5)
    home_video_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    clinic: Mapped[Clinic] = relationship(back_populates="patients")
    links: Mapped[list[PatientLink]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PatientLink.created_at",
    )
    sessions: Mapped[list[ScreeningSession]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ScreeningSession.started_at",
    )
    dosage_changes: Mapped[list[DosageChange]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DosageChange.confirmed_at",
    )


class PatientLink(Base):
    """A personal programme link: grants one patient's programme until it expires or is revoked.

    Only the SHA-256 of the link's token is stored (like a login token).
    """

    __tablename__ = "patient_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinician.id", ondelete="SET NULL")
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_at: Mapped[dt.datetime | None]

    patient: Mapped[Patient] = relationship(back_populates="links")
    sessions: Mapped[list[LinkSession]] = relationship(
        back_populates="link", cascade="all, delete-orphan", passive_deletes=True
    )


class LinkSession(Base):
    """A page session a patient link was exchanged for (only its token's SHA-256 is stored)."""

    __tablename__ = "link_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("patient_link.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]

    link: Mapped[PatientLink] = relationship(back_populates="sessions")


class DosageChange(Base):
    """A clinician's confirmation of a new dosage stage for a patient."""

    __tablename__ = "dosage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinician.id", ondelete="SET NULL")
    )
    from_sets: Mapped[int] = mapped_column(Integer)
    from_reps: Mapped[int] = mapped_column(Integer)
    to_sets: Mapped[int] = mapped_column(Integer)
    to_reps: Mapped[int] = mapped_column(Integer)
    confirmed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="dosage_changes")


class ScreeningSession(Base):
    """One session of a patient; video is kept only when ``store_video`` is on.

    ``source``: ``clinic`` (a clinician screened) or ``home`` (done through a patient link,
    ``link_id``; ``clinician_id`` is then empty).
    """

    __tablename__ = "screening_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinician.id", ondelete="SET NULL")
    )
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    store_video: Mapped[bool] = mapped_column(Boolean, default=False)
    video_path: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10), default="clinic")
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient_link.id", ondelete="SET NULL")
    )

    patient: Mapped[Patient] = relationship(back_populates="sessions")
    clinician: Mapped[Clinician | None] = relationship()
    sets: Mapped[list[ExerciseSet]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExerciseSet.set_number",
    )


class ExerciseSet(Base):
    """One set of one exercise: the engine's result, pain (0-10) and swelling."""

    __tablename__ = "exercise_set"
    __table_args__ = (UniqueConstraint("session_id", "set_number", name="uq_set_session_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("screening_session.id", ondelete="CASCADE"), index=True
    )
    set_number: Mapped[int] = mapped_column(Integer)
    exercise: Mapped[str] = mapped_column(String(40))
    side: Mapped[str | None] = mapped_column(String(5))
    approach: Mapped[str | None] = mapped_column(String(20))
    rep_count: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int | None] = mapped_column(Integer)
    target_reps: Mapped[int] = mapped_column(Integer)
    detection_rate: Mapped[float | None] = mapped_column(Float)
    view: Mapped[str | None] = mapped_column(String(20))
    duration_s: Mapped[float | None] = mapped_column(Float)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pain: Mapped[int | None] = mapped_column(Integer)
    swelling: Mapped[bool] = mapped_column(Boolean, default=False)
    pain_advice: Mapped[str | None] = mapped_column(String(40))
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    raw_result: Mapped[dict[str, Any]] = mapped_column(JSON)

    session: Mapped[ScreeningSession] = relationship(back_populates="sets")
    reps: Mapped[list[Rep]] = relationship(
        back_populates="exercise_set",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Rep.index",
    )


class Rep(Base):
    """One repetition attempt of a set with its metrics and fault codes."""

    __tablename__ = "rep"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_set.id", ondelete="CASCADE"), index=True
    )
    index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    peak_deg: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float | None] = mapped_column(Float)
    completed: Mapped[bool] = mapped_column(Boolean, default=True)
    faults: Mapped[list[str]] = mapped_column(JSON, default=list)

    exercise_set: Mapped[ExerciseSet] = relationship(back_populates="reps")
