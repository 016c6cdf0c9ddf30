"""Geometry against hand-computed cases."""

import numpy as np
import pytest

from formcheck import kinematics as k
from formcheck.pose import Landmark as L


def standing_side(facing: int = 1) -> np.ndarray:
    """A person seen from the side, facing image +x (facing=1) or -x; y down, units cm."""
    xy = np.zeros((33, 2))
    f = facing
    for s in ("LEFT", "RIGHT"):
        xy[L[f"{s}_SHOULDER"]] = (0, 0)
        xy[L[f"{s}_HIP"]] = (0, 50)
        xy[L[f"{s}_KNEE"]] = (0, 95)
        xy[L[f"{s}_ANKLE"]] = (0, 140)
        xy[L[f"{s}_HEEL"]] = (-3 * f, 145)
        xy[L[f"{s}_FOOT_INDEX"]] = (15 * f, 145)
        xy[L[f"{s}_EAR"]] = (0, -20)
    xy[L.NOSE] = (8 * f, -18)
    return xy


@pytest.mark.parametrize("facing", [1, -1])
def test_standing_straight_reads_zero(facing):
    xy = standing_side(facing)
    for side in ("left", "right"):
        assert k.hip_flexion_deg(xy, side) == pytest.approx(0, abs=1e-9)
        assert k.knee_flexion_deg(xy, side) == pytest.approx(0, abs=1e-9)
    assert k.trunk_lean_forward_deg(xy) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("facing", [1, -1])
def test_knee_raised_forward_is_positive_flexion(facing):
    xy = standing_side(facing)
    # Thigh 45° forward: knee at 45 cm along a 45° line from the hip.
    d = 45 / np.sqrt(2)
    xy[L.LEFT_KNEE] = (facing * d, 50 + d)
    xy[L.LEFT_ANKLE] = (facing * d, 50 + d + 45)  # shank vertical: knee bent 45°
    assert k.hip_flexion_deg(xy, "left") == pytest.approx(45)
    assert k.knee_flexion_deg(xy, "left") == pytest.approx(45)
    assert k.hip_flexion_deg(xy, "right") == pytest.approx(0, abs=1e-9)


def test_leg_behind_is_negative_flexion_and_lean_forward_positive():
    xy = standing_side(1)
    xy[L.RIGHT_KNEE] = (-45 * np.sin(np.radians(20)), 50 + 45 * np.cos(np.radians(20)))
    assert k.hip_flexion_deg(xy, "right") == pytest.approx(-20)
    # Lean the trunk 30° forward (shoulders towards +x).
    for s in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
        xy[s] = (50 * np.sin(np.radians(30)), 50 - 50 * np.cos(np.radians(30)))
    assert k.trunk_lean_forward_deg(xy) == pytest.approx(30)


def test_squat_hip_angle_is_trunk_to_thigh():
    xy = standing_side(1)
    # Trunk 40° forward of vertical, thigh 80° forward: trunk line to thigh = 120°.
    for s in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
        xy[s] = (50 * np.sin(np.radians(40)), 50 - 50 * np.cos(np.radians(40)))
    a = np.radians(80)
    xy[L.LEFT_KNEE] = (45 * np.sin(a), 50 + 45 * np.cos(a))
    assert k.hip_flexion_deg(xy, "left") == pytest.approx(120)


def front_view() -> np.ndarray:
    xy = np.zeros((33, 2))
    # person facing the camera: their left is image +x
    for s, x in (("LEFT", 15), ("RIGHT", -15)):
        xy[L[f"{s}_SHOULDER"]] = (1.3 * x, 0)
        xy[L[f"{s}_HIP"]] = (x, 50)
        xy[L[f"{s}_KNEE"]] = (x, 95)
        xy[L[f"{s}_ANKLE"]] = (x, 140)
    return xy


def test_abduction_sign_and_value():
    xy = front_view()
    a = np.radians(30)
    xy[L.LEFT_KNEE] = (15 + 45 * np.sin(a), 50 + 45 * np.cos(a))
    assert k.hip_abduction_deg(xy, "left") == pytest.approx(30)
    xy[L.RIGHT_KNEE] = (-15 + 45 * np.sin(np.radians(10)), 50 + 45 * np.cos(np.radians(10)))
    assert k.hip_abduction_deg(xy, "right") == pytest.approx(-10)  # adduction


def test_knee_past_midline_and_width_ratio():
    xy = front_view()
    assert k.knee_past_midline(xy, "left") == pytest.approx(-0.5)
    xy[L.LEFT_KNEE] = (-6, 95)  # 6 cm past the centre, hip width 30
    assert k.knee_past_midline(xy, "left") == pytest.approx(0.2)
    xy = front_view()
    xy[L.LEFT_KNEE], xy[L.RIGHT_KNEE] = (9, 95), (-9, 95)
    assert k.knee_ankle_width_ratio(xy) == pytest.approx(0.6)


