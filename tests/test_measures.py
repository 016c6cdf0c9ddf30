"""Measures and the start-pose calibration on landmark sequences with known angles."""

import dataclasses

import numpy as np
import pytest
from test_kinematics import lying_side

from formcheck import kinematics as k
from formcheck.measures import (
    calibrate,
    calibrated,
    compute_measures,
    front_sign_of,
    standing_hip_ankle,
)
from formcheck.pose import Landmark as L
from formcheck.protocol import default_programme


def heel_slide_track(hip_off: float, peak_deg: float = 100.0, fps: float = 20.0):
    """2 s lying straight, then the knee bends to ``peak_deg`` and is held, as landmarks."""
    t = np.arange(0, 6.0, 1 / fps)
    knee = np.clip((t - 2.0) / 2.0, 0.0, 1.0) * peak_deg
    xy = np.stack([lying_side(a, hip_off) for a in knee])
    return t, knee, xy, np.ones((len(t), 33))


def measured_knee(programme, hip_off: float, slide: bool = True):
    t, true, xy, vis = heel_slide_track(hip_off)
    spec = dataclasses.replace(programme.exercise("heel_slide"), knee_from_slide=slide)
    raw = compute_measures(xy, vis, "left", 0.2, front_sign_of(xy))
    cal = calibrate(raw, t, spec, programme.tracking)
    return true, calibrated(raw, cal)["knee_flexion"], cal


@pytest.mark.parametrize("hip_off", [0.0, 4.0, 7.0])
def test_lying_knee_reads_true_when_the_model_puts_the_hips_towards_the_ceiling(hip_off):
    """The hips misplaced 0-7 cm (0-0.14 trunk): the bent knee still reads its angle."""
    true, knee, cal = measured_knee(default_programme(), hip_off)
    assert cal.applied and cal.hip_shift == pytest.approx(hip_off / 50, abs=0.003)
    assert knee[:30] == pytest.approx(0.0, abs=0.5)
    assert knee[-20:] == pytest.approx(true[-20:], abs=1.0)


def with_tracking(**changes):
    """The default programme with some tracking fields changed."""
    prog = default_programme()
    return dataclasses.replace(prog, tracking=dataclasses.replace(prog.tracking, **changes))


def test_without_the_hip_shift_a_constant_angle_offset_reads_the_bent_knee_low():
    true, knee, cal = measured_knee(with_tracking(lying_straight_knee_deg=0.0), 7.0, False)
    assert cal.hip_shift == 0.0
    assert np.median(true[-20:] - knee[-20:]) > 10.0
    # The heel's slide towards the hip lies across that misplacement: read with it, the
    # bent knee is near its angle even without the shift (the reach's jitter weighs
    # little there), and the straight start leg still reads straight.
    true, knee, _ = measured_knee(with_tracking(lying_straight_knee_deg=0.0), 7.0)
    assert np.median(true[-20:] - knee[-20:]) < 4.0
    assert np.median(np.abs(knee[:30])) < 1.0


def test_a_knee_that_does_not_straighten_is_calibrated_as_an_angle():
    """A lying leg starting 20° bent is not taken for a misplaced hip."""
    prog = default_programme()
    t, _, xy, vis = heel_slide_track(0.0)
    xy = np.stack([lying_side(20.0 + 80.0 * np.clip((ti - 2.0) / 2.0, 0, 1)) for ti in t])
    raw = compute_measures(xy, vis, "left", 0.2, front_sign_of(xy))
    cal = calibrate(raw, t, prog.exercise("heel_slide"), prog.tracking)
    assert cal.hip_shift == 0.0
    assert cal.offsets["knee_flexion"] == pytest.approx(20.0, abs=0.5)


def test_every_view_gives_the_same_measures():
    # A live stream keeps the names of its first frame's measures while the view
    # (2-D, turned, 3-D) is still being found: every view must give them all.
    _, _, xy, vis = heel_slide_track(5.0)
    world = np.concatenate([xy / 100.0, np.zeros(xy.shape[:-1] + (1,))], axis=-1)
    names = [set(compute_measures(xy, vis, "left", 0.2, 1.0, **kw))
             for kw in ({}, {"turn_deg": 30.0}, {"world": world})]
    assert names[0] == names[1] == names[2]


