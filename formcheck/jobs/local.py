"""Local worker processes for the default SQLite store (no queue server needed).

Each process loads the pose model once and takes job ids from a process pool; job state
goes to the same ``analysis_job`` table as with PostgreSQL. A job is retried once after
an unexpected error; a process that dies takes its jobs down as failed (durability
against killed workers needs the PostgreSQL queue).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from ..clinic.db import Database, open_db
from . import store

_db: Database | None = None


def _start(url: str) -> None:
    from . import runner  # the engine: in the worker processes only

    global _db
    _db = open_db(url)
    runner.estimator()  # load the model before the first job


def _run(job_id: int) -> str:
    from . import runner

    assert _db is not None
    return runner.run_with_retry(_db, job_id).status


def default_processes() -> int:
    """One worker process per core."""
    return max(1, os.cpu_count() or 1)


class LocalWorkers:
    """A pool of worker processes on this machine for jobs in the store at ``url``."""

    def __init__(self, url: str, db: Database, processes: int | None = None) -> None:
        self.db = db
        self._pool = ProcessPoolExecutor(
            processes or default_processes(), mp_context=multiprocessing.get_context("spawn"),
            initializer=_start, initargs=(url,))

    def submit(self, job_id: int) -> Future:
        """Run a queued job in one of the processes."""
        future = self._pool.submit(_run, job_id)
        future.add_done_callback(lambda f: self._after(job_id, f))
        return future

    def _after(self, job_id: int, future: Future) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None and not store.get(self.db, job_id).finished:
            store.fail(self.db, job_id, f"worker process stopped: {type(exc).__name__}: {exc}")

    def close(self, wait: bool = True) -> None:
        """Stop the processes (after the queued jobs if ``wait``)."""
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


_shared: dict[str, LocalWorkers] = {}
_shared_lock = threading.Lock()


def shared(url: str, db: Database) -> LocalWorkers:
    """The long-lived pool of a server process (the app) for the store at ``url``."""
    with _shared_lock:
        if url not in _shared:
            _shared[url] = LocalWorkers(url, db)
        return _shared[url]
