"""End to end on real videos of real people (../shared/clips; skipped when absent).

Expected counts and tolerances are in ``data/real_clips.toml``.
"""

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis import (
    analyze_track,
    analyze_tracked,
)
from formcheck.protocol import FAULT_CODES, PatientSettings

CASES_FILE = Path(__file__).parent / "data" / "real_clips.toml"
CASES = [(c, side) for c in tomllib.loads(CASES_FILE.read_text())["case"] for side in c["sides"]]

def live_count(track, exercise, side, view=None):
    """The live engine's count on ``track``'s poses, after its stillest start-like picture
    held for 7 s (placement, countdown, calibration), as a patient would give them, when
    the stream ends with the clip. ``view``: that picture is taken where the recording
    is filmed from this view (a patient sets the camera up where they exercise)."""
    from formcheck.live import LiveSession

    offline = analyze_track(track, exercise, PatientSettings(side), "en")
    signal = offline.measures[offline.spec.signal]
    stillness = np.abs(signal) + np.abs(np.gradient(signal))
    if view is not None:
        shown = np.zeros(len(track), bool)
        for seg in offline.views:
            if seg["view"] == view:
                shown |= (track.t >= seg["start_s"]) & (track.t <= seg["end_s"])
        stillness = np.where(shown, stillness, np.nan)
    ready = int(np.nanargmin(stillness))  # standing still
    live = LiveSession(exercise, PatientSettings(side), "en", fs_hz=10.0)
    for k in range(70):
        live.process_pose(track.frame(ready), k * 0.1)
    for i in range(len(track)):
        live.process_pose(track.frame(i), 7.0 + float(track.t[i] - track.t[0]))
    return live.finish().rep_count  # the stream ends with the clip


@pytest.mark.clips
@pytest.mark.parametrize("case,side", CASES,
                         ids=[f"{c['clip'].split('.')[0]}-{c['exercise']}-{s}" for c, s in CASES])
def test_every_real_clip_gives_its_expected_analysis(clips_dir, case, side, tracked):
    # at the rate the clip's reps need, as every entry point analyses a video
    res = analyze_tracked(tracked(clips_dir / case["clip"]),
                          lambda fps: tracked(clips_dir / case["clip"], fps),
                          case["exercise"], PatientSettings(side), "en")
    codes = {w.code for w in res.warnings}
    why = case.get("why", "")
    if case.get("or_warning") in codes:
        assert res.rep_count == 0  # said what to change instead of counting
    else:
        assert abs(res.rep_count - case["reps"]) <= case["tolerance"], (
            res.rep_count, case["reps"], [r.to_dict() for r in res.reps], why)
    flagged = {f for r in res.reps for f in r.faults}
    assert set(case.get("faults", [])) <= flagged, (flagged, why)
    assert not set(case.get("clean", [])) & flagged, (flagged, why)
    out = json.loads(json.dumps(res.to_dict()))  # the JSON contract
    for key in ("exercise", "side", "approach", "rep_count", "reps", "attempts",
                "detection_rate", "view", "warnings"):
        assert key in out
    assert out["rep_count"] == sum(r["completed"] for r in out["reps"])
    for i, rep in enumerate(out["reps"], 1):
        assert rep["index"] == i and rep["start_s"] < rep["end_s"]
        assert set(rep["faults"]) <= set(FAULT_CODES)
        assert {"peak_deg", "hold_s"} <= set(rep)


def test_the_expectations_cover_every_clip_in_the_folder(clips_dir):
    listed = {c["clip"] for c, _ in CASES}
    listed |= {c["clip"] for c in tomllib.loads(CASES_FILE.read_text()).get("extra", [])}
    listed |= {c["clip"] for c in tomllib.loads(CASES_FILE.read_text()).get("not_an_exercise", [])}
    missing = sorted(p.name for p in clips_dir.glob("*.mp4") if p.name not in listed)
    assert not missing, f"clips without an expectation or a reason: {missing}"


@pytest.mark.clips
def test_wrong_view_counts_nothing_and_says_what_to_change(clips_dir, tracked):
    # Side view of a one-legged calf raise, analysed as hip abduction (needs the front).
    track, _ = tracked(clips_dir / "kanat_standing_knee_curl_side.mp4")
    res = analyze_track(track, "hip_abduction", PatientSettings("left"), "nl")
    assert res.rep_count == 0 and res.reps == []
    wrong = [w for w in res.warnings if w.code == "wrong_view"]
    assert wrong and "voren" in wrong[0].message


