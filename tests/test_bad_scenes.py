"""Scenes that go wrong, made from rendered clips: two people, leaving the frame.

The answer must be a result with warnings that say what was seen, never a crash
and never invented reps.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis import analyze_video
from formcheck.protocol import PatientSettings
from formcheck.video import VideoWriter, read_frames

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


def sample(name):
    path = SAMPLES / f"{name}.mp4"
    if not path.is_file():
        pytest.skip(f"sample {name} missing")
    return path, json.loads(path.with_suffix(".truth.json").read_text())


def test_two_people_in_view_is_warned(tmp_path):
    a, truth = sample("mini_squat_clean_side")
    b, _ = sample("hip_abduction_clean_front")
    out = tmp_path / "two.mp4"
    with VideoWriter(out, 640, 480, 30, reproducible=True) as w:  # middle halves side by side
        for (t, fa), (_, fb) in zip(read_frames(a), read_frames(b), strict=False):
            w.write(np.concatenate([fa[:, 160:480], fb[:, 160:480]], axis=1), t)
    res = analyze_video(out, truth["exercise"], PatientSettings(truth["side"]), "en")
    codes = {w.code for w in res.warnings}
    assert "multiple_people" in codes, codes
    assert "More than one person" in next(w.message for w in res.warnings
                                          if w.code == "multiple_people")


def test_person_leaving_the_frame_is_warned_and_reps_before_are_kept(tmp_path):
    path, truth = sample("mini_squat_clean_side")
    first_end = truth["reps"][0]["end_s"]
    out = tmp_path / "leaves.mp4"
    with VideoWriter(out, 640, 480, 30, reproducible=True) as w:
        for t, f in read_frames(path):
            if t > first_end + 0.5:  # the person walks out: an empty room from here
                f = np.full_like(f, 120)
            w.write(f, t)
    res = analyze_video(out, truth["exercise"], PatientSettings(truth["side"]), "nl")
    codes = {w.code for w in res.warnings}
    assert "left_frame" in codes, codes
    assert res.rep_count == 1
    assert "uit beeld" in next(w.message for w in res.warnings if w.code == "left_frame")