def test_hips_drawn_together_or_crossed_in_a_frame_keep_the_order_of_the_frames_around():
    # Left hip at +15, right at -15 (front_view); the left leg raised 30°. In the third
    # frame the model drew the hips crossed and 3 cm apart (a body leaning over its
    # standing leg, taken for seen from behind): that frame takes the order the frames
    # around it show and, at least, half their width.
    a = np.radians(30)
    frames = np.stack([front_view() for _ in range(5)])
    frames[:, L.LEFT_KNEE] = (15 + 45 * np.sin(a), 50 + 45 * np.cos(a))
    frames[2, L.LEFT_HIP, 0], frames[2, L.RIGHT_HIP, 0] = -1.5, 1.5
    frames[2, L.LEFT_KNEE] = (-1.5 + 45 * np.sin(a), 50 + 45 * np.cos(a))
    assert k.hip_abduction_deg(frames, "left") == pytest.approx([30] * 5)
    assert k.knee_past_midline(frames, "left")[2] == pytest.approx(-(45 * np.sin(a) - 1.5) / 15)
    # One frame alone is read as drawn.
    assert k.hip_abduction_deg(frames[2], "left") == pytest.approx(-30)


def test_bridge_line_and_heel_rise():
    xy = np.zeros((33, 2))
    xy[L.LEFT_SHOULDER], xy[L.LEFT_HIP], xy[L.LEFT_KNEE] = (0, 0), (50, 0), (95, 0)
    assert k.bridge_line_deg(xy, "left") == pytest.approx(0)
    xy[L.LEFT_KNEE] = (50 + 45 * np.cos(np.radians(60)), -45 * np.sin(np.radians(60)))
    assert k.bridge_line_deg(xy, "left") == pytest.approx(60)
    xy[L.LEFT_ANKLE], xy[L.LEFT_HEEL] = (xy[L.LEFT_KNEE][0], 0), (xy[L.LEFT_KNEE][0], -9)
    shank = 45 * np.sin(np.radians(60))
    rest_heel = np.array([140.0, 0.0])
    assert k.heel_rise(xy[L.LEFT_HEEL], k.shank_length(xy, "left"), rest_heel,
                       np.array([-1.0, 0])) == pytest.approx(9 / shank)
    # Filmed from above at an angle the surface runs slanted across the picture:
    # sliding along it is no rise, leaving it upwards is.
    tilt = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    on = k.above_line(np.array([70.0, 0.0]) @ tilt.T, rest_heel @ tilt.T,
                      np.array([50.0, 0.0]) @ tilt.T)
    up = k.above_line(np.array([70.0, -9.0]) @ tilt.T, rest_heel @ tilt.T,
                      np.array([50.0, 0.0]) @ tilt.T)
    assert on == pytest.approx(0, abs=1e-9) and up == pytest.approx(9)


def test_heel_drawn_up_the_shank_is_put_back_out_to_its_reach():
    # Lying, the knee bent: the shank stands 60° off the surface (image y down).
    knee = np.array([100.0, -40.0 * np.sin(np.radians(60))])
    on_surface = knee + 40.0 * np.array([np.cos(np.radians(60)), np.sin(np.radians(60))])
    pulled_up = knee + 0.8 * (on_surface - knee)  # drawn nearer the knee, 0.8 of the way
    rest_heel, along = np.array([140.0, 0.0]), np.array([-1.0, 0.0])
    assert k.heel_rise(pulled_up, 40.0, rest_heel, along) == pytest.approx(
        0.2 * np.sin(np.radians(60)))
    assert k.heel_rise(pulled_up, 40.0, rest_heel, along, knee, 40.0) == pytest.approx(0, abs=1e-9)
    # A heel farther out keeps its place, and so does any heel without a reach.
    lifted = knee + 40.0 * np.array([np.cos(np.radians(30)), np.sin(np.radians(30))])
    assert np.allclose(k.heel_out_to_reach(lifted, knee, 30.0), lifted)
    assert np.allclose(k.heel_out_to_reach(pulled_up, knee, np.nan), pulled_up)
    assert k.heel_rise(lifted, 40.0, rest_heel, along, knee, 40.0) == pytest.approx(
        (40.0 * np.sin(np.radians(60)) - 40.0 * np.sin(np.radians(30))) / 40.0)


def test_vectorised_over_sequences():
    seq = np.stack([standing_side(1)] * 5)
    seq[2, L.LEFT_KNEE] = (45, 50)  # thigh horizontal: 90°
    out = k.hip_flexion_deg(seq, "left")
    assert out.shape == (5,)
    assert out[2] == pytest.approx(90) and out[0] == pytest.approx(0, abs=1e-9)