@pytest.mark.clips
def test_body_half_out_of_frame_is_reported(clips_dir, tracked):
    # Head and torso out of frame most of the time: the "not visible" path.
    track, _ = tracked(clips_dir / "renyun_single_leg_stance_brace.mp4")
    res = analyze_track(track, "hip_flexion", PatientSettings("left"), "en")
    codes = {w.code for w in res.warnings}
    assert codes & {"low_detection", "left_frame", "no_person"}, codes


@pytest.mark.clips
@pytest.mark.parametrize("case,side", [(c, s) for c, s in CASES if c["clip"] in (
    "venkat_high_knees.mp4", "be23_squat.mp4", "ndnam_banded_knee_drives_oblique.mp4")],
    ids=lambda v: v["clip"].split(".")[0] if isinstance(v, dict) else v)
def test_the_count_holds_at_half_the_analysed_frame_rate(clips_dir, case, side, tracked):
    # A slow phone or browser delivers 5 frames a second: quick knee lifts then
    # come and go between frames, and nothing may be built on frame-to-frame
    # continuity that is no longer there.
    import dataclasses

    track, truncated = tracked(clips_dir / case["clip"])
    half = dataclasses.replace(track, **{k: getattr(track, k)[::2] for k in (
        "t", "image_xyz", "visibility", "world_xyz", "n_people")})
    res = analyze_track(half, case["exercise"], PatientSettings(side), "en", truncated=truncated)
    assert abs(res.rep_count - case["reps"]) <= case["tolerance"], (res.rep_count, case["reps"])


@pytest.mark.clips
def test_quick_reps_are_analysed_again_at_a_finer_rate(clips_dir, tmp_path, tracked):
    # Fast high knees (0.5 s a rep) re-encoded at 60 frames a second: at 10 frames a
    # second the 4-6 poses of each rep fall elsewhere than in the original, and 7 of
    # the right leg's 9 lifts were counted. Their reps being that short, the video is
    # tracked again at 20 frames a second; a slow squat keeps the rate.
    from formcheck.analysis import analyze_video, finer_rate
    from formcheck.pose import PoseEstimator
    from formcheck.protocol import default_programme
    from formcheck.synth.capture import degrade_video

    case = next(c for c, s in CASES if c["clip"] == "venkat_high_knees.mp4" and s == "right")
    video = degrade_video(clips_dir / case["clip"], tmp_path / "venkat_60fps.mp4", "fps_60")
    with PoseEstimator() as model:  # one model for both passes, as a job worker's
        res = analyze_video(video, "hip_flexion", PatientSettings("right"), "en",
                            estimator=model)
    assert abs(res.rep_count - case["reps"]) <= case["tolerance"], res.rep_count
    assert 1 / np.median(np.diff(res.track.t)) == pytest.approx(20, abs=1)
    tracking = default_programme().tracking
    squats = analyze_track(tracked(clips_dir / "be23_squat.mp4")[0], "mini_squat",
                           PatientSettings("left"), "en")
    assert squats.rep_count == 8 and finer_rate(squats, tracking) == 0


def _live_reps_under_noise(tracked, clips_dir, clip: str, side: str) -> tuple[dict, int]:
    """The clip's case and its live count under a noisy pose model.

    Its most start-like pose held still for 7 s, then the clip; every frame shaken by
    1 % of the frame, each on its own.
    """
    import dataclasses

    from formcheck.live import LiveSession
    from formcheck.synth.capture import jittered

    case = next(c for c, s in CASES if c["clip"] == clip and s == side)
    track, _ = tracked(clips_dir / case["clip"])
    offline = analyze_track(track, case["exercise"], PatientSettings(side), "en")
    signal = offline.measures[offline.spec.signal]
    ready = int(np.nanargmin(np.abs(signal) + np.abs(np.gradient(signal))))
    held = [ready] * 70 + list(range(len(track)))  # 7 s still, then the clip
    stream = jittered(dataclasses.replace(
        track, t=np.concatenate([np.arange(70) * 0.1, 7.0 + track.t - track.t[0]]),
        **{k: getattr(track, k)[held] for k in ("image_xyz", "visibility", "world_xyz",
                                                 "n_people")}), 0.01)
    live = LiveSession(case["exercise"], PatientSettings(side), "en", fs_hz=10.0)
    for i in range(len(stream)):
        live.process_pose(stream.frame(i), float(stream.t[i]))
    return case, live.finish().rep_count

