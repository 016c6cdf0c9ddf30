"""Uploads from the app as jobs.

The video is saved, checked and queued; the page only watches the job's state and, once
done, rebuilds the full result from the saved pose track (no model needed).

Job folders live under ``$FORMCHECK_JOB_DIR`` (default ``jobs/`` beside the SQLite
file); with workers on other machines that folder must be shared, at the same path.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from pathlib import Path

from ..analysis import AnalysisResult, analyze_track
from ..clinic.db import default_db_path, default_db_url
from ..protocol import PatientSettings
from ..track_io import load_track
from . import store
from .store import JobRequest, JobState
from .submit import Jobs, check_video

JOB_DIR_ENV = "FORMCHECK_JOB_DIR"
_jobs: dict[str, Jobs] = {}
_lock = threading.Lock()


def job_dir() -> Path:
    """Where uploads and their outputs are kept (``$FORMCHECK_JOB_DIR``)."""
    return Path(os.environ.get(JOB_DIR_ENV) or default_db_path().parent / "jobs")


def jobs() -> Jobs:
    """Return the server process's job submitter (local worker processes with SQLite)."""
    url = default_db_url()
    with _lock:
        if url not in _jobs:
            _jobs[url] = Jobs(url, shared_local=True)
        return _jobs[url]


def submit(name: str, data: bytes | None, path: str | None, exercise: str,
           settings: PatientSettings, lang: str) -> JobState:
    """Save an upload (or take a file already on disk), check it, queue it.

    A video that cannot be read raises :class:`~formcheck.video.VideoError` here, before
    anything is queued (and its saved copy is removed).
    """
    folder = job_dir() / secrets.token_hex(8)
    folder.mkdir(parents=True)
    if data is not None:
        video = folder / ("upload" + (Path(name).suffix.lower() or ".mp4"))
        video.write_bytes(data)
    else:
        video = Path(path or "")
    try:
        check_video(str(video))
        return jobs().submit(JobRequest(
            video=str(video.resolve()), exercise=exercise, side=settings.side,
            approach=settings.approach, lang=lang, source=name,
            video_out=str((folder / "annotated.mp4").resolve()),
            track_out=str((folder / "track.npz").resolve())))
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def state(key: str) -> JobState | None:
    """The job behind a link's key, or None."""
    return store.by_key(jobs().db, key)


def result(job: JobState) -> tuple[AnalysisResult, bytes]:
    """The full result of a done job (re-counted from its pose track) and its annotated video."""
    req = store.request_of(jobs().db, job.id)
    res = analyze_track(load_track(job.track_out or ""), req.exercise,
                        PatientSettings(side=req.side, approach=req.approach), req.lang)
    res.source = req.source
    return res, Path(job.video_out or "").read_bytes()