def test_view_estimation():
    side = standing_side(1)
    side[L.LEFT_SHOULDER, 0] += 2
    assert k.estimate_view(side) == "side"
    assert k.estimate_view(front_view()) == "front"
    obl = front_view()
    obl[:, 0] *= 0.5
    assert k.estimate_view(obl) == "oblique"
    lying = standing_side(1)[:, ::-1].copy()  # swap x and y: trunk horizontal
    assert k.estimate_view(lying) == "lying_side"
    assert k.estimate_view(np.full((33, 2), np.nan)) == "unknown"


def test_a_lying_body_seen_upright_in_the_picture_is_filmed_from_its_feet_or_head():
    # Lying (or sitting with the legs out) and filmed from the foot end, the trunk is
    # seen upright in the picture, like a standing person's from the front; from the
    # head end, upside down. Known to lie, that is the view along the body.
    upright, upside_down = front_view(), front_view()
    upside_down[:, 1] *= -1
    for xy in (upright, upside_down):
        assert k.estimate_view(xy) == "front"
        assert k.estimate_view(xy, lying=True) == "lying_front"
    lying = standing_side(1)[:, ::-1].copy()
    assert k.estimate_view(lying, lying=True) == "lying_side"
    # Sitting up on the bed, filmed side-on: upright and narrow, still the side.
    assert k.estimate_view(standing_side(1), lying=True) == "side"
    t = np.arange(60) / 10.0
    assert k.view_segments(np.stack([upright] * 60), t, lying=True) == [(0, 60, "lying_front")]


def test_knee_flexion_from_the_heels_slide_towards_the_hip():
    # Thigh and shank 45 cm: the hip-ankle distance is 90 cm straight, 2 * 45 cos(k/2) bent.
    for knee in (0.0, 30.0, 90.0, 120.0):
        reach = 90 * np.cos(np.radians(knee / 2))
        assert k.knee_flexion_from_slide(np.array(reach), 90.0) == pytest.approx(knee, abs=1e-6)
    # The same at any scale the picture draws the surface with (a camera higher or lower),
    # a reach beyond the straight one is straight, and no straight reach known reads NaN.
    assert k.knee_flexion_from_slide(np.array([0.3 * 63.64]), 0.3 * 90) == pytest.approx(90, 0.01)
    assert k.knee_flexion_from_slide(np.array(95.0), 90.0) == 0.0
    assert np.isnan(k.knee_flexion_from_slide(np.array(80.0), np.nan))


def test_knee_flexion_from_the_hips_drop_in_a_squat():
    # Thigh and shank 45 cm, standing 90 cm hip over ankle. Tilted forward alike, the
    # hip comes down to 2 * 45 cos(k/2): the knee reads true at any scale of the picture.
    for knee in (0.0, 30.0, 60.0, 90.0):
        reach = 90 * np.cos(np.radians(knee / 2))
        assert k.knee_flexion_from_hip_drop(np.array(reach), 90.0) == pytest.approx(knee, abs=1e-6)
        assert k.knee_flexion_from_hip_drop(np.array(0.4 * reach), 0.4 * 90) == pytest.approx(
            knee, abs=1e-6)
    # A 60° squat with the shank tilted 20° and the thigh 40° (hips further back) reads
    # a little more.
    reach = 45 * (np.cos(np.radians(20)) + np.cos(np.radians(40)))
    assert 60 < k.knee_flexion_from_hip_drop(np.array(reach), 90.0) < 63
    # A drop within the landmarks' jitter reads straight, a squat barely less; the
    # standing reach may be a series (the standing around each frame).
    assert k.knee_flexion_from_hip_drop(np.array(0.995 * 90), 90.0, noise=0.006) == 0.0
    bent = k.knee_flexion_from_hip_drop(np.array([90 * np.cos(np.radians(30))]),
                                        np.array([90.0]), noise=0.006)
    assert 57 < bent[0] < 60


def test_moving_side():
    t = np.linspace(0, 10, 300)
    moving, still = 40 * np.clip(np.sin(t), 0, None), np.random.default_rng(0).normal(0, 1, 300)
    assert k.moving_side(moving, still) == "left"
    assert k.moving_side(still, moving) == "right"
    assert k.moving_side(moving, moving) is None