@pytest.mark.clips
def test_live_engine_counts_quick_real_knee_lifts(clips_dir, tracked):
    # The live page's engine (causal: no look-ahead for the legs' names, the smoothing or
    # the count), fed the poses of a real clip of quick alternating knee lifts after the
    # patient stood still for placement, countdown and calibration, counts what the
    # recording holds (benchmarks/live_real.py does this for every real clip).
    case = next(c for c, side in CASES if c["clip"] == "venkat_high_knees.mp4" and side == "left")
    track, _ = tracked(clips_dir / case["clip"])
    assert abs(live_count(track, case["exercise"], "left") - case["reps"]) <= case["tolerance"]


@pytest.mark.clips
@pytest.mark.parametrize("side", ["left", "right"])
def test_live_knee_lifts_under_a_noisy_pose_model_are_not_given_to_the_other_leg(clips_dir,
                                                                                  side, tracked):
    # Real alternating knee drives, filmed obliquely, every landmark shaken by 1 % of the
    # frame (the held start pose too, each frame on its own). Live, the leg that rose is
    # kept raised until its foot is down (kinematics.PlantedLegs); with margins made for a
    # clean model, a noisy frame at a lift's start showed the standing leg leaving its rest
    # place first, and the raised leg was then given the standing leg's label: left 1,
    # right 5 for 3. Its margins now follow the noise read from the recent frames.
    case, reps = _live_reps_under_noise(tracked, clips_dir, "ndnam_banded_knee_drives_oblique.mp4",
                                        side)
    assert reps == case["reps"]


@pytest.mark.clips
def test_live_engine_calibrates_a_still_start_under_a_noisy_pose_model(clips_dir, tracked):
    # A noisy pose model (every landmark shaken by 1 % of the frame, each frame on its own)
    # shakes the held start pose too: its reading spread past the calibration's stillness
    # limit or its lowest reading lay far under the pose ("raised"), so the live engine
    # calibrated only once its wait ran out, on the resting level of what it had seen
    # (real side leg raises, left leg: 2 for 3). Both are now judged beyond the noise, as
    # the rep counter's start and target are.
    case, reps = _live_reps_under_noise(tracked, clips_dir, "be23_standing_side_leg_raise.mp4",
                                        "left")
    assert reps == case["reps"]


@pytest.mark.clips
@pytest.mark.parametrize("clip,side", [("rohanx01_deep_squat_side.mp4", "right"),
                                       ("kanat_squat_front_two_variants.mp4", "left")])
def test_live_engine_at_ten_frames_a_second_smooths_a_noisy_deep_squat(clips_dir, clip, side,
                                                                      tracked):
    # At 10 frames a second (a slow browser; the benchmarks' rate) the live smoothing sat on
    # its frame-rate limit and went on and off with the measured rate (9.99 / 10.01), the
    # noise adaptation with it: with every landmark shaken by 1 % of the frame, the right
    # knee's deep squat dipped under the return level for one unsmoothed frame and counted
    # 3 for 2. Now the movement signal is smoothed as its noise needs at any such rate.
    # From the front (kanat), the person turning between two variants of the squat read as
    # a squat reaching its target by the hips' drop: the unsmoothed hip height's noise alone
    # (~3 % of it) put the rest's top and the turn's lowest readings 12 % apart (5 for 4).
    # The drop a squat needs now lies beyond that noise, as the signal's target does.
    from formcheck.synth.capture import jittered

    case = next(c for c, _ in CASES if c["clip"] == clip)
    track, _ = tracked(clips_dir / case["clip"])
    assert live_count(jittered(track, 0.01), case["exercise"], side) == case["reps"]


