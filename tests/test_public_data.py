"""The rep counter on public squat data, through the real engine (benchmarks/public.py).

Labelled MediaPipe squat landmarks and KIMORE Kinect joints from ``../shared/datasets``
(skipped when absent). The full numbers are in ``benchmarks/results/public.md``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from formcheck.analysis import analyze_track
from formcheck.protocol import PatientSettings

REPO = Path(__file__).resolve().parent.parent
DATASETS = Path(os.environ.get("FORMCHECK_DATASETS", REPO.parent / "shared" / "datasets"))
LABELLED = DATASETS / "exercise_correction_ngoquocbao" / "squat_model__test.csv"
LABELLED_TRAIN = LABELLED.with_name("squat_model__train.csv")
KIMORE = DATASETS / "kimore_sample_leowei31"


@pytest.fixture(scope="module")
def public():
    """``benchmarks/public.py`` as a module (its dataset adapters and rep rules)."""
    if not (LABELLED.is_file() and (KIMORE / "JointPositionExercise52.csv").is_file()):
        pytest.skip(f"public datasets not present at {DATASETS}")
    spec = importlib.util.spec_from_file_location("public_bench", REPO / "benchmarks" / "public.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _count(track, side: str) -> int:
    return analyze_track(track, "mini_squat", PatientSettings(side), "en").rep_count


@pytest.mark.parametrize("side", ["left", "right"])
def test_labelled_squat_videos_count_within_one_of_the_labels(public, side):
    data = public.load_labelled(LABELLED)
    videos = public.video_segments(data.landmarks)
    assert len(videos) == 2  # the feet move once: two videos
    true = [public.true_reps(data.labels[a:b])["reps"] for a, b in videos]
    assert true == [1, 2]
    counted = [_count(public.labelled_track(data.landmarks[a:b]), side) for a, b in videos]
    assert all(abs(c - t) <= 1 for c, t in zip(counted, true, strict=True)), counted
    assert abs(sum(counted) - sum(true)) <= 1, counted


def test_a_long_labelled_squat_set_counts_no_standing_wobble(public):
    # The longest labelled video (15 squats from the front, 1812 rows): the model's 3-D
    # knee wobbled past the front view's target on standing rows twice, with the hips
    # read higher than standing (so their drop told nothing): 17. Each leg's hip-ankle
    # distance (the knee as reported) did not come down: not squats.
    data = public.load_labelled(LABELLED_TRAIN)
    a, b = max(public.video_segments(data.landmarks), key=lambda ab: ab[1] - ab[0])
    true = public.true_reps(data.labels[a:b])["reps"]
    assert true == 15
    for side in ("left", "right"):
        counted = _count(public.labelled_track(data.landmarks[a:b]), side)
        assert abs(counted - true) <= 1, (side, counted)


def test_kimore_squats_counted_and_pelvis_rotations_not(public):
    squats = public.load_kinect(KIMORE / "JointPositionExercise52.csv")
    rotations = public.load_kinect(KIMORE / "JointPositionExercise4.csv")
    assert len(public.kimore_reps(squats)) == 4 and len(public.kimore_reps(rotations)) == 0
    for camera in ("side", "front"):
        assert _count(public.kinect_track(squats, camera), "left") == 4, camera
        assert _count(public.kinect_track(rotations, camera), "right") == 0, camera