def bridge_pose(lift_deg: float, hip_off: float = 0.0) -> np.ndarray:
    """Lying on the back, knees bent, feet flat (cm, head at image -x, ceiling at -y):
    the trunk turned ``lift_deg`` up about the shoulders, the feet in place; ``hip_off``
    cm moves both hip landmarks towards the ceiling, as the pose model does."""
    xy = lying_side(0.0)
    a = np.radians(lift_deg)
    hip = 50.0 * np.array([np.cos(a), -np.sin(a)])
    ankle = np.array([50.0 + 90.0 * np.cos(np.radians(45.0)), 0.0])  # hip flexion 45° at rest
    half = (ankle - hip) / 2  # the knee: 45 cm from the hip and from the ankle, above both
    up = np.array([half[1], -half[0]]) / np.linalg.norm(half)
    knee = hip + half + up * np.sqrt(45.0 ** 2 - half @ half)
    for s in ("LEFT", "RIGHT"):
        xy[L[f"{s}_HIP"]] = hip + (0.0, -hip_off)
        xy[L[f"{s}_KNEE"]], xy[L[f"{s}_ANKLE"]] = knee, ankle
        xy[L[f"{s}_HEEL"]], xy[L[f"{s}_FOOT_INDEX"]] = ankle + (-3, 5), ankle + (20, 5)
    return xy


def bridge_track(hip_off: float, start_lift: float = 0.0, fps: float = 20.0):
    """2 s resting, then the hips lift 20° (true hip flexion 45° → ~10°) and hold."""
    t = np.arange(0, 6.0, 1 / fps)
    lift = start_lift + np.clip((t - 2.0) / 1.5, 0.0, 1.0) * 20.0
    xy = np.stack([bridge_pose(a, hip_off) for a in lift])
    true = np.stack([bridge_pose(a) for a in lift])
    return t, xy, true, np.ones((len(t), 33))


def measured_bridge(programme, hip_off: float, start_lift: float = 0.0):
    t, xy, true_xy, vis = bridge_track(hip_off, start_lift)
    spec = programme.exercise("bridge")
    raw = compute_measures(xy, vis, "left", 0.2, front_sign_of(xy))
    truth = compute_measures(true_xy, vis, "left", 0.2, front_sign_of(true_xy))
    cal = calibrate(raw, t, spec, programme.tracking)
    return truth, calibrated(raw, cal), cal


@pytest.mark.parametrize("hip_off", [0.0, 4.0, 7.0])
def test_bridge_angles_read_true_when_the_model_puts_the_resting_hips_towards_the_ceiling(
        hip_off):
    """Knees bent, feet flat: the shoulders and the ankle show where the hips belong."""
    truth, got, cal = measured_bridge(default_programme(), hip_off)
    assert cal.hip_shift == pytest.approx(hip_off / 50, abs=0.003)
    assert truth["hip_flexion"][0] == pytest.approx(45.0, abs=0.5)
    for name in ("hip_flexion", "knee_flexion"):
        assert got[name][:40] == pytest.approx(truth[name][:40], abs=1.0), name
        # lifted, the trunk turns away from the ceiling the hips were misplaced towards
        assert got[name] == pytest.approx(truth[name], abs=2.5), name
    assert cal.knee_flexion_start == pytest.approx(truth["knee_flexion"][0], abs=1.0)


def test_without_the_hip_shift_the_bridge_reads_low():
    truth, got, cal = measured_bridge(with_tracking(lying_max_hip_shift=0.0), 7.0)
    assert cal.hip_shift == 0.0
    assert np.median(truth["hip_flexion"][:40] - got["hip_flexion"][:40]) > 8.0
    assert np.median(truth["knee_flexion"][:40] - got["knee_flexion"][:40]) > 5.0


def test_hips_already_lifted_at_the_start_are_not_taken_for_a_misplacement():
    truth, got, cal = measured_bridge(default_programme(), 0.0, start_lift=15.0)
    assert cal.hip_shift == 0.0
    assert got["hip_flexion"] == pytest.approx(truth["hip_flexion"], abs=0.5)


