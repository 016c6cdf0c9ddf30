"""``formcheck worker`` and ``formcheck batch``; ``register(subparsers)`` adds them."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def cmd_worker(args: argparse.Namespace) -> int:
    """``formcheck worker``: take analysis jobs from the PostgreSQL queue until stopped."""
    from ..clinic.db import default_db_url
    from .submit import is_postgres

    url = args.db or default_db_url()
    if not is_postgres(url):
        print("formcheck: workers take jobs from a PostgreSQL queue; set FORMCHECK_DB_URL "
              "(with SQLite, 'formcheck batch' and the app run their own local workers)",
              file=sys.stderr)
        return 2
    n = max(1, args.concurrency or os.cpu_count() or 1)
    options = (url, args.heartbeat, args.stalled_after)
    if n == 1:
        from .queue import serve

        serve(*options)
        return 0
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_serve_child, args=options, name=f"formcheck-worker-{i}")
             for i in range(n)]
    for p in procs:
        p.start()

    def forward(signum: int, frame: object) -> None:
        for p in procs:
            if p.is_alive() and p.pid:
                os.kill(p.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for p in procs:
        p.join()
    return 0


def _serve_child(url: str, heartbeat_s: float, stalled_after_s: float) -> None:
    from .queue import serve

    # Out of the terminal's process group: Ctrl-C reaches the parent only, which passes
    # one SIGTERM on (a second signal would make procrastinate stop mid-job).
    os.setpgrp()

    serve(url, heartbeat_s, stalled_after_s)


def cmd_batch(args: argparse.Namespace) -> int:
    """``formcheck batch``: analyse many videos through the workers."""
    from .batch import run_batch

    summary = run_batch(args.videos, args.exercise, args.side, Path(args.out),
                        workers=args.workers, video_out=args.video_out,
                        approach=args.approach, lang=args.lang, fps=args.fps, url=args.db)
    print(summary.line())
    return 0 if summary.failed == 0 else 1


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0 or more)")
    return int(text)


def register(sub: argparse._SubParsersAction, exercises: list[str], approaches: tuple[str, ...],
             default_fps: float) -> None:
    """Add ``worker`` and ``batch`` to the ``formcheck`` sub-commands."""
    from . import HEARTBEAT_S, STALLED_AFTER_S

    w = sub.add_parser("worker", help="analyse queued videos (PostgreSQL queue), one process "
                                      "per core")
    w.add_argument("--concurrency", type=_count, default=0,
                   help="worker processes (default: one per core)")
    w.add_argument("--db", help="database URL (default: $FORMCHECK_DB_URL)")
    w.add_argument("--heartbeat", type=float, default=HEARTBEAT_S, help=argparse.SUPPRESS)
    w.add_argument("--stalled-after", type=float, default=STALLED_AFTER_S,
                   help="seconds without a heartbeat before another worker takes over a "
                        "job (default %(default)s)")
    w.set_defaults(func=cmd_worker)

    b = sub.add_parser("batch", help="analyse many videos through the workers")
    b.add_argument("videos", nargs="+", metavar="VIDEO")
    b.add_argument("--exercise", required=True, choices=exercises)
    b.add_argument("--side", required=True, choices=("left", "right"), help="operated side")
    b.add_argument("--approach", choices=approaches, default="posterolateral")
    b.add_argument("--out", required=True, help="folder for <video>.json (and .mp4)")
    b.add_argument("--workers", type=_count, default=None,
                   help="local worker processes meanwhile (default: one per core; with "
                        "PostgreSQL 0 = only workers already running)")
    b.add_argument("--video-out", action="store_true", help="also write annotated videos")
    b.add_argument("--lang", choices=("nl", "en"), default="nl")
    b.add_argument("--fps", type=float, default=default_fps,
                   help="frames per second given to the pose model (default %(default)s)")
    b.add_argument("--db", help="database URL (default: $FORMCHECK_DB_URL, else SQLite)")
    b.set_defaults(func=cmd_batch)
