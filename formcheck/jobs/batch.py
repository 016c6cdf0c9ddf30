"""``formcheck batch``: many videos through the workers, results to a folder."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..video import VideoError
from . import store
from .local import default_processes
from .store import JobRequest
from .submit import Jobs, check_video, video_error_text
from .timeline import mark

POLL_S = 0.5


@dataclass
class BatchSummary:
    """What a batch did; :meth:`line` is the command's last line."""

    videos: int
    ok: int
    failed: int
    media_s: float
    wall_s: float

    @property
    def realtime_factor(self) -> float:
        """Seconds of video analysed (successfully) per second of wall time."""
        return self.media_s / self.wall_s if self.wall_s > 0 else 0.0

    def line(self) -> str:
        """``batch: N videos, K ok, F failed, X× real time``."""
        return (f"batch: {self.videos} videos, {self.ok} ok, {self.failed} failed, "
                f"{self.realtime_factor:.1f}× real time")


def _out_names(videos: list[str]) -> list[str]:
    """A distinct file stem per video (``name``, ``name_2``, … when stems repeat)."""
    seen: dict[str, int] = {}
    out = []
    for v in videos:
        stem = Path(v).stem
        seen[stem] = seen.get(stem, 0) + 1
        out.append(stem if seen[stem] == 1 else f"{stem}_{seen[stem]}")
    return out


def _start_queue_workers(n: int, url: str) -> subprocess.Popen | None:
    """``formcheck worker --concurrency n`` beside the batch (PostgreSQL), or None."""
    if n <= 0:
        return None
    return subprocess.Popen([sys.executable, "-m", "formcheck.cli", "worker", "--concurrency",
                             str(n), "--db", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_batch(videos: list[str], exercise: str, side: str, out: Path, *,
              workers: int | None = None, video_out: bool = False,
              approach: str = "posterolateral", lang: str = "nl", fps: float = 10.0,
              url: str | None = None, progress: bool = True) -> BatchSummary:
    """Queue ``videos``, wait for them, write ``out/<stem>.json`` (and ``.mp4``) for each.

    Each video is checked and, if readable, queued at once, in the order given, so that
    the first job starts while the rest are being checked (with thousands of videos,
    checking them all first kept the workers idle for minutes); an unreadable one is
    reported at once and counted as failed.

    ``workers``: local worker processes to run meanwhile (default one per core); with
    PostgreSQL 0 leaves the work to workers already running elsewhere.
    """
    from tqdm import tqdm

    mark("batch start")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    # Local processes (SQLite): no more than there are videos, started at once (they load
    # their models while the first videos are checked).
    local = min(default_processes() if workers is None else workers, max(1, len(videos)))
    jobs = Jobs(url, local_processes=local or None, start_local=True)
    helper = None
    if jobs.postgres:
        helper = _start_queue_workers(default_processes() if workers is None else workers,
                                      jobs.url)
    names = dict(zip(videos, _out_names(videos), strict=True))
    counts = {"ok": 0, "failed": 0}
    media_s = 0.0
    pending: dict[int, str] = {}  # job id → video
    bar = tqdm(total=len(videos), desc="batch", unit="video", file=sys.stderr,
               disable=None if progress else True,
               bar_format="{desc}: {n:.1f}/{total} videos |{bar}| {elapsed}<{remaining}")
    ended = False

    def collect() -> None:
        """Write the results of the jobs that have ended; move the bar."""
        nonlocal media_s
        running = 0.0
        for s in jobs.states(list(pending)) if pending else []:
            if not s.finished:
                running += s.progress
                continue
            v = pending.pop(s.id)
            if s.status == store.DONE:
                counts["ok"] += 1
                media_s += s.media_s or 0.0
                (out / f"{names[v]}.json").write_text(
                    json.dumps(s.result, indent=1, ensure_ascii=False), encoding="utf-8")
            else:
                counts["failed"] += 1
                bar.write(f"{v}: {s.error}", file=sys.stderr)
        bar.update(counts["ok"] + counts["failed"] + running - bar.n)

    try:
        last_look = time.monotonic()
        for v in videos:
            req = JobRequest(video=str(Path(v).resolve()), exercise=exercise, side=side,
                             approach=approach, lang=lang, analysis_fps=fps, source=v,
                             video_out=str((out / f"{names[v]}.mp4").resolve())
                             if video_out else None)
            try:
                duration = check_video(req.video)
            except VideoError as exc:
                counts["failed"] += 1
                bar.write(f"{v}: {video_error_text(exc, lang, Path(v).name)}", file=sys.stderr)
                continue
            (job,) = jobs.submit_many([req], [duration])
            pending[job.id] = v
            if time.monotonic() - last_look >= POLL_S:  # jobs already ending meanwhile
                collect()
                last_look = time.monotonic()
        mark(f"batch queued {len(videos) - counts['failed']}")
        collect()
        while pending:
            jobs.wait(list(pending), POLL_S)  # at once when a local process ends a job
            collect()
        bar.close()
        mark("batch results")
        ended = True
    finally:
        # All jobs ended: the idle processes stop now. Interrupted: they are not waited for.
        jobs.close(wait=ended)
        _stop(helper)
        mark("batch end")
    return BatchSummary(len(videos), counts["ok"], counts["failed"], media_s,
                        time.monotonic() - t0)
