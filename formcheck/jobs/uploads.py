"""Uploads from the app as jobs.

The video is saved, checked and queued; the page only watches the job's state and, once
done, rebuilds the full result from the saved pose track (no model needed). A clinic or
home upload (:class:`RecordUpload`) lands in the patient's record when its job is done
(see :mod:`.store`), whether or not anyone is still watching.

:func:`lifespan` is the app's start and end: with local worker processes (SQLite) it
resumes the jobs a stopped app left unfinished, and stops the processes with the app.

Job folders live under ``$FORMCHECK_JOB_DIR`` (default ``jobs/`` beside the SQLite
file); with workers on other machines that folder must be shared, at the same path.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import shutil
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from ..analysis import AnalysisResult, analyze_track
from ..clinic.db import default_db_path, default_db_url
from ..clinic.models import utcnow
from ..protocol import PatientSettings
from ..track_io import load_track
from . import store
from .store import JobRequest, JobState
from .submit import Jobs, check_video, is_postgres

log = logging.getLogger(__name__)
JOB_DIR_ENV = "FORMCHECK_JOB_DIR"
_jobs: dict[str, Jobs] = {}
_lock = threading.Lock()


def job_dir() -> Path:
    """Where uploads and their outputs are kept (``$FORMCHECK_JOB_DIR``)."""
    return Path(os.environ.get(JOB_DIR_ENV) or default_db_path().parent / "jobs")


@dataclass(frozen=True)
class RecordUpload:
    """Where an upload's set lands: a screening session of the patient's record.

    Saved as clinician ``clinician_id`` (a clinic session) or through patient link
    ``link_id`` (a home session); exactly one of the two. ``keep_video_dir``: the session's
    video folder when the session keeps video, else None.
    """

    session_id: int
    clinician_id: int | None
    keep_video_dir: str | None = None
    link_id: int | None = None

    def __post_init__(self) -> None:
        if (self.clinician_id is None) == (self.link_id is None):
            raise ValueError("a record upload acts for a clinician or a patient link")


def jobs(url: str | None = None) -> Jobs:
    """Return the server process's job submitter (local worker processes with SQLite)."""
    url = url or default_db_url()
    with _lock:
        if url not in _jobs:
            _jobs[url] = Jobs(url, shared_local=True)
        return _jobs[url]


def submit(name: str, data: bytes | None, path: str | None, exercise: str,
           settings: PatientSettings, lang: str, clinic: RecordUpload | None = None,
           url: str | None = None) -> JobState:
    """Save an upload (or take a file already on disk), check it, queue it.

    A video that cannot be read raises :class:`~formcheck.video.VideoError` here, before
    anything is queued (and its saved copy is removed). An upload into the record
    (``clinic``, from the clinic or from home) needs ``data`` (the job's own copy, not kept
    past the job) and makes no annotated video.
    """
    if clinic is not None and data is None:
        raise ValueError("an upload into the record is queued with its data")
    folder = job_dir() / secrets.token_hex(8)
    folder.mkdir(parents=True)
    if data is not None:
        video = folder / ("upload" + (Path(name).suffix.lower() or ".mp4"))
        video.write_bytes(data)
    else:
        video = Path(path or "")
    try:
        check_video(str(video))
        return jobs(url).submit(JobRequest(
            video=str(video.resolve()), exercise=exercise, side=settings.side,
            approach=settings.approach, lang=lang, source=name,
            video_out=None if clinic else str((folder / "annotated.mp4").resolve()),
            track_out=str((folder / "track.npz").resolve()),
            overrides=dict(settings.overrides) or None,
            session_id=clinic.session_id if clinic else None,
            clinician_id=clinic.clinician_id if clinic else None,
            keep_video_dir=clinic.keep_video_dir if clinic else None,
            link_id=clinic.link_id if clinic else None))
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def state(key: str, url: str | None = None) -> JobState | None:
    """The job behind a link's key, or None."""
    return store.by_key(jobs(url).db, key)


def session_jobs(session_id: int, url: str | None = None) -> list[JobState]:
    """The clinic uploads of a screening session, oldest first."""
    return store.session_jobs(jobs(url).db, session_id)


def home_jobs(patient_id: int, url: str | None = None) -> list[JobState]:
    """A patient's home uploads to follow, oldest first.

    Queued, running, landed without the pain answer, or failed within the last hour.
    """
    return store.home_jobs(jobs(url).db, patient_id, utcnow() - dt.timedelta(hours=1))


def open_sessions(clinician_id: int, url: str | None = None) -> list[int]:
    """Sessions with this clinician's uploads still queued, running or awaiting the pain answer."""
    return store.open_clinic_sessions(jobs(url).db, clinician_id)


def analysis(job: JobState, url: str | None = None) -> AnalysisResult:
    """The full result of a done job, re-counted from its pose track (no model needed)."""
    req = store.request_of(jobs(url).db, job.id)
    res = analyze_track(load_track(job.track_out or ""), req.exercise,
                        PatientSettings(side=req.side, approach=req.approach,
                                        overrides=req.overrides or {}), req.lang)
    res.source = req.source
    return res


def result(job: JobState) -> tuple[AnalysisResult, bytes]:
    """The full result of a done job and its annotated video."""
    return analysis(job), Path(job.video_out or "").read_bytes()


def forget(job: JobState) -> None:
    """Remove what a job left in its folder (its pose track) once it has been seen."""
    if job.track_out:
        shutil.rmtree(Path(job.track_out).parent, ignore_errors=True)


def _resume(url: str) -> None:
    if is_postgres(url):
        return  # the queue hands stalled jobs to other workers itself
    parsed = make_url(url)
    if parsed.database in (None, "", ":memory:") or not Path(parsed.database).exists():
        return  # no store yet: nothing was left
    submitter = jobs(url)
    from . import local

    local.resume(submitter.url, submitter.db)


@contextlib.asynccontextmanager
async def lifespan(app: Any = None) -> AsyncIterator[None]:
    """The app's start and end (``st.App(lifespan=...)``; see the module)."""
    try:
        await asyncio.to_thread(_resume, default_db_url())
    except Exception:  # noqa: BLE001 - the app must start; the jobs wait for the next start
        log.exception("resuming the analysis jobs of a stopped app failed")
    try:
        yield
    finally:
        from . import local

        local.stop_shared()
