"""Hand analysis jobs to the queue that fits the database: procrastinate or local processes."""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, wait

from sqlalchemy.engine import make_url

from ..clinic.db import default_db_url
from ..i18n import has, text
from ..video import VideoError, probe
from . import store
from .store import JobRequest, JobState


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (then jobs go through the queue)."""
    return make_url(url).get_backend_name() == "postgresql"


def video_error_text(exc: VideoError, lang: str, name: str) -> str:
    """The user's message for an unreadable video."""
    key = f"errors.{exc.code}" if has(f"errors.{exc.code}") else "errors.not_a_video"
    return text(key, lang, detail=name)


def check_video(path: str) -> float:
    """Fail fast, before queueing: the video's duration in s, or :class:`VideoError`."""
    return probe(path).duration_s


class Jobs:
    """Submit jobs and read their state.

    With PostgreSQL the jobs are deferred to procrastinate for ``formcheck worker``
    processes on any machine; with SQLite they run in ``local_processes`` local
    processes (default one per core), started on first use, or (``start_local``) at
    once, to load their models while the store is opened and the videos checked.
    """

    def __init__(self, url: str | None = None, local_processes: int | None = None,
                 shared_local: bool = False, start_local: bool = False) -> None:
        self.url = url or default_db_url()
        self.postgres = is_postgres(self.url)
        self._processes = local_processes
        self._shared_local = shared_local
        self._app = None
        self._local = None
        self._futures: dict[int, Future] = {}
        if start_local and not self.postgres and not shared_local:
            from . import local

            self._local = local.LocalWorkers(self.url, None, local_processes, start=True)
        try:
            self.db = store.open_store(self.url)
        except BaseException:
            if self._local is not None:
                self._local.stop()  # still starting: not waited for
            raise
        if self._local is not None:
            self._local.db = self.db

    def submit(self, request: JobRequest) -> JobState:
        """Check the video (:class:`VideoError` if unreadable), record the job, queue it."""
        return self.submit_many([request])[0]

    def submit_many(self, requests: list[JobRequest], media_s: list[float] | None = None
                    ) -> list[JobState]:
        """Record and queue several jobs, in this order.

        Their videos are checked here (:class:`VideoError`), unless ``media_s`` gives their
        durations from the caller's own :func:`check_video`.
        """
        # The app's own local jobs are resumed by its next start (see local.resume).
        owner = store.process_name() if self._shared_local and not self.postgres else None
        durations = media_s if media_s is not None else [check_video(r.video) for r in requests]
        created = [store.create(self.db, r, d, owner)
                   for r, d in zip(requests, durations, strict=True)]
        if self.postgres:
            from . import queue

            if self._app is None:
                self._app = queue.make_app(self.url).open()
            queue.enqueue(self._app, [s.id for s in created])
        else:
            from . import local

            if self._local is None:
                self._local = (local.shared(self.url, self.db) if self._shared_local
                               else local.LocalWorkers(self.url, self.db, self._processes))
            for s in created:
                self._futures[s.id] = self._local.submit(s.id)
        return created

    def wait(self, ids: list[int], timeout: float) -> None:
        """Wait until one of the jobs ``ids`` has ended here, at most ``timeout`` s.

        Returns at once when a local process ends one; jobs on the queue (workers anywhere)
        report to the store only: then this waits ``timeout``.
        """
        running = [f for i in ids if (f := self._futures.get(i)) is not None and not f.done()]
        if running:
            wait(running, timeout, return_when=FIRST_COMPLETED)
        else:
            time.sleep(timeout)

    def states(self, ids: list[int]) -> list[JobState]:
        """Current states, in the order of ``ids``."""
        return store.states(self.db, ids)

    def close(self, wait: bool = True) -> None:
        """Release connections; local processes finish their jobs first if ``wait``."""
        if self._app is not None:
            self._app.close()
        if self._local is not None and not self._shared_local:
            self._local.close(wait)
        self.db.dispose()
