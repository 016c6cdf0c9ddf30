"""Local worker processes for the default SQLite store (no queue server needed).

Each process loads the pose model once and takes job ids from a process pool; job state
goes to the same ``analysis_job`` table as with PostgreSQL. A job is retried once after
an unexpected error; a process that dies on its own takes its jobs down as failed
(durability against killed workers needs the PostgreSQL queue).

The app's processes (:func:`shared`) end with the app: stopped at its exit
(:func:`stop_shared`), and each one ends by itself when the app process is gone (even
after kill -9; so do a batch's). They ignore Ctrl-C and SIGTERM sent to the app's whole
process group, so that a job is never failed by the app's own stop. The jobs they were
running or had queued are not lost: the next app start runs them again (:func:`resume`).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from ..clinic.db import Database, open_db
from . import store
from .timeline import mark

log = logging.getLogger(__name__)
_db: Database | None = None


def _end_with_parent() -> None:
    """End this worker process as soon as the process that started it has ended.

    Its job stays ``running`` in the store, owned by the gone app: :func:`resume` runs it
    again at the next start.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="formcheck-parent-watch", daemon=True).start()


def _leave() -> None:
    """A worker process's last step: end without the interpreter's teardown of MediaPipe.

    That teardown took ~0.5 s, which a batch waits for. The models are closed before this
    runs (:mod:`formcheck.pose` closes them as the interpreter begins to exit).
    """
    logging.shutdown()
    mark("worker exit")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _start(url: str, app: bool, pids: multiprocessing.SimpleQueue) -> None:
    pids.put(os.getpid())  # for LocalWorkers.stop
    mark("worker start")
    from . import runner  # the engine: in the worker processes only

    global _db
    _end_with_parent()
    if app:
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, signal.SIG_IGN)
    _db = open_db(url)
    runner.estimator()  # load the model before the first job
    mark("worker ready")
    atexit.register(_leave)  # after the engine's and its libraries' exit handlers: runs first


def _run(job_id: int) -> str:
    from . import runner

    assert _db is not None
    return runner.run_with_retry(_db, job_id).status


def _ready() -> None:
    """A no-op job: makes the pool start a process (which loads the model) before any job."""


def default_processes() -> int:
    """One worker process per core."""
    return max(1, os.cpu_count() or 1)


class LocalWorkers:
    """A pool of worker processes on this machine for jobs in the store at ``url``.

    The processes start with the first job, or at once with ``start``. ``db`` (the store,
    to fail a job whose process died) may be set after.
    """

    def __init__(self, url: str, db: Database | None, processes: int | None = None,
                 app: bool = False, start: bool = False) -> None:
        self.db = db
        self._stopping = False
        n = processes or default_processes()
        context = multiprocessing.get_context("spawn")
        self._pids = context.SimpleQueue()  # each process puts its id as it starts
        self._pool = ProcessPoolExecutor(n, mp_context=context, initializer=_start,
                                         initargs=(url, app, self._pids))
        if start:
            for _ in range(n):  # the pool starts one more process per job none is free for
                self._pool.submit(_ready)

    def submit(self, job_id: int) -> Future:
        """Run a queued job in one of the processes."""
        future = self._pool.submit(_run, job_id)
        future.add_done_callback(lambda f: self._after(job_id, f))
        return future

    def _after(self, job_id: int, future: Future) -> None:
        if future.cancelled() or self._stopping:
            return  # stopped with the app: resumed at its next start
        exc = future.exception()
        assert self.db is not None
        if exc is not None and not store.get(self.db, job_id).finished:
            store.fail(self.db, job_id, f"worker process stopped: {type(exc).__name__}: {exc}")

    def close(self, wait: bool = True) -> None:
        """Stop the processes (after the queued jobs if ``wait``)."""
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def stop(self) -> None:
        """Stop the processes now, mid-job; their jobs stay unfinished for :func:`resume`."""
        self._stopping = True
        # The executor lists its processes only from Python 3.14 (kill_workers()); they
        # told their ids as they started. One still starting (not yet told) is not killed:
        # it finds the pool shut when it is ready, and ends.
        pids = set()
        while not self._pids.empty():
            pids.add(self._pids.get())
        processes = [p for p in multiprocessing.active_children() if p.pid in pids]
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            p.kill()  # an app's processes ignore SIGTERM (see the module)
        for p in processes:
            p.join(5.0)


_shared: dict[str, LocalWorkers] = {}
_shared_lock = threading.Lock()


def shared(url: str, db: Database) -> LocalWorkers:
    """The long-lived pool of a server process (the app) for the store at ``url``."""
    with _shared_lock:
        if url not in _shared:
            _shared[url] = LocalWorkers(url, db, app=True)
        return _shared[url]


def stop_shared() -> None:
    """The app ends: stop its processes (see the module)."""
    with _shared_lock:
        pools = list(_shared.values())
        _shared.clear()
    for pool in pools:
        pool.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resume(url: str, db: Database) -> list[int]:
    """At the app's start: run again the unfinished jobs of an app process that has ended."""
    adopted = store.adopt_orphans(db, _alive)
    if adopted:
        log.info("resuming %d analysis job(s) left by a stopped app", len(adopted))
        workers = shared(url, db)
        for job_id in adopted:
            workers.submit(job_id)
    return adopted
