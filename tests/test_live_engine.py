"""The live path on a rendered clip: frames in one at a time, the same engine as files."""

import json

import pytest

from formcheck.live import LiveSession
from formcheck.protocol import PatientSettings
from formcheck.video import read_frames
from tests.test_rendered import SAMPLES


@pytest.mark.parametrize("step", [10], ids=["3fps"])
def test_live_session_counts_a_rendered_squat_set_from_its_frames(step):
    # A 15 fps webcam, and a slow device or loaded server managing 3 frames a
    # second: the smoothing follows the frame rate actually processed.
    clip = SAMPLES / "mini_squat_clean_side.mp4"
    truth = json.loads(clip.with_suffix(".truth.json").read_text())
    frames = list(read_frames(clip, max_side=640))[::step]
    live = LiveSession("mini_squat", PatientSettings(truth["side"]), "en", fs_hz=30.0)
    try:
        # Placement, countdown and calibration take the first pass; count the second.
        t0 = frames[-1][0] + step / 30
        for rep in range(2):
            for t, rgb in frames:
                live.process(rgb, t + rep * t0)
            if rep == 0:
                before = live.snapshot().rep_count
        state = live.snapshot()
    finally:
        live.close()
    assert state.phase == "counting"
    assert state.rep_count - before == truth["rep_count"], (before, state.rep_count)
