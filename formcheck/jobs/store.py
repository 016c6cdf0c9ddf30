"""The ``analysis_job`` table: what was asked, how far it got, what came out.

The queue (procrastinate, or local processes) only moves job ids; the state a user or
``formcheck batch`` watches lives here, in the formcheck database, so it survives the
browser tab, the worker and the server.

A clinic or home upload's job names a screening session (``session_id``) and whom it acts
for: the clinician (``clinician_id``) or the patient's link (``link_id``, a home session).
When it is done, :func:`finish` saves its set into that session in the same transaction
that marks it done, so the set lands exactly once, whoever watches. Its video is the
upload's own copy: moved to ``keep_video_dir`` (sessions that keep video) or deleted once
the job is done or failed.

A job run by the app's local worker processes (SQLite) has an ``owner``, the app process
(``host:pid``); the next app start resumes the unfinished jobs of an owner that is gone
(:func:`adopt_orphans`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, and_, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ..clinic.db import Database, open_db, private_dir, upgrade
from ..clinic.models import Base, Clinician, Patient, PatientLink, ScreeningSession, utcnow
from . import TIMEOUT_BASE_S, TIMEOUT_PER_VIDEO_S

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINAL = (DONE, FAILED)
MAX_ATTEMPTS = 2
"""A video whose analysis fails (or whose worker dies) this many times is marked failed."""


def timeout_for(media_s: float | None) -> float:
    """The time limit of one attempt at a video of ``media_s`` seconds.

    ``base + per_video × media_s``: :data:`~formcheck.jobs.TIMEOUT_BASE_S` and
    :data:`~formcheck.jobs.TIMEOUT_PER_VIDEO_S`, or ``$FORMCHECK_JOB_TIMEOUT_BASE_S`` and
    ``$FORMCHECK_JOB_TIMEOUT_PER_VIDEO_S`` where the jobs are queued.
    """
    base = float(os.environ.get("FORMCHECK_JOB_TIMEOUT_BASE_S") or TIMEOUT_BASE_S)
    per_video = float(os.environ.get("FORMCHECK_JOB_TIMEOUT_PER_VIDEO_S")
                      or TIMEOUT_PER_VIDEO_S)
    return base + per_video * max(0.0, media_s or 0.0)


class AnalysisJob(Base):
    """One video to analyse; ``result`` is the engine's JSON result once ``status`` is done."""

    __tablename__ = "analysis_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    video: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    exercise: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    approach: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8))
    analysis_fps: Mapped[float] = mapped_column(Float)
    video_out: Mapped[str | None] = mapped_column(Text, default=None)
    track_out: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result_json: Mapped[str | None] = mapped_column(Text, default=None)
    media_s: Mapped[float | None] = mapped_column(Float, default=None)
    timeout_s: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("screening_session.id", ondelete="CASCADE"), index=True, default=None)
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinician.id", ondelete="SET NULL"), default=None)
    set_id: Mapped[int | None] = mapped_column(
        ForeignKey("exercise_set.id", ondelete="SET NULL"), default=None)
    keep_video_dir: Mapped[str | None] = mapped_column(Text, default=None)
    overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient_link.id", ondelete="SET NULL"), default=None)
    owner: Mapped[str | None] = mapped_column(String(200), default=None)


@dataclass(frozen=True)
class JobRequest:
    """What to analyse and how; paths must be readable (and writable) by every worker.

    ``overrides``: the patient's own limits (:class:`~formcheck.protocol.PatientSettings`).
    ``timeout_s``: the limit of one attempt (default :func:`timeout_for` the video's
    length). ``session_id``/``clinician_id``: a clinic upload whose set lands in that
    screening session; ``session_id``/``link_id``: a home upload, landing through that patient
    link; ``keep_video_dir``: where its video is kept (sessions that keep video).
    """

    video: str
    exercise: str
    side: str
    approach: str = "posterolateral"
    lang: str = "nl"
    analysis_fps: float = 10.0
    source: str = ""
    video_out: str | None = None
    track_out: str | None = None
    timeout_s: float | None = None
    session_id: int | None = None
    clinician_id: int | None = None
    keep_video_dir: str | None = None
    overrides: dict[str, Any] | None = None
    link_id: int | None = None


