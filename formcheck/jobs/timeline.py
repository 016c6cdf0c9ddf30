"""Where a batch's wall time goes: moments of the batch and its workers, to a file.

With ``$FORMCHECK_TIMELINE`` set to a file, the batch process and each worker process
append one line per moment, ``<unix time> <pid> <event>``: the batch starting and
queueing its videos, a worker starting and having loaded its model, each job starting
and ending, the batch having seen the last result and stopped its workers.
``benchmarks/batch.py`` reads it back (start-up, jobs, gaps between jobs, the end).
Unset (the default) it costs nothing.
"""

from __future__ import annotations

import os
import time

ENV = "FORMCHECK_TIMELINE"


def mark(event: str) -> None:
    """Append ``event`` at the current time to ``$FORMCHECK_TIMELINE`` (if set)."""
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:  # one short write: lines stay whole
            f.write(f"{time.time():.3f} {os.getpid()} {event}\n")