def test_3d_angles_are_view_independent():
    xyz = np.zeros((33, 3))
    for s, x in (("LEFT", 0.15), ("RIGHT", -0.15)):  # facing -z (the camera), y down
        xyz[L[f"{s}_SHOULDER"]] = (x, -0.5, 0)
        xyz[L[f"{s}_HIP"]] = (x, 0, 0)
        xyz[L[f"{s}_KNEE"]] = (x, 0.45, 0)
        xyz[L[f"{s}_ANKLE"]] = (x, 0.9, 0)
    a = np.radians(60)
    xyz[L.LEFT_KNEE] = (0.15, 0.45 * np.cos(a), -0.45 * np.sin(a))  # thigh forward 60°
    xyz[L.LEFT_ANKLE] = xyz[L.LEFT_KNEE] + (0, 0.45, 0)  # shank vertical: knee 60°
    xyz[L.RIGHT_KNEE] = (-0.15, 0.45 * np.cos(0.2), 0.45 * np.sin(0.2))  # leg back
    for turn in (0, 30, 90, 180):
        c, s = np.cos(np.radians(turn)), np.sin(np.radians(turn))
        rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])  # about the vertical axis
        r = xyz @ rot.T
        assert k.hip_flexion_3d_deg(r, "left") == pytest.approx(60)
        assert k.knee_flexion_3d_deg(r, "left") == pytest.approx(60)
        assert k.hip_flexion_3d_deg(r, "right") == pytest.approx(-np.degrees(0.2))


def test_abduction_is_measured_against_the_vertical():
    xy = front_view()
    # Lean the trunk and tilt the pelvis over the right leg: the right leg stays
    # vertical, so only the raised left leg reads as abduction.
    xy[L.LEFT_SHOULDER, 0] -= 20
    xy[L.RIGHT_SHOULDER, 0] -= 20
    xy[L.LEFT_HIP, 1] -= 8
    assert k.hip_abduction_deg(xy, "right") == pytest.approx(0, abs=1e-9)
    a = np.radians(35)
    xy[L.LEFT_KNEE] = xy[L.LEFT_HIP] + 45 * np.array([np.sin(a), np.cos(a)])
    assert k.hip_abduction_deg(xy, "left") == pytest.approx(35)


def side_on_pose(hip_flex: float, knee_flex: float) -> np.ndarray:
    """3-D pose, body frame (x forward, y down, z to the left): the left leg raised."""
    p = np.zeros((33, 3))
    for s, z in (("LEFT", 0.15), ("RIGHT", -0.15)):
        p[L[f"{s}_SHOULDER"]] = (0, -0.5, z)
        p[L[f"{s}_HIP"]] = (0, 0, z)
        p[L[f"{s}_KNEE"]] = (0, 0.45, z)
        p[L[f"{s}_ANKLE"]] = (0, 0.9, z)
        p[L[f"{s}_HEEL"]] = (-0.03, 0.95, z)
        p[L[f"{s}_FOOT_INDEX"]] = (0.15, 0.95, z)
        p[L[f"{s}_EAR"]] = (0, -0.7, z * 0.5)
    p[L.NOSE] = (0.08, -0.68, 0)
    a, b = np.radians(hip_flex), np.radians(hip_flex - knee_flex)
    p[L.LEFT_KNEE] = p[L.LEFT_HIP] + 0.45 * np.array([np.sin(a), np.cos(a), 0])
    p[L.LEFT_ANKLE] = p[L.LEFT_KNEE] + 0.45 * np.array([np.sin(b), np.cos(b), 0])
    return p


def test_sagittal_angles_undo_a_turned_camera():
    # A 3-D side-on pose (x forward, y down, z to the left), seen from cameras
    # turned 0-45° towards the front, projected orthographically.
    p = side_on_pose(60, 70)
    for turn in (0, 20, 30, 45):
        c, s = np.cos(np.radians(turn)), np.sin(np.radians(turn))
        xy = np.c_[p[:, 0] * c + p[:, 2] * s, p[:, 1]]  # camera turned towards the front
        front = k.anterior_sign(xy)
        hip, knee = k.sagittal_angles_deg(xy, "left", front, turn)
        assert hip == pytest.approx(60, abs=1e-6) and knee == pytest.approx(70, abs=1e-6)
        if turn == 0:
            assert k.hip_flexion_deg(xy, "left") == pytest.approx(60)
    raw_hip, _ = k.sagittal_angles_deg(xy, "left", front, 0.0)
    assert raw_hip < 55  # uncorrected, 45° off side-on reads low


def camera_axes(turn_deg: float, elevation_deg: float) -> np.ndarray:
    """Rows: image right, image down, away from the camera, in the body frame, for a
    camera on the right flank turned ``turn_deg`` towards the front (negative: towards
    the back) and raised ``elevation_deg`` (looking down)."""
    a, e = np.radians(turn_deg), np.radians(elevation_deg)
    to_camera = np.array([np.sin(a), 0.0, -np.cos(a)])
    right = np.array([np.cos(a), 0.0, np.sin(a)])
    down = np.array([0.0, 1.0, 0.0]) * np.cos(e) + to_camera * np.sin(e)
    return np.stack([right, down, np.cross(right, down)])