@dataclass(frozen=True)
class JobState:
    """A read-only snapshot of a job row."""

    id: int
    key: str
    source: str
    status: str
    progress: float
    attempts: int
    worker: str | None
    error: str | None
    media_s: float | None
    video_out: str | None
    track_out: str | None
    result_json: str | None
    timeout_s: float | None = None
    session_id: int | None = None
    set_id: int | None = None
    exercise: str = ""

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will happen to it."""
        return self.status in FINAL

    @property
    def result(self) -> dict[str, Any] | None:
        """The engine's JSON result as a dict, once done."""
        return json.loads(self.result_json) if self.result_json else None


def _state(job: AnalysisJob) -> JobState:
    return JobState(job.id, job.key, job.source, job.status, job.progress, job.attempts,
                    job.worker, job.error, job.media_s, job.video_out, job.track_out,
                    job.result_json, job.timeout_s, job.session_id, job.set_id, job.exercise)


def process_name() -> str:
    """``host:pid`` of this process (a job's ``worker`` or ``owner``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def create(db: Database, request: JobRequest, media_s: float | None = None,
           owner: str | None = None) -> JobState:
    """Record a new queued job (``owner``: the app process whose local workers run it)."""
    with db.transaction() as s:
        job = AnalysisJob(key=secrets.token_urlsafe(16), video=request.video,
                          source=request.source or request.video, exercise=request.exercise,
                          side=request.side, approach=request.approach, lang=request.lang,
                          analysis_fps=request.analysis_fps, video_out=request.video_out,
                          track_out=request.track_out, media_s=media_s, status=QUEUED,
                          progress=0.0, attempts=0,
                          timeout_s=request.timeout_s or timeout_for(media_s),
                          session_id=request.session_id, clinician_id=request.clinician_id,
                          keep_video_dir=request.keep_video_dir, overrides=request.overrides,
                          link_id=request.link_id, owner=owner)
        s.add(job)
        s.flush()
        return _state(job)


def request_of(db: Database, job_id: int) -> JobRequest:
    """The request a job was created with."""
    with db.transaction() as s:
        j = s.get_one(AnalysisJob, job_id)
        return JobRequest(j.video, j.exercise, j.side, j.approach, j.lang, j.analysis_fps,
                          j.source, j.video_out, j.track_out, j.timeout_s, j.session_id,
                          j.clinician_id, j.keep_video_dir, j.overrides, j.link_id)


def start_attempt(db: Database, job_id: int, worker: str) -> JobState:
    """Mark a job running on ``worker``; counts the attempt."""
    with db.transaction() as s:
        job = s.get_one(AnalysisJob, job_id, with_for_update=True)
        job.status, job.progress, job.worker = RUNNING, 0.0, worker
        job.attempts += 1
        job.started_at = utcnow()
        return _state(job)


def set_progress(db: Database, job_id: int, fraction: float) -> None:
    """Store how far a running job is, 0–1."""
    with db.transaction() as s:
        job = s.get_one(AnalysisJob, job_id)
        if job.status == RUNNING:
            job.progress = float(fraction)


def finish(db: Database, job_id: int, result: dict[str, Any], media_s: float,
           record: dict[str, Any] | None = None) -> None:
    """Store a job's result and mark it done; a clinic job also saves its set, atomically.

    ``record``: the result as the patient's record keeps it (default ``result``). Saving the
    set may raise one of ``records.SAVE_ERRORS`` (then nothing is written).
    """
    with db.transaction() as s:
        job = s.get_one(AnalysisJob, job_id, with_for_update=True)
        if job.status in FINAL:
            return  # another attempt got there first
        if job.session_id is not None and job.set_id is None:
            job.set_id = _land(s, job, record if record is not None else result).id
        job.status, job.progress, job.error = DONE, 1.0, None
        job.result_json = json.dumps(result, ensure_ascii=False)
        job.media_s = media_s
        job.finished_at = utcnow()
    _drop_upload(job)


def _principal(s: Any, job: AnalysisJob) -> Any:
    """Whom a job's set is saved as: its clinician, or (a home upload) its patient link."""
    from ..clinic import records

    if job.link_id is not None:
        link = s.get(PatientLink, job.link_id)
        patient = s.get(Patient, link.patient_id) if link is not None else None
        if patient is None:
            raise records.NotFoundError("the link this set was uploaded with no longer exists")
        return records.LinkGrant(link.id, patient.id, patient.clinic_id)
    clinician = s.get(Clinician, job.clinician_id) if job.clinician_id is not None else None
    if clinician is None:
        raise records.NotFoundError("the clinician who uploaded this set no longer exists")
    return clinician


