"""Run one analysis job in a worker process that keeps its pose model between jobs."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..analysis import AnalysisResult, analyze_video
from ..clinic.db import Database
from ..i18n import text
from ..pose import PoseEstimator
from ..protocol import PatientSettings
from ..video import VideoError
from . import store
from .submit import video_error_text
from .timeline import mark

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5
CANCEL_GRACE_S = 5.0
"""After its time limit a job is asked to stop; one still busy this much later is left behind."""
#: A clinic job whose set cannot be saved (patient's protocol changed, session or clinician
#: gone) fails for good; database and file errors are left to the retry.
LANDING_ERRORS = (ValueError, LookupError, PermissionError)
T = TypeVar("T")

_estimator: PoseEstimator | None = None


def worker_name() -> str:
    """``host:pid`` of this process (shown in the job row; the kill -9 test reads it)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def estimator() -> PoseEstimator:
    """Return this process's pose model, loaded once and reset for each video."""
    global _estimator
    if _estimator is None:
        _estimator = PoseEstimator()
    _estimator.reset()
    return _estimator


class _Progress:
    """A running job's progress, stored by a thread of its own (the latest fraction only).

    A commit waits ~15 ms for the disk on SQLite; made on the analysis thread every
    :data:`PROGRESS_EVERY_S` it held the analysis up by ~3 %.
    """

    def __init__(self, db: Database, job_id: int) -> None:
        self._db, self._job_id = db, job_id
        self._latest: float | None = None
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._store, name="formcheck-progress",
                                        daemon=True)
        self._thread.start()

    def post(self, fraction: float) -> None:
        """Have ``fraction`` stored (replacing one not stored yet)."""
        self._latest = fraction
        self._wake.set()

    def _store(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            fraction, self._latest = self._latest, None
            if fraction is not None:
                try:
                    store.set_progress(self._db, self._job_id, fraction)
                except Exception:  # noqa: BLE001 - progress is shown, not kept
                    log.warning("progress of job %s not stored", self._job_id, exc_info=True)
            if self._closed:
                return

    def close(self) -> None:
        """Store what was posted, then stop (the job's end is stored after this)."""
        self._closed = True
        self._wake.set()
        self._thread.join(CANCEL_GRACE_S)


class JobFailed(Exception):
    """The video cannot be analysed: retrying will not help (the reason is for the user)."""


class _Cancelled(Exception):
    """Raised inside a job that ran past its time limit, at its next progress report."""


class _TimedOut(Exception):
    """A job ran past its time limit."""


def _within(limit_s: float, work: Callable[[], T], cancel: threading.Event) -> T:
    """``work()`` in a thread; :class:`_TimedOut` if it has not returned after ``limit_s``.

    On time-out ``cancel`` is set (the job stops at its next progress report). A job stuck
    in native code (a hung decoder) cannot be stopped: its thread is left behind, and so is
    this process's pose model, which it may still be using.
    """
    global _estimator
    box: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="formcheck-job", daemon=True).start()
    if not done.wait(limit_s):
        cancel.set()
        if not done.wait(CANCEL_GRACE_S):
            log.error("a job past its time limit is still busy; its thread is left behind")
            _estimator = None
        raise _TimedOut
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def run_job(db: Database, job_id: int) -> store.JobState:
    """Analyse the job's video with this process's model; store result or reason.

    Raises :class:`JobFailed` for a video that cannot be read (already marked failed);
    any other exception leaves the job to the queue's retry (the caller decides).
    """
    state = store.start_attempt(db, job_id, worker_name())
    mark(f"job {job_id} start")
    if state.attempts > store.MAX_ATTEMPTS:
        reason = f"analysis broke off {store.MAX_ATTEMPTS} times: {state.error or 'worker lost'}"
        store.fail(db, job_id, reason)
        raise JobFailed(reason)
    req = store.request_of(db, job_id)
    last = [0.0]
    share = 0.9 if req.video_out else 1.0  # of the progress bar, for the analysis
    cancel = threading.Event()
    progress = _Progress(db, job_id)

    def report(fraction: float) -> None:
        if cancel.is_set():
            raise _Cancelled
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            progress.post(fraction)

    settings = PatientSettings(side=req.side, approach=req.approach,
                               overrides=req.overrides or {})
    model = estimator()

    def work() -> AnalysisResult:
        result = analyze_video(req.video, req.exercise, settings, req.lang,
                               progress=lambda f: report(share * f), estimator=model,
                               analysis_fps=req.analysis_fps)
        result.source = req.source
        if req.track_out:
            from ..track_io import save_track

            Path(req.track_out).parent.mkdir(parents=True, exist_ok=True)
            save_track(result.track, req.track_out)
        if req.video_out:
            from ..annotated_video import write_annotated_video

            write_annotated_video(result, req.video, req.video_out,
                                  lambda f: report(share + (1 - share) * f))
        return result

    limit = req.timeout_s or store.timeout_for(state.media_s)
    try:
        try:
            result = _within(limit, work, cancel)
        finally:
            progress.close()
    except _TimedOut:
        reason = (text("errors.job_timeout", req.lang, detail=Path(req.source).name)
                  + f" ({limit:.0f} s)")
        store.fail(db, job_id, reason)
        raise JobFailed(reason) from None
    except VideoError as exc:
        reason = video_error_text(exc, req.lang, Path(req.source).name)
        store.fail(db, job_id, reason)
        raise JobFailed(reason) from None
    media_s = float(result.track.meta.get("duration_s") or result.duration_s)
    record = result.to_dict(series=False) if req.session_id is not None else None
    try:
        store.finish(db, job_id, result.to_dict(), media_s, record)
    except LANDING_ERRORS as exc:
        reason = f"{text('clinic_ui.not_saved', req.lang, detail=exc)}"
        store.fail(db, job_id, reason)
        raise JobFailed(reason) from None
    mark(f"job {job_id} end")
    return store.get(db, job_id)


def run_with_retry(db: Database, job_id: int) -> store.JobState:
    """Run a job here, once more after an unexpected error, then mark it failed (local mode)."""
    while True:
        try:
            return run_job(db, job_id)
        except JobFailed:
            return store.get(db, job_id)
        except Exception as exc:  # noqa: BLE001 - recorded as the job's reason
            log.exception("job %s failed", job_id)
            reason = f"{type(exc).__name__}: {exc}"
            if store.get(db, job_id).attempts >= store.MAX_ATTEMPTS:
                store.fail(db, job_id, reason)
                return store.get(db, job_id)
            store.requeue(db, job_id, reason)