def test_live_bridge_learns_the_hips_where_the_recording_does():
    # Live, the start pose is measured on its own window with causal smoothing; the
    # hips' misplacement found there must match the recorded path's.
    from formcheck.analysis import analyze_track
    from formcheck.live import LiveSession
    from formcheck.pose import PoseFrame, PoseTrack
    from formcheck.protocol import PatientSettings

    _, xy, _, _ = bridge_track(6.0)  # 20 frames/s: rest, lift, hold 2.5 s
    rest = np.stack([bridge_pose(0.0, 6.0)] * 120)  # placement and countdown; after: back down
    xy = np.concatenate([rest, xy, rest[:40]])
    t = np.arange(len(xy)) * 0.05
    image = np.concatenate([(xy * 2 + (100, 250)) / (640, 480), np.zeros(xy.shape[:-1] + (1,))],
                           axis=-1)
    frames = [PoseFrame(ti, im, np.ones(33), np.zeros((33, 3)), (640, 480))
              for ti, im in zip(t, image, strict=True)]
    live = LiveSession("bridge", PatientSettings("left"), "en")
    for f in frames:
        live.process_pose(f, f.t)
    recorded = analyze_track(PoseTrack.from_frames(frames, list(t), (640, 480)), "bridge",
                             PatientSettings("left"), "en")
    assert recorded.calibration.hip_shift == pytest.approx(6.0 / 50, abs=0.005)
    assert live.calibration.hip_shift == pytest.approx(recorded.calibration.hip_shift, abs=0.005)
    assert [r["peak_deg"] for r in live.reps()] == pytest.approx(
        [r.peak_deg for r in recorded.reps], abs=2.0)
    assert len(recorded.reps) == 1


def standing_3d(knee_deg: float, abduct_deg: float = 0.0) -> np.ndarray:
    """World landmarks (m, y down, facing -z): the left leg abducted, its shank bent back."""
    xyz = np.zeros((33, 3))
    for s, x in (("LEFT", 0.15), ("RIGHT", -0.15)):
        xyz[L[f"{s}_SHOULDER"]] = (1.3 * x, -0.5, 0)
        xyz[L[f"{s}_HIP"]] = (x, 0, 0)
        xyz[L[f"{s}_KNEE"]] = (x, 0.45, 0)
        xyz[L[f"{s}_ANKLE"]] = (x, 0.9, 0)
    a, b = np.radians(abduct_deg), np.radians(knee_deg)
    thigh = np.array([np.sin(a), np.cos(a), 0.0])
    shank = np.cos(b) * thigh + np.sin(b) * np.array([0.0, 0.0, 1.0])  # the foot goes back
    xyz[L.LEFT_KNEE] = xyz[L.LEFT_HIP] + 0.45 * thigh
    xyz[L.LEFT_ANKLE] = xyz[L.LEFT_KNEE] + 0.45 * shank
    return xyz


def seen_from(xyz: np.ndarray, turn_deg: float) -> np.ndarray:
    """Image landmarks (cm) of ``xyz`` for a camera turned ``turn_deg`` off the front."""
    c, s = np.cos(np.radians(turn_deg)), np.sin(np.radians(turn_deg))
    return (xyz @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]).T)[:, :2] * 100


@pytest.mark.parametrize("turn,least", [(0.0, 9.0), (20.0, 11.0), (30.0, 16.0)])
def test_the_knee_bend_takes_a_bend_the_picture_shows(turn, least):
    # Abduction filmed 0-30° off the front. A straight leg draws a straight line from
    # any camera, however far it is raised: no bend. A knee bent 35° back, while the
    # model's 3-D knee reads only 9° of it (as it does on renders), reads the larger
    # of that and the bend the picture shows (none straight from the front, where
    # the bend is all in the line of sight; more the further the camera turns).
    prog = default_programme()
    spec = prog.exercise("hip_abduction")
    t = np.arange(0, 4.0, 0.1)
    up = np.clip((t - 1.0) / 1.0, 0, 1)
    true = [standing_3d(35.0 * u, 25.0 * u) for u in up]
    model = np.stack([standing_3d(9.0 * u, 25.0 * u) for u in up])
    straight = [standing_3d(0.0, 25.0 * u) for u in up]
    vis = np.ones((len(t), 33))
    for world, real, model_knee, bend in ((np.stack(straight), straight, 0.0, (0.0, 0.5)),
                                          (model, true, 9.0, (least - 0.5, 35.0))):
        xy = np.stack([seen_from(x, turn) for x in real])
        raw = compute_measures(xy, vis, "left", 0.2, 1.0, world=world)
        meas = calibrated(raw, calibrate(raw, t, spec, prog.tracking))
        assert meas["knee_flexion"][-1] == pytest.approx(model_knee, abs=0.5)
        assert bend[0] <= meas["knee_bend"][-1] <= bend[1]