def _land(s: Any, job: AnalysisJob, record: dict[str, Any]) -> Any:
    """Save a job's set (and keep its video if the session does) in transaction ``s``.

    A home upload's video is kept only while the clinician still allows video from home.
    """
    from ..clinic import records

    principal = _principal(s, job)
    saved = records.add_set(s, job.session_id, record, None, clinician=principal)
    screening = s.get_one(ScreeningSession, job.session_id)
    if isinstance(principal, records.LinkGrant) and not screening.patient.home_video_allowed:
        return saved  # switched off since the upload: the video goes with the job
    if job.keep_video_dir:
        if not screening.store_video:
            raise records.PrivacyError(f"session {job.session_id} does not allow storing video")
        folder = private_dir(Path(job.keep_video_dir))
        kept = folder / f"set_{saved.set_number:02d}_{saved.exercise}{Path(job.video).suffix}"
        shutil.copyfile(job.video, kept)  # the upload itself goes after the commit
        kept.chmod(0o600)
        screening.video_path = str(folder)
    return saved


def _drop_upload(job: AnalysisJob) -> None:
    """A clinic or home job's own copy of the upload is not kept past the job (see the module)."""
    if job.session_id is not None:
        Path(job.video).unlink(missing_ok=True)


def fail(db: Database, job_id: int, reason: str) -> None:
    """Mark a job failed for good, with the reason the user will read."""
    with db.transaction() as s:
        job = s.get_one(AnalysisJob, job_id, with_for_update=True)
        job.status, job.error = FAILED, reason
        job.finished_at = utcnow()
    _drop_upload(job)


def requeue(db: Database, job_id: int, reason: str) -> None:
    """Put a job back in the queue after an attempt that broke off (``reason`` kept)."""
    with db.transaction() as s:
        job = s.get_one(AnalysisJob, job_id, with_for_update=True)
        if job.status not in FINAL:
            job.status, job.progress, job.error = QUEUED, 0.0, reason


def get(db: Database, job_id: int) -> JobState:
    """One job's state."""
    with db.transaction() as s:
        return _state(s.get_one(AnalysisJob, job_id))


def by_key(db: Database, key: str) -> JobState | None:
    """The job with this (unguessable) key, e.g. from a link, or None."""
    with db.transaction() as s:
        job = s.scalars(select(AnalysisJob).where(AnalysisJob.key == key)).first()
        return _state(job) if job else None