@pytest.mark.parametrize("turn", [-30.0, -15.0, 20.0, 35.0])
@pytest.mark.parametrize("elevation", [-10.0, 10.0, 20.0])
def test_sagittal_angles_undo_a_raised_camera(turn, elevation):
    # Seen from above and off side-on, a knee raised towards the camera is drawn
    # lower (reads low) and one raised away from it higher (reads high).
    xy = (side_on_pose(70, 80) @ camera_axes(turn, elevation).T)[:, :2]
    front = k.anterior_sign(xy)
    hip, knee = k.sagittal_angles_deg(xy, "left", front, turn, elevation)
    assert hip == pytest.approx(70, abs=1e-6) and knee == pytest.approx(80, abs=1e-6)
    flat, _ = k.sagittal_angles_deg(xy, "left", front, turn)
    if elevation >= 10 and abs(turn) >= 20:
        assert abs(flat - 70) > 2 and (flat < 70) == (turn > 0)


def test_the_camera_pose_comes_from_the_upright_body_in_world_landmarks():
    # World landmarks turn with the camera: an upright body leans towards a camera
    # above it and faces one in front of it. Frames with a leg raised do not count.
    for turn, elevation in ((25.0, 18.0), (-30.0, 8.0), (20.0, -6.0)):
        axes = camera_axes(turn, elevation)
        standing = side_on_pose(0, 0) @ axes.T
        raised = side_on_pose(80, 90) @ camera_axes(turn, elevation + 30).T
        world = np.stack([standing] * 6 + [raised] * 8)
        sign, est = k.camera_pose_from_world(world, pitch_gain=1.0, pitch_offset_deg=0.0)
        assert sign == np.sign(turn) and est == pytest.approx(elevation, abs=1e-6)
        sign, est = k.camera_pose_from_world(world, pitch_gain=0.5, pitch_offset_deg=-5.0)
        assert est == pytest.approx((elevation - 5.0) / 0.5, abs=1e-6)
    assert np.isnan(k.camera_pose_from_world(world[6:], 1.0, 0.0)[1])  # never upright


@pytest.mark.parametrize("facing", [1, -1])
def test_foot_pitch_is_the_heel_tipped_up_onto_the_toes(facing):
    xy = standing_side(facing)
    assert k.foot_pitch_deg(xy, "left") == pytest.approx(0)
    # tipped 25° about the toes: the heel rises, whichever way the person faces
    toe = xy[L.LEFT_FOOT_INDEX].copy()
    a = np.radians(25)
    xy[L.LEFT_HEEL] = toe + 18 * np.array([-facing * np.cos(a), -np.sin(a)])
    assert k.foot_pitch_deg(xy, "left") == pytest.approx(25)
    # the whole body sinking or the leg stepping back leaves it unchanged
    xy2 = standing_side(facing)
    xy2[[L.LEFT_HEEL, L.LEFT_FOOT_INDEX]] += (-30 * facing, -10)
    assert k.foot_pitch_deg(xy2, "left") == pytest.approx(0)


def lying_side(knee_deg: float, hip_off: float = 0.0) -> np.ndarray:
    """A person lying on the back seen from the side, head at image -x, units cm.

    The operated (left) leg's thigh rises by half ``knee_deg`` from the surface and
    the shank comes down to it (a heel slide); ``hip_off`` cm moves both hip
    landmarks towards the ceiling (image -y), as the pose model does.
    """
    xy = np.zeros((33, 2))
    a = np.radians(knee_deg / 2)
    for s in ("LEFT", "RIGHT"):
        xy[L[f"{s}_SHOULDER"]] = (0, 0)
        xy[L[f"{s}_HIP"]] = (50, -hip_off)
        xy[L[f"{s}_KNEE"]] = (95, 0)
        xy[L[f"{s}_ANKLE"]] = (140, 0)
        xy[L[f"{s}_HEEL"]] = (145, 3)
        xy[L[f"{s}_FOOT_INDEX"]] = (150, -15)
        xy[L[f"{s}_EAR"]] = (-20, 0)
    xy[L.NOSE] = (-18, -8)
    xy[L.LEFT_KNEE] = (50 + 45 * np.cos(a), -45 * np.sin(a))
    xy[L.LEFT_ANKLE] = xy[L.LEFT_KNEE] + (45 * np.cos(a), 45 * np.sin(a))
    return xy


@pytest.mark.parametrize("knee", [0.0, 60.0, 110.0])
def test_leg_in_trunk_frame_gives_back_the_angles(knee):
    xy = lying_side(knee)
    s = float(k.anterior_sign(xy))
    leg = k.leg_in_trunk_frame(xy, "left", s)
    assert leg[0] == pytest.approx([0.9 * np.cos(np.radians(knee / 2)),
                                    0.9 * np.sin(np.radians(knee / 2))])  # trunk lengths
    hip, kn = k.angles_with_hip_shift(leg, 0.0)
    assert hip == pytest.approx(k.hip_flexion_deg(xy, "left", s)) == pytest.approx(knee / 2)
    assert kn == pytest.approx(k.knee_flexion_deg(xy, "left")) == pytest.approx(knee)