def test_the_shank_shortened_in_the_picture_reads_as_the_knee_bend():
    # From the front, a knee bending while the leg is raised sideways swings the shank
    # back along the line of sight: the picture shows it shortened to cos(bend) of its
    # start length, against the thigh and against the standing leg's shank alike. A
    # straight leg raised sideways keeps its shank's length against both.
    prog = default_programme()
    spec = prog.exercise("hip_abduction")
    t = np.arange(0, 4.0, 0.1)
    up = np.clip((t - 1.0) / 1.0, 0, 1)
    vis = np.ones((len(t), 33))
    for knee, want in ((0.0, 0.0), (35.0, 35.0)):
        world = np.stack([standing_3d(knee * u, 25.0 * u) for u in up])
        xy = np.stack([seen_from(x, 0.0) for x in world])
        raw = compute_measures(xy, vis, "left", 0.2, 1.0, world=world)
        meas = calibrated(raw, calibrate(raw, t, spec, prog.tracking))
        assert meas["knee_flexion_shank"][-1] == pytest.approx(want, abs=0.5)
        assert np.nanmax(meas["knee_flexion_shank_other"]) == pytest.approx(0.0, abs=0.5)


@pytest.mark.parametrize("step", [1.1, 0.9])
def test_a_squat_from_the_front_is_measured_against_the_standing_around_it(step):
    # Squats of 60° (2.5 s down and up, 2.5 s standing), the recording starting at the
    # bottom of one; half-way the person steps nearer the camera (the picture 10 %
    # larger) or farther. Each frame's hip-ankle distance is measured against the
    # standing of the moment: the knee reads true before and after the step, and a
    # standing frame is not read bent against the larger body after it.
    t = np.arange(0, 30, 0.1)
    phase = (t + 1.25) % 5.0
    knee = np.where(phase < 2.5, 60 * np.sin(np.pi * phase / 2.5), 0.0)
    scale = np.where(t < 17.5, 1.0, step)  # while standing (16.25-18.75 s)
    reach = scale * 90 * np.cos(np.radians(knee / 2))
    got = k.knee_flexion_from_hip_drop(reach, standing_hip_ankle(reach, t))
    assert np.max(np.abs(got - knee)) < 1.0


def test_standing_knee_from_the_joint_keeps_the_knee_s_own_smoothing():
    # Live, the movement signal (the knee) is smoothed for its noise harder than the
    # leg's other series. Read from the hip joint, the knee must keep that smoothing:
    # the joint's difference is added to it, and that difference barely moves with the
    # leg's noise (re-measured from the noisy leg, a 1 % shaken squat lost its reps'
    # peaks in one-sample drops of 40-50° and counted 4 for 2).
    from formcheck.measures import with_standing_hip

    rng = np.random.default_rng(0)
    bend = 45.0 + 40.0 * np.sin(np.linspace(0.0, 6.0, 200))
    xy = np.zeros((len(bend), 33, 2))
    a = np.radians(bend)
    joint = np.array([0.0, 1.0])
    knee = joint + 0.9 * np.stack([-np.sin(a), np.cos(a)], axis=-1)
    xy[:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = (0.0, 0.0)
    xy[:, [L.LEFT_HIP, L.RIGHT_HIP]] = joint + (-0.05, -0.09)
    xy[:, L.LEFT_KNEE] = knee
    xy[:, L.LEFT_ANKLE] = knee + (0.0, 0.9)
    xy[:, L.RIGHT_KNEE], xy[:, L.RIGHT_ANKLE] = joint + (0.0, 0.9), joint + (0.0, 1.8)
    for ankle, heel, toe in ((L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
                             (L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)):
        xy[:, heel], xy[:, toe] = xy[:, ankle] + (0.05, 0.05), xy[:, ankle] + (-0.2, 0.05)
    noisy = xy + rng.normal(0.0, 0.02, xy.shape)
    raw = compute_measures(noisy, np.ones(xy.shape[:2]), "left", 0.2, 1.0)
    clean = compute_measures(xy, np.ones(xy.shape[:2]), "left", 0.2, 1.0)
    raw["knee_flexion"] = clean["knee_flexion"]   # as if smoothed for its noise
    got = with_standing_hip(raw, 0.05, 0.1)["knee_flexion"]
    step = np.abs(np.diff(got))
    assert np.median(step) < 1.0
    assert np.median(np.abs(got - bend)) < np.median(np.abs(clean["knee_flexion"] - bend))
    # A start leg showing the landmark behind its line: the knee's joint stays under it.
    behind = with_standing_hip(raw, -0.05, 0.1)["knee_flexion"]
    assert behind == pytest.approx(with_standing_hip(raw, 0.0, 0.1)["knee_flexion"])
