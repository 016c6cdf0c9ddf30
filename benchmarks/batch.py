"""Batch throughput: `formcheck batch` with 1 and 2 worker processes on the same clips.

End to end, as a user runs it (process and model start included): seconds of video per
second of wall time ("× real time"), from the command's last line. From the job rows also
the analysis alone per job (video seconds / seconds the worker spent on it), which is the
per-core speed a long-running worker reaches. Uses the default SQLite store (local worker
processes) in a temp folder, or `--db URL` for the PostgreSQL queue (workers started by
the batch). Under load from other programs the wall-clock figures drop; the per-core figure
(video seconds per CPU-second of the batch and its workers, start-up included) much less.
Where the wall time goes, from the batch's timeline (``$FORMCHECK_TIMELINE``, see
:mod:`formcheck.jobs.timeline`): until the first job starts (process start, imports, the
store, checking the videos, the workers' start and model load), in jobs (summed over the
workers), between jobs, and after the last job (results, stopping the workers, exit).
Clips: the landscape 720p real clips in ../shared/clips, else sample_videos/.
Also, in this process on the same clips, the CPU cost per second of video of a whole
warm job and of each of its parts (decoding and scaling the frames, the pose tracker, the
people counter (every 2 s), the tracker's rebuild per video, analysis and JSON, the
rest), and a worker's start-up: what bounds a worker core (see :func:`stages`).
Writes benchmarks/results/batch.json.

Usage: python benchmarks/batch.py [--db URL] [--workers 1 2] [VIDEO ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, select, text

from formcheck.clinic.db import open_db
from formcheck.jobs.store import AnalysisJob
from formcheck.video import probe

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
REAL_720P = ["be23_squat", "be23_reverse_lunge_knee_drive", "kratika_squat_front",
             "renyun_wall_sit_knee_brace", "askdrjo_seated_hip_flexion",
             "be23_quadruped_donkey_kick"]
RESULTS = REPO / "benchmarks" / "results" / "batch.json"
LINE = re.compile(r"batch: (\d+) videos, (\d+) ok, (\d+) failed, ([\d.]+)× real time")


def pick_clips(given: list[str]) -> list[Path]:
    if given:
        return [Path(v) for v in given]
    real = [CLIPS / f"{n}.mp4" for n in REAL_720P if (CLIPS / f"{n}.mp4").is_file()]
    return real or sorted((REPO / "sample_videos").glob("*.mp4"))[:6]


def run(clips: list[Path], workers: int, db: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="formcheck-batch-bench-") as tmp:
        timeline = Path(tmp) / "timeline.txt"
        env = {**os.environ, "XDG_DATA_HOME": tmp, "FORMCHECK_TIMELINE": str(timeline)}
        env.pop("FORMCHECK_DB_URL", None)
        url = db or f"sqlite:///{tmp}/formcheck/formcheck.db"
        before = _max_job_id(url) if db else 0
        load0 = os.getloadavg()[0]
        cpu0 = _children_cpu_s()
        start, start_unix = time.perf_counter(), time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "formcheck.cli", "batch", *map(str, clips), "--exercise",
             "mini_squat", "--side", "left", "--out", f"{tmp}/out", "--workers", str(workers),
             "--db", url], capture_output=True, text=True, env=env, cwd=REPO)
        wall = time.perf_counter() - start
        spent = (_wall_time_parts(timeline.read_text(), start_unix, start_unix + wall)
                 if timeline.is_file() else None)  # (a formcheck without the timeline)
        cpu = _children_cpu_s() - cpu0
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        m = LINE.fullmatch(last)
        if not m:
            sys.exit(f"batch failed ({proc.returncode}): {proc.stderr[-2000:]}")
        per_job = _per_job(url, before)
        media = sum(j[0] for j in per_job)
    return {
        "workers": workers, "batch_line": last, "wall_s": round(wall, 2),
        "end_to_end_realtime_factor": float(m.group(4)),
        "cpu_s": round(cpu, 1),
        "per_core_realtime_factor": round(media / cpu, 2),
        "per_job_realtime_factor_median": round(statistics.median(x for _, x in per_job), 2),
        "per_job_realtime_factor": [round(x, 2) for _, x in per_job],
        "wall_time_parts_s": spent,
        "loadavg_1min_before": round(load0, 2), "loadavg_1min_after": round(os.getloadavg()[0], 2),
    }


def _wall_time_parts(timeline: str, t0: float, t1: float) -> dict:
    """Seconds of the batch's wall time: before the first job, in jobs, between, after.

    ``in_jobs`` and ``between_jobs`` are summed over the workers (with N workers the parts
    add up to more than the wall time); ``between_jobs`` counts the gaps on each worker from
    its first job's start to its last job's end that no job filled.
    """
    starts: dict[str, float] = {}
    runs: dict[str, list[tuple[float, float]]] = {}
    ready: list[float] = []
    for line in timeline.splitlines():
        t, pid, event = line.split(" ", 2)
        if event.startswith("job ") and event.endswith(" start"):
            starts[pid] = float(t)
        elif event.startswith("job ") and event.endswith(" end") and pid in starts:
            runs.setdefault(pid, []).append((starts.pop(pid), float(t)))
        elif event == "worker ready":
            ready.append(float(t))
    spans = [s for r in runs.values() for s in r]
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    between = sum(b[0] - a[1] for r in runs.values() for a, b in itertools.pairwise(r))
    return {"before_first_job": round(first - t0, 2),
            "first_worker_ready": round(min(ready) - t0, 2) if ready else None,
            "in_jobs": round(sum(e - s for s, e in spans), 2),
            "between_jobs": round(between, 2),
            "after_last_job": round(t1 - last, 2)}


def _max_job_id(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT coalesce(max(id), 0) FROM analysis_job")).scalar()
    except Exception:  # noqa: BLE001 - no table yet
        return 0
    finally:
        engine.dispose()


def _children_cpu_s() -> float:
    """CPU seconds of finished child processes (the batch and the workers it waited for)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _per_job(url: str, after_id: int) -> list[tuple[float, float]]:
    """``(video s, × real time of the analysis alone)`` per finished job."""
    db = open_db(url)
    with db.transaction() as s:
        rows = s.scalars(select(AnalysisJob).where(AnalysisJob.status == "done",
                                                   AnalysisJob.id > after_id)
                         .order_by(AnalysisJob.id))
        out = [(j.media_s, j.media_s / (j.finished_at - j.started_at).total_seconds())
               for j in rows]
    db.dispose()
    return out