def test_a_misplaced_lying_hip_is_found_on_the_straight_leg_and_moved_back():
    # The model's hips 5 cm (0.1 trunk) towards the ceiling: the straight leg reads bent.
    straight, bent = lying_side(0.0, hip_off=5.0), lying_side(100.0, hip_off=5.0)
    s = float(k.anterior_sign(straight))
    assert k.knee_flexion_deg(straight, "left") == pytest.approx(6.3, abs=0.1)
    shift = float(k.hip_off_leg_line(k.leg_in_trunk_frame(straight, "left", s)))
    assert shift == pytest.approx(0.1, abs=0.001)
    # A constant angle offset learnt on the straight leg does not fit the bent one ...
    offset = k.knee_flexion_deg(straight, "left")
    assert abs(k.knee_flexion_deg(bent, "left") - offset - 100.0) > 2.0
    # ... the displacement does: hip and knee as if the hips were on the joints (to
    # the second order: the hips are moved along the normal of the trunk line they tilt).
    hip, knee = k.angles_with_hip_shift(k.leg_in_trunk_frame(bent, "left", s), shift)
    assert knee == pytest.approx(100.0, abs=0.5)
    assert hip == pytest.approx(50.0, abs=0.5)


def test_the_raised_leg_is_the_one_not_standing_where_it_stood():
    # Side-on, the far (left) leg stands 4 cm behind the near (right) one. The right knee
    # rises; the model labels it right while the legs stand and for the first frames of
    # the rise, then left for the rest of the lift (most of its frames). The standing leg
    # stays where the left leg stood: the raised one is the right leg.
    rest = standing_side()
    for name in ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX"):
        rest[L[f"LEFT_{name}"], 0] -= 4.0
    t = np.arange(60) * 0.1
    lift = np.clip(np.minimum(t - 2.0, 4.0 - t) / 0.4, 0.0, 1.0)  # 2-4 s, 0.4 s rise and fall
    xy = np.repeat(rest[None], len(t), axis=0)
    xy[:, L.RIGHT_KNEE] += lift[:, None] * [40.0, -35.0]
    xy[:, [L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX]] += lift[:, None, None] * [40.0, -5.0]
    traded = (t > 2.15) & (t < 3.85)
    labelled = k.swap_leg_labels(xy, traded)
    assert np.array_equal(k.planted_leg_swaps(labelled, t), traded)
    # the same lift with the legs covering each other at rest (feet together, exactly
    # side-on): their resting places tell nothing, and the lift keeps the label it
    # carried in most of its frames (the frames before the trade are swapped to it)
    for name in ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX"):
        xy[:, L[f"LEFT_{name}"], 0] += 4.0
    swaps = k.planted_leg_swaps(k.swap_leg_labels(xy, traded), t)
    assert swaps.any() and not swaps[traded].any()


def test_a_lift_whose_labels_the_model_split_is_the_leg_it_named_leaving_rest():
    # Exactly side-on, feet together (the resting places tell nothing), the right knee
    # rises; the model names it right as it leaves rest and for half the lift, left for the
    # other half. The patient was asked to lift the left leg, but the lift is the right
    # leg's: the label it left rest with. Where those first frames disagree, nothing tells,
    # and it is the operated leg's.
    rest = standing_side()
    t = np.arange(60) * 0.1
    lift = np.clip(np.minimum(t - 2.0, 4.0 - t) / 0.4, 0.0, 1.0)  # 2-4 s, 0.4 s rise and fall
    xy = np.repeat(rest[None], len(t), axis=0)
    xy[:, L.RIGHT_KNEE] += lift[:, None] * [40.0, -35.0]
    xy[:, [L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX]] += lift[:, None, None] * [40.0, -5.0]
    traded = (t > 2.55) & (t < 3.35)  # 8 of the lift's 19 frames
    for operated in (0, 1):
        swaps = k.planted_leg_swaps(k.swap_leg_labels(xy, traded), t, operated=operated)
        assert np.array_equal(swaps, traded), operated
    traded |= np.abs(t - 2.2) < 0.01  # one of its first 0.3 s named left too
    in_lift = lift > 0
    for operated in (0, 1):
        swaps = k.planted_leg_swaps(k.swap_leg_labels(xy, traded), t, operated=operated)
        right = np.array_equal(swaps, traded)
        left = np.array_equal(swaps, in_lift & ~traded)
        assert (right, left) == (operated == 1, operated == 0), operated