@pytest.mark.clips
@pytest.mark.parametrize("clip", ["kratika_squat_front.mp4", "kanat_squat_front_two_variants.mp4"])
def test_live_stream_ending_on_the_way_up_from_the_last_squat_counts_it(clips_dir, clip, tracked):
    # Both real squat clips end on the way up from their last squat. The recorded analysis
    # counts such a rep (session end rule: more than half-way back and still coming back);
    # the live engine had no end and left it in progress: 9 for 10, 3 for 4. Live, the
    # patient is still there: when the stream ends (LiveSession.finish, called by the page
    # when the camera stops) the same rule closes the set.
    case = next(c for c, _ in CASES if c["clip"] == clip)
    track, _ = tracked(clips_dir / case["clip"])
    assert live_count(track, case["exercise"], "left") == case["reps"]


@pytest.mark.clips
def test_live_engine_on_a_noisy_pose_model_does_not_split_squats(clips_dir, tracked):
    # The live engine fed a real squat clip with every landmark shaken by 1 % of the frame
    # (a webcam in dim light): with the smoothing fixed for a steady model it counted 8 for
    # 5 squats. Live, too, the signal's smoothing and the rise a rep needs now follow the
    # noise read from the recent frames. The clip is an edited tutorial whose squats are
    # filmed from the side: the patient's start picture is taken there. (Started from its
    # front-filmed opening shot, the live engine counts the noisy 3-D knee's wobbles
    # there: 8-11; an open weakness, see the README.)
    from formcheck.synth.capture import jittered

    case = next(c for c, _ in CASES if c["clip"] == "douyin_squat_tutorial.mp4")
    track, _ = tracked(clips_dir / case["clip"])
    noisy = jittered(track, 0.01)
    got = live_count(noisy, case["exercise"], "left", view="side")
    assert abs(got - case["reps"]) <= case["tolerance"]


@pytest.mark.clips
def test_a_slower_patient_seated_longer_is_counted_the_same(clips_dir, tracked):
    # An older man stands up from a box, turned half away from the camera. Played at
    # 0.4x (a slower patient, filmed at the analysis rate) the seated part is long
    # enough to be judged a view of its own; that stretch never returns to rest, so
    # its own resting level would be the seated knee and make the seated wobbles
    # reps (5 counted). benchmarks/perturbed.py re-times every real clip.
    from formcheck.synth.capture import retimed

    case = next(c for c, _ in CASES if c["clip"].startswith("belivan_older_box_squat"))
    track, _ = tracked(clips_dir / case["clip"])
    slow = retimed(track, 0.4, rate_hz=10.0)
    assert slow.t[-1] > 2.4 * track.t[-1] - 1.0 and np.allclose(np.diff(slow.t), 0.1)
    res = analyze_track(slow, case["exercise"], PatientSettings("left"), "en")
    assert abs(res.rep_count - case["reps"]) <= case["tolerance"], [
        (r.start_s, r.peak_deg) for r in res.reps]


@pytest.mark.clips
def test_knee_drives_with_the_rest_between_them_unseen_keep_their_legs(clips_dir, tracked):
    # Real alternating knee drives, filmed obliquely, nobody found for 0.5 s every 4 s
    # (passing behind furniture); one gap covers the rest between a right and a left
    # drive. Read as one bout, the left drive was given to the right leg (left 2 of 3):
    # a bout of one leg's movement runs on through unseen frames only as long as the
    # measures' gaps are filled (kinematics.planted_leg_swaps). benchmarks/perturbed.py.
    from formcheck.synth.capture import without_person

    case = next(c for c, side in CASES if c["clip"].startswith("ndnam_banded_knee_drives")
                and side == "left")
    track, _ = tracked(clips_dir / case["clip"])
    gaps = without_person(track, (track.t - track.t[0]) % 4.0 >= 3.5)
    res = analyze_track(gaps, case["exercise"], PatientSettings("left"), "en")
    assert res.rep_count == case["reps"], [(r.start_s, r.peak_deg) for r in res.reps]


@pytest.mark.clips
def test_a_faster_patient_without_a_still_start_is_counted_the_same(clips_dir, tracked):
    # Four front-view squats with a turn to the side between the pairs. Played twice as
    # fast (filmed at the analysis rate), the still start is too short to calibrate on;
    # the knee's resting level was then its 5th percentile, which the frames read low
    # while turning set 14 degrees under the rest between squats, so the last two
    # squats never came back to rest (3 counted). It is now the level the signal
    # comes back to between reps.
    from formcheck.synth.capture import retimed

    case = next(c for c, _ in CASES if c["clip"].startswith("kanat_squat_front"))
    track, _ = tracked(clips_dir / case["clip"])
    fast = retimed(track, 2.0, rate_hz=10.0)
    res = analyze_track(fast, case["exercise"], PatientSettings("left"), "en")
    assert res.calibration.method == "resting_level"
    assert res.rep_count == case["reps"], [(r.start_s, r.peak_deg) for r in res.reps]


