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
from .store import JobRequest
from .submit import Jobs, video_error_text

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

    ``workers``: local worker processes to run meanwhile (default one per core); with
    PostgreSQL 0 leaves the work to workers already running elsewhere.
    """
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    jobs = Jobs(url, local_processes=workers)
    helper = None
    if jobs.postgres:
        from .local import default_processes

        helper = _start_queue_workers(default_processes() if workers is None else workers,
                                      jobs.url)
    names = dict(zip(videos, _out_names(videos), strict=True))
    pending: dict[int, str] = {}
    failed = 0
    try:
        for v in videos:
            req = JobRequest(video=str(Path(v).resolve()), exercise=exercise, side=side,
                             approach=approach, lang=lang, analysis_fps=fps, source=v,
                             video_out=str((out / f"{names[v]}.mp4").resolve())
                             if video_out else None)
            try:
                pending[jobs.submit(req).id] = v
            except VideoError as exc:
                failed += 1
                print(f"{v}: {video_error_text(exc, lang, Path(v).name)}", file=sys.stderr)
        ok, media_s = 0, 0.0
        bar = tqdm(total=len(pending), desc="batch", unit="video", file=sys.stderr,
                   disable=None if progress else True,
                   bar_format="{desc}: {n:.1f}/{total} videos |{bar}| {elapsed}<{remaining}")
        ids = list(pending)
        while pending:
            states = jobs.states(ids)
            for s in states:
                if s.id not in pending or not s.finished:
                    continue
                v = pending.pop(s.id)
                if s.status == store.DONE:
                    ok += 1
                    media_s += s.media_s or 0.0
                    (out / f"{names[v]}.json").write_text(
                        json.dumps(s.result, indent=1, ensure_ascii=False), encoding="utf-8")
                else:
                    failed += 1
                    bar.write(f"{v}: {s.error}", file=sys.stderr)
            bar.update(sum(1.0 if s.finished else s.progress for s in states) - bar.n)
            if pending:
                time.sleep(POLL_S)
        bar.close()
    finally:
        jobs.close(wait=False)
        _stop(helper)
    return BatchSummary(len(videos), ok, failed, media_s, time.monotonic() - t0)
