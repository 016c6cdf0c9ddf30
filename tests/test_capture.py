"""Real clips under real capture conditions keep their count (../shared/clips; skipped
when absent). The conditions are in formcheck/synth/capture.py; the numbers for more
clips and conditions come from benchmarks/capture.py."""

import hashlib
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis import analyze_track, track_video
from formcheck.pose import UNDEREXPOSED_BELOW, well_exposed
from formcheck.protocol import PatientSettings
from formcheck.synth.capture import SWAPS_SIDES, cropped, degrade_video, held, mirrored, resampled
from formcheck.video import VideoWriter

FULL_SIZE = {"venkat_high_knees.mp4"}  # its miss showed at the clip's own size
CASES = {c["clip"]: c for c in tomllib.loads(
    (Path(__file__).parent / "data" / "real_clips.toml").read_text())["case"]}


def frames(n, fps):
    return ((i / fps, np.full((4, 4, 3), i, np.uint8)) for i in range(n))


def test_held_frames_repeat_the_picture_and_keep_the_times():
    out = list(held(frames(7, 30), every=3))
    assert [t for t, _ in out] == pytest.approx([i / 30 for i in range(7)])
    assert [int(f[0, 0, 0]) for _, f in out] == [0, 0, 0, 3, 3, 3, 6]


def test_resampled_shows_the_latest_picture_at_the_new_rate():
    out = list(resampled(frames(4, 25), 60))
    assert [t for t, _ in out] == pytest.approx([k / 60 for k in range(len(out))])
    assert out[-1][0] <= 3 / 25 + 1e-9
    shown = [int(f[0, 0, 0]) for _, f in out]
    assert shown == [int(np.floor(t * 25 + 1e-9)) for t, _ in out]


def test_mirrored_flips_left_right_and_cropped_blacks_out_the_edges():
    img = np.arange(2 * 5 * 3, dtype=np.uint8).reshape(2, 5, 3)
    (_, out), = mirrored(iter([(0.0, img)]))
    assert np.array_equal(out[:, 0], img[:, -1]) and np.array_equal(out[:, -1], img[:, 0])
    tall = np.full((10, 4, 3), 200, np.uint8)
    (_, out), = cropped(iter([(0.0, tall)]), top=0.2, bottom=0.1)
    assert out.shape == tall.shape
    assert (out[:2] == 0).all() and (out[-1] == 0).all() and (out[2:9] == 200).all()


def test_only_an_underexposed_frame_is_stretched():
    rng = np.random.default_rng(0)
    normal = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    assert well_exposed(normal) is normal
    dark = (normal * 0.3).astype(np.uint8)
    out = well_exposed(dark)
    assert out.dtype == np.uint8 and np.percentile(out, 99) > 240
    assert np.percentile(out, 1) < 10
    flat = np.full((48, 64, 3), 20, np.uint8)  # a black frame stays black
    assert well_exposed(flat) is flat
    for bright in range(8):  # at the edge: as the 99th percentile of the sample says
        edge = rng.integers(40, 100, (80, 80, 3), dtype=np.uint8)
        edge[:8 * bright:8, 0, 0] = 200  # bright values among the 300 sampled (every 8th)
        kept = np.percentile(edge[::8, ::8], 99) >= UNDEREXPOSED_BELOW
        assert (well_exposed(edge) is edge) == kept, bright


def test_a_degraded_video_is_the_same_bytes_every_time(tmp_path):
    # x264's macroblock tree read uninitialised stack memory: the same frames came out
    # differently from one encoding to the next, and so did a real clip's count. Each
    # condition is encoded eight times here and once in another process (before the fix
    # some condition gave two or more files in each of 8 runs of this test).
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:120, 0:200]
    src = tmp_path / "src.mp4"
    with VideoWriter(src, 200, 120, 30) as w:
        for i in range(20):
            cx, cy = 100 + 50 * np.sin(i / 7), 60 + 30 * np.cos(i / 5)
            blob = 220 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 600)[..., None]
            w.write(np.clip(blob * [1, 0.6, 0.3] + rng.normal(30, 12, (120, 200, 3)), 0, 255)
                    .astype(np.uint8), i / 30)

    def digest(path):
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    conditions = ["overlay", "dim", "handheld"]
    other = subprocess.run(
        [sys.executable, "-c", "import sys; from formcheck.synth.capture import degrade_video\n"
         "for c in sys.argv[2:]: degrade_video(sys.argv[1], f'{sys.argv[1]}.{c}.mp4', c)",
         str(src), *conditions], capture_output=True, timeout=120)
    assert other.returncode == 0, other.stderr
    for condition in conditions:
        seen = {digest(degrade_video(src, tmp_path / f"{condition}{i}.mp4", condition))
                for i in range(8)}
        assert seen == {digest(f"{src}.{condition}.mp4")}, (condition, seen)