@pytest.mark.clips
def test_a_shakier_pose_model_does_not_add_reps(clips_dir, tracked):
    # The box sit-to-stand with every landmark shaken by 0.6 % of the frame (about five
    # times the model's own shake on it): a wobble on the way back up from the deep
    # first rep, still above the return level, was counted as a rep of its own.
    from formcheck.synth.capture import jittered

    case = next(c for c, _ in CASES if c["clip"].startswith("belivan_older_box_squat"))
    track, _ = tracked(clips_dir / case["clip"])
    for seed in (0, 1):
        res = analyze_track(jittered(track, 0.006, seed), case["exercise"],
                            PatientSettings("left"), "en")
        assert abs(res.rep_count - case["reps"]) <= case["tolerance"], [
            (r.start_s, r.end_s, r.peak_deg) for r in res.reps]


@pytest.mark.clips
def test_a_shakier_pose_model_does_not_split_a_heel_slide_filmed_from_the_foot_end(clips_dir,
                                                                                   tracked):
    # Read from the heel's slide (the hip-ankle distance against the straight leg's), a
    # 0.6 % shake of the landmarks is a 10° shake of the knee: the opening slide broke
    # in two. The slide's noise is read in its own degrees and smoothed like any signal.
    from formcheck.synth.capture import jittered

    case = next(c for c, _ in CASES
                if c["clip"] == "belivan_older_heel_slide_reclined_front.mp4")
    track, _ = tracked(clips_dir / case["clip"])
    for level in (0.006, 0.01):
        res = analyze_track(jittered(track, level), "heel_slide", PatientSettings("left"), "en")
        assert res.rep_count == case["reps"], (level, [(r.start_s, r.end_s) for r in res.reps])


@pytest.mark.clips
def test_a_noisy_pose_model_does_not_split_front_view_squats(clips_dir, tracked):
    # Front-view squats with every landmark shaken by 1 % of the frame: the 3-D knee
    # angle then wobbles by ~6° from frame to frame, across the low front-view
    # thresholds (start 8°, target 14°), and 4 squats were counted as 8 and 6. The
    # smoothing of the signal now follows the noise measured on the landmarks.
    from formcheck.synth.capture import jittered

    case = next(c for c, s in CASES if c["clip"].startswith("kanat_squat_front") and s == "left")
    track, _ = tracked(clips_dir / case["clip"])
    for seed in (0, 1):
        res = analyze_track(jittered(track, 0.01, seed), case["exercise"],
                            PatientSettings("left"), "en")
        assert res.rep_count == case["reps"], [(r.start_s, r.end_s, r.peak_deg) for r in res.reps]


@pytest.mark.clips
def test_noise_does_not_take_short_knee_lifts_past_their_target(clips_dir, tracked):
    # Seated knee lifts of ~33°, short of the 40° target (attempts, not reps), with
    # every landmark shaken by 1 % of the frame: the noise read the peaks 41-44° and
    # counted them. A rep must now reach its target clear of the measured noise.
    from formcheck.synth.capture import jittered

    case = next(c for c, _ in CASES if c["clip"] == "askdrjo_seated_hip_flexion.mp4")
    track, _ = tracked(clips_dir / case["clip"])
    res = analyze_track(jittered(track, 0.01), case["exercise"], PatientSettings("right"), "en")
    assert res.rep_count == 0 and len(res.reps) == 3, [r.to_dict() for r in res.reps]


