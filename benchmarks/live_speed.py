"""Live pipeline speed: frames per second through LiveSession.process and frame-to-overlay delay.

Two runs over the frames of one sample video (decoded up front, 640 px):

* ``max``: frames fed back to back, as fast as the pipeline allows;
* ``paced``: frames offered at 30 fps like a webcam; a frame that arrives
  while the previous one is still being processed waits (a one-slot queue,
  newer frames replace it, as streamlit-webrtc's async processing does).

Delay = time from the moment a frame was offered until its annotated frame
is ready. Results go to ``benchmarks/results/live_speed.json``.

    python benchmarks/live_speed.py [VIDEO] [--exercise ID] [--side left|right]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from formcheck.live import LiveSession
from formcheck.protocol import PatientSettings
from formcheck.video import read_frames

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VIDEO = REPO / "sample_videos" / "hip_abduction_clean_front.mp4"
OUT = REPO / "benchmarks" / "results" / "live_speed.json"


def load_frames(video: Path, max_side: int = 640) -> list[tuple[float, np.ndarray]]:
    """All frames of ``video`` as ``(t, rgb)``."""
    return list(read_frames(video, max_side=max_side))


def run_max(frames, exercise: str, settings: PatientSettings) -> dict:
    """Feed frames back to back; time per frame."""
    live = LiveSession(exercise, settings, "en")
    live.process(frames[0][1], 0.0)  # warm-up: model load, first inference
    delays = []
    start = time.perf_counter()
    for t, rgb in frames:
        t0 = time.perf_counter()
        live.process(rgb, t + 1.0)
        delays.append(time.perf_counter() - t0)
    wall = time.perf_counter() - start
    reps = live.snapshot().rep_count
    live.close()
    return {"frames": len(frames), "fps": len(frames) / wall, **_stats(delays), "reps": reps}


def run_paced(frames, exercise: str, settings: PatientSettings, fps: float = 30.0) -> dict:
    """Offer frames at ``fps``; process the newest waiting one whenever free."""
    live = LiveSession(exercise, settings, "en")
    live.process(frames[0][1], 0.0)
    period = 1.0 / fps
    start = time.perf_counter()
    delays, done, i = [], 0, 0
    n = len(frames)
    while i < n:
        now = time.perf_counter() - start
        due = min(int(now / period), n - 1)  # newest frame that has arrived
        if due < i:
            time.sleep(i * period - now)
            continue
        t, rgb = frames[due]
        live.process(rgb, t + 1.0)
        delays.append(time.perf_counter() - start - due * period)
        done += 1
        i = due + 1
    wall = time.perf_counter() - start
    reps = live.snapshot().rep_count
    live.close()
    return {"frames_offered": n, "frames_processed": done, "fps": done / wall,
            "dropped_share": 1 - done / n, **_stats(delays), "reps": reps}


def _stats(delays: list[float]) -> dict:
    ms = np.array(delays) * 1000
    return {"delay_ms_median": float(np.median(ms)), "delay_ms_p95": float(np.percentile(ms, 95))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--exercise")
    ap.add_argument("--side")
    args = ap.parse_args()
    truth_file = args.video.with_suffix(".truth.json")
    truth = json.loads(truth_file.read_text()) if truth_file.is_file() else {}
    exercise = args.exercise or truth.get("exercise", "mini_squat")
    settings = PatientSettings(side=args.side or truth.get("side", "left"))
    frames = load_frames(args.video)
    h, w = frames[0][1].shape[:2]
    result = {
        "video": str(args.video.relative_to(REPO) if args.video.is_relative_to(REPO)
                     else args.video),
        "exercise": exercise, "frame_size": [w, h], "truth_reps": truth.get("rep_count"),
        "cpu_count": os.cpu_count(), "machine": platform.machine(),
        "max": run_max(frames, exercise, settings),
        "paced_30fps": run_paced(frames, exercise, settings),
    }
    m, p = result["max"], result["paced_30fps"]
    print(f"{result['video']} ({w}x{h}, {len(frames)} frames, {os.cpu_count()} CPUs)")
    print(f"as fast as possible: {m['fps']:.1f} frames/s, per-frame delay median "
          f"{m['delay_ms_median']:.0f} ms, p95 {m['delay_ms_p95']:.0f} ms, reps {m['reps']}")
    print(f"paced at 30 fps:     {p['fps']:.1f} frames/s processed "
          f"({p['dropped_share']:.0%} dropped), frame-to-overlay delay median "
          f"{p['delay_ms_median']:.0f} ms, p95 {p['delay_ms_p95']:.0f} ms, reps {p['reps']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
