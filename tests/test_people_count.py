"""A second, smaller person beside the patient is noticed; one person alone is not two.

The pose detector sees the whole frame shrunk to 224 × 224 and misses a smaller person
beside a larger one; the people count also searches the strips beside the tracked person.
The scenes are real clips (``../shared/clips``) with a real bystander set beside them
(:mod:`formcheck.synth.bystander`); the measurements over all clips are in
``benchmarks/people_count.py``.
"""

import numpy as np
import pytest

from formcheck.analysis import analyze_video
from formcheck.pose import PoseEstimator, share_inside, strips_beside
from formcheck.protocol import PatientSettings
from formcheck.synth.bystander import with_bystander
from formcheck.video import VideoWriter, read_frames

PATIENT = "kratika_squat_front.mp4"  # 16:9, the person in the middle: room on both sides
BYSTANDER = "kanat_squat_front_two_variants.mp4"
SECONDS = 6.5  # people are counted every 2 s: at 0, 2, 4 and 6 s
FPS = 5.0


@pytest.fixture(scope="module")
def estimator():
    with PoseEstimator() as est:
        yield est


def analyse(video, estimator, lang="en"):
    estimator.reset()
    return analyze_video(video, "mini_squat", PatientSettings("left"), lang,
                         estimator=estimator, analysis_fps=FPS)


def excerpt(src, dst):
    """The first :data:`SECONDS` of ``src`` at 10 frames a second."""
    with VideoWriter(dst, *next(read_frames(src))[1].shape[1::-1], fps=10.0) as w:
        for t, rgb in read_frames(src, max_fps=10.0):
            if t > SECONDS:
                break
            w.write(rgb, t)
    return dst


def test_strips_beside_a_person_leave_the_person_out_and_need_room_for_another():
    # pad = 0.08 × box height 0.8 × 480 px = 30.72 px; 0.4 × 1280 - 30.72 = 481.28
    assert strips_beside(np.array([0.4, 0.1, 0.6, 0.9]), (1280, 480)) == [(0, 481), (799, 1280)]
    # a person filling most of a 4:3 frame: 90 and 102 px left, under 0.25 × 480 = 120
    assert strips_beside(np.array([0.2, 0.0, 0.8, 1.0]), (640, 480)) == []
    # at the left edge: only the right strip
    assert strips_beside(np.array([0.0, 0.2, 0.3, 0.9]), (640, 360)) == [(212, 640)]


def test_share_inside():
    box = np.array([0.2, 0.2, 0.6, 0.8])
    assert share_inside(np.array([0.3, 0.3, 0.5, 0.7]), box) == 1.0
    assert share_inside(np.array([0.7, 0.2, 0.9, 0.8]), box) == 0.0
    assert share_inside(np.array([0.5, 0.2, 0.7, 0.8]), box) == pytest.approx(0.5)


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_smaller_person_beside_the_patient_is_warned(clips_dir, tmp_path, estimator, side):
    # Half the patient's frame height: the whole-frame count finds only the patient.
    video = with_bystander(clips_dir / PATIENT, clips_dir / BYSTANDER, tmp_path / "two.mp4",
                           scale=0.5, side=side, max_s=SECONDS, fps=10.0)
    res = analyse(video, estimator, "nl")
    warned = {w.code: w for w in res.warnings}
    assert "multiple_people" in warned, list(warned)
    assert "meerdere mensen" in warned["multiple_people"].message
    assert res.detection_rate > 0.9  # the patient is still the one tracked


@pytest.mark.parametrize("clip", [PATIENT, BYSTANDER])
def test_one_person_alone_is_not_warned(clips_dir, tmp_path, estimator, clip):
    res = analyse(excerpt(clips_dir / clip, tmp_path / clip), estimator)
    assert "multiple_people" not in {w.code for w in res.warnings}