@pytest.mark.clips
def test_frames_without_a_person_do_not_merge_quick_reps(clips_dir, tracked):
    # Quick knee lifts with nobody found for 0.5 s every 4 s (a person passing behind
    # a chair): the lifts hidden in a gap are lost, but two lifts run together across
    # a gap were taken for a held pose, and every quick lift after it for part of that
    # hold (5 of 9 counted).
    from formcheck.synth.capture import without_person

    case = next(c for c, s in CASES if c["clip"] == "venkat_high_knees.mp4" and s == "left")
    track, _ = tracked(clips_dir / case["clip"])
    lost = without_person(track, (track.t - track.t[0]) % 4.0 >= 3.5)
    res = analyze_track(lost, case["exercise"], PatientSettings("left"), "en")
    assert abs(res.rep_count - case["reps"]) <= case["tolerance"], [
        (r.start_s, r.end_s) for r in res.reps]


@pytest.mark.clips
@pytest.mark.parametrize("clip,side", [("kanat_standing_knee_curl_side.mp4", "left"),
                                       ("venkat_high_knees.mp4", "right")])
def test_one_leg_at_a_time_is_not_counted_as_a_squat(clips_dir, clip, side, tracked):
    # Knee curls and high knees bend one knee far past a squat's target while the
    # other stays straight: not a squat, and said so (a walk or a step is the same).
    track, _ = tracked(clips_dir / clip)
    res = analyze_track(track, "mini_squat", PatientSettings(side), "en")
    assert res.rep_count == 0, [r.to_dict() for r in res.reps]
    ignored = [w for w in res.warnings if w.code == "not_exercise"]
    assert ignored and all(m[2] == "one_leg" for m in ignored[0].data["movements"])
    assert "one leg at a time" in ignored[0].message


@pytest.mark.clips
def test_a_heel_slide_filmed_from_the_foot_end_is_read_from_the_heels_slide(clips_dir, tracked):
    # Long-sitting in bed, the phone at the feet: the lying trunk is seen upright in the
    # picture (a standing person's front view, as it was taken: wrong view, nothing
    # counted). Known to lie, it is the view along the body, where the knee is read
    # from how far the heel slid towards the hip.
    for name, reps in (("belivan_older_heel_slide_reclined_front.mp4", 2),
                       ("belivan_older_heel_slide_reclined_front_1rep.mp4", 1)):
        track, _ = tracked(clips_dir / name)
        res = analyze_track(track, "heel_slide", PatientSettings("left"), "en")
        assert res.view == "lying_front" and res.spec.signal == "knee_flexion_slide"
        assert res.rep_count == reps, [r.to_dict() for r in res.reps]
        assert "wrong_view" not in {w.code for w in res.warnings}
        # The slide's reading is too rough for the hold and the tempo: said, not guessed.
        assert not {"hold_too_short", "too_fast"} & {f for r in res.reps for f in r.faults}
        unchecked = [w.data["codes"] for w in res.warnings if w.code == "fault_not_checked"]
        assert unchecked and {"hold_too_short", "too_fast"} <= set(unchecked[0])


@pytest.mark.clips
@pytest.mark.parametrize("clip", ["be23_squat", "kratika_squat_front", "venkat_lunges"])
def test_a_recording_started_or_stopped_mid_rep_counts_the_reps_it_shows(clips_dir, clip,
                                                                         tracked):
    # A patient presses record when ready, not at a rest between squats, and a recording
    # is stopped mid-squat. Cut half-way through the middle rep, the recording counts the
    # whole recording's reps on its side of the cut, and the rep cut in two at most once.
    # benchmarks/trimmed.py cuts every real clip at every rep.
    case = next(c for c, _ in CASES if c["clip"].startswith(clip))
    track, _ = tracked(clips_dir / case["clip"])
    whole = analyze_track(track, case["exercise"], PatientSettings("left"), "en")
    reps = [r for r in whole.reps if r.completed]
    assert len(reps) >= 3
    mid = reps[len(reps) // 2]
    at = (mid.start_s + mid.end_s) / 2
    i = int(np.searchsorted(track.t, at))
    after = analyze_track(track.part(i, len(track), restart=True), case["exercise"],
                          PatientSettings("left"), "en")
    before = analyze_track(track.part(0, i), case["exercise"], PatientSettings("left"), "en")
    later = sum(r.start_s >= at for r in reps)
    earlier = sum(r.end_s <= at for r in reps)
    assert later <= after.rep_count <= later + 1, [(r.start_s, r.peak_deg) for r in after.reps]
    assert earlier <= before.rep_count <= earlier + 1, [
        (r.start_s, r.peak_deg) for r in before.reps]
