"""Speed: bare pose model vs the full per-frame pipeline, and `analyze` real-time factor.

Prints, in one run on the same frames:
* bare-model fps: MediaPipe PoseLandmarker (VIDEO mode) alone;
* pipeline fps: formcheck's live path per frame (adapter, measures, causal
  smoothing, session, overlay) — :class:`formcheck.live.LiveSession`;
* engine-only fps: the same without the overlay drawing;
* the real-time factor of ``analyze`` (video duration / wall time) on a 720p
  clip, without and with the annotated video.
Writes the figures to ``benchmarks/results/speed.json``.

Usage: python benchmarks/speed.py [VIDEO_720P]   (default: a real 720p clip, else a sample)
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from formcheck.analysis import POSE_MAX_SIDE, analyze_video
from formcheck.annotated_video import write_annotated_video
from formcheck.live import LiveSession
from formcheck.pose import DEFAULT_MODEL
from formcheck.protocol import PatientSettings
from formcheck.video import probe, read_frames

REPO = Path(__file__).resolve().parent.parent
CLIP_720P = REPO.parent / "shared" / "clips" / "be23_squat.mp4"
RESULTS = REPO / "benchmarks" / "results" / "speed.json"


def pick_video() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    if CLIP_720P.is_file():
        return CLIP_720P
    samples = sorted((REPO / "sample_videos").glob("*.mp4"))
    if not samples:
        sys.exit("no video to measure: pass one, or add ../shared/clips or sample_videos")
    return samples[0]


def bare_model_fps(frames: list[tuple[float, np.ndarray]]) -> float:
    import mediapipe as mp
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    opts = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(DEFAULT_MODEL)),
                                 running_mode=RunningMode.VIDEO, num_poses=1)
    with PoseLandmarker.create_from_options(opts) as lm:
        start = time.perf_counter()
        for t, rgb in frames:
            lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                int(t * 1000))
        return len(frames) / (time.perf_counter() - start)


def pipeline_fps(frames: list[tuple[float, np.ndarray]], exercise: str, overlay: bool) -> float:
    live = LiveSession(exercise, PatientSettings("left"), "en")
    if not overlay:
        import formcheck.live as live_mod

        original = live_mod.annotate
        live_mod.annotate = lambda rgb, state: rgb
    try:
        start = time.perf_counter()
        for t, rgb in frames:
            live.process(rgb, t)
        return len(frames) / (time.perf_counter() - start)
    finally:
        if not overlay:
            live_mod.annotate = original
        live.close()


def main() -> None:
    video = pick_video()
    info = probe(video)
    frames = list(read_frames(video, max_side=POSE_MAX_SIDE))[:300]
    print(f"video: {video.name} {info.width}x{info.height} {info.fps:.1f} fps "
          f"{info.duration_s:.1f} s; {len(frames)} frames at {frames[0][1].shape[1]}x"
          f"{frames[0][1].shape[0]} for the per-frame figures")
    # Alternate the runs so background load affects both alike.
    bare, pipe, engine = [], [], []
    for _ in range(2):
        bare.append(bare_model_fps(frames))
        pipe.append(pipeline_fps(frames, "mini_squat", overlay=True))
        engine.append(pipeline_fps(frames, "mini_squat", overlay=False))
    b, p, e = max(bare), max(pipe), max(engine)
    print(f"bare model:            {b:6.1f} fps")
    print(f"pipeline (w/ overlay): {p:6.1f} fps  = {p / b:.0%} of the bare model")
    print(f"pipeline (no overlay): {e:6.1f} fps  = {e / b:.0%} of the bare model")

    start = time.perf_counter()
    result = analyze_video(video, "mini_squat", PatientSettings("left"), "en")
    analyze_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_annotated_video(result, video, Path(tmp) / "out.mp4")
        video_s = time.perf_counter() - start
    rtf = info.duration_s / analyze_s
    rtf_video = info.duration_s / (analyze_s + video_s)
    print(f"analyze: {analyze_s:.2f} s for {info.duration_s:.1f} s of video = {rtf:.1f}× real time"
          f" ({result.rep_count} reps)")
    print(f"analyze + annotated video: {analyze_s + video_s:.2f} s = {rtf_video:.1f}× real time")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "video": video.name, "resolution": [info.width, info.height],
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "bare_model_fps": round(b, 1), "pipeline_fps": round(p, 1),
        "pipeline_no_overlay_fps": round(e, 1), "pipeline_share": round(p / b, 3),
        "pipeline_no_overlay_share": round(e / b, 3),
        "analyze_seconds": round(analyze_s, 2), "analyze_realtime_factor": round(rtf, 2),
        "analyze_with_video_realtime_factor": round(rtf_video, 2),
        "runs": {"bare": bare, "pipeline": pipe, "engine": engine},
    }, indent=1))
    print(f"written: {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
