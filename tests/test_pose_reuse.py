"""One pose estimator serves many videos (a worker keeps its model): reset makes it fresh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from formcheck.pose import PoseEstimator, PoseTrack
from formcheck.video import read_frames

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


def _track(est: PoseEstimator, name: str, seconds: float = 4.0) -> PoseTrack:
    frames, times = [], []
    for t, rgb in read_frames(SAMPLES / name, max_side=640, max_fps=10):
        if t > seconds:
            break
        frames.append(est.detect(rgb, t))
        times.append(t)
    return PoseTrack.from_frames(frames, times, (1, 1))


def test_reset_estimator_gives_what_a_fresh_one_gives():
    first, second = "bridge_clean_side.mp4", "mini_squat_faults_side.mp4"
    with PoseEstimator() as fresh:
        want = _track(fresh, second)
    with PoseEstimator() as est:
        _track(est, first, seconds=60)
        est.reset()
        got = _track(est, second)
    np.testing.assert_array_equal(got.n_people, want.n_people)
    np.testing.assert_allclose(got.image_xyz, want.image_xyz, atol=1e-6)


def test_models_left_open_at_exit_close_without_tracebacks():
    # As a script or a benchmark ends with its (or a worker's kept) model still open.
    script = ("import mediapipe, numpy as np\n"
              "from formcheck.pose import PoseEstimator\n"
              "est = PoseEstimator()\n"
              "est.detect(np.full((360, 640, 3), 90, np.uint8), 0.0)\n"
              "print('ok')\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr
