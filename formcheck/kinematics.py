"""Joint angles, camera view and leg choice as pure, vectorised functions.

Every function takes landmark positions ``xy`` shaped ``(..., 33, 2)`` in an
isotropic unit (pixels, or normalised x scaled by the aspect ratio) with y
pointing down, as in images; ``(33, 2)`` for one frame and ``(T, 33, 2)`` for a
sequence work alike. Angles are in degrees.

Conventions (0° = standing straight, the anatomical position):

* ``hip_flexion_deg``: angle between the trunk line (shoulder→hip, continued
  downwards) and the thigh (hip→knee); positive when the knee moves to the
  front of the body, negative for extension (leg behind the trunk line).
* ``knee_flexion_deg``: 180° minus the hip–knee–ankle angle; 0 = straight.
* ``hip_abduction_deg``: frontal-plane angle of the thigh from the vertical;
  positive away from the midline, negative = adduction.
* ``trunk_lean_deg``: angle of the trunk (mid-hip→mid-shoulder) from the image
  vertical, positive towards the image's +x; forward/back in a side view,
  sideways in a front view.
* ``thigh_elevation_deg``: forward tilt of the thigh from the vertical, in the
  body's sagittal plane: how far the knee has been raised, whatever the trunk
  does (leaning back or bending forward changes hip flexion, not this).
* ``bridge_line_deg``: 180° minus the shoulder–hip–knee angle; 0 = in line.
* ``heel_rise``: how far the heel rose off the line it slides along (lying: from
  its resting place along the trunk), in shank lengths (knee–ankle distance); a heel
  drawn nearer the knee than with the leg straight is first put back out along the
  shank (``heel_out_to_reach``).
* ``foot_pitch_deg``: the foot's tilt (heel → toe) below the horizontal; heel
  up = positive.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .filters import length_jitter, runs
from .pose import Landmark as L
from .pose import side_landmark

SIDES = ("left", "right")


def other_side(side: str) -> str:
    """``"left"`` ↔ ``"right"``."""
    return "right" if side == "left" else "left"


def to_isotropic(image_xyz: np.ndarray, image_wh: tuple[int, int]) -> np.ndarray:
    """Normalised image landmarks ``(..., 33, >=2)`` → ``(..., 33, 2)`` in pixels."""
    return image_xyz[..., :2] * np.asarray(image_wh, dtype=float)


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]


def signed_angle_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed angle from ``u`` to ``v`` (``(..., 2)`` vectors) in (-180, 180].

    Positive is the rotation from +x towards +y (clockwise on screen).

    >>> float(signed_angle_deg(np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    90.0
    """
    return np.degrees(np.arctan2(_cross(u, v), _dot(u, v)))


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle a–b–c at ``b`` in [0, 180] for ``(..., 2)`` points."""
    return np.abs(signed_angle_deg(a - b, c - b))


def _mid(xy: np.ndarray, a: int, b: int) -> np.ndarray:
    return (xy[..., a, :] + xy[..., b, :]) / 2.0


def mid_shoulder(xy: np.ndarray) -> np.ndarray:
    """``(..., 2)`` midpoint of the shoulders."""
    return _mid(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def mid_hip(xy: np.ndarray) -> np.ndarray:
    """``(..., 2)`` midpoint of the hips."""
    return _mid(xy, L.LEFT_HIP, L.RIGHT_HIP)


def trunk_axis(xy: np.ndarray) -> np.ndarray:
    """``(..., 2)`` vector from mid-shoulder down to mid-hip (the caudal direction)."""
    return mid_hip(xy) - mid_shoulder(xy)


def anterior_sign(xy: np.ndarray) -> np.ndarray:
    """Which way the body faces in a side view, ±1 per frame, ``(...,)``.

    The sign ``s`` such that ``s * cross(trunk_axis, w) > 0`` for a
    vector ``w`` pointing to the front of the body. The front is where the nose
    lies relative to the ears and where the toes lie relative to the heels.
    """
    d = trunk_axis(xy)
    face = xy[..., L.NOSE, :] - _mid(xy, L.LEFT_EAR, L.RIGHT_EAR)
    toes = _mid(xy, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX) - _mid(xy, L.LEFT_HEEL, L.RIGHT_HEEL)

    def unit(v: np.ndarray) -> np.ndarray:
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        return np.divide(v, n, out=np.zeros_like(v), where=n > 0)

    front = unit(face) + unit(toes)
    s = np.sign(_cross(d, front))
    return np.where(s == 0, 1.0, s)


def hip_flexion_deg(xy: np.ndarray, side: str, front_sign: np.ndarray | float | None = None
                    ) -> np.ndarray:
    """Sagittal hip flexion of ``side`` (negative = extension), ``(...,)``.

    ``front_sign`` is :func:`anterior_sign` (computed per frame if not given;
    pass a clip-wide constant for stability).
    """
    return _from_trunk_line_deg(xy, side, "knee", front_sign)


def leg_line_flexion_deg(xy: np.ndarray, side: str,
                         front_sign: np.ndarray | float | None = None) -> np.ndarray:
    """The line hip → ankle of ``side`` from the trunk line, in the picture, ``(...,)``.

    Like :func:`hip_flexion_deg` (negative = the leg behind the trunk line), with the
    ankle in place of the knee. The pose model moves its hip landmark along with a
    thigh that swings (back, with a leg put behind: renders show it ~15 px on a
    ~180 px thigh), so the thigh's angle stays flat for the first degrees of the
    movement and then catches up; the same misplacement turns a line twice as long
    by half as much. For timing a movement, not for its size (a bent knee adds to it).

    >>> xy = np.zeros((33, 2)); xy[[11, 12], 1] = 0.0; xy[[23, 24], 1] = 1.0
    >>> xy[27] = (0.5, 2.0)
    >>> round(float(leg_line_flexion_deg(xy, "left", 1.0)), 1)
    -26.6
    """
    return _from_trunk_line_deg(xy, side, "ankle", front_sign)


def _from_trunk_line_deg(xy: np.ndarray, side: str, joint: str,
                         front_sign: np.ndarray | float | None) -> np.ndarray:
    """The line hip → ``joint`` of ``side`` from the trunk line, forward positive, ``(...,)``."""
    hip, end = (xy[..., side_landmark(side, n), :] for n in ("hip", joint))
    s = anterior_sign(xy) if front_sign is None else front_sign
    return signed_angle_deg(trunk_axis(xy), end - hip) * s


def knee_flexion_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """Knee flexion of ``side``: 0 = straight, ``(...,)``."""
    hip = xy[..., side_landmark(side, "hip"), :]
    knee = xy[..., side_landmark(side, "knee"), :]
    ankle = xy[..., side_landmark(side, "ankle"), :]
    return 180.0 - joint_angle_deg(hip, knee, ankle)


def hip_abduction_deg(xy: np.ndarray, side: str, around: np.ndarray | None = None
                      ) -> np.ndarray:
    """Frontal-plane leg abduction of ``side`` (negative = adduction), ``(...,)``.

    The thigh's angle from the image vertical, positive away from the midline.
    Measured against gravity rather than the pelvis: in a side raise the pelvis
    tilts and the standing hip abducts relative to it too, so only the vertical
    tells which leg went up. (The trunk is meant to stay upright; its lean is
    checked on its own, and the start-pose calibration removes camera roll.) Outward is
    the side of the other hip the frames measured together show it on (:func:`hips_apart`;
    ``around``: see there).
    """
    hip = xy[..., side_landmark(side, "hip"), :]
    knee = xy[..., side_landmark(side, "knee"), :]
    outward, _ = hips_apart(xy, side, around)
    thigh = knee - hip
    angle = np.degrees(np.arctan2(thigh[..., 0], thigh[..., 1]))  # from straight down
    return angle * np.where(outward == 0, 1.0, outward)


HIPS_DRAWN_TOGETHER = 0.5
"""A frame whose hips the model drew less than this share of their usual distance apart
(in the picture, over the frames measured together) does not show the hips' width."""
HIPS_ORDER_FRAMES = 21
"""The frames around each one (a frame sequence's; about 2 s at the analysis' 10 frames a
second) whose hips' order most of them show is taken as the frame's own."""


def hip_order(xy: np.ndarray, side: str) -> np.ndarray:
    """How far ``side``'s hip lies right (+x) of the other in the picture, ``(...,)``."""
    hip, other = side_landmark(side, "hip"), side_landmark(other_side(side), "hip")
    return xy[..., hip, 0] - xy[..., other, 0]