def stages(clips: list[Path], fps: float = 10.0) -> dict:
    """Where a worker's CPU goes, per second of video, measured in this process.

    A whole warm job (``analyze_video`` with the kept model, then its JSON), and apart on
    the same clips: decoding and scaling the frames, the pose tracker, the people counter
    (every :data:`~formcheck.pose.COUNT_PEOPLE_EVERY_S`), rebuilding the tracker for the
    next video, the analysis of the track with its JSON; ``rest_of_job`` is what the whole
    job costs beyond those (probing, per-frame glue, handing frames between threads).
    ``process_time`` counts every thread. Also the CPU a fresh worker process spends before
    its first job (imports, models).
    """
    import mediapipe as mp
    import numpy as np

    from formcheck.analysis import POSE_MAX_SIDE, analyze_track, analyze_video
    from formcheck.jobs import runner
    from formcheck.pose import COUNT_PEOPLE_EVERY_S, PoseEstimator
    from formcheck.protocol import PatientSettings
    from formcheck.video import read_frames

    settings = PatientSettings("left")
    model = runner.estimator()
    analyze_video(clips[0], "mini_squat", settings, estimator=model)  # a worker's first job
    tracker = PoseEstimator(count_people_every_s=None)
    parts = ("decode_and_scale", "pose_tracker", "people_counter", "tracker_reset",
             "analysis_and_json")
    cpu = dict.fromkeys(("whole_job", *parts), 0.0)
    media = 0.0
    for clip in clips:
        media += probe(clip).duration_s
        c0 = time.process_time()
        result = analyze_video(clip, "mini_squat", settings, estimator=runner.estimator())
        json.dumps(result.to_dict())
        cpu["whole_job"] += time.process_time() - c0
        c0 = time.process_time()
        frames = list(read_frames(clip, POSE_MAX_SIDE, fps))
        cpu["decode_and_scale"] += time.process_time() - c0
        c0 = time.process_time()
        tracker.reset()
        cpu["tracker_reset"] += time.process_time() - c0
        c0 = time.process_time()
        found = [tracker.detect(rgb, t) for t, rgb in frames]
        cpu["pose_tracker"] += time.process_time() - c0
        c0, last = time.process_time(), -float("inf")
        for (t, rgb), f in zip(frames, found, strict=True):
            if f is not None and t - last >= COUNT_PEOPLE_EVERY_S:  # as PoseEstimator does
                last = t
                model._counter.detect(mp.Image(image_format=mp.ImageFormat.SRGB,
                                               data=np.ascontiguousarray(rgb)))
        cpu["people_counter"] += time.process_time() - c0
        c0 = time.process_time()
        json.dumps(analyze_track(result.track, "mini_squat", settings).to_dict())
        cpu["analysis_and_json"] += time.process_time() - c0
    tracker.close()
    cpu["rest_of_job"] = max(0.0, cpu["whole_job"] - sum(cpu[k] for k in parts))
    per_s = {k: round(v / media, 4) for k, v in cpu.items()}
    return {"cpu_s_per_video_s": per_s,
            "realtime_factor_per_core_warm_job": round(media / cpu["whole_job"], 2),
            "realtime_factor_per_core_of_the_tracker_alone": round(
                media / cpu["pose_tracker"], 2),
            "worker_start_cpu_s": _worker_start_cpu_s()}


