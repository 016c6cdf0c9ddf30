"""The live path on a rendered clip: frames in one at a time, the same engine as files."""

import json
from pathlib import Path

import pytest

from formcheck.live import LiveSession
from formcheck.protocol import PatientSettings
from formcheck.track_io import load_track
from formcheck.video import read_frames
from tests.test_rendered import SAMPLES, _live_reps


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


# The pose model's landmarks, 10 frames a second, of a rendered set of three held knee lifts
# of the left leg, 19° behind side-on, the trunk leaning back 26° as each leg rises (set
# ``random_set(3838, lens="wide", support="chair")``, clip
# ``r36_hip_flexion_oblique_azm19_el7_1280x720_chair_left``, painted with ``backend="cv"``;
# its track at the analysis rate, saved with ``track_io.save_track`` in float32). The model
# labels every lift's leg right.
LEANING_BACK = Path(__file__).parent / "data" / "knee_lifts_leaning_back_oblique_landmarks.npz"


@pytest.mark.parametrize("held_at_s", [0.0, 8.5, 16.5])
def test_live_knee_lifts_leaning_back_keep_the_leg_whose_place_in_the_picture_it_left(held_at_s):
    # As each lift began the hips shifted over the standing foot: read from the hips, the
    # standing leg left its rest place first (0.25 trunk lengths to the raised one's 0.1),
    # and the live tracker gave the lift to it: 1 or 2 reps for 3, or 3 with false holds
    # too short. In the picture the standing foot stays where it stood.
    track = load_track(LEANING_BACK)
    got = _live_reps({"exercise": "hip_flexion", "side": "left"}, track, track.image_xyz,
                     track.visibility, track.world_xyz, held_at_s=held_at_s)
    assert got == [(True, [])] * 3, got


# The pose model's landmarks, 10 frames a second, of the first 13.5 s of a rendered heel
# slide set side-on from 12° towards the head, in portrait (``random_set(1919, pace="slow",
# support="chair")``, clip ``r49_heel_slide_side_azm12_el7_1080x1920_tempo3.1_chair_right``,
# painted with ``backend="cv"``; its track at the analysis rate, cut there with
# ``PoseTrack.part`` and saved with ``track_io.save_track`` in float32): the left leg slides
# up and back, bent 120°, while the operated right leg rests. The model labels the legs
# right throughout but for five frames mid-slide, in four places, which draw both knees at
# about one place between the legs (0.02-0.19 trunk lengths apart, 0.66-0.74 around them).
OTHER_LEGS_SLIDE = (Path(__file__).parent / "data"
                    / "other_legs_heel_slide_side_portrait_landmarks.npz")


def test_live_other_legs_heel_slide_is_not_counted_when_the_model_draws_the_knees_at_one_place():
    # Live, continuity took each of those frames for the legs trading places and kept the
    # trade for a frame or two after it: the bent leg's 120° read on the resting leg for
    # 0.1-0.3 s, three "reps" (hold too short, too fast). The recorded path, which reads the
    # frames after too, counted none and said the other leg moved. Such a frame now tells
    # live nothing of the legs.
    from formcheck.analysis import analyze_track

    track = load_track(OTHER_LEGS_SLIDE)
    res = analyze_track(track, "heel_slide", PatientSettings("right"), "en")
    assert res.rep_count == 0 and "wrong_leg" in {w.code for w in res.warnings}
    got = _live_reps({"exercise": "heel_slide", "side": "right"}, track, track.image_xyz,
                     track.visibility, track.world_xyz)
    assert got == [], got


# The pose model's landmarks, 10 frames a second, of the first 13.5 s of a rendered
# stretch held 8 s side-on, in portrait (``random_set(4141)``, clip
# ``r39_hip_extension_stretch_side_az0_el6_480x640_right``, painted with ``backend="cv"``;
# its track at the analysis rate up to 13.5 s, saved with ``track_io.save_track`` in
# float32): at 4.4 s, held, the model draws the back knee bent 15° for a frame, live
# cannot read the leg in the next two, and the next one is drawn bent again.
STRETCH_KNEE_DRAWN_BENT = (Path(__file__).parent / "data"
                           / "stretch_knee_drawn_bent_side_landmarks.npz")


def test_live_held_stretch_is_not_ended_by_frames_in_which_the_leg_was_not_seen():
    # Live took the 0.3 s from the first bent frame to the second for the leg seen back
    # that long (0.25 s ends a held pose): the stretch ended there and the rest of the
    # hold started a second rep (hold too short, too fast), 3 reps for 2 in the clip. Only
    # the time a leg is seen back now ends a hold or a held rep.
    from formcheck.analysis import analyze_track

    track = load_track(STRETCH_KNEE_DRAWN_BENT)
    res = analyze_track(track, "hip_extension_stretch", PatientSettings("right"), "en")
    assert [(r.completed, r.faults) for r in res.reps] == [(True, ["trunk_lean"])]
    got = _live_reps({"exercise": "hip_extension_stretch", "side": "right"}, track,
                     track.image_xyz, track.visibility, track.world_xyz)
    assert got == [(True, ["trunk_lean"])], got