def hips_apart(xy: np.ndarray, side: str, around: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Which way is outward for ``side``'s leg in the picture (±1 on x) and the hips' width.

    Both ``(...,)``, from the hips' x in ``xy`` ``(..., 33, 2)`` (a sequence of frames when
    it has more than one). The pelvis is rigid: while the person faces one way its hips
    keep their order in the picture and, seen from the front, about their width (a
    sideways lean of 20° narrows it by 6 %). The model does not always: a body leaning
    sideways over its standing leg, the leg raised with it, it draws now with the hips a
    tenth of their width apart, now in the other order (taken for seen from behind), from
    one frame to the next. So each frame takes the order most of the
    :data:`HIPS_ORDER_FRAMES` frames around it show (turning round takes longer), and a
    frame whose hips are drawn less than :data:`HIPS_DRAWN_TOGETHER` of their median
    width over the sequence apart that much apart. A single frame is taken as drawn,
    unless ``around`` gives the frames around it (a live stream: the ones before, this one
    included), as their :func:`hip_order` of ``side``'s hip.
    """
    d = hip_order(xy, side)
    outward, width = np.sign(d), np.abs(d)
    if around is not None:
        around = np.asarray(around, float)
        votes = float(np.nansum(np.sign(around)))
        if votes != 0:
            outward = np.where(np.isfinite(d), np.sign(votes), outward)
        if np.isfinite(around).any():
            least = HIPS_DRAWN_TOGETHER * float(np.nanmedian(np.abs(around)))
            width = np.where(width < least, least, width)
        return outward, width
    if d.ndim != 1 or d.size < 2 or not np.isfinite(d).any():
        return outward, width
    h = HIPS_ORDER_FRAMES // 2
    votes = np.convolve(np.nan_to_num(outward), np.ones(2 * h + 1))[h:h + d.size]
    outward = np.where(np.isfinite(d) & (votes != 0), np.sign(votes), outward)
    least = HIPS_DRAWN_TOGETHER * float(np.nanmedian(width))
    return outward, np.where(width < least, least, width)


def other_person(xy: np.ndarray, t: np.ndarray, jump: float = 0.4, speed: float = 1.5,
               back_speed: float = 3.0, longest_s: float = 4.0) -> np.ndarray:
    """Which frames of ``xy`` ``(T, 33, 2)`` show someone else in the person's place, ``(T,)``.

    A body moves on continuously: between two frames ``dt`` apart its hips move less
    than ``jump + speed * dt`` trunk lengths (the median's; real clips' sit-to-stand
    0.2 at 10 frames a second). The pose model follows one person, but someone passing
    in front takes its place: the hips jump to where that one is, and jump back when
    the person is seen again. So a stretch of frames (up to ``longest_s``) that the
    hips jumped into and out of, back near where they were before it (within ``jump +
    back_speed`` trunk lengths a second of it: the person moved on meanwhile), is
    someone else, when shorter than the stretch before it (the person's). A jump with no
    way back (a video cut to another camera place) is not. Nor is one of the hips alone,
    with the feet where they stood: the same person, between frames far apart in the
    movement (a squat's bottom right after standing, where frames went missing).
    """
    n = len(xy)
    other = np.zeros(n, bool)
    hips = mid_hip(xy)
    seen = np.flatnonzero(np.isfinite(hips).all(axis=-1))
    if seen.size < 3:
        return other
    unit = float(np.nanmedian(np.linalg.norm(trunk_axis(xy[seen]), axis=-1)))
    if not unit > 0:
        return other

    def apart(i: int, j: int, at: np.ndarray = hips) -> float:
        return float(np.linalg.norm(at[j] - at[i])) / unit

    feet = _mid(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    runs: list[list[int]] = [[int(seen[0])]]
    for i in seen[1:]:
        i = int(i)
        last = runs[-1][-1]
        reach = jump + speed * float(t[i] - t[last])
        if apart(last, i) <= reach or apart(last, i, feet) <= reach:
            runs[-1].append(i)
        else:
            runs.append([i])
    last, count = runs[0][-1], len(runs[0])   # the person's last frame, frames so far
    k = 1
    while k < len(runs):
        back = None
        for m in range(k + 1, len(runs)):   # the first run back near the person
            first = runs[m][0]
            if float(t[first] - t[last]) > longest_s:
                break
            if apart(last, first) <= jump + back_speed * float(t[first] - t[last]):
                back = m
                break
        away = runs[k:back]
        if back is not None and sum(map(len, away)) < count:
            for r in away:
                other[r] = True
            k = back
        else:
            count = 0                        # the picture is someone else's from here
        last, count = runs[k][-1], count + len(runs[k])
        k += 1
    return other


def _hip_bend_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """How far the thigh of ``side`` bends off the trunk's line in the picture, ``(...,)``.

    Unsigned; the line runs from the shoulders' middle through that hip (0 = in line).
    """
    return 180.0 - joint_angle_deg(mid_shoulder(xy), xy[..., side_landmark(side, "hip"), :],
                                   xy[..., side_landmark(side, "knee"), :])


STANDING_STRAIGHT_DEG = 20.0
"""Frames whose hips and knees are all bent less than this in the picture show a person
standing straight (for :func:`camera_roll_deg`)."""


def camera_roll_deg(xy: np.ndarray, min_frames: int = 10) -> float:
    """How far the camera is turned about its own axis, from a person standing, ``(T, 33, 2)``.

    A body standing still keeps its weight over its feet: the line from between the
    ankles to the middle of the hips and shoulders is plumb, whichever way the camera
    looks at it. Its median tilt from the picture's vertical over the frames that show
    both legs straight (hips and knees within :data:`STANDING_STRAIGHT_DEG`) is the
    camera's roll, positive when the picture shows the body's top towards +x
    (clockwise). NaN with fewer than ``min_frames`` such frames.
    """
    bends = [f(xy, s) for f in (knee_flexion_deg, _hip_bend_deg) for s in ("left", "right")]
    straight = np.all(np.stack(bends) < STANDING_STRAIGHT_DEG, axis=0)
    feet = _mid(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    up = (mid_shoulder(xy) + mid_hip(xy)) / 2.0 - feet
    tilt = np.degrees(np.arctan2(up[..., 0], -up[..., 1]))[straight & np.isfinite(
        up).all(axis=-1)]
    return float(np.median(tilt)) if tilt.size >= min_frames else float("nan")


QUARTER_WITHIN_DEG = 30.0
"""A body's up read within this of a quarter turn from the picture's up (for
:func:`quarter_turn_deg`; real clips read up to 48° off upright: a body half out of the
picture, its feet guessed)."""


QUARTER_STRAIGHT_DEG = 45.0
"""A body whose thighs are never (in a tenth of its frames) within this of its trunk's
line in the picture is not standing in any of them (on all fours: 68°; standing
exercises' real clips: at most 34°, quick knee lifts), so its picture is not turned
(:func:`quarter_turn_deg`)."""


def quarter_turn_deg(xy: np.ndarray) -> int:
    """The quarter turn (0, 90, 180 or -90) that stands a picture of a standing body upright.

    ``xy`` ``(T, 33, 2)``. The direction from between the ankles to between the
    shoulders, averaged over the frames (as unit vectors), is the body's up; a standing
    body's lies near the picture's up unless the picture itself lies on its side or
    upside down (a video whose file does not say how it was filmed): turned when within
    :data:`QUARTER_WITHIN_DEG` of a quarter turn, and the body stands straight at times
    (:data:`QUARTER_STRAIGHT_DEG`: a body on all fours lies across any picture). In
    degrees as :func:`camera_roll_deg`; 0 when no frame shows the body.
    """
    bend = np.fmax(_hip_bend_deg(xy, "left"), _hip_bend_deg(xy, "right"))
    if not np.isfinite(bend).any() or np.nanpercentile(bend, 10) >= QUARTER_STRAIGHT_DEG:
        return 0     # never standing straight (on all fours, sitting): lying as it is
    up = mid_shoulder(xy) - _mid(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    up = up[np.isfinite(up).all(axis=-1)]
    if not len(up):
        return 0
    u = up / np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-9)
    tilt = math.degrees(math.atan2(float(u[:, 0].mean()), float(-u[:, 1].mean())))
    quarter = int(90 * round(tilt / 90.0))
    if abs((tilt - quarter + 180.0) % 360.0 - 180.0) > QUARTER_WITHIN_DEG:
        return 0     # a body at a slant: not told which way the picture lies
    return -90 if quarter == 270 else (180 if quarter == -180 else quarter)


def turned_upright(xy: np.ndarray, roll_deg: float, centre: np.ndarray) -> np.ndarray:
    """Points ``(..., 2)`` (y down) turned about ``centre`` ``(2,)`` to undo a camera roll.

    ``roll_deg`` as :func:`camera_roll_deg` gives it: a line tilted by it comes out plumb.

    >>> p = np.array([[0.0, 0.0], [np.sin(np.radians(10)), -np.cos(np.radians(10))]])
    >>> np.round(turned_upright(p, 10.0, np.zeros(2)), 6) + 0.0
    array([[ 0.,  0.],
           [ 0., -1.]])
    """
    a = np.radians(roll_deg)
    c, s = np.cos(a), np.sin(a)
    d = xy - centre
    return np.stack([c * d[..., 0] + s * d[..., 1], -s * d[..., 0] + c * d[..., 1]],
                    axis=-1) + centre


def trunk_lean_deg(xy: np.ndarray) -> np.ndarray:
    """Trunk angle from the image vertical, positive towards image +x, ``(...,)``."""
    up = mid_shoulder(xy) - mid_hip(xy)
    return np.degrees(np.arctan2(up[..., 0], -up[..., 1]))


def trunk_lean_forward_deg(xy: np.ndarray, front_sign: np.ndarray | float | None = None
                           ) -> np.ndarray:
    """Sagittal trunk lean, positive forward (side view), ``(...,)``."""
    s = anterior_sign(xy) if front_sign is None else front_sign
    # Facing +x has the front counter-clockwise of the downward trunk axis: s = -1.
    return -trunk_lean_deg(xy) * s


def bridge_line_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """Deviation from a straight shoulder–hip–knee line of ``side``, ``(...,)``."""
    return 180.0 - joint_angle_deg(
        xy[..., side_landmark(side, "shoulder"), :],
        xy[..., side_landmark(side, "hip"), :],
        xy[..., side_landmark(side, "knee"), :],
    )


def _joint_distance(xy: np.ndarray, side: str, a: str, b: str) -> np.ndarray:
    """Distance between joints ``a`` and ``b`` of ``side``, ``(...,)``."""
    return np.linalg.norm(
        xy[..., side_landmark(side, a), :] - xy[..., side_landmark(side, b), :], axis=-1
    )


def hip_ankle_distance(xy: np.ndarray, side: str) -> np.ndarray:
    """Hip–ankle distance of ``side``, ``(...,)``."""
    return _joint_distance(xy, side, "hip", "ankle")


def knee_flexion_from_slide(reach: np.ndarray, straight: float) -> np.ndarray:
    """Knee flexion (°) from how far the heel slid towards the hip, ``(...,)``.

    ``reach`` is the hip–ankle distance, ``straight`` the same with the leg straight.
    In a heel slide the heel stays on the surface and slides along the leg's line, so
    the hip–ankle line keeps its direction and any camera that sees the surface draws
    its length at one scale (perspective aside: a camera close to the feet shows the
    heel's slide away from it shorter still, and the bend larger). With thigh and shank
    of equal length ``reach / straight = cos(flexion / 2)``; a reach at or beyond the
    straight one is 0.

    >>> round(float(knee_flexion_from_slide(np.array(0.5 ** 0.5), 1.0)), 1)
    90.0
    """
    straight = np.asarray(straight, float)
    ratio = np.asarray(reach, float) / np.where(straight > 0, straight, np.nan)
    return np.degrees(2.0 * np.arccos(np.clip(ratio, 0.0, 1.0)))


def knee_from_slide_and_landmarks(landmarks: np.ndarray, slide: np.ndarray,
                                  reach_noise: float, knee_noise_deg: float) -> np.ndarray:
    """Knee flexion (°) of a heel slide from its landmark angle and its slide together, ``(...,)``.

    ``landmarks``: the hip–knee–ankle angle; ``slide``: :func:`knee_flexion_from_slide`.
    As the knee bends the pose model draws the lying leg straighter than it is: the hip
    landmark further towards the ceiling (than the straight start leg shows) and the knee
    landmark into the bend (renders, side-on: ~0.1 and ~0.07 thigh lengths at 90-140°),
    so the angle reads 5-10° short. Both displacements are across the hip–ankle line
    (the heel slides along the surface), which the slide's reading does not see; its
    jitter does: a share ``reach_noise`` of the straight reach moves it by
    ``2 reach_noise / sin(flexion / 2)`` radians, a lot near straight, little bent. Each
    reading is weighted by the inverse of its noise (the landmark angle's
    ``knee_noise_deg``), the flexion judged on the landmark angle (steady near straight).
    Where the slide is not known, the landmark angle.
    """
    half = np.radians(np.clip(np.nan_to_num(landmarks, nan=0.0), 1.0, 180.0)) / 2
    slide_var = np.degrees(2.0 * reach_noise / np.sin(half)) ** 2
    w = knee_noise_deg ** 2 / (knee_noise_deg ** 2 + slide_var)
    return np.where(np.isfinite(slide), w * slide + (1 - w) * landmarks, landmarks)


def knee_flexion_from_hip_drop(reach: np.ndarray, standing: np.ndarray | float,
                               noise: float = 0.0) -> np.ndarray:
    """Knee flexion (°) of a squat on both feet from how far the hip came down, ``(...,)``.

    ``reach`` is the hip–ankle distance in the picture, ``standing`` the same standing
    up. Seen from the front, a squat bends the knee along the line of sight: the
    model's 3-D knee misses most of it and the picture shows no angle, but the hip
    comes down. With the thigh tilting forward as far as the shank (hip over the
    ankle; a split of 20° and 40° reads 2° more) and both of one length,
    ``reach / standing = cos(flexion / 2)``, as in a heel slide
    (:func:`knee_flexion_from_slide`); the ratio is the same at any distance and, the
    hip staying over the ankle, from a camera above or below (cos elevation cancels).
    ``noise``: the share of the standing reach the landmarks' jitter moves it by;
    a drop within it reads straight. A small bend is not seen this way (10° lowers the
    hip by 0.4 %): without this a standing leg would read 5-10° bent from jitter alone.

    >>> round(float(knee_flexion_from_hip_drop(np.array(0.866), 1.0)), 1)
    60.0
    """
    standing = np.asarray(standing, float)
    return knee_flexion_from_slide(np.asarray(reach, float) + noise * standing, standing)


def picture_scale(xy: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """Pixels per metre at the body, ``(...,)``, from isotropic ``xy`` and world ``xyz``.

    The hips' and shoulders' widths in the picture over the same widths in the
    model's world landmarks (metres, axes along the camera's) seen across the line of
    sight (their x-y part): a body turning narrows both alike, a squat neither, and a
    camera zooming (or a person stepping nearer) only the picture's.

    >>> xyz = np.zeros((33, 3)); xyz[[11, 23], 0] = 0.2
    >>> float(picture_scale(xyz[:, :2] * 300, xyz))
    300.0
    """
    def widths(p: np.ndarray) -> np.ndarray:
        return (np.linalg.norm(p[..., L.LEFT_HIP, :2] - p[..., L.RIGHT_HIP, :2], axis=-1)
                + np.linalg.norm(p[..., L.LEFT_SHOULDER, :2] - p[..., L.RIGHT_SHOULDER, :2],
                                 axis=-1))

    with np.errstate(divide="ignore", invalid="ignore"):
        return widths(xy) / widths(xyz)


def shank_length(xy: np.ndarray, side: str) -> np.ndarray:
    """Knee–ankle distance of ``side``, ``(...,)``."""
    return _joint_distance(xy, side, "knee", "ankle")


def thigh_length(xy: np.ndarray, side: str) -> np.ndarray:
    """Hip–knee distance of ``side``, ``(...,)``."""
    return _joint_distance(xy, side, "hip", "knee")


def knee_flexion_from_shank(to_thigh: np.ndarray, to_other: np.ndarray,
                            elevation_deg: np.ndarray | float = 0.0,
                            abduction_deg: np.ndarray | float = 0.0) -> np.ndarray:
    """Knee flexion (°) from how much the shank shortened in the picture, ``(...,)``.

    Seen from the front, a knee bending while the leg is raised sideways swings the
    shank back along the line of sight: the picture shows it shortened, and hardly
    bent. ``to_thigh`` is the shank's length over the same leg's thigh (a straight
    leg's two segments turn together, so their ratio stays whatever the leg's pose
    and distance), ``to_other`` over the standing leg's shank (which the model's knee
    landmark, sliding along the leg, does not change); each relative to the same
    ratio at the still start. A bend shortens the shank against both; the longer of
    the two is taken, so one alone does not read as a bend. At or beyond the start's
    length: 0.

    From a level camera the shank shows ``cos(flexion)`` of its length. From a camera
    ``elevation_deg`` above the body, looking down, the part of the shank that swings
    back is also drawn higher, so the picture shortens it more for the same bend
    (35° at 25° up: to 0.6 of its length, where a level camera shows 0.82); the thigh,
    raised sideways (``abduction_deg``: its angle from the vertical in the picture), is
    drawn shorter than standing too (a straight leg's ratios stay 1). With the thigh
    along ``d = (sin a, cos a, 0)`` (sideways, down, towards the camera) and the shank
    ``cos f · d + sin f · (0, 0, -1)``, the picture draws a vector ``(x, y, z)`` as
    ``(x, y cos e + z sin e)``; this solves the shank's drawn length for ``f``. A
    camera below the hips is taken as level (from below, a small bend lengthens the
    shank in the picture: no length tells it).

    >>> round(float(knee_flexion_from_shank(np.array(0.5), np.array(0.6))), 1)
    53.1
    >>> round(float(knee_flexion_from_shank(np.array(0.6), np.array(0.6), 25.0, 25.0)))
    34
    """
    e = np.radians(np.clip(np.asarray(elevation_deg, float), 0.0, 89.0))
    # The picture draws the thigh's sideways angle wider (tan drawn = tan a / cos e).
    a = np.arctan(np.tan(np.radians(np.asarray(abduction_deg, float))) * np.cos(e))
    thigh = np.hypot(np.sin(a), np.cos(a) * np.cos(e))  # the raised thigh's drawn length
    # The shank's drawn length (a straight, standing shank: cos e), the longer reading.
    shank = np.fmax(np.asarray(to_thigh, float) * thigh, np.asarray(to_other, float) * np.cos(e))
    shank = np.clip(shank, 0.0, thigh)
    # thigh² cos²f - 2 q sin f cos f + b² sin²f = shank², with q, b as below:
    b2, q = np.sin(e) ** 2, np.cos(a) * np.cos(e) * np.sin(e)
    half = (thigh ** 2 - b2) / 2
    m = np.hypot(half, q)
    phi = np.arctan2(q, half)
    c = (shank ** 2 - (thigh ** 2 + b2) / 2) / np.where(m > 0, m, np.nan)
    flexion = (np.arccos(np.clip(c, -1.0, 1.0)) - phi) / 2
    return np.degrees(np.clip(flexion, 0.0, np.pi / 2))


def toe_below_ankle(xy: np.ndarray, side: str) -> np.ndarray:
    """How far the toe lies below the ankle in the picture, in shank lengths, ``(...,)``.

    Standing, facing the camera, the foot points at it: a level camera draws the toe
    below the ankle by the ankle's height, a camera above also by the foot's forward
    length times ``sin(elevation)`` (see :func:`camera_elevation_from_feet`).
    """
    ankle = xy[..., side_landmark(side, "ankle"), :]
    toe = xy[..., side_landmark(side, "foot_index"), :]
    return (toe[..., 1] - ankle[..., 1]) / shank_length(xy, side)


def camera_elevation_from_feet(toe_below: np.ndarray | float, level: float, per_tan: float
                               ) -> np.ndarray:
    """The camera's elevation (°, + = above) from a standing body's feet seen from the front.

    ``toe_below``: :func:`toe_below_ankle` (shank lengths); the toe lies ``level`` below
    the ankle seen from a level camera, and ``per_tan`` more per unit of
    ``tan(elevation)`` (the foot's forward length, in shank lengths, as the model
    places its landmarks).

    >>> round(float(camera_elevation_from_feet(0.5, 0.3, 0.4)), 1)
    26.6
    """
    return np.degrees(np.arctan((np.asarray(toe_below, float) - level) / per_tan))


def above_line(p: np.ndarray, origin: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """Signed distance of points ``p`` ``(..., 2)`` from the line ``origin`` → ``toward``.

    Positive on the line's image-up side (smaller y). ``origin`` and ``toward`` are
    ``(..., 2)`` and broadcast against ``p``; NaN where they coincide.
    """
    d = np.asarray(toward, float) - np.asarray(origin, float)
    n = np.stack([d[..., 1], -d[..., 0]], axis=-1)  # perpendicular, pointing up when d is +x
    n = n * np.where(n[..., 1:] > 0, -1.0, 1.0)
    length = np.linalg.norm(n, axis=-1)
    return np.sum((p - origin) * n, axis=-1) / np.where(length > 0, length, np.nan)


def heel_rise(heel: np.ndarray, shank: np.ndarray, rest_heel: np.ndarray, along: np.ndarray,
              knee: np.ndarray | None = None, reach: np.ndarray | float = float("nan")
              ) -> np.ndarray:
    """Heel ``(..., 2)`` height off the line through its resting place along ``along``.

    In lengths of the ``shank`` ``(...,)`` (:func:`shank_length`). Lying, the heel
    slides along the surface, and the trunk lies along it too: with ``along`` the
    trunk's axis in the picture, the heel reads 0 while it slides, however the camera
    looks down on the bed, and only a heel lifted off the surface leaves the line.
    With the ``knee`` ``(..., 2)`` and ``reach``, the heel's distance from the knee in
    the picture with the leg straight: a heel drawn nearer the knee than that is
    first put back out along the knee → heel line to it (:func:`heel_out_to_reach`).
    """
    if knee is not None:
        heel = heel_out_to_reach(heel, knee, reach)
    return above_line(heel, rest_heel, rest_heel + along) / np.maximum(shank, 1e-9)


def lying_camera_elevation_deg(spread: float, width_ratio: float) -> float:
    """The camera's elevation over a bed a body lies on side-on, from its ``spread``.

    ``spread``: the body's sides drawn apart across the trunk (:func:`body_width_ratio`):
    lying side-on they lie one behind the other along the line of sight, drawn apart by
    their width times the sine of the camera's elevation over the bed. ``width_ratio``:
    that width (hips and shoulders, as the model draws them) over the trunk's length.
    NaN when the spread is.

    >>> round(lying_camera_elevation_deg(0.25, 0.5), 1)
    30.0
    """
    return float(np.degrees(np.arcsin(np.clip(spread / width_ratio, 0.0, 1.0))))


def foreshortened_reach(heel: np.ndarray, knee: np.ndarray, along: np.ndarray, reach: float,
                        elevation_deg: float) -> np.ndarray:
    """The straight leg's knee-heel ``reach`` as the picture draws the shank now ``(...,)``.

    Lying side-on, a camera ``elevation_deg`` above the bed draws the shank's part along
    the surface (``along``, the trunk's axis) as it is and its part up from the surface
    times the elevation's cosine: a steep shank is drawn shorter than the straight leg
    lying along the bed. Its direction in the picture tells its parts.
    """
    c = math.cos(math.radians(elevation_deg)) if math.isfinite(elevation_deg) else 1.0
    v = np.asarray(heel, float) - knee
    n = float(np.linalg.norm(along))
    if not n > 0:
        return np.full(v.shape[:-1], np.nan)
    u = np.asarray(along, float) / n
    a, b = _dot(v, u), _cross(u, v)  # along the surface, and up from it
    drawn, true = a * a + b * b, a * a + (b / max(c, 0.1)) ** 2
    return reach * np.sqrt(drawn / np.where(true > 0, true, np.nan))


def heel_out_to_reach(heel: np.ndarray, knee: np.ndarray, reach: np.ndarray | float
                      ) -> np.ndarray:
    """``heel`` ``(..., 2)`` moved out along the line from ``knee`` to at least ``reach``.

    The pose model draws the heel of a deeply bent leg nearer the knee than it is:
    with the knee bent 90-120° in a heel slide, the knee–heel distance in the picture
    reads 0.74-0.95 of the straight leg's where the knee–ankle distance of the joints
    shows 0.93-1.07 (renders, side-on to 35° towards the feet; 37 clips). The shank
    then stands steeply, so a heel pulled up it reads as a heel lifted off the surface
    (up to 0.14 shank lengths).
    The line's direction is kept, only its length is restored; a heel farther out
    (seen from the head's side, the steep shank is foreshortened less than the lying
    one) stays where it is, as it does with ``reach`` NaN.
    """
    v = np.asarray(heel, float) - knee
    d = np.linalg.norm(v, axis=-1)
    scale = np.fmax(d, reach) / np.where(d > 0, d, np.nan)
    return knee + v * np.where(np.isfinite(scale), scale, 1.0)[..., None]


def foot_pitch_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """Tilt of the foot (heel → toe) below the horizontal, ``(...,)``; heel up = positive.

    Seen from the side a heel lifting off the floor tips the foot onto its toes;
    the foot's own tilt does not change when the whole body sinks or the leg
    steps back, as the heel's height in the picture does.
    """
    v = xy[..., side_landmark(side, "foot_index"), :] - xy[..., side_landmark(side, "heel"), :]
    return np.degrees(np.arctan2(v[..., 1], np.abs(v[..., 0])))


def knee_ankle_width_ratio(xy: np.ndarray) -> np.ndarray:
    """Knee separation over ankle separation (front view); below ~0.8 = knees caving in."""
    knees = np.abs(xy[..., L.LEFT_KNEE, 0] - xy[..., L.RIGHT_KNEE, 0])
    ankles = np.abs(xy[..., L.LEFT_ANKLE, 0] - xy[..., L.RIGHT_ANKLE, 0])
    return knees / np.maximum(ankles, 1e-9)


def knee_past_midline(xy: np.ndarray, side: str, around: np.ndarray | None = None
                      ) -> np.ndarray:
    """How far the knee of ``side`` crossed the body's midline, in hip widths (≤0 = not).

    The hips' order and width as :func:`hips_apart` reads them (``around``: see there).
    """
    hip = xy[..., side_landmark(side, "hip"), 0]
    other = xy[..., side_landmark(other_side(side), "hip"), 0]
    centre = (hip + other) / 2.0
    outward, width = hips_apart(xy, side, around)
    width = np.maximum(width, 1e-9)
    return -(xy[..., side_landmark(side, "knee"), 0] - centre) * outward / width


def body_width_ratio(xy: np.ndarray) -> np.ndarray:
    """Shoulder and hip width across the trunk axis over trunk length, ``(...,)``.

    About 0.6–0.7 seen from the front, near 0 from the side, ~0.3 at 30°.
    """
    d = trunk_axis(xy)
    length = np.maximum(np.linalg.norm(d, axis=-1), 1e-9)
    u = d / length[..., None]
    shoulders = np.abs(_cross(u, xy[..., L.LEFT_SHOULDER, :] - xy[..., L.RIGHT_SHOULDER, :]))
    hips = np.abs(_cross(u, xy[..., L.LEFT_HIP, :] - xy[..., L.RIGHT_HIP, :]))
    return (shoulders + hips) / (2.0 * length)


VIEWS = ("side", "oblique", "front", "lying_side", "lying_oblique", "lying_front")


def estimate_view(xy: np.ndarray, side_max: float = 0.2, front_min: float = 0.45,
                  lying: bool = False) -> str:
    """Camera view of a still or moving person from ``(T, 33, 2)`` or ``(33, 2)``.

    Returns ``side``, ``oblique`` or ``front``, prefixed ``lying_`` when the trunk is
    closer to horizontal than vertical. Uses the median over frames; ``unknown``
    when no frame is usable. ``lying``: the person is known to lie (or sit with the
    legs out: a lying exercise); a trunk seen upright or upside down in the picture
    then means the camera looks along the body, from the feet or the head:
    ``lying_front`` (see :func:`_view_of`).
    """
    xy = xy.reshape((-1,) + xy.shape[-2:])
    ok = np.all(np.isfinite(xy[:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]]),
                axis=(1, 2))
    if not ok.any():
        return "unknown"
    xy = xy[ok]
    width = float(np.median(body_width_ratio(xy)))
    lean = float(np.median(np.abs(trunk_lean_deg(xy))))
    return _view_of(width, lean, side_max, front_min, lying)


def _view_of(width: float, lean: float, side_max: float, front_min: float,
             lying: bool = False) -> str:
    """The view of a body ``width`` wide (:func:`body_width_ratio`) whose trunk leans ``lean``°.

    A lying body filmed from its feet or head (``lying`` known) shows its trunk
    upright or upside down in the picture, shortened while the shoulders and hips keep
    their width (renders and real clips: 0.4-0.9): the camera looks along it. An
    upright trunk seen narrow is still a side view (sitting up on the bed, filmed
    side-on).
    """
    if lying and not 55.0 < lean < 125.0 and width >= side_max:
        return "lying_front"
    plane = "side" if width < side_max else "front" if width > front_min else "oblique"
    return f"lying_{plane}" if 55.0 < lean < 125.0 else plane


def view_segments(xy: np.ndarray, t: np.ndarray, min_segment_s: float = 2.5,
                  window_s: float = 1.5, margin: float = 0.06,
                  side_max: float = 0.2, front_min: float = 0.45,
                  lying: bool = False) -> list[tuple[int, int, str]]:
    """Split a recording ``(T, 33, 2)`` at times ``t`` ``(T,)`` into camera-view segments.

    The view may change within a recording (a person turning, a handheld camera
    walking round). Each frame's body width and trunk lean, as median over
    ``window_s``, is classified like :func:`estimate_view`; the view changes only
    when the new one holds, clear of the boundary by ``margin`` (width ratio; 10°
    of lean), for at least ``min_segment_s``. Returns ``(start, stop, view)``
    index ranges covering all frames (one segment when the view never changes).
    ``lying``: as in :func:`estimate_view`.
    """
    n = len(t)
    if n == 0:
        return []
    width = body_width_ratio(xy)
    lean = np.abs(trunk_lean_deg(xy))
    half = max(window_s / 2, 1e-6)
    lo = np.searchsorted(t, t - half)
    hi = np.searchsorted(t, t + half, side="right")
    w_med, l_med = np.full(n, np.nan), np.full(n, np.nan)
    for i in range(n):
        w, ln = width[lo[i]:hi[i]], lean[lo[i]:hi[i]]
        if np.isfinite(w).any():
            w_med[i], l_med[i] = np.nanmedian(w), np.nanmedian(ln)
    clear = [None] * n
    for i in range(n):
        if not np.isfinite(w_med[i]):
            continue
        inner = _view_of(w_med[i], l_med[i], side_max - margin, front_min + margin, lying)
        outer = _view_of(w_med[i], l_med[i], side_max + margin, front_min - margin, lying)
        lean_clear = abs(l_med[i] - 55.0) > 10 and abs(l_med[i] - 125.0) > 10
        if inner == outer and lean_clear:
            clear[i] = inner
    # Runs of a clearly seen view; short ones and unclear frames join their neighbours.
    runs: list[list] = []
    for i, v in enumerate(clear):
        if v is None:
            continue
        if runs and runs[-1][2] == v:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, v])
    runs = [r for r in runs if t[r[1] - 1] - t[r[0]] >= min_segment_s]
    merged: list[list] = []
    for r in runs:
        if merged and merged[-1][2] == r[2]:
            merged[-1][1] = r[1]
        else:
            merged.append(r)
    if len(merged) <= 1:
        ok = np.isfinite(width)
        return [(0, n, estimate_view(xy[ok], lying=lying) if ok.any() else "unknown")]
    # Boundaries half-way between clear runs; the ends stretch to the recording's.
    cuts = [0] + [(a[1] + b[0]) // 2 for a, b in zip(merged, merged[1:], strict=False)] + [n]
    return [(cuts[j], cuts[j + 1], estimate_view(xy[cuts[j]:cuts[j + 1]], lying=lying))
            for j in range(len(merged))]


def moving_side(left: np.ndarray, right: np.ndarray, ratio: float = 1.5) -> str | None:
    """Which leg's signal ``(T,)`` moved clearly more (5–95 % range), else None."""
    def span(x: np.ndarray) -> float:
        x = x[np.isfinite(x)]
        return float(np.percentile(x, 95) - np.percentile(x, 5)) if x.size else 0.0

    a, b = span(left), span(right)
    if a > ratio * b and a > 5:
        return "left"
    if b > ratio * a and b > 5:
        return "right"
    return None


#: Leg landmarks as (left, right) index pairs: hip, knee, ankle, heel, foot.
LEG_PAIRS = tuple((int(L[f"LEFT_{n}"]), int(L[f"RIGHT_{n}"]))
                  for n in ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX"))
#: Knee and ankle of each leg, ``(leg, joint)``: what tells the two legs apart.
KNEE_ANKLE = np.array([[L.LEFT_KNEE, L.LEFT_ANKLE], [L.RIGHT_KNEE, L.RIGHT_ANKLE]])
#: Segments whose lengths show the noise of the points :class:`PlantedLegs` reads (trunk
#: sides, thighs, shanks; see :func:`~formcheck.filters.length_jitter`). Not the hips'
#: width: side-on it is short, and a length shorter than the noise jitters less than it.
NOISE_SEGMENTS = ((L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
                  (L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE),
                  (L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE))


def _trunk_scale(xy: np.ndarray) -> float | None:
    """Median trunk length (mid-shoulder to mid-hip) of ``(T, 33, 2)``, None if unknown."""
    lengths = np.linalg.norm(mid_shoulder(xy) - mid_hip(xy), axis=-1)
    lengths = lengths[np.isfinite(lengths)]
    trunk = float(np.median(lengths)) if lengths.size else 0.0
    return trunk if trunk > 0 else None


#: How far (trunk lengths) a knee or ankle is expected to move between frames ``dt``
#: seconds apart: ``LEG_MOTION[0] + LEG_MOTION[1] * dt``. Continuity is judged in
#: these units, so frames far apart in time weigh less against the model's label.
LEG_MOTION = (0.15, 2.5)
#: Frames further apart than this (s) are not linked by continuity: a knee lift
#: can come and go between them (below ~7 frames a second the labels stand).
LEG_MAX_STEP_S = 0.15


def _motion(dt: float) -> float:
    return LEG_MOTION[0] + LEG_MOTION[1] * max(dt, 0.0)


def leg_label_swaps(xy: np.ndarray, t: np.ndarray, label_cost: float = 1.0,
                    carry: float = 0.6) -> np.ndarray:
    """Frames of ``xy`` ``(T, 33, 2)`` at times ``t`` whose left/right leg labels the model swapped.

    Seen from the side the two legs overlap and the pose model often trades
    their labels from one frame to the next, while it places both legs well.
    Which leg is which is then decided as a path over the whole recording
    (Viterbi over "labels as given" / "swapped"): each leg's knee and ankle
    should continue where the same leg was heading (position plus ``carry``
    times its last step; misses in units of the motion expected between the
    frames, :data:`LEG_MOTION`), and going against the model's label costs
    ``label_cost`` (in the same units), so where the legs cross or stand
    together the model's own label decides. Frames without a person, and
    steps longer than :data:`LEG_MAX_STEP_S`, split the path. Returns ``(T,)``
    bool, True where the labels are to be swapped.
    """
    n = len(xy)
    out = np.zeros(n, bool)
    legs = xy[:, KNEE_ANKLE]  # (T, 2, 2, 2): leg, joint, xy
    trunk = _trunk_scale(xy)
    if trunk is None:
        return out
    legs = legs / trunk
    ok = np.isfinite(legs).all(axis=(1, 2, 3))
    gap = np.concatenate([[True], np.diff(t) > LEG_MAX_STEP_S])
    # Both hypotheses per frame: h = 0 labels as given, h = 1 swapped.
    hyp = np.stack([legs, legs[:, ::-1]], axis=1)  # (T, 2, 2, 2, 2)
    i = 0
    while i < n:
        if not ok[i]:
            i += 1
            continue
        j = i + 1
        while j < n and ok[j] and not gap[j]:
            j += 1
        out[i:j] = _label_path(hyp[i:j], t[i:j], label_cost, carry)
        i = j
    return out


def _label_step(cost: np.ndarray, h2: np.ndarray, h1: np.ndarray, h0: np.ndarray,
                dt: float, label_cost: float, carry: float) -> tuple[np.ndarray, np.ndarray]:
    """One Viterbi step over label hypotheses: ``(cost, back)``, each ``(4,)``.

    State ``s = 2a + b``: hypothesis ``a`` of the previous frame and ``b`` of
    this one (0 = labels as given, 1 = swapped); ``h2``, ``h1``, ``h0`` are the
    two frames before and this frame's hypotheses ``(2, leg, joint, 2)``, ``dt``
    seconds after the last.
    """
    pred = h1[None, :] + carry * (h1[None, :] - h2[:, None])  # (a, b, leg, joint, xy)
    step = np.linalg.norm(h0[None, None] - pred[:, :, None], axis=-1).sum(axis=(-1, -2))
    step = step / _motion(dt)
    v = cost.reshape(2, 2)[:, :, None] + step + label_cost * np.arange(2)  # (a, b, c)
    a = np.argmin(v, axis=0)  # (b, c)
    new = np.take_along_axis(v, a[None], axis=0)[0]
    back = 2 * a + np.arange(2)[:, None]
    return new.reshape(4), back.reshape(4)


def _first_costs(h1: np.ndarray, h0: np.ndarray, dt: float, label_cost: float) -> np.ndarray:
    """Costs ``(4,)`` of the states over a run's first two frames."""
    d = np.linalg.norm(h0[None, :] - h1[:, None], axis=-1).sum(axis=(-1, -2)) / _motion(dt)
    return (d + label_cost * (np.arange(2)[:, None] + np.arange(2))).reshape(4)


def _label_path(hyp: np.ndarray, t: np.ndarray, label_cost: float, carry: float
                ) -> np.ndarray:
    """Cheapest label path over one run of frames ``hyp`` ``(T, 2, 2, 2, 2)``."""
    n = len(hyp)
    if n < 3:
        return np.zeros(n, bool)
    cost = _first_costs(hyp[0], hyp[1], t[1] - t[0], label_cost)
    back = np.zeros((n, 4), int)
    for k in range(2, n):
        cost, back[k] = _label_step(cost, hyp[k - 2], hyp[k - 1], hyp[k], t[k] - t[k - 1],
                                    label_cost, carry)
    s = int(np.argmin(cost))
    path = np.zeros(n, bool)
    for k in range(n - 1, 1, -1):
        path[k] = bool(s & 1)
        s = back[k, s]
    path[1], path[0] = bool(s & 1), bool(s >> 1)
    return path


class LegLabels:
    """:func:`leg_label_swaps` for a live stream: one frame at a time, no look-ahead.

    ``update`` takes one frame's ``(33, 2)`` landmarks and tells whether its leg
    labels are to be swapped: the cheapest path so far decides (a live stream
    cannot wait for the frames that would confirm it). A frame without legs
    starts the path afresh, as does a step longer than :data:`LEG_MAX_STEP_S`.
    """

    def __init__(self, label_cost: float = 1.0, carry: float = 0.6) -> None:
        self.label_cost, self.carry = label_cost, carry
        self._t = 0.0
        self.reset()

    def reset(self) -> None:
        """Start the path afresh with the next frame."""
        self._hyp: list[np.ndarray] = []  # the last frames' hypotheses, up to three
        self._cost = np.zeros(4)

    def update(self, xy: np.ndarray, t: float) -> bool:
        """Whether the legs of this frame ``(33, 2)`` at time ``t`` are to be swapped."""
        trunk = float(np.linalg.norm(mid_shoulder(xy) - mid_hip(xy)))
        legs = xy[KNEE_ANKLE]
        dt, self._t = t - self._t, t
        if not (np.isfinite(legs).all() and np.isfinite(trunk) and trunk > 0):
            self.reset()
            return False
        if dt > LEG_MAX_STEP_S:
            self.reset()
        legs = legs / trunk
        self._hyp = [*self._hyp[-2:], np.stack([legs, legs[::-1]])]
        if len(self._hyp) < 2:
            return False
        if len(self._hyp) == 2:
            self._cost = _first_costs(*self._hyp, dt, self.label_cost)
        else:
            self._cost, _ = _label_step(self._cost, *self._hyp, dt, self.label_cost,
                                        self.carry)
        self._cost = self._cost - self._cost.min()
        return bool(int(np.argmin(self._cost)) & 1)


#: How far (degrees) from the picture's vertical a standing leg's thigh and shank lie at
#: rest, at most (:class:`PlantedLegs`, :func:`planted_leg_swaps`).
LEGS_UPRIGHT_DEG = 25.0


def legs_upright(pos: np.ndarray, max_deg: float) -> np.ndarray:
    """Whether both legs stand upright in the picture: ``(...)`` bool.

    ``pos`` ``(..., leg, joint, 2)``: knee and ankle from the mid-hip (picture y down);
    upright where each thigh (mid-hip to knee) and shank (knee to ankle) points down within
    ``max_deg`` of the vertical. NaN: not upright.
    """
    steep = math.tan(math.radians(max_deg))
    thigh, shank = pos[..., 0, :], pos[..., 1, :] - pos[..., 0, :]  # (..., leg, 2)
    return np.all([(v[..., 1] > 0) & (np.abs(v[..., 0]) < steep * v[..., 1])
                   for v in (thigh, shank)], axis=(0, -1))


class PlantedLegs:
    """:func:`planted_leg_swaps` for a live stream: one frame at a time, no look-ahead.

    Side-on, the pose model trades the labels of a held raised leg and the standing one
    for 0.1-0.8 s at a time, and in between draws both knees at one place between the
    legs or the standing leg part-way up towards the raised one (a 3 s held knee lift:
    26 of its 50 frames drawn so), which continuity (:class:`LegLabels`) cannot see
    through: the raised leg's hold read as up to three reps. But a raised leg comes down
    only by bringing its foot back to the floor. Until then, in a frame with a leg raised
    at least ``held`` as far from its rest place as the lift has been, that leg is the
    one that rose, and so is the leg drawn farther from rest by ``moved`` in a frame that
    draws neither leg within ``moved`` of its rest place (the standing leg stands: a lift
    past 90° side-on, the raised leg drawn part-way up on the standing leg's label and the
    standing leg off its place for 0.8 s of the hold); other frames keep the labels
    :class:`LegLabels` gave.

    ``update`` takes one frame's ``(33, 2)`` landmarks, labels already made consistent by
    :class:`LegLabels`, and tells whether to swap them. The legs' places at rest are read
    from frames with both legs upright (thigh and shank within ``upright`` degrees of the
    vertical) and nearest each other (within ``together`` trunk lengths of the least
    distance lately); before any, it leaves the labels. A lift starts when a leg leaves
    its rest place by ``moved`` (knee plus ankle, trunk lengths); the leg that rose is the
    one not standing where one leg stood at rest (:meth:`_place_mover`), or where the
    places tell nothing the one :class:`LegLabels` saw leave its rest place first (read
    from the hips, unless the picture clearly shows the other leave first: the hips may
    shift over the standing foot, :meth:`_first_in_picture`). Only once
    a foot was clearly off the floor (its ankle twice ``floor`` trunk lengths above its
    height below the hips at rest: the model's jitter lifts none) are labels swapped, and
    the lift ends when both legs are back, or when both ankles are within ``floor`` of
    that height (alternating lifts: the next leg may rise before the first is all the way
    back); the next lift is then the leg whose foot leaves the floor next. Lifts with no
    frame with both feet down between them (hopping, running high knees) would be taken
    for one: those are not done from a still, upright rest, where this starts.

    A frame that draws neither leg within ``planted`` of its rest place, nor either
    ``moved`` from it, shows no leg standing (the model drawing both legs between their
    places as it trades their labels at a lift's start): it does not end the lift under
    way. Legs that stand still (each leg's knee plus ankle within ``still`` trunk lengths
    of where it is over the last ``still_s`` seconds), upright, both feet on the floor,
    stand, wherever that is: a foot put down, or drawn, away from its rest place after a
    lift (renders beside a chair: a leg drawn 0.3-0.45 trunk lengths along the floor from
    it, still, for 1.6-2.9 s before the other leg rose) is no lift under way. Unless a
    foot has left the floor in the lift under way, that place is the legs' rest place from
    then on, and the lift, if any, is forgotten.

    Those margins are for a steady pose model. A noisy one (a webcam in dim light) moves a
    standing leg's knee and ankle, read from the hips in trunk lengths, by far more: its
    noise is read from the last ``noise_frames`` frames (:meth:`_height_noise`, from how
    the trunk's, thighs' and shanks' lengths jitter), and a leg has moved, a foot is
    clearly off the floor, only beyond four such noises too; which leg rose is told only
    when it is that much farther from rest than the other (after a lift put down: its foot
    clearly off the floor or that much higher than the other). Otherwise a noisy frame at a
    lift's start could show the standing leg leaving first, and the raised leg be given
    its label for the whole lift.
    """

    def __init__(self, together: float = 0.15, moved: float = 0.3, held: float = 2 / 3,
                 floor: float = 0.1, upright: float = LEGS_UPRIGHT_DEG, rest_frames: int = 30,
                 gap_frames: int = 300, noise_frames: int = 20, planted: float = 0.2,
                 settled: float = 0.25, told_frames: int = 3, still: float = 0.1,
                 still_s: float = 1.0) -> None:
        self.together, self.moved = together, moved
        self.still, self.still_s = still, still_s
        self._still: deque[tuple[float, np.ndarray, np.ndarray]] = deque()  # (t, pos, xy)
        self.held, self.floor, self.upright = held, floor, upright
        self.planted, self.settled, self.told_frames = planted, settled, told_frames
        self._gaps: deque[float] = deque(maxlen=gap_frames)
        self._rest: deque[np.ndarray] = deque(maxlen=rest_frames)
        self._rest_xy: deque[np.ndarray] = deque(maxlen=rest_frames)  # their landmarks
        self._stand: list[np.ndarray] = []  # the standing leg's landmarks in the lift
        self._recent: deque[np.ndarray] = deque(maxlen=noise_frames)  # for the noise
        self.noise = 0.0       # the noise of a foot's height from the hips (trunk lengths)
        self._mover: int | None = None   # the label (0 left, 1 right) of the leg that rose
        self._peak = 0.0       # how far the leg rose (knee plus ankle from rest)
        self._lifted = False   # a foot has left the floor in the lift under way
        self._down = False     # a lift was put down, the legs not yet back at rest
        self._last: np.ndarray | None = None  # the last frame's legs from rest, as labelled

    def reset(self) -> None:
        """Forget the lift under way and the last frames (the places at rest are kept)."""
        self._mover, self._down = None, False
        self._stand = []
        self._still.clear()

    def _height_noise(self, height: float, trunk: float) -> float:
        """The noise of a foot's height ``height`` trunk lengths below the hips, in trunk lengths.

        Read from the recent frames (:func:`~formcheck.filters.length_jitter`: ``s`` on each
        landmark coordinate); 0 until there are ``noise_frames`` of them. The height is the
        ankle's less the hips' midpoint's, over the trunk's length (mid-shoulder to mid-hip),
        so it carries all three's noise: ``s / trunk * sqrt(1 + h**2 / 2 + (1 + h)**2 / 2)``
        (about twice ``s / trunk`` at 1.2 trunk lengths below the hips).
        """
        if len(self._recent) < (self._recent.maxlen or 0):
            return 0.0
        s = length_jitter(np.array(self._recent), NOISE_SEGMENTS)
        if not math.isfinite(s):
            return 0.0
        return s / trunk * math.sqrt(1 + height ** 2 / 2 + (1 + height) ** 2 / 2)

    def update(self, xy: np.ndarray, t: float) -> bool:
        """Whether the legs of this frame ``(33, 2)`` at time ``t`` are to be swapped."""
        hip = mid_hip(xy)
        trunk = float(np.linalg.norm(mid_shoulder(xy) - hip))
        pos = (xy[KNEE_ANKLE] - hip) / trunk if trunk > 0 else np.full((2, 2, 2), np.nan)
        if not np.isfinite(pos).all():
            self.reset()
            return False
        self._recent.append(xy)
        if self._still and t < self._still[-1][0]:
            self._still.clear()  # a stream started afresh
        self._still.append((t, pos, xy))
        while self._still and self._still[0][0] < t - self.still_s:
            self._still.popleft()
        last, self._last = self._last, None
        gap = float(np.linalg.norm(pos[0] - pos[1], axis=-1).sum())
        self._gaps.append(gap)
        d, moved, floor = None, self.moved, self.floor
        raise_ = 2 * floor
        if self._rest:
            rest = np.median(np.array(self._rest), axis=0)  # (leg, joint, 2)
            d = from_rest(pos, rest)
            self.noise = self._height_noise(float(rest[:, 1, 1].mean()), trunk)
            # A foot seldom reads four noises above its height at rest while on the floor,
            # and a leg at rest, knee plus ankle, seldom four from its rest place (two on
            # average): clearly off the floor and moved only beyond that too.
            raise_, moved = max(2 * floor, 4.0 * self.noise), max(moved, 4.0 * self.noise)
        active = d is not None and float(d.max()) > moved
        if active and (self._mover is None or not self._lifted) \
                and self._stands(pos, rest, moved):
            # Still, upright, both feet down: where the legs stand is their rest place.
            self._rest.clear()
            self._rest_xy.clear()
            for _, p, x in self._still:
                self._rest.append(p)
                self._rest_xy.append(x)
            self._mover, self._down, self._stand = None, False, []
            return False
        if not active and self._mover is not None and d is not None \
                and float(d.min()) > max(self.planted, 4.0 * self.noise):
            self._last = last  # no leg drawn standing: the lift goes on
            return False
        if not active:
            self._mover, self._down = None, False
            closest = gap < np.percentile(self._gaps, 10) + self.together
            if closest and legs_upright(pos, self.upright):
                self._rest.append(pos)
                self._rest_xy.append(xy)
            return False
        assert d is not None
        # Both feet on the floor (ankles within ``floor`` of their height at rest)?
        grounded = bool(np.all(pos[:, 1, 1] > rest[:, 1, 1].mean() - floor))
        # ... and clearly off it: twice as high, and beyond the noise (the model's jitter
        # lifts no foot). (A lift ends at the first frame with both feet read on the
        # floor: under noise that comes as soon as the foot is down, and a margin widened
        # for it would only let a shallow lift's raised foot read as put down.)
        raised = bool(np.any(pos[:, 1, 1] < rest[:, 1, 1].mean() - raise_))
        far, hi = int(np.argmax(d)), float(d.max())
        if self._mover is not None and self._lifted and grounded:
            # The raised leg was put down: the next lift starts when a foot leaves the
            # floor (not on the way down of this one).
            self._mover, self._down = None, True
            return False
        if self._mover is None:
            if self._down and grounded:
                return False
            if self._down:  # after a lift put down: the leg whose foot left the floor,
                far = int(np.argmin(pos[:, 1, 1]))
                # told once clearly off the floor or higher than the other beyond the noise
                told = raised or float(np.ptp(pos[:, 1, 1])) > 4.0 * self.noise
            else:
                # The leg that left its rest place first, farther than the other beyond
                # the noise. (As a quick lift begins the hips may shift over the standing
                # foot and move that leg first: a knee lift leaning back, 0.33 trunk
                # lengths to the lifted one's 0.2, given to the standing leg. Waiting for
                # a clearer lead, a full move's or the other leg at rest, lost quick lifts
                # whose labels the model traded as they began, on two other renders.)
                told = hi - float(d.min()) > 4.0 * self.noise
                # Read from the hips, a standing leg moves as the hips shift over it (a
                # lift leaning back 26°, 19° behind side-on: the standing leg 0.25 trunk
                # lengths from rest to the raised one's 0.1, the lift given to it, and two
                # of three reps lost). A foot on the floor stays where it stood in the
                # picture: where the legs' own places there tell the other leg left first,
                # clearly, that one did.
                ahead = self._first_in_picture(xy) if told else None
                if ahead is not None:
                    far = ahead
            if not told:
                return False
            self._mover, self._peak, self._lifted, self._down = far, hi, raised, False
            self._last, self._stand = d, []
            self._place_mover(xy, d, gap)
            return False
        self._place_mover(xy, d, gap)
        before, self._peak = self._peak, max(self._peak, hi)
        self._lifted |= raised
        # Once a foot was clearly off the floor, a leg raised about as high as the lift
        # was held is the leg that rose.
        swap = self._lifted and hi >= self.held * self._peak and far != self._mover
        lo = float(d.min())
        if not swap and self._lifted and far != self._mover:
            # Neither leg drawn where it stood at rest: the standing leg stands, so the one
            # drawn clearly farther from rest is the raised one.
            swap = lo > moved and hi - lo > moved
        if not swap and far != self._mover and last is not None:
            # Before that (a knee lift's foot swings back under the body and leaves the
            # floor late): the legs' places exchanged from one frame to the next, the
            # raised leg back nearer where the standing one was than where it was itself
            # as the standing one reaches its height, is a trade (a knee lift leaning
            # back: the raised leg drawn 0.34 trunk lengths from rest, 1.14 the frame
            # before, the standing one 0.94 from 0.17; across frames that draw both legs
            # nearer each other than either is to its rest, which show neither leg where
            # it is). From the lift's first steps (the raised leg ``moved`` from rest: a
            # knee lift 23° off side-on traded 0.42 along, its foot still down).
            m, up = self._mover, self.held * before
            swap = bool(last[m] >= max(up, moved) and 2 * d[m] < last[m] + last[1 - m]
                        and last[1 - m] < up <= hi)
        self._last = d[::-1] if swap else d if gap >= lo else last
        return swap

    def _first_in_picture(self, xy: np.ndarray) -> int | None:
        """The leg farther from rest in the picture, where it leads the other by four noises.

        Knee plus ankle from the nearer leg's rest place in the picture, over the trunk's
        length at rest; None where neither leads so, or before the legs were seen at rest.
        """
        if not self._rest_xy:
            return None
        rest_xy = np.array(self._rest_xy)
        trunk = _trunk_scale(rest_xy)
        if trunk is None:
            return None
        rest = np.median(rest_xy[:, KNEE_ANKLE], axis=0) / trunk  # (leg, joint, 2)
        d = from_rest(xy[KNEE_ANKLE] / trunk, rest)
        if not np.isfinite(d).all() or float(np.ptp(d)) <= 4.0 * self.noise:
            return None
        return int(np.argmax(d))

    def _stands(self, pos: np.ndarray, rest: np.ndarray, moved: float) -> bool:
        """Whether the legs ``pos`` ``(leg, joint, 2)`` stand still, upright, feet down.

        Over the last ``still_s`` (the frames kept, spanning at least nine tenths of it),
        each leg's knee plus ankle within ``still`` (or a third of ``moved``, which the
        noise widens) of where it is now; both ankles within ``floor`` of their height at
        rest, ``rest`` ``(leg, joint, 2)``.
        """
        if len(self._still) < 3 or self._still[-1][0] - self._still[0][0] < 0.9 * self.still_s:
            return False
        past = np.array([p for _, p, _ in self._still])
        shift = np.linalg.norm(past - pos, axis=-1).sum(axis=-1).max()
        return bool(shift < max(self.still, moved / 3)
                    and np.all(pos[:, 1, 1] > rest[:, 1, 1].mean() - self.floor)
                    and legs_upright(pos, self.upright))

    def _place_mover(self, xy: np.ndarray, d: np.ndarray, gap: float) -> None:
        """Tell the lift's leg by where the standing one stands, as the recorded path does.

        The model may label a lift's raised leg as the standing one from its first frames
        (a held knee lift, 20° behind side-on from below: the whole lift given to the
        standing leg). A foot on the floor stays where it stood at rest: the standing leg,
        in the frames that draw it standing (within ``planted`` of its rest place, or
        ``settled`` of the raised leg's distance, and not drawn nearer the raised leg than
        that), stands where one label's leg stood in the last frames at rest
        (:func:`standing_leg`, read over the lift's first ``told_frames`` such frames); the
        other is the one that rose. Where the places tell nothing: the leg that left its
        rest place first. (Not with :func:`planted_leg_swaps`' stricter ``overrule``
        against that leg's label: one frame's lead is no label the model kept all lift;
        a render 20° behind side-on lost its third lift so.)
        """
        lo, hi = float(d.min()), float(d.max())
        if len(self._stand) >= self.told_frames or gap < lo \
                or not (lo < self.planted or lo < self.settled * hi):
            return
        self._stand.append(xy[np.r_[LEG_POINTS[int(np.argmin(d))], L.LEFT_HIP, L.RIGHT_HIP]])
        stand, rest = np.array(self._stand), np.array(self._rest_xy)
        trunk = _trunk_scale(rest) if len(rest) else None
        stood = None if trunk is None else standing_leg(
            stand[:, :4], stand[:, 4:].mean(axis=1), rest, trunk)
        if stood is not None:
            self._mover = 1 - stood


#: Knee, ankle, heel and toe of each leg, ``(leg, point)``: where a planted leg stands.
LEG_POINTS = np.array([[L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX],
                       [L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX]])


def from_rest(pos: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """``(..., leg)``: how far each leg of ``pos`` ``(..., leg, joint, 2)`` is from rest.

    Its knee plus ankle from the nearer of the two legs' rest places ``rest``
    ``(leg, joint, 2)`` (the nearer one: the model may trade the legs' labels).
    """
    return np.minimum(*(np.linalg.norm(pos - r, axis=-1).sum(axis=-1) for r in rest))


def legs_out(xy: np.ndarray, trunk: float) -> np.ndarray:
    """How far ``(T,)`` the farther-out leg's knee and ankle lie off its hip's trunk line.

    In the picture (``xy`` ``(T, 33, 2)``, ``trunk`` its trunk length), across the
    trunk's axis through each hip, in trunk lengths, summed over the knee and ankle:
    near 0 for a straight leg in line with the trunk (standing, or lying) however the
    camera turns; a leg raised or bent in any direction the camera does not look along
    moves them out.
    """
    axis = trunk_axis(xy)
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)  # (T, 2)
    rel = xy[:, KNEE_ANKLE] - xy[:, [L.LEFT_HIP, L.RIGHT_HIP]][:, :, None]  # (T, leg, joint, 2)
    out = np.abs(_cross(axis[:, None, None], rel)).sum(axis=-1) / trunk
    return out.max(axis=1)  # NaN: a leg unseen


#: A split stance's feet are at least this far apart (trunk lengths) to be remembered
#: (:class:`SplitStance`) ...
STANCE_APART = 0.5
#: ... after standing within this of their mean place for :data:`STANCE_STILL_S` ...
STANCE_STILL = 0.1
STANCE_STILL_S = 0.5
#: ... and are forgotten after this long without a frame drawing them apart either way
#: round (the feet moved).
STANCE_FORGET_S = 0.5


def _feet_spacing(xy: np.ndarray, trunk: float) -> np.ndarray:
    """The left ankle from the right in ``xy`` ``(..., 33, 2)``, in ``trunk`` lengths."""
    return (xy[..., L.LEFT_ANKLE, :] - xy[..., L.RIGHT_ANKLE, :]) / trunk


class SplitStance:
    """Leg labels through a held split stance, one frame at a time, no look-ahead.

    Side-on, a stance held with one foot stepped back and both feet on the floor (the
    hip-extension stretch) the pose model trades the legs' labels for 0.1-0.6 s at a time,
    and draws the frame or two between with both legs between their places, which
    continuity (:class:`LegLabels`) follows: the held stretch read as the leg come forward,
    and one hold counted as two or three reps (renders side-on; the recorded path, which
    sees the frames after, labels them right). Planted feet keep their places relative to
    each other, wherever the hips and the camera go: the vector from the right ankle to
    the left one stays put. Once it has stood within ``still`` trunk lengths of its mean
    for ``still_s`` seconds, at least ``apart`` long, a frame drawing it turned round
    (more than half its length the other way along it) is the labels traded. It is
    forgotten after ``forget_s`` without a frame drawing it more than half its length
    along it either way (the feet brought together, or moved), or as long without the
    ankles drawn. ``update`` takes one
    frame's ``(33, 2)`` landmarks, labels already made consistent by :class:`LegLabels`,
    and tells whether to swap them.
    """

    def __init__(self, apart: float = STANCE_APART, still: float = STANCE_STILL,
                 still_s: float = STANCE_STILL_S, forget_s: float = STANCE_FORGET_S) -> None:
        self.apart, self.still, self.still_s, self.forget_s = apart, still, still_s, forget_s
        self.reset()

    def reset(self) -> None:
        """Forget the stance and the frames seen."""
        self._recent: deque[tuple[float, np.ndarray]] = deque()
        self.stance: np.ndarray | None = None  # left ankle from the right (trunk lengths)
        self._seen_t = math.nan  # the last frame that drew the stance, either way round

    def update(self, xy: np.ndarray, t: float) -> bool:
        """Whether the legs of this frame ``(33, 2)`` at time ``t`` are to be swapped."""
        trunk = _trunk_scale(xy[None])
        if not trunk:
            return False
        v = _feet_spacing(xy, trunk)
        if not np.isfinite(v).all():
            return False
        if self._recent and not 0 <= t - self._recent[-1][0] <= self.forget_s:
            self.reset()  # a stream started afresh, or the feet unseen for a while
        swap = False
        if self.stance is not None:
            along = float(v @ self.stance) / float(self.stance @ self.stance)
            if abs(along) > 0.5:
                self._seen_t = t
                swap = along < 0
            elif t - self._seen_t > self.forget_s:
                self.stance = None
        self._recent.append((t, -v if swap else v))
        while self._recent[0][0] < t - self.still_s - 1e-6:
            self._recent.popleft()
        if self._recent[0][0] <= t - self.still_s + 0.1:
            vs = np.array([x for _, x in self._recent])
            mean = vs.mean(axis=0)
            if float(np.linalg.norm(mean)) >= self.apart \
                    and float(np.linalg.norm(vs - mean, axis=1).max()) <= self.still:
                self.stance, self._seen_t = mean, t
        return swap


#: A held split stance is read over this long about a frame (s) (:func:`stance_misdrawn`,
#: :class:`StanceMisdrawn`) ...
STANCE_WINDOW_S = 1.0
#: ... from the frames drawing the feet :data:`STANCE_APART` apart, at least this share
#: of the frames seen ...
STANCE_SHARE = 1 / 3
#: ... a frame drawing the feet's spacing along it at this share of its length or more
#: draws the stance, ...
STANCE_DRAWN = 0.75
#: ... and one under this share draws the feet between their places.
STANCE_BETWEEN = 0.5


def stance_drawn(window: np.ndarray, v: np.ndarray, apart: float = STANCE_APART,
                 share: float = STANCE_SHARE) -> float:
    """How much of a held split stance a frame draws: its feet's spacing along the stance.

    ``window`` ``(N, 2)``: the feet's spacing (left ankle from the right, trunk lengths)
    in the frames about it, NaN where not drawn; ``v`` ``(2,)``: the frame's. The stance
    is the axis and the median length of the spacings at least ``apart`` long, either label
    order, where those are at least ``share`` of the frames seen; NaN without one.
    """
    seen = window[np.isfinite(window).all(axis=1)]
    wide = seen[np.linalg.norm(seen, axis=1) >= apart]
    if len(wide) < 2 or len(wide) < share * len(seen) or not np.isfinite(v).all():
        return float("nan")
    _, vecs = np.linalg.eigh(wide.T @ wide)
    axis = vecs[:, -1]  # the spacing's axis, either way round
    length = float(np.median(np.abs(wide @ axis)))
    return abs(float(v @ axis)) / length if length > 0 else float("nan")


def stance_misdrawn(xy: np.ndarray, t: np.ndarray, window_s: float = STANCE_WINDOW_S,
                    drawn: float = STANCE_DRAWN, between: float = STANCE_BETWEEN,
                    max_s: float = 1.0) -> np.ndarray:
    """Frames of a held split stance drawn with the feet between their places, ``(T,)`` bool.

    Obliquely from behind, a stance held with one leg stretched back and the trunk leaning
    forward the pose model draws for 0.1-0.5 s at a time with both legs between the
    feet (the feet 0.9 trunk lengths apart, then 0.1-0.5, then 0.9 again; a render 35°
    behind side-on: one 8 s hold read as nine reps). Each leg's thigh turns the other way
    (:class:`SnappedLegs` sees no snap), but planted feet do not move. The frames of a
    run drawing under ``drawn`` of the stance about them (:func:`stance_drawn`, over
    ``window_s`` either side), one of them under ``between``, are misdrawn when the frames
    either side of the run draw the stance again within ``max_s``: the feet came together
    and went apart again no faster than that in a real movement (and a foot coming back
    out of the stance, its spacing wavering about ``drawn`` with the model's noise, does
    not go under ``between`` and back). ``xy`` ``(T, 33, 2)``, ``t`` ``(T,)``;
    :class:`StanceMisdrawn` live.
    """
    n = len(t)
    out = np.zeros(n, bool)
    trunk = _trunk_scale(xy)
    if trunk is None or n < 3:
        return out
    v = _feet_spacing(xy, trunk)  # (T, 2)
    seen = np.isfinite(v).all(axis=1)
    share = np.full(n, np.nan)
    lo = hi = 0
    for i in np.flatnonzero(seen):
        while t[lo] < t[i] - window_s:
            lo += 1
        while hi < n and t[hi] <= t[i] + window_s:
            hi += 1
        share[i] = stance_drawn(v[lo:hi], v[i])
    on = share >= drawn
    for a, b in runs(~on):  # between frames drawing the stance (or the recording's ends)
        if 0 < a and b < n and t[b] - t[a - 1] <= max_s and np.any(share[a:b] < between):
            out[a:b] = share[a:b] < drawn
    return out


class StanceMisdrawn:
    """:func:`stance_misdrawn` for a live stream: one frame at a time, no look-ahead.

    The stance is read over the last ``window_s``; a frame drawing under ``drawn`` of it
    is misdrawn up to ``max_s`` after the last frame that drew it, once a frame since
    drew under ``between`` of it (without the frames after, a real step out of the stance
    loses its legs that long).
    ``update`` takes one frame's ``(33, 2)`` landmarks.
    """

    def __init__(self, window_s: float = STANCE_WINDOW_S, drawn: float = STANCE_DRAWN,
                 between: float = STANCE_BETWEEN, max_s: float = 1.0) -> None:
        self.window_s, self.drawn, self.between, self.max_s = window_s, drawn, between, max_s
        self.reset()

    def reset(self) -> None:
        """Forget the frames seen."""
        self._recent: deque[tuple[float, np.ndarray]] = deque()
        self._drawn_t = math.nan  # the last frame that drew the stance
        self._dipped = False      # a frame since drew the feet between

    def update(self, xy: np.ndarray, t: float) -> bool:
        """Whether the frame at ``t`` draws a held split stance with the feet between."""
        trunk = _trunk_scale(xy[None])
        v = _feet_spacing(xy, trunk) if trunk else np.full(2, np.nan)
        if not np.isfinite(v).all():
            return False
        self._recent.append((t, v))
        while self._recent[0][0] < t - self.window_s - 1e-6:
            self._recent.popleft()
        share = stance_drawn(np.array([x for _, x in self._recent]), v)
        if share >= self.drawn:
            self._drawn_t, self._dipped = t, False
            return False
        self._dipped |= bool(share < self.between)
        return bool(share < self.drawn and self._dipped and t - self._drawn_t <= self.max_s)


def planted_leg_swaps(xy: np.ndarray, t: np.ndarray, together: float = 0.15, moved: float = 0.3,
                      planted: float = 0.2, rest_s: float = 3.0, known: float = 0.5,
                      apart: float = 0.1, share: float = 0.6, settled: float = 0.25,
                      foot_still: float = 0.1, hips_shown: float = 0.03,
                      unsure: float = 1 / 3, hung: float = 0.3, telling: float = 1 / 3,
                      max_gap_s: float = math.inf, operated: int | None = None,
                      upright: float = 0.0, overrule: float = 0.8,
                      leaving_s: float = 0.3, leaving_unsure: float = 0.25) -> np.ndarray:
    """Swaps ``(T,)`` that keep one leg's identity through each one-legged movement.

    In an exercise where one leg moves while the other stays planted, the pose
    model seen from the side may hand the moving leg's label to the planted one
    and back, smoothly, mid-movement (no jump for continuity to see), or for the
    whole movement. The pair of positions is right; only the names trade. So each
    bout (both legs away from and back to the rest pose, where the legs are closest)
    in which one leg stays near rest (within ``planted`` trunk lengths, knee plus
    ankle, or within ``settled`` of the other leg's distance: with the trunk leaning
    back the hips move forward over the feet, and a standing leg reads 0.2-0.45 from
    its rest beside a raised one at 2-2.6) in at least ``share`` of its frames and the
    other moves beyond ``moved`` is given one identity. Exactly side-on the model also
    draws both knees between the legs now and then during a hold (a third of a held
    lift's frames, on one render; on another, 14 of a 5 s lift's 50 frames, and 12 more
    with the standing leg drawn part-way to the raised one): a frame whose legs are drawn
    nearer each other than either is to its rest place cannot show a planted leg either
    way, and the share is taken over the frames that can (at least ``telling`` of the
    bout's: a lift held 3 s, 26° off side-on, the model drew both knees between the legs
    in 21 of its 41 frames; its other 20 told the standing leg plainly).
    A bout whose standing leg does not stay near its rest place from the hips may still
    show it in the picture: a foot on the floor stays where it stood whatever the pelvis
    and the model's knee do (renders: a knee lift held 17° off side-on, the model drew the
    standing knee part-way up towards the raised one for seconds, its foot where it stood;
    a leg stepped back and held, the hips move forward over the standing foot and its knee
    reads 0.45 trunk lengths from rest beside the moving leg's 0.6; the standing foot's
    points lay a median 0.04-0.08 from their rest places, the moving foot's 0.6). So a bout
    also counts when, in ``share`` of the frames that can show it, one foot (ankle, heel
    and toe) lies within ``foot_still`` trunk lengths (mean over those points) of where a
    foot stood in the picture at rest around the bout (or within ``settled`` of the other
    foot's distance); the moving leg is then the one whose foot moved. A handheld camera
    moves both feet in the picture: such bouts are left as before.

    Which leg moved is told by the one that did not: the planted leg stands where
    it stood before and after the bout (:func:`planted_leg`; where it stands is read in
    the frames that draw it standing, not those that draw it drawn towards the raised
    one), and the legs standing
    side by side at rest are labelled the way the model sees them there (the far leg
    partly hidden behind the near one), a pose it does not confuse as it may a raised
    leg seen exactly side-on; the rest pose is read where both legs hang in line with the
    trunk (:func:`legs_out`; unless they never do within ``hung`` trunk lengths, as in
    high knees run in place, whose quick lifts then run into one bout) and lie closest
    together; standing (``upright`` > 0), legs that do hang also with thighs and shanks
    within ``upright`` degrees of the picture's vertical where any frames show them so.
    Side-on, the hips covering each other, feet side by side lie apart in the picture
    only by depth (the far one higher, nearer the horizon) and across only as the model
    drew them (a chair's posts behind
    the legs: the far ankle drawn 0.1 trunk lengths back, and the stretch given to the
    other leg), so only their places along the trunk are compared (:func:`rest_order`).
    Where the legs' resting places cannot be told apart, lie against the order of the hips
    (seen ``hips_shown`` trunk lengths apart or more: the legs drawn mirrored), or the
    planted leg stands nearer the other's in the picture but not below the hips (the
    picture moved: a handheld camera), the moving leg keeps the label it carried in
    most of the bout's frames; where the labels split, the moving leg carrying one in
    between ``leaving_unsure`` and 1 − ``leaving_unsure`` of them, it is the label the
    model gave the moving leg in every frame of its first ``leaving_s`` as it left rest
    (as the live tracker keeps it: renders, 22 sets, 10 such bouts between a third and
    two thirds: right in all 10, among them a heel slide made with the other leg 21° off
    side-on, 37 % of whose frames named it; the operated leg would have been right in 9.
    Side-on the model names a leg rightly as it leaves rest, where the legs stand apart,
    and may trade the labels for most of a slow lift: knee lifts held 3 s whose raised
    leg was named the other in 68-70 % of the frames, given to the standing leg; from a
    third down to a quarter, 11 sets' 204 bouts the resting places do not tell: those
    two mended, none changed otherwise); where it left rest under both labels, between
    ``unsure`` and 1 − ``unsure``, the ``operated`` leg's label (0
    left, 1 right: nothing tells otherwise, and the patient was asked to move that leg),
    or where that is not given the leg that moved in the nearest bout whose resting places
    told it (a set is done with one leg; a knee lift held 3 s, filmed 16° off side-on, the
    model trading the labels every second: 57 % of its frames gave the lift to the
    standing leg; but a lift made with the other leg mid-set may be the nearest, its
    resting places telling it while those of the operated leg's lift beside it did
    not). Against the label the model gave the moving leg in all but ``unsure`` of the
    bout's frames, the resting places decide only where the standing leg stands nearer one
    of them by ``overrule`` of their distance, not ``known`` (renders: where they rightly
    overruled it, 0.91-1.0; a knee lift 32° off side-on from below, the feet 0.22 trunk
    lengths apart at rest, the standing leg drawn 0.55-0.66 nearer where the raised one
    stood, its lifts given to the standing leg: the model had labelled them right), unless
    the model named the moving leg as the places do as it left rest (its first
    ``leaving_s``): two cues then agree against the rest of the bout (renders, 24 sets: 12
    such overrules, all right, one of them a knee lift with the trunk leaning back, side-on,
    told by 0.79; the 4 wrong overrules, 0.55-0.66, all had the model's label leaving
    rest). Bouts where
    both legs move (marching, high knees) keep their labels. A bout runs on through
    frames where nobody was found only up to ``max_gap_s`` (from the last frame seen to
    the next): in a longer run the legs may have come back to rest unseen, and the next
    leg's lift is its own bout (one alternating lift after another, the rest between them
    unseen, read as one bout gave the second leg's lift to the first). ``xy`` is
    ``(T, 33, 2)`` at times ``t`` ``(T,)``; ``rest_s``, ``known`` and ``apart``: see
    :func:`planted_leg`.
    """
    n = len(xy)
    out = np.zeros(n, bool)
    if n == 0:
        return out
    hip = mid_hip(xy)
    trunk = _trunk_scale(xy)
    if trunk is None:
        return out
    pos = (xy[:, KNEE_ANKLE] - hip[:, None, None, :]) / trunk  # (T, leg, joint, 2)
    gap = np.linalg.norm(pos[:, 0] - pos[:, 1], axis=-1).sum(axis=-1)
    hang = legs_out(xy, trunk)
    if not (np.isfinite(gap).any() and np.isfinite(hang).any()):
        return out
    # At rest both legs hang below their hips and lie closest together; filmed from in
    # front of side-on a small lift brings the raised leg across the standing one in
    # the picture, nearer it than at rest, but not below its hip.
    least = np.nanpercentile(hang, 10)
    # (Legs that never hang in line, running in place, are at rest where closest.)
    hanging = hang < least + together if least < hung else np.isfinite(hang)
    if upright > 0 and least < hung:
        # Standing, at rest both legs stand upright in the picture, whatever the trunk
        # does: a trunk leaning back lies in line with legs the model draws both half-way
        # up mid-lift (a knee lift 23° off side-on, leaning back 21°: those frames were
        # taken for the rest, and its lifts cut in eight).
        up = legs_upright(pos, upright)
        if (hanging & up).sum() >= 3:
            hanging &= up
    rest_frames = hanging & (gap < np.nanpercentile(gap[hanging], 10) + together)
    if rest_frames.sum() < 3:
        return out
    rest = np.nanmedian(pos[rest_frames], axis=0)  # (leg, joint, 2)
    d = from_rest(pos, rest)  # (T, leg)
    ok = np.isfinite(d).all(axis=1)
    active = ok & (d.max(axis=1, initial=0.0, where=ok[:, None]) > moved)
    feet = xy[:, LEG_POINTS[:, 1:]] / trunk  # ankle, heel, toe: a foot on the floor stays put
    # frames, mover, the leg the places told, the label the mover left rest with
    bouts: list[tuple[np.ndarray, np.ndarray, int | None, int | None]] = []
    i = 0
    while i < n:
        if not active[i]:
            i += 1
            continue
        j = i
        while j < n and (active[j] or not ok[j]):
            if not ok[j]:
                k = j + int(np.argmax(ok[j:])) if ok[j:].any() else n
                if k == n or t[k] - t[j - 1] > max_gap_s:
                    break  # unseen too long to be one movement
                j = k
                continue
            j += 1
        bout = np.arange(i, j)[ok[i:j]]
        near = rest_frames & ~active & (((t >= t[i] - rest_s) & (t < t[i]))
                                        | ((t > t[j - 1]) & (t <= t[j - 1] + rest_s)))
        lo, hi = d[bout].min(axis=1), d[bout].max(axis=1)
        stands = (lo < planted) | (lo < settled * hi)
        # Legs drawn nearer each other than either is to its rest place show no planted
        # leg either way: both knees drawn between the legs, or legs crossing mid-way.
        shows = gap[bout] >= lo
        enough = shows.sum() >= telling * bout.size > 0  # frames that can show a planted leg
        moved_by = d[bout]
        if enough and np.mean(stands[shows]) < share and foot_still > 0 and near.sum() >= 3:
            # The feet in the picture: one stays where a foot stood at rest.
            still = np.nanmedian(feet[near], axis=0)  # (leg, point, 2)
            moved_by = np.minimum(*(np.linalg.norm(feet[bout] - r, axis=-1).mean(axis=-1)
                                    for r in still))  # (n, leg)
            lo, hi = moved_by.min(axis=1), moved_by.max(axis=1)
            stands = np.isfinite(lo) & ((lo < foot_still) | (lo < settled * hi))
        if enough and np.mean(stands[shows]) >= share:
            mover = np.argmax(moved_by, axis=1)  # 0 = left label, 1 = right label
            # Where it stands: read in the frames that draw it standing.
            seen = stands & shows
            k, leg = bout[seen], 1 - mover[seen]
            at, around = xy[k[:, None], LEG_POINTS[leg]], xy[near]
            stood = standing_leg(at, hip[k], around, trunk, known, apart, hips_shown)
            labelled = float(np.mean(mover))
            left_rest = _leaving_label(mover, t[bout], leaving_s)
            if stood is not None and not unsure < labelled < 1 - unsure \
                    and 1 - stood != round(labelled) and left_rest != 1 - stood:
                # Against the label the model gave the moving leg throughout (and as it
                # left rest): only where the standing leg stands plainly where the other
                # stood.
                stood = standing_leg(at, hip[k], around, trunk, overrule, apart, hips_shown)
            bouts.append((bout, mover, None if stood is None else 1 - stood, left_rest))
        i = j
    told = [(float(np.mean(t[b])), m) for b, _, m, _ in bouts if m is not None]
    for bout, mover, major, left_rest in bouts:
        if major is None:
            labelled = float(np.mean(mover))
            major = int(labelled > 0.5)
            split = unsure < labelled < 1 - unsure
            if left_rest is not None and leaving_unsure < labelled < 1 - leaving_unsure:
                major = left_rest
            elif split and operated is not None:
                major = operated
            elif split and told:
                mid = float(np.mean(t[bout]))
                major = min(told, key=lambda c: abs(c[0] - mid))[1]
        out[bout] = mover != major
    return out


def _leaving_label(mover: np.ndarray, t: np.ndarray, leaving_s: float) -> int | None:
    """The label (0 left, 1 right) a bout's moving leg carried as it left rest, or None.

    ``mover`` and ``t``: the bout's frames; the label is the one in every frame of its first
    ``leaving_s``, None where those frames differ.
    """
    first = mover[t < t[0] + leaving_s]
    return int(first[0]) if len(first) and (first == first[0]).all() else None


def standing_leg(at: np.ndarray, hips: np.ndarray, rest: np.ndarray, trunk: float,
                 known: float = 0.5, apart: float = 0.1, hips_shown: float = 0.03
                 ) -> int | None:
    """Which leg label (0 left, 1 right) stood at rest where a standing leg stands, or None.

    ``at`` ``(n, point, 2)``: the standing leg's :data:`LEG_POINTS` in the picture over
    frames whose mid-hips are ``hips`` ``(n, 2)``; ``rest`` ``(m, 33, 2)``: landmarks at
    rest around them; ``trunk``: the trunk's length. Side-on (:func:`rest_order` 0), feet
    side by side lie apart in the picture only by depth (the far one higher, nearer the
    horizon), across only as the model drew them: only places along the trunk are
    compared. Legs at rest drawn against the order of the hips tell nothing, nor does a
    leg that stands where the other stood below the hips (the picture moved: a handheld
    camera, not the foot). ``known``, ``apart``: see :func:`planted_leg`.
    """
    order, down = rest_order(rest, hips_shown)
    if order < 0:
        return None
    places = rest[:, LEG_POINTS] / trunk  # (m, leg, point, 2)
    where = at / trunk
    if order == 0:
        where, places = ((p @ down)[..., None] * down for p in (where, places))
    stood = planted_leg(where, places, known, apart)
    if stood is not None and planted_leg(
            (at - hips[:, None]) / trunk,
            (rest[:, LEG_POINTS] - mid_hip(rest)[:, None, None]) / trunk,
            known, apart) not in (None, stood):
        return None  # below the hips it stands where the other leg stood
    return stood


def rest_order(xy: np.ndarray, shown: float = 0.03) -> tuple[int, np.ndarray]:
    """How the legs of ``xy`` ``(n, 33, 2)`` at rest lie across the trunk, and its axis.

    Returns ``(order, down)``: ``order`` 1 where the hips lie at least ``shown`` trunk
    lengths apart across the trunk in the picture (medians over the frames) and the left
    leg's knee, ankle, heel and toe on the left hip's side of the right leg's, -1 where
    on the other side (the legs drawn mirrored), 0 where the hips cover each other
    (side-on: the legs' places across differ only by how the model drew them); ``down``
    the trunk's unit axis (shoulders to hips), NaN where unknown (``order`` -1).
    """
    axis = np.nanmedian(trunk_axis(xy), axis=0) if len(xy) else np.full(2, np.nan)
    length = float(np.linalg.norm(axis))
    if not (np.isfinite(length) and length > 0):
        return -1, np.full(2, np.nan)
    down = axis / length
    across = np.array([-down[1], down[0]]) / length
    hips = float(np.nanmedian((xy[:, L.LEFT_HIP] - xy[:, L.RIGHT_HIP]) @ across))
    if abs(hips) < shown:
        return 0, down
    legs = float(np.nanmedian((xy[:, LEG_POINTS[0]] - xy[:, LEG_POINTS[1]]) @ across))
    return (1 if hips * legs > 0 else -1), down


def planted_leg(stand: np.ndarray, rest: np.ndarray, known: float = 0.5,
                apart: float = 0.1) -> int | None:
    """Which leg label (0 left, 1 right) stood at rest where the planted leg stands.

    ``stand`` ``(n, point, 2)``: the planted leg's knee, ankle, heel and toe over a
    movement (:data:`LEG_POINTS`, in trunk lengths, in the picture: a foot on the
    floor stays put whatever the pelvis does); ``rest`` ``(m, leg, point, 2)`` both
    legs' at rest around it. None when the legs' resting places lie less than
    ``apart`` apart (summed over the points: the legs cover each other), when fewer
    than 3 rest frames show them, when the planted leg is not nearer one of them
    by ``known`` of that distance, or farther from the nearer than that distance (it
    does not stand where either stood: the person or the camera moved).

    >>> leg = np.array([[0.0, 1.0], [0.0, 2.0], [-0.1, 2.1], [0.2, 2.1]])
    >>> rest = np.stack([leg + [0.1, 0.0], leg])[None].repeat(3, axis=0)
    >>> planted_leg(leg[None], rest)
    1
    """
    if len(rest) < 3 or len(stand) == 0:
        return None
    places = np.nanmedian(rest, axis=0)  # (leg, point, 2)
    at = np.nanmedian(stand, axis=0)  # (point, 2)
    sep = float(np.linalg.norm(places[0] - places[1], axis=-1).sum())
    d0, d1 = (float(np.linalg.norm(at - p, axis=-1).sum()) for p in places)
    if not (np.isfinite(sep) and np.isfinite(d0) and np.isfinite(d1)) or sep < apart \
            or abs(d0 - d1) < known * sep or min(d0, d1) > sep:
        return None
    return 0 if d0 < d1 else 1


def swap_leg_labels(arr: np.ndarray, swaps: np.ndarray) -> np.ndarray:
    """``arr`` ``(T, 33, ...)`` with left and right leg landmarks exchanged where ``swaps``."""
    out = arr.copy()
    for left, right in LEG_PAIRS:
        out[swaps, left], out[swaps, right] = arr[swaps, right], arr[swaps, left]
    return out


SNAP_DEG = 20.0
"""How far (°) both thighs turn towards the vertical in a frame drawn snapped
(:class:`SnappedLegs`)."""
SNAP_FEET = 0.2
"""... and how far both feet jump then, beyond the hips' own move (trunk lengths)."""
SNAP_WINDOW_S = 0.1
SNAP_MAX_S = 1.0
"""The longest the pose model draws a stance snapped together before drawing it again (s)."""

#: Landmarks of the legs below the hips, dropped where a frame drew them snapped together.
LOWER_LEGS = np.array([int(L[f"{s}_{n}"]) for s in ("LEFT", "RIGHT")
                       for n in ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX")])


def thigh_tilts_deg(xy: np.ndarray) -> np.ndarray:
    """Each thigh's tilt (hip to knee) from the picture's downward vertical, ``(..., 2)``.

    Unsigned, 0-180°, left leg first (:func:`thigh_elevation_deg` as drawn, either way
    forward); NaN where a landmark is.
    """
    return np.abs(np.stack([thigh_elevation_deg(xy, s, 1.0) for s in SIDES], axis=-1))


def feet_jump(xy: np.ndarray, before: np.ndarray) -> float:
    """How far the foot (ankle) that moved less went from ``before``, beyond the hips' move.

    ``xy``, ``before``: one frame's ``(33, 2)`` landmarks each; in trunk lengths (of
    ``before``), whichever labels the model gave the feet in either frame.
    """
    feet = [L.LEFT_ANKLE, L.RIGHT_ANKLE]
    now, then = xy[feet], before[feet]
    kept = np.linalg.norm(now - then, axis=-1)
    traded = np.linalg.norm(now - then[::-1], axis=-1)
    moved = kept if kept.sum() <= traded.sum() else traded
    hips = float(np.linalg.norm(mid_hip(xy) - mid_hip(before)))
    trunk = float(np.linalg.norm(mid_shoulder(before) - mid_hip(before)))
    return (float(moved.min()) - hips) / trunk


class SnappedLegs:
    """Frames in which the pose model drew a standing body's legs snapped together, one at a time.

    Side-on, a held split stance (a leg stretched back, the other forward) the model draws
    for 1-8 frames (0.1-0.8 s) at a time with both legs swung in under the hips within a
    frame, and back again (a render 12° off side-on, the trunk leaning forward 24° over a
    bent front leg: nine times in an 8 s hold, which read as five reps). A standing body
    keeps a foot on the floor: a frame in which both thighs turned ``jump_deg`` towards
    the vertical and both feet moved ``feet`` trunk lengths more than the hips did, from
    a frame at most ``window_s`` earlier, is drawn snapped. (Either alone is a real
    movement: a quick sit-to-stand turns both thighs 21° in 0.1 s on planted feet, running
    in place moves both feet 0.36 trunk lengths. Both at once: only that render, of 585
    standing clips in 13 render sets, and none of the real clips.) The snap lasts until
    both thighs are back within half ``jump_deg`` of where they were, or ``max_s`` has
    passed (then it was no snap: :attr:`timed_out`). ``update`` takes one frame's
    ``(33, 2)`` landmarks (NaN thighs: the state stands) and tells whether that frame is
    drawn snapped.
    """

    def __init__(self, jump_deg: float = SNAP_DEG, feet: float = SNAP_FEET,
                 window_s: float = SNAP_WINDOW_S, max_s: float = SNAP_MAX_S) -> None:
        self.jump_deg, self.feet, self.window_s, self.max_s = jump_deg, feet, window_s, max_s
        self.reset()

    def reset(self) -> None:
        """Forget the frames seen (a new stream, or the picture turned)."""
        self._recent: deque[tuple[float, np.ndarray, np.ndarray]] = deque()
        self.since_t = math.nan  # time of the last frame drawn before the snap
        self._before: np.ndarray | None = None
        self.timed_out = False

    def update(self, xy: np.ndarray, t: float) -> bool:
        """Whether the frame at ``t`` is drawn with the legs snapped together."""
        tilt = thigh_tilts_deg(xy)
        if not np.isfinite(tilt).all():
            return self._before is not None
        if self._before is not None:
            if np.all(np.abs(tilt - self._before) < self.jump_deg / 2):
                self._before = None
            elif t - self.since_t > self.max_s:
                self._before, self.timed_out = None, True
            else:
                return True
            self._recent.clear()
        while self._recent and self._recent[0][0] < t - self.window_s - 1e-6:
            self._recent.popleft()
        for t0, before, pose in self._recent:
            if np.all(before - tilt >= self.jump_deg) and feet_jump(xy, pose) >= self.feet:
                self._before, self.since_t, self.timed_out = before, t0, False
                return True
        self._recent.append((t, tilt, xy))
        return False


KNEES_DROP = 1 / 3
"""Knees drawn nearer each other than this share of their distance in the frame before
are drawn at one place (:class:`KneesDrawnTogether`) ..."""
KNEES_APART = 0.25
"""... when that frame drew them at least this far apart (trunk lengths)."""
KNEES_TOGETHER_MAX_S = 0.25


class KneesDrawnTogether:
    """Frames in which the pose model drew a lying body's two knees at one place, one at a time.

    A lying leg bends and straightens over a second or more, so its knee nears the other
    knee gradually. Side-on and obliquely the model now and then draws, for a frame or two
    mid-slide, both knees at about one place between the two legs, the feet crossed or
    together (knees 0.7 trunk lengths apart, then 0.02-0.19, then apart again).
    Continuity (:class:`LegLabels`, which cannot wait for the next frames) takes such a
    frame for the legs trading places. A frame whose knees lie nearer each other than
    ``drop`` of their distance in the frame before, that distance at least ``apart``, is
    drawn so, and so are the frames after it while the knees stay that near, up to
    ``max_s`` (then the legs did come together). It also takes the resting legs after a
    frame that drew them apart (the slip was that frame) for up to ``max_s``: in 12 of 45
    rendered heel slides (5 sets), 1-3 frames at a time; in none of their 50 bridges.
    ``update`` takes one frame's ``(33, 2)`` landmarks.
    """

    def __init__(self, drop: float = KNEES_DROP, apart: float = KNEES_APART,
                 max_s: float = KNEES_TOGETHER_MAX_S) -> None:
        self.drop, self.apart, self.max_s = drop, apart, max_s
        self.reset()

    def reset(self) -> None:
        """Forget the frames seen."""
        self._last = math.nan    # the last frame's knee distance (trunk lengths)
        self._before = math.nan  # while drawn together: the distance before, ...
        self._since = math.nan   # ... and the first frame so drawn

    def update(self, xy: np.ndarray, t: float) -> bool:
        """Whether the frame at ``t`` draws the knees together at one place."""
        trunk = _trunk_scale(xy[None])
        knees = float(np.linalg.norm(xy[L.LEFT_KNEE] - xy[L.RIGHT_KNEE]))
        d = knees / trunk if trunk else math.nan
        last, self._last = self._last, d
        if math.isnan(self._since) and last >= self.apart and d < self.drop * last:
            self._before, self._since = last, t
        if math.isnan(self._since):
            return False
        if d < self.drop * self._before and t - self._since <= self.max_s:
            return True
        self._before = self._since = math.nan
        return False


def snapped_legs(xy: np.ndarray, t: np.ndarray) -> np.ndarray:
    """:class:`SnappedLegs` over a whole sequence, ``(T,)`` bool: a snap must end drawn again.

    ``xy`` ``(T, 33, 2)``; a run that never came back within ``max_s`` (or the recording
    ended in it) was a real movement, and the frames since the last one drawn before it
    that a finer frame rate shows half-way belong to the snap.
    """
    snaps = SnappedLegs()
    out = np.zeros(len(t), bool)
    start = None
    for i in range(len(t) + 1):
        on = i < len(t) and snaps.update(xy[i], float(t[i]))
        if on and start is None:
            start = int(np.searchsorted(t, snaps.since_t, side="right"))
        elif not on and start is not None:
            out[start:i] = i < len(t) and not snaps.timed_out
            start = None
    return out


# --- 3-D angles from world landmarks ``(..., 33, 3)`` (metres, y down) -------------
# Used where the camera does not see the movement plane square-on (front and
# oblique views): the flexion angles then stay true where 2-D ones foreshorten.


def _unit3(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, np.nan)


def body_axes_3d(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit caudal (shoulders→hips) and anterior axes of the trunk, each ``(..., 3)``."""
    down = _unit3(mid_hip(xyz) - mid_shoulder(xyz))
    left = xyz[..., L.LEFT_HIP, :] - xyz[..., L.RIGHT_HIP, :]
    front = _unit3(np.cross(down, left))
    return down, front


def hip_flexion_3d_deg(xyz: np.ndarray, side: str) -> np.ndarray:
    """Hip flexion of ``side`` in the body's sagittal plane (negative = extension)."""
    down, front = body_axes_3d(xyz)
    thigh = xyz[..., side_landmark(side, "knee"), :] - xyz[..., side_landmark(side, "hip"), :]
    return np.degrees(np.arctan2(np.sum(thigh * front, -1), np.sum(thigh * down, -1)))


def knee_flexion_3d_deg(xyz: np.ndarray, side: str) -> np.ndarray:
    """Knee flexion of ``side`` from 3-D landmarks: 0 = straight."""
    hip, knee, ankle = (xyz[..., side_landmark(side, n), :] for n in ("hip", "knee", "ankle"))
    u, v = _unit3(hip - knee), _unit3(ankle - knee)
    return 180.0 - np.degrees(np.arccos(np.clip(np.sum(u * v, -1), -1.0, 1.0)))


# --- 2-D sagittal angles corrected for a camera turned away from side-on ----------

FRONT_WIDTH_RATIO = 0.55
""":func:`body_width_ratio` of a person seen square from the front (renders and real
clips read 0.53-0.60); its sine law gives the camera's turn away from side-on."""


def camera_turn_deg(xy: np.ndarray, max_deg: float = 50.0) -> float:
    """How far the camera is turned from side-on (0) towards the front, from ``(T, 33, 2)``."""
    r = float(np.nanmedian(body_width_ratio(xy.reshape((-1,) + xy.shape[-2:]))))
    if not np.isfinite(r):
        return 0.0
    return float(min(np.degrees(np.arcsin(np.clip(r / FRONT_WIDTH_RATIO, 0.0, 1.0))), max_deg))


def to_body_plane(xy: np.ndarray, front_sign: np.ndarray | float, turn_deg: float = 0.0,
                  elevation_deg: float = 0.0) -> np.ndarray:
    """Picture points or vectors ``(..., 2)`` as drawn in the body's own (sagittal) plane.

    A camera turned ``turn_deg`` from side-on draws the body's forward direction
    shortened by cos turn; this stretches it back. A camera also above the body
    (``elevation_deg``, looking down) draws what comes towards it lower and the
    vertical shorter: turned towards the body's front (``turn_deg`` > 0) the forward
    part comes towards it (behind the body, away from it); this undoes that too
    (seen down = true down · cos e + forward · sin turn · sin e). Linear, so lines stay
    lines; the identity side-on and level. Axes as the picture's (``front_sign`` as in
    :func:`hip_flexion_deg`).
    """
    xy = np.asarray(xy, float)
    a = np.radians(turn_deg)
    x = xy[..., 0] / np.cos(a)
    down = xy[..., 1]
    if elevation_deg:
        e = np.radians(elevation_deg)
        forward = -np.asarray(front_sign) * x  # facing +x has front_sign -1
        down = (down - forward * np.sin(a) * np.sin(e)) / np.cos(e)
    return np.stack([x, down], axis=-1)


def segment_inclination_deg(top: np.ndarray, bottom: np.ndarray, front_sign: np.ndarray | float,
                            turn_deg: float = 0.0, elevation_deg: float = 0.0) -> np.ndarray:
    """Forward tilt of the segment ``top``→``bottom`` from the vertical, in the body's plane.

    Positive when ``bottom`` lies in front of ``top``; a turned or raised camera
    corrected (:func:`to_body_plane`).
    """
    v = to_body_plane(bottom - top, front_sign, turn_deg, elevation_deg)
    return np.degrees(np.arctan2(-np.asarray(front_sign) * v[..., 0], v[..., 1]))


def thigh_elevation_deg(xy: np.ndarray, side: str, front_sign: np.ndarray | float,
                        turn_deg: float = 0.0, elevation_deg: float = 0.0) -> np.ndarray:
    """Forward tilt of the thigh of ``side`` from the vertical, ``(...,)`` (0 = standing).

    Corrected for a camera turned ``turn_deg`` from side-on and raised
    ``elevation_deg``, like :func:`sagittal_angles_deg`.
    """
    hip, knee = (xy[..., side_landmark(side, n), :] for n in ("hip", "knee"))
    return segment_inclination_deg(hip, knee, front_sign, turn_deg, elevation_deg)


def thigh_elevation_3d_deg(xyz: np.ndarray, side: str) -> np.ndarray:
    """Forward tilt of the thigh from the camera's vertical, from 3-D landmarks (y down)."""
    _, front = body_axes_3d(xyz)
    front = _unit3(front * np.array([1.0, 0.0, 1.0]))  # horizontal: a trunk lean does not count
    thigh = xyz[..., side_landmark(side, "knee"), :] - xyz[..., side_landmark(side, "hip"), :]
    return np.degrees(np.arctan2(np.sum(thigh * front, -1), thigh[..., 1]))


def sagittal_angles_deg(xy: np.ndarray, side: str, front_sign: np.ndarray | float,
                        turn_deg: float = 0.0, elevation_deg: float = 0.0
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Hip flexion and knee flexion of ``side`` from segment inclinations, ``(...,)`` each.

    Equal to :func:`hip_flexion_deg` and :func:`knee_flexion_deg` seen side-on
    (``turn_deg`` 0; the knee, like it, unsigned); corrected for foreshortening otherwise
    (:func:`segment_inclination_deg`).
    """
    hip, knee, ankle = (xy[..., side_landmark(side, n), :] for n in ("hip", "knee", "ankle"))
    args = (front_sign, turn_deg, elevation_deg)
    trunk = segment_inclination_deg(mid_shoulder(xy), mid_hip(xy), *args)
    thigh = segment_inclination_deg(hip, knee, *args)
    shank = segment_inclination_deg(knee, ankle, *args)
    return thigh - trunk, np.abs(thigh - shank)


LEG_LINE_STRAIGHT_KNEE_DEG = 10.0
"""A knee read bent up to this much is taken as straight by :func:`hip_extension_from_leg_deg`:
with a leg put behind the body the model moves its hip landmark back with the thigh, which
reads as a knee bend of up to ~9° on a straight leg (renders, 6 sets, cameras from 30°
behind to 35° in front of side-on)."""


def hip_extension_from_leg_deg(xy: np.ndarray, side: str, front_sign: np.ndarray | float,
                               turn_deg: float = 0.0, elevation_deg: float = 0.0,
                               straight_knee_deg: float = LEG_LINE_STRAIGHT_KNEE_DEG
                               ) -> np.ndarray:
    """Hip extension of ``side`` read from the leg's line (hip → ankle), ``(...,)``.

    The pose model moves its hip landmark back with a thigh swinging back (15-30 px on
    a ~200 px thigh in renders; more with the camera behind side-on), so the thigh's
    angle behind the trunk reads low (half the truth from 25-30° behind) and stays flat
    for the first degrees. The hip–ankle line is twice as long: the same misplacement
    turns it by half as much. A knee bent by ``k`` turns that line back by ``k / 2``
    (thigh and shank about equally long) beyond the thigh; the bend read beyond
    ``straight_knee_deg`` (the misplaced hip itself reads as a small bend) is taken
    out. Segment inclinations as in :func:`sagittal_angles_deg` (a turned or raised
    camera corrected alike).

    >>> xy = np.zeros((33, 2)); xy[[11, 12]] = (0.0, 0.0); xy[[23, 24]] = (0.0, 1.0)
    >>> xy[25], xy[27] = (0.1, 1.5), (0.2, 2.0)    # left knee and ankle, behind (+x)
    >>> round(float(hip_extension_from_leg_deg(xy, "left", 1.0)), 1)
    11.3
    """
    hip, knee, ankle = (xy[..., side_landmark(side, n), :] for n in ("hip", "knee", "ankle"))
    args = (front_sign, turn_deg, elevation_deg)
    trunk = segment_inclination_deg(mid_shoulder(xy), mid_hip(xy), *args)
    line = segment_inclination_deg(hip, ankle, *args)
    bend = segment_inclination_deg(hip, knee, *args) - segment_inclination_deg(knee, ankle, *args)
    return trunk - line - 0.5 * np.maximum(bend - straight_knee_deg, 0.0)


UPRIGHT_DEG = 20.0
"""Hip and knee angles (3-D) within which a body counts as standing upright."""


def camera_pose_from_world(xyz: np.ndarray, pitch_gain: float, pitch_offset_deg: float,
                           max_elevation_deg: float = 35.0) -> tuple[float, float]:
    """``(turn sign, elevation °)`` of the camera from a standing body's world landmarks.

    ``xyz`` ``(T, 33, 3)``. The model's world landmarks are turned with the camera:
    a body standing upright leans towards a camera above it (shoulders nearer than
    ankles) and faces a camera in front of it (the trunk's front axis towards the
    camera). Judged on the frames where both legs stand straight under the trunk
    (3-D hip and knee within ``UPRIGHT_DEG``); the lean reads ``pitch_gain`` times
    the elevation plus ``pitch_offset_deg`` (the model compresses depth). The sign
    is +1 when the camera is towards the body's front, -1 when towards its back.
    NaN elevation when the body is never seen upright.
    """
    xyz = xyz.reshape((-1,) + xyz.shape[-2:])
    upright = np.ones(len(xyz), bool)
    for side in ("left", "right"):
        upright &= (np.abs(hip_flexion_3d_deg(xyz, side)) < UPRIGHT_DEG) \
            & (knee_flexion_3d_deg(xyz, side) < UPRIGHT_DEG)
    xyz = xyz[upright]
    up = mid_shoulder(xyz) - (xyz[:, L.LEFT_ANKLE] + xyz[:, L.RIGHT_ANKLE]) / 2
    pitch = np.degrees(np.arctan2(up[:, 2], -up[:, 1]))
    _, front = body_axes_3d(xyz)
    if np.isfinite(pitch).sum() < 3:
        return 1.0, float("nan")
    elevation = -(float(np.nanmedian(pitch)) - pitch_offset_deg) / pitch_gain
    facing = np.nanmedian(-front[:, 2]) if np.isfinite(front[:, 2]).any() else 0.0
    return (1.0 if facing >= 0 else -1.0), float(np.clip(elevation, -max_elevation_deg,
                                                             max_elevation_deg))


# --- A lying leg in the trunk's frame: the hip landmark's misplacement -------------
# Seen from the side, the pose model places the hip of a lying body towards the
# ceiling (the front of the body) of the hip joint, by roughly a tenth of a shank
# length, and more as the thigh rises. The error is a displacement of one landmark,
# not a constant angle: its effect on the knee angle shrinks as the thigh rises, and
# it tilts the trunk line too. A leg lying straight at the start shows it (hip, knee
# and ankle should be in line), and so do feet flat on the surface with the knees bent
# (shoulders, hip and ankle in line: :func:`hip_off_shoulder_ankle_line`);
# :func:`angles_with_hip_shift` measures with the hips moved back by what the start showed.


def leg_in_trunk_frame(xy: np.ndarray, side: str, front_sign: np.ndarray | float
                       ) -> np.ndarray:
    """Thigh (hip→knee) and shank (knee→ankle) of ``side`` in the trunk's frame.

    Returns ``(..., 2, 2)``: segment (thigh, shank) × (component along the trunk
    axis, shoulders→hips; component along its normal towards the body's front),
    in trunk lengths (mid-shoulder to mid-hip). ``front_sign`` as in
    :func:`hip_flexion_deg`.
    """
    d = trunk_axis(xy)
    length = np.linalg.norm(d, axis=-1, keepdims=True)
    length = np.where(length > 0, length, np.nan)  # no trunk (all landmarks at one point)
    u = d / length
    n = np.stack([-u[..., 1], u[..., 0]], axis=-1) * np.asarray(front_sign, float)[..., None]
    hip, knee, ankle = (xy[..., side_landmark(side, p), :] for p in ("hip", "knee", "ankle"))
    segs = np.stack([knee - hip, ankle - knee], axis=-2) / length[..., None]
    return np.stack([np.sum(segs * u[..., None, :], -1), np.sum(segs * n[..., None, :], -1)],
                    axis=-1)


def hip_off_leg_line(leg: np.ndarray) -> np.ndarray:
    """How far the hip lies in front of the knee→ankle line, ``(...,)`` in trunk lengths.

    ``leg`` is :func:`leg_in_trunk_frame` ``(..., 2, 2)``. Zero for a straight leg
    whose hip landmark sits on the joint; positive when the hip is placed towards
    the body's front (the ceiling, lying on the back).

    >>> float(hip_off_leg_line(np.array([[1.0, -0.1], [1.0, 0.0]])))
    0.1
    """
    thigh, shank = leg[..., 0, :], leg[..., 1, :]
    s = shank / np.linalg.norm(shank, axis=-1, keepdims=True)
    normal = np.stack([-s[..., 1], s[..., 0]], axis=-1)  # the shank turned towards the front
    return -np.sum(thigh * normal, axis=-1)


def hip_off_shoulder_ankle_line(leg: np.ndarray) -> np.ndarray:
    """How far the hip lies in front of the mid-shoulder→ankle line, ``(...,)`` in trunk lengths.

    ``leg`` is :func:`leg_in_trunk_frame` ``(..., 2, 2)``. Lying on the back with the
    feet on the surface, the shoulder, hip and ankle joints are each about a hand's
    breadth above it, so the hip lies on the line from the shoulders to the ankle.
    Measured along the trunk's normal (as :func:`angles_with_hip_shift` moves the
    hips), positive towards the body's front (the ceiling); NaN where the ankle is
    not beyond the shoulders.

    >>> round(float(hip_off_shoulder_ankle_line(np.array([[0.6, 0.6], [0.4, -0.8]]))), 3)
    0.1
    """
    ankle = leg[..., 0, :] + leg[..., 1, :]
    reach = ankle[..., 0] + 1.0  # the shoulders lie one trunk length behind the hip
    ok = reach > 0
    return np.where(ok, -ankle[..., 1] / np.where(ok, reach, 1.0), np.nan)


def angles_with_hip_shift(leg: np.ndarray, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Hip and knee flexion, ``(...,)`` each, with the hips moved ``shift`` towards the back.

    ``leg`` is :func:`leg_in_trunk_frame` ``(..., 2, 2)``; ``shift`` in trunk
    lengths, along the trunk's normal (both hips alike, so the trunk line turns
    with them). With ``shift`` 0 equal to :func:`hip_flexion_deg` and
    :func:`knee_flexion_deg`.
    """
    return angles_from_joint(leg, shift, 0.0)


def angles_from_joint(leg: np.ndarray, shift: float, below: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Hip and knee flexion ``(...,)`` each from a hip joint placed off the model's landmark.

    The joint as in :func:`hip_flexion_from_joint` (``shift`` trunk lengths behind the
    landmark, ``below`` thigh lengths down the trunk's axis); the knee is the angle
    between the thigh from that joint and the shank. With both 0 equal to
    :func:`hip_flexion_deg` and :func:`knee_flexion_deg`.
    """
    thigh, shank = thigh_from_joint(leg, shift, below), leg[..., 1, :]
    t_u, t_n = thigh[..., 0], thigh[..., 1]
    knee = np.degrees(np.abs(np.arctan2(t_u * shank[..., 1] - t_n * shank[..., 0],
                                        t_u * shank[..., 0] + t_n * shank[..., 1])))
    return hip_flexion_from_joint(leg, shift, below), knee


def hip_flexion_from_joint(leg: np.ndarray, shift: float, below: float) -> np.ndarray:
    """Hip flexion ``(...,)`` from a hip joint placed off the model's hip landmark.

    ``leg`` is :func:`leg_in_trunk_frame` ``(..., 2, 2)``. The joint lies ``shift``
    trunk lengths behind the landmark (along the trunk's normal, both hips alike, so
    the trunk line turns with them, as in :func:`angles_with_hip_shift`) and ``below``
    thigh lengths (the thigh's length in the picture) down the trunk's axis. A standing
    leg hides a joint below the landmark (it lies along the thigh); with the thigh
    raised to 90° it turns the thigh by ``atan(below)``. With both 0 equal to
    :func:`hip_flexion_deg`.
    """
    thigh = thigh_from_joint(leg, shift, below)
    hip = np.degrees(np.arctan2(thigh[..., 1], thigh[..., 0]) - np.arctan2(-shift, 1.0))
    return (hip + 180.0) % 360.0 - 180.0


def thigh_from_joint(leg: np.ndarray, shift: float, below: float) -> np.ndarray:
    """The thigh ``(..., 2)`` from a hip joint placed off the landmark to the knee.

    The joint as in :func:`hip_flexion_from_joint`; in :func:`leg_in_trunk_frame`'s
    frame (trunk lengths).
    """
    thigh = leg[..., 0, :]
    return np.stack([thigh[..., 0] - below * np.linalg.norm(thigh, axis=-1),
                     thigh[..., 1] + shift], axis=-1)


def thigh_length_from_joint(leg: np.ndarray, shift: float, below: float) -> np.ndarray:
    """The length ``(...,)`` of :func:`thigh_from_joint`."""
    return np.linalg.norm(thigh_from_joint(leg, shift, below), axis=-1)


def joint_to_ankle(leg: np.ndarray, shift: float, below: float) -> np.ndarray:
    """The line ``(..., 2)`` from the hip joint (as in :func:`thigh_from_joint`) to the ankle."""
    return thigh_from_joint(leg, shift, below) + leg[..., 1, :]


def angles_from_leg_lengths(leg: np.ndarray, shift: float, below: float, thigh: float,
                            shank: float, straight: float) -> tuple[np.ndarray, np.ndarray]:
    """Hip and knee flexion ``(...,)`` each from the hip–ankle line and the segments' lengths.

    Without the knee landmark: ``leg`` is :func:`leg_in_trunk_frame`, the joint as in
    :func:`hip_flexion_from_joint`; ``thigh`` and ``shank`` the segments' lengths and
    ``straight`` the joint–ankle distance, standing straight (trunk lengths). Side-on the
    picture draws a leg moving
    in its own plane at one scale, so the knee bends as far as the hip–ankle distance
    says (the triangle of thigh, shank and that distance, its sides scaled so that the
    straight leg reads 0) and lies in front of that line (a knee flexes backwards): the
    thigh is the line turned forward by the triangle's angle at the hip.

    >>> leg = np.array([[0.0, 1.0], [1.0, 0.0]])   # thigh forward, shank down: 90°, 90°
    >>> [round(float(a), 1) for a in angles_from_leg_lengths(leg, 0.0, 0.0, 1.0, 1.0, 2.0)]
    [90.0, 90.0]
    """
    line = joint_to_ankle(leg, shift, below)
    r_u, r_n = line[..., 0], line[..., 1]
    reach = np.hypot(r_u, r_n)
    scale = straight / (thigh + shank)
    a, c = thigh * scale, shank * scale
    knee = 180.0 - np.degrees(np.arccos(np.clip((a * a + c * c - reach * reach) / (2 * a * c),
                                                -1.0, 1.0)))
    at_hip = np.degrees(np.arccos(np.clip((a * a + reach * reach - c * c)
                                          / (2 * a * np.where(reach > 0, reach, np.nan)),
                                          -1.0, 1.0)))
    hip = np.degrees(np.arctan2(r_n, r_u) - np.arctan2(-shift, 1.0)) + at_hip
    return (hip + 180.0) % 360.0 - 180.0, knee


def thigh_shrink_weight(ratio: np.ndarray, low: float, high: float) -> np.ndarray:
    """How far a thigh's length over its standing length lies below ``high``, ``(...,)``.

    0 at or above ``high``, 1 at or below ``low``, linear between; NaN stays NaN.
    """
    return np.clip((high - np.asarray(ratio, float)) / (high - low), 0.0, 1.0)
