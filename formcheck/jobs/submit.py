"""Hand analysis jobs to the queue that fits the database: procrastinate or local processes."""

from __future__ import annotations

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
    processes (default one per core), started on first use.
    """

    def __init__(self, url: str | None = None, local_processes: int | None = None,
                 shared_local: bool = False) -> None:
        self.url = url or default_db_url()
        self.db = store.open_store(self.url)
        self.postgres = is_postgres(self.url)
        self._processes = local_processes
        self._shared_local = shared_local
        self._app = None
        self._local = None

    def submit(self, request: JobRequest) -> JobState:
        """Check the video (:class:`VideoError` if unreadable), record the job, queue it."""
        return self.submit_many([request])[0]

    def submit_many(self, requests: list[JobRequest]) -> list[JobState]:
        """Record and queue several checked jobs (check them with :func:`check_video` first)."""
        # The app's own local jobs are resumed by its next start (see local.resume).
        owner = store.process_name() if self._shared_local and not self.postgres else None
        created = [store.create(self.db, r, check_video(r.video), owner) for r in requests]
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
                self._local.submit(s.id)
        return created

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