def test_hip_extension_from_the_legs_line_misses_less_of_a_hip_landmark_moved_back():
    # A straight leg 20° behind a vertical trunk (thigh and shank 1 long), the hip landmark
    # misplaced 0.1 back along with it (the trunk line tilts by half that): the thigh
    # reads 13°, the leg's line 15.8°.
    def pose(hip_x, knee_deg):
        xy = np.zeros((33, 2))
        xy[[11, 12]] = (0.0, -2.0)
        xy[[23, 24]] = (0.0, 0.0)
        th, sh = np.radians(20.0), np.radians(20.0 + knee_deg)
        xy[25] = (np.sin(th), np.cos(th))                      # left knee, behind (+x)
        xy[27] = xy[25] + (np.sin(sh), np.cos(sh))             # left ankle
        xy[23, 0] = hip_x
        return xy

    thigh = -float(k.hip_flexion_deg(pose(0.1, 0.0), "left", 1.0))
    line = float(k.hip_extension_from_leg_deg(pose(0.1, 0.0), "left", 1.0))
    assert thigh == pytest.approx(13.0, abs=0.1) and line == pytest.approx(15.8, abs=0.1)
    assert float(k.hip_extension_from_leg_deg(pose(0.0, 0.0), "left", 1.0)) == pytest.approx(20)
    # A knee bent 40°: half the bend beyond the straight knee's 10° taken out.
    bent = float(k.hip_extension_from_leg_deg(pose(0.0, 40.0), "left", 1.0))
    assert bent == pytest.approx(20.0 + 20.0 - 15.0, abs=0.1)


@pytest.mark.parametrize("elevation", [0.0, 10.0, 25.0])
def test_knee_bend_read_from_the_shank_drawn_by_a_camera_above(elevation):
    # A leg raised 25° sideways, its knee bent back, drawn by a camera in front looking
    # down ``elevation``: the picture shows (x, y cos e + z sin e) of each segment (z
    # towards the camera). Against the start (standing, drawn cos e long), the shank's
    # drawn length gives the bend back; the thigh's angle in the picture is what the
    # reading is given.
    e, a = np.radians(elevation), np.radians(25.0)

    def drawn(v):
        return np.array([v[0], v[1] * np.cos(e) + v[2] * np.sin(e)])

    thigh = np.array([np.sin(a), np.cos(a), 0.0])
    level = {}
    for bend in (0.0, 15.0, 25.0, 35.0):
        f = np.radians(bend)
        shank = np.cos(f) * thigh + np.sin(f) * np.array([0.0, 0.0, -1.0])
        t2, s2 = drawn(thigh), drawn(shank)
        to_thigh = np.linalg.norm(s2) / np.linalg.norm(t2)  # at the start: cos e / cos e
        to_other = np.linalg.norm(s2) / np.cos(e)  # the standing shank: cos e
        seen = np.degrees(np.arctan2(t2[0], t2[1]))
        got = k.knee_flexion_from_shank(to_thigh, to_other, elevation, seen)
        assert float(got) == pytest.approx(bend, abs=0.1)
        level[bend] = float(k.knee_flexion_from_shank(to_thigh, to_other))
    # Read as if level, a straight leg still reads straight, but from 25° above a 15°
    # bend reads past the leaflet's 25°.
    assert level[0.0] == pytest.approx(0.0, abs=0.1)
    assert (level[15.0] > 25.0) == (elevation >= 25.0)