@pytest.mark.clips
@pytest.mark.parametrize("clip,condition", [
    ("be23_squat.mp4", "dim_handheld"),
    ("ndnam_banded_knee_drives_oblique.mp4", "held_frames"),
    ("frailty_sit_to_stand.mp4", "overlay"),
    ("physioplus_bridging.mp4", "dim"),  # no one was found before levels were stretched
    # Quick knee lifts with the feet out of frame: a dip between two lifts sampled once
    # was taken for a held pose misread low, and three lifts were read as one.
    ("venkat_high_knees.mp4", "feet_cut"),
    # Alternating knee drives through an old webcam: the left leg's drives bled into the
    # right leg's landmarks (up to 43° while the left was at 72-102°) and were counted.
    ("ndnam_banded_knee_drives_oblique.mp4", "low_resolution"),
    # Alternating knee drives filmed handheld: the picture moved, and the standing foot
    # read nearer where the other had stood at rest: a drive was handed to the wrong leg
    # (2 for 3 here, 4 for 3 at full size). Below the hips it still stands where it stood.
    ("ndnam_banded_knee_drives_oblique.mp4", "handheld"),
    # Filmed from the foot end, the recording opens with the knee bent and bends it
    # ~20° further before the first slide out: first seen near its top, no heel slide
    # the patient was seen to make (3 for 2 under 10 of 11 conditions before).
    ("belivan_older_heel_slide_reclined_front.mp4", "dim"),
])
def test_a_real_clip_keeps_its_count_under_capture_conditions(clips_dir, tmp_path, clip,
                                                              condition):
    case = CASES[clip]
    path = degrade_video(clips_dir / clip, tmp_path / f"{condition}.mp4", condition,
                         max_side=None if clip in FULL_SIZE else 640)
    track, truncated = track_video(path)
    side = case["sides"][0]
    if condition in SWAPS_SIDES:  # the person's left leg is now seen as a right leg
        side = {"left": "right", "right": "left"}[side]
    res = analyze_track(track, case["exercise"], PatientSettings(side), "en",
                        truncated=truncated)
    assert abs(res.rep_count - case["reps"]) <= case["tolerance"], (
        condition, res.rep_count, case["reps"], [r.to_dict() for r in res.reps])


def _degraded(clips_dir: Path, tmp_path: Path, clip: str, condition: str):
    """``(path, track, result)``: ``clip`` under ``condition`` (640 pixels at most),
    tracked and analysed for its first expected side."""
    case = CASES[clip]
    path = degrade_video(clips_dir / clip, tmp_path / f"{condition}.mp4", condition,
                         max_side=640)
    track, truncated = track_video(path)
    res = analyze_track(track, case["exercise"], PatientSettings(case["sides"][0]), "en",
                        truncated=truncated)
    return path, track, res


@pytest.mark.clips
@pytest.mark.parametrize("roll", [12.0, -12.0])
def test_a_tilted_camera_is_read_as_level(clips_dir, tmp_path, roll):
    # A phone propped at a slant: the side leg raise filmed from the front with the
    # picture turned 12° either way. Against the picture's vertical the standing knee
    # drifted across the midline and every raise was called adduction_past_midline;
    # the body standing on both feet shows the roll, and the recording is measured as
    # if the camera were level, the user told so.
    clip = "be23_standing_side_leg_raise.mp4"
    case = CASES[clip]
    _, track, res = _degraded(clips_dir, tmp_path, clip, "tilted" if roll > 0 else "tilted_cw")
    tilted = next(w for w in res.warnings if w.code == "camera_tilted")
    assert 8 < tilted.data["degrees"] < 16  # read from the body, not told
    assert res.rep_count == case["reps"]
    assert not any("adduction_past_midline" in r.faults for r in res.reps)
    # The result's landmarks are the picture's own, to draw on it.
    np.testing.assert_allclose(res.track.image_xyz, track.image_xyz, atol=1e-9)
    level = analyze_track(track_video(clips_dir / clip)[0], case["exercise"],
                          PatientSettings(case["sides"][0]), "en")
    assert "camera_tilted" not in [w.code for w in level.warnings]
    # Live, the roll is read while the patient stands straight in place before the
    # countdown: the stillest picture with both legs down and straight (hips and knees
    # within STANDING_STRAIGHT_DEG), held 7 s, then the clip's poses.
    from formcheck.kinematics import camera_roll_deg, to_isotropic
    from formcheck.live import LiveSession

    xy = to_isotropic(track.image_xyz, track.image_wh)
    straight = np.array([np.isfinite(camera_roll_deg(xy[i:i + 1], min_frames=1))
                         for i in range(len(track))])
    legs = sum(np.abs(res.measures[k]) for k in (res.spec.signal, res.spec.signal + "_other"))
    ready = int(np.nanargmin(np.where(straight, legs + np.abs(np.gradient(legs)), np.nan)))
    live = LiveSession(case["exercise"], PatientSettings(case["sides"][0]), "en", fs_hz=10.0)
    for k in range(70):
        live.process_pose(track.frame(ready), k * 0.1)
    for i in range(len(track)):
        live.process_pose(track.frame(i), 7.0 + float(track.t[i] - track.t[0]))
    live.finish()
    assert live.camera_roll_deg is not None and 8 < abs(live.camera_roll_deg) < 16
    assert live.state.rep_count == case["reps"]
    assert not any("adduction_past_midline" in r["faults"] for r in live.reps())


