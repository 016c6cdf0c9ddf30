"""Analysis jobs: uploaded and batch videos analysed by worker processes.

Transport and bookkeeping around :func:`formcheck.analysis.analyze_video`, never a
second pipeline. With PostgreSQL the jobs go through a procrastinate queue that workers
on any machine take from; with the default SQLite they run in local worker processes.

- :mod:`.store`: the ``analysis_job`` table (state, progress, result, reason of failure).
- :mod:`.runner`: one job on one worker process, keeping its pose model across jobs.
- :mod:`.queue`: the procrastinate app, the task and the worker loop (PostgreSQL).
- :mod:`.local`: local worker processes (SQLite, or no queue server).
- :mod:`.submit`: check a video, record the job and hand it to whichever of the two.
- :mod:`.batch`, :mod:`.cli`: ``formcheck batch`` and ``formcheck worker``.
- :mod:`.timeline`: where a batch's wall time goes (``$FORMCHECK_TIMELINE``).
"""

HEARTBEAT_S = 10.0
"""How often a queue worker tells PostgreSQL it is alive."""
STALLED_AFTER_S = 30.0
"""A worker silent this long is taken for dead: its job goes back in the queue."""
TIMEOUT_BASE_S = 120.0
TIMEOUT_PER_VIDEO_S = 10.0
"""One attempt at a video of d seconds may take ``TIMEOUT_BASE_S + TIMEOUT_PER_VIDEO_S * d``.

Generous: a worker does ≥ 2 s of video a second when idle and ~0.5 under heavy load, so
only a stuck job (a hung decoder, a lost file system) reaches it; it is then failed with
its reason, not retried. The limit is stored per job (``analysis_job.timeout_s``).
"""