@pytest.mark.parametrize("flexion", [0.0, 45.0, 95.0])
def test_hip_flexion_from_a_joint_behind_and_below_the_landmark(flexion):
    # A standing body side-on (trunk 1.0, thigh 0.9 trunk lengths, facing -x): the
    # model's hip landmarks sit 0.05 trunk lengths in front of the joints and 0.1 thigh
    # lengths above them (along the trunk). Standing, only the part in front shows (as
    # an angle); with the thigh raised the part above turns it short. Measured from the
    # joint placed back there, the hip reads its angle at every flexion.
    a = np.radians(flexion)
    joint = np.array([0.0, 1.0])
    knee = joint + 0.9 * np.array([-np.sin(a), np.cos(a)])
    landmark = joint + np.array([-0.05, -0.09])   # in front (-x) and above (-y)
    xy = np.zeros((33, 2))
    xy[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = (0.0, 0.0)   # the trunk upright over the joint
    xy[[L.LEFT_HIP, L.RIGHT_HIP]] = landmark
    xy[L.LEFT_KNEE] = knee
    xy[L.LEFT_ANKLE] = knee + (0.0, 0.9)
    s = 1.0   # facing -x
    leg = k.leg_in_trunk_frame(xy, "left", s)
    trunk = float(np.linalg.norm(k.trunk_axis(xy)))
    thigh_len = float(np.linalg.norm(knee - landmark)) / trunk
    read = float(k.hip_flexion_deg(xy, "left", s))
    fixed = float(k.hip_flexion_from_joint(leg, 0.05 / trunk, 0.09 / trunk / thigh_len))
    assert float(k.hip_flexion_from_joint(leg, 0.0, 0.0)) == pytest.approx(read)
    assert fixed == pytest.approx(flexion, abs=1.0)
    if flexion > 90:
        assert read < flexion - 5.0   # the landmark read it short
    # The knee (shank vertical: it bends as far as the thigh rose) from the same joint.
    hip, knee = k.angles_from_joint(leg, 0.05 / trunk, 0.09 / trunk / thigh_len)
    assert float(hip) == pytest.approx(fixed)
    assert float(knee) == pytest.approx(flexion, abs=1.0)
    if flexion > 90:
        assert float(k.knee_flexion_deg(xy, "left")) < flexion - 4.0   # the landmark: short


def _split_stance(back: str, apart: float) -> np.ndarray:
    """:func:`standing_side` with the ``back`` leg's ankle ``apart`` cm behind (-x) the other's."""
    xy = standing_side()
    for s, dx in ((back, -apart / 2), ("right" if back == "left" else "left", apart / 2)):
        xy[L[f"{s.upper()}_ANKLE"]] = (dx, 140)
        xy[L[f"{s.upper()}_KNEE"]] = (dx / 2, 95)
    return xy


def test_split_stance_undoes_a_momentary_trade_but_not_a_new_stance():
    # Held split stances 25 fps: the left foot back 2 s, with the model trading the labels
    # for 0.3 s (after a frame drawing both legs between their places) in its second
    # second; then the feet together for 1 s, then the right foot back.
    stance = k.SplitStance()
    swap = k.swap_leg_labels
    one = np.ones(1, bool)
    frames, traded = [], []
    t = np.arange(0, 6, 0.04)
    for ti in t:
        if ti < 2:
            xy, tr = _split_stance("left", 60), 1.2 <= ti < 1.5
            if 1.16 <= ti < 1.2:
                xy = _split_stance("left", 5)
        elif ti < 3:
            xy, tr = _split_stance("left", 0), False
        else:
            xy, tr = _split_stance("right", 60), False
        frames.append(swap(xy[None], one)[0] if tr else xy)
        traded.append(tr)
    got = [stance.update(xy, float(ti)) for xy, ti in zip(frames, t, strict=True)]
    assert got == traded


def test_steep_shank_filmed_from_above_is_drawn_at_a_shorter_reach():
    # Lying side-on, a camera 25° above the bed: the shank's part up from the surface is
    # drawn times cos 25°, its part along it as it is. A shank 60° off the surface, its
    # heel on the surface, is drawn that much shorter, and put out to that reach it stays.
    e, reach = 25.0, 40.0
    c = np.cos(np.radians(e))
    knee = np.array([100.0, -reach * np.sin(np.radians(60)) * c])
    heel = np.array([100.0 + reach * np.cos(np.radians(60)), 0.0])
    along = np.array([-1.0, 0.0])
    drawn = float(np.linalg.norm(heel - knee))
    assert float(k.foreshortened_reach(heel, knee, along, reach, e)) == pytest.approx(drawn)
    assert k.heel_rise(heel, drawn, np.array([140.0, 0.0]), along, knee,
                       k.foreshortened_reach(heel, knee, along, reach, e)) == pytest.approx(
        0, abs=1e-9)
    # Put out to the straight leg's reach instead, it is pushed below the surface.
    assert k.heel_rise(heel, drawn, np.array([140.0, 0.0]), along, knee, reach) < -0.05
    # Along the surface nothing is foreshortened; level, nothing is.
    flat = knee + np.array([reach, 0.0])
    assert float(k.foreshortened_reach(flat, knee, along, reach, e)) == pytest.approx(reach)
    assert float(k.foreshortened_reach(heel, knee, along, reach, 0.0)) == pytest.approx(reach)


def test_lying_body_seen_from_above_draws_its_sides_apart():
    # Lying side-on along x, the sides 0.5 trunk lengths apart along the line of sight:
    # from 30° above the picture draws them 0.25 apart across the trunk.
    xy = np.zeros((33, 2))
    for left, right, x in ((L.LEFT_HIP, L.RIGHT_HIP, 0.0), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER,
                                                           -100.0)):
        xy[left], xy[right] = (x, 0.0), (x, -25.0)
    spread = float(k.body_width_ratio(xy))
    assert spread == pytest.approx(0.25)
    assert k.lying_camera_elevation_deg(spread, 0.5) == pytest.approx(30.0)
    assert k.lying_camera_elevation_deg(0.0, 0.5) == pytest.approx(0.0)