@pytest.mark.clips
def test_someone_passing_in_front_is_not_measured_as_the_person(clips_dir, tmp_path):
    # Someone walks through the picture in front of the squatting person (a strip of the
    # picture as it was 2 s before, mirrored, sliding across in 2 s). The pose model
    # followed the passer-by for 0.9 s, whose hips jumped there and back: those frames
    # were measured as the person's and a squat was lost (9 for 10). They are now left
    # out as someone else's, and the user is told.
    clip = "kratika_squat_front.mp4"
    _, _, res = _degraded(clips_dir, tmp_path, clip, "passer_by")
    other = next(w for w in res.warnings if w.code == "other_person")
    assert all(3.0 <= a <= b <= 5.0 for a, b in other.data["spans"])  # while it passed
    assert res.rep_count == CASES[clip]["reps"]


@pytest.mark.clips
def test_a_video_on_its_side_is_stood_upright(clips_dir, tmp_path):
    # A phone held sideways whose file does not say so: the squats are filmed lying on
    # their side in the picture. Read as they lie, the view was refused and nothing was
    # counted; a standing body's up shows the quarter turn, and the video is analysed
    # upright, the user told.
    clip = "kratika_squat_front.mp4"
    path, track, res = _degraded(clips_dir, tmp_path, clip, "sideways")
    codes = [w.code for w in res.warnings]
    assert "turned_upright" in codes and "wrong_view" not in codes
    assert res.rep_count == CASES[clip]["reps"]
    np.testing.assert_allclose(res.track.image_xyz, track.image_xyz, atol=1e-9)
    # The annotated video is written upright: as wide as the clip was filmed.
    from formcheck.annotated_video import write_annotated_video
    from formcheck.video import probe

    out = write_annotated_video(res, path, tmp_path / "annotated.mp4")
    assert probe(path).width < probe(path).height and probe(out).width > probe(out).height


@pytest.mark.clips
def test_squats_whose_way_down_went_missing_are_not_someone_else(clips_dir, tracked):
    # Frames lost between standing and the bottom of each squat (as in files saved a
    # labelled frame at a time): the hips jump down and back, as a passer-by's would,
    # but the feet stay where they stood. Taken for someone else, 45 of the 113 frames
    # were left out and 2 squats of 10 counted. It is the person; one squat whose stand
    # before the next is down to a frame or two runs into it (9).
    import dataclasses

    from formcheck.analysis import analyze_track

    clip = "kratika_squat_front.mp4"
    track, _ = tracked(clips_dir / clip)
    full = analyze_track(track, "mini_squat", PatientSettings("left"), "en")
    knee = full.measures["knee_flexion"]
    keep = np.flatnonzero(~((knee > 8) & (knee < 0.6 * np.nanmax(knee))))
    assert len(keep) < 0.8 * len(track)
    gappy = dataclasses.replace(
        track, t=track.t[keep[0]] + 0.1 * np.arange(len(keep)), image_xyz=track.image_xyz[keep],
        visibility=track.visibility[keep], world_xyz=track.world_xyz[keep],
        n_people=track.n_people[keep])
    res = analyze_track(gappy, "mini_squat", PatientSettings("left"), "en")
    assert "other_person" not in {w.code for w in res.warnings}
    assert abs(res.rep_count - CASES[clip]["reps"]) <= 1