def _worker_start_cpu_s() -> float:
    """CPU seconds a fresh process spends importing the engine and loading its models."""
    cpu0 = _children_cpu_s()
    subprocess.run([sys.executable, "-c", "from formcheck.jobs import local, runner; "
                    "from formcheck.clinic.db import open_db; open_db('sqlite://'); "
                    "runner.estimator()"], check=True, capture_output=True, cwd=REPO)
    return round(_children_cpu_s() - cpu0, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="*")
    ap.add_argument("--db", help="PostgreSQL URL (default: a temp SQLite store)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-stages", action="store_true", help="skip the per-stage CPU costs")
    args = ap.parse_args()
    clips = pick_clips(args.videos)
    infos = [probe(c) for c in clips]
    media = sum(i.duration_s for i in infos)
    print(f"{len(clips)} clips, {media:.1f} s of video, "
          f"{sorted({f'{i.width}x{i.height}' for i in infos})}")
    runs = []
    for n in args.workers:
        r = run(clips, n, args.db)
        runs.append(r)
        print(f"{n} worker(s): {r['batch_line']}  (wall {r['wall_s']} s; per CPU-second "
              f"{r['per_core_realtime_factor']}× real time, start-up included; per job, "
              f"analysis alone: median {r['per_job_realtime_factor_median']}× real time; "
              f"load {r['loadavg_1min_before']} → {r['loadavg_1min_after']})")
        print(f"  wall time, s: {r['wall_time_parts_s']}")
    stage = None if args.no_stages else stages(clips)
    if stage:
        print(f"per second of video, CPU s: {stage['cpu_s_per_video_s']} → a warm job "
              f"{stage['realtime_factor_per_core_warm_job']}× real time per core (the tracker "
              f"alone {stage['realtime_factor_per_core_of_the_tracker_alone']}×); a worker's "
              f"start-up {stage['worker_start_cpu_s']} CPU-s")
    out = {
        "clips": [{"name": c.name, "resolution": [i.width, i.height],
                   "duration_s": round(i.duration_s, 2)} for c, i in zip(clips, infos,
                                                                       strict=True)],
        "video_s": round(media, 2), "queue": "postgresql" if args.db else "sqlite-local",
        "analysis_fps": 10.0,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": runs,
        "stages": stage,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"→ {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
