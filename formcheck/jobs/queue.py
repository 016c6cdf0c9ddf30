"""The PostgreSQL queue: a procrastinate app with one task, and the worker loop.

procrastinate takes jobs with ``SELECT … FOR UPDATE SKIP LOCKED``, wakes workers with
LISTEN/NOTIFY and keeps a heartbeat per worker. A job whose worker stops sending
heartbeats (killed, machine gone) is put back by any other worker after
``stalled_after_s``; a job that broke off :data:`~.store.MAX_ATTEMPTS` times is failed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import procrastinate
from procrastinate.exceptions import ProcrastinateException
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision
from sqlalchemy.engine import make_url

from ..clinic.db import Database
from . import HEARTBEAT_S, STALLED_AFTER_S, store

log = logging.getLogger(__name__)
QUEUE = "formcheck_analysis"
TASK = "formcheck.analyse_video"

_db: Database | None = None  # this worker process's store, set by serve()


def conninfo(url: str) -> str:
    """A libpq URL for psycopg from a SQLAlchemy ``postgresql+psycopg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class RetryOnce(procrastinate.RetryStrategy):
    """Retry an attempt that broke off once, never a video that cannot be read."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        """No retry for :class:`~.runner.JobFailed`, else at most once more."""
        from . import runner

        if isinstance(exception, runner.JobFailed):
            return None
        return super().get_retry_decision(exception=exception, job=job)


def _analyse(context: JobContext, job_id: int) -> None:
    from . import runner

    assert _db is not None, "worker store not opened"
    try:
        runner.run_job(_db, job_id)
    except runner.JobFailed:
        raise
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if store.get(_db, job_id).attempts >= store.MAX_ATTEMPTS:
            store.fail(_db, job_id, reason)
        else:
            store.requeue(_db, job_id, reason)
        raise


def make_app(url: str) -> procrastinate.App:
    """The procrastinate app on the PostgreSQL database at ``url``, with its task."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))
    app.task(name=TASK, queue=QUEUE, pass_context=True,
             retry=RetryOnce(max_attempts=store.MAX_ATTEMPTS - 1))(_analyse)
    return app


def enqueue(app: procrastinate.App, job_ids: list[int]) -> None:
    """Put jobs in the queue (``app`` opened synchronously)."""
    if job_ids:
        app.tasks[TASK].batch_defer(*({"job_id": j} for j in job_ids))


async def _put_back_stalled(app: procrastinate.App, db: Database, every_s: float,
                            stalled_after_s: float) -> None:
    """Every ``every_s``: jobs of workers silent for ``stalled_after_s`` go back in the queue."""
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, task_name=TASK, seconds_since_heartbeat=stalled_after_s)
            for job in stalled:
                try:
                    await app.job_manager.retry_job(job)
                except ProcrastinateException:
                    continue  # another worker put it back first
                job_id = int(job.task_kwargs["job_id"])
                log.warning("job %s: its worker stopped sending heartbeats; queued again", job_id)
                await asyncio.to_thread(store.requeue, db, job_id,
                                        "worker stopped during the analysis (no heartbeat)")
        except Exception:  # noqa: BLE001 - keep watching; the database may come back
            log.exception("checking for stalled jobs failed")
        await asyncio.sleep(every_s)


async def _serve(url: str, heartbeat_s: float, stalled_after_s: float, **options: Any) -> None:
    from . import runner  # the engine: in the worker only, not where jobs are queued

    global _db
    _db = store.open_store(url)
    await asyncio.to_thread(runner.estimator)  # load the model before taking a job
    app = make_app(url)
    async with app.open_async():
        watcher = asyncio.create_task(_put_back_stalled(app, _db, heartbeat_s, stalled_after_s))
        try:
            await app.run_worker_async(
                queues=[QUEUE], concurrency=1, name=runner.worker_name(),
                update_heartbeat_interval=heartbeat_s, stalled_worker_timeout=stalled_after_s,
                fetch_job_polling_interval=max(1.0, heartbeat_s / 2), **options)
        finally:
            watcher.cancel()


def serve(url: str, heartbeat_s: float = HEARTBEAT_S,
          stalled_after_s: float = STALLED_AFTER_S) -> None:
    """Run one worker in this process until SIGINT/SIGTERM (the current job finishes first)."""
    asyncio.run(_serve(url, heartbeat_s, stalled_after_s))