def home_jobs(db: Database, patient_id: int, failed_since: dt.datetime) -> list[JobState]:
    """A patient's home uploads still to follow, oldest first.

    Queued or running, landed without a pain answer, or failed since ``failed_since``.
    """
    from ..clinic.models import ExerciseSet

    with db.transaction() as s:
        rows = s.scalars(
            select(AnalysisJob)
            .join(ScreeningSession, ScreeningSession.id == AnalysisJob.session_id)
            .outerjoin(ExerciseSet, ExerciseSet.id == AnalysisJob.set_id)
            .where(ScreeningSession.patient_id == patient_id,
                   ScreeningSession.source == "home",
                   or_(AnalysisJob.status.in_((QUEUED, RUNNING)),
                       and_(AnalysisJob.status == DONE, AnalysisJob.set_id.is_not(None),
                            ExerciseSet.pain.is_(None)),
                       and_(AnalysisJob.status == FAILED,
                            AnalysisJob.finished_at >= failed_since)))
            .order_by(AnalysisJob.id))
        return [_state(j) for j in rows]


def adopt_orphans(db: Database, alive: Callable[[int], bool]) -> list[int]:
    """Take over the unfinished local jobs of app processes on this host that are gone.

    Their owner becomes this process; one that was running goes back to the queue (its
    attempt counted, as for a killed worker). ``alive(pid)``: whether a process still runs.
    Returns the adopted jobs' ids, for this process's local workers to run.
    """
    me, host = process_name(), socket.gethostname()
    adopted = []
    with db.transaction() as s:
        rows = s.scalars(select(AnalysisJob).where(AnalysisJob.status.in_((QUEUED, RUNNING)),
                                                   AnalysisJob.owner.like(f"{host}:%"),
                                                   AnalysisJob.owner != me)
                         .order_by(AnalysisJob.id))
        for job in rows:
            pid = (job.owner or "").rpartition(":")[2]
            if pid.isdigit() and alive(int(pid)):
                continue
            if job.status == RUNNING:
                job.status, job.progress = QUEUED, 0.0
                job.error = "interrupted: the app stopped during the analysis"
            job.owner = me
            adopted.append(job.id)
    return adopted


def session_jobs(db: Database, session_id: int) -> list[JobState]:
    """The jobs of a screening session (clinic uploads), oldest first."""
    with db.transaction() as s:
        rows = s.scalars(select(AnalysisJob).where(AnalysisJob.session_id == session_id)
                         .order_by(AnalysisJob.id))
        return [_state(j) for j in rows]


def open_clinic_sessions(db: Database, clinician_id: int) -> list[int]:
    """Screening sessions with this clinician's uploads still to follow, latest first.

    An upload is still to follow while queued or running, or landed without a pain answer.
    """
    from ..clinic.models import ExerciseSet

    with db.transaction() as s:
        query = (select(AnalysisJob.session_id)
                 .outerjoin(ExerciseSet, ExerciseSet.id == AnalysisJob.set_id)
                 .where(AnalysisJob.clinician_id == clinician_id,
                        AnalysisJob.session_id.is_not(None),
                        or_(AnalysisJob.status.in_((QUEUED, RUNNING)),
                            and_(AnalysisJob.status == DONE, AnalysisJob.set_id.is_not(None),
                                 ExerciseSet.pain.is_(None))))
                 .order_by(AnalysisJob.id.desc()))
        return list(dict.fromkeys(s.scalars(query)))


def states(db: Database, ids: list[int]) -> list[JobState]:
    """The states of several jobs, in the order of ``ids``."""
    with db.transaction() as s:
        rows = {j.id: j for j in s.scalars(select(AnalysisJob).where(AnalysisJob.id.in_(ids)))}
        return [_state(rows[i]) for i in ids]


SCHEMA_LOCK = 0x666F726D  # pg_advisory_lock key while migrating ("form")


def open_store(url: str | None = None) -> Database:
    """Open the formcheck database and upgrade its schema to head.

    On PostgreSQL the queue's tables come with the migrations; an advisory lock keeps
    workers that start together from migrating at the same time.
    """
    db = open_db(url)
    if db.engine.dialect.name != "postgresql":
        upgrade(db.engine)
        return db
    with db.engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({SCHEMA_LOCK})")
        try:
            upgrade(db.engine)
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({SCHEMA_LOCK})")
    return db


def not_queue_table(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` filter: procrastinate's tables are its own, not our models'."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))
