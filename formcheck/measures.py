"""From landmarks to the named measures an exercise uses (angles in degrees).

``compute_measures`` works on a whole ``(T, 33, 2)`` sequence or a single
``(1, 33, 2)`` frame, so recorded video and live video share it. Measures whose
landmarks are barely visible are NaN; the rest carry a per-frame quality (the
visibility of their leg's or trunk's landmarks) that counting, holds and faults
respect: a far leg hidden behind the near one is placed plausibly by the model
and still counts, but no fault is judged on it. :class:`Calibration` holds what
the neutral start pose taught: the model's constant offset per angle and the
reference heel and bridge heights.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks

from . import kinematics as k
from .filters import noise_beyond, reading_jitter, robust_sd, rolling_percentile, top_level
from .pose import Landmark as L
from .pose import side_landmark
from .protocol import ExerciseSpec, Tracking

# Angles whose neutral (standing or lying straight) value is 0°: calibration
# subtracts the start pose's reading from them.
ZERO_AT_NEUTRAL = (
    "hip_flexion", "hip_extension", "knee_flexion", "knee_flexion_image",
    "knee_flexion_landmarks", "hip_abduction",
    "thigh_elevation", "trunk_lean_forward", "trunk_lean_back", "trunk_lean_side_signed",
    "foot_pitch", "hip_extension_leg",
)
DEGREES = ZERO_AT_NEUTRAL + ("knee_bend", "trunk_lean_side", "knee_flexion_shank",
                             "knee_flexion_slide")
"""Measures in degrees (the others are shares of a length): what an angle plot can draw."""
KNEE_TEMPO = "knee_flexion_tempo"
"""The knee a rep is timed on (per leg): from the hips' drop without its jitter allowance
where the knee is read from the drop (:func:`with_knee_from_hip_drop`), else the knee."""
SAGITTAL_LEG_MEASURES = ("hip_flexion", "hip_extension", "knee_flexion", "thigh_elevation",
                         "heel_rise", "hip_lift", "knee_flexion_landmarks", KNEE_TEMPO)
"""Leg measures both legs share in a two-legged exercise (fused by :func:`fuse_legs`)."""
TRUNK = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)
HIPS_FACING = 0.3
"""Hip width over trunk length from which the hips face the camera (front-on ~0.47)."""
LEG_FRAME = ("thigh_along", "thigh_front", "shank_along", "shank_front")
"""Per leg, :func:`kinematics.leg_in_trunk_frame` as series (2-D views only): what
:func:`with_hip_shift` re-measures hip and knee flexion from."""


def _needs(side: str) -> dict[str, tuple[int, ...]]:
    s = lambda name: side_landmark(side, name)  # noqa: E731
    return {
        "hip_flexion": TRUNK + (s("knee"),),
        "knee_flexion": (s("hip"), s("knee"), s("ankle")),
        "hip_abduction": TRUNK + (s("knee"),),
        "heel": (s("heel"), s("knee"), s("ankle")),
        "foot_pitch": (s("heel"), s("foot_index")),
        "knee_past_midline": (L.LEFT_HIP, L.RIGHT_HIP, s("knee")),
    }


def _gate(values: np.ndarray, vis: np.ndarray, idx: tuple[int, ...], min_vis: float) -> np.ndarray:
    ok = np.all(vis[..., list(idx)] >= min_vis, axis=-1)
    return np.where(ok, values, np.nan)


def front_sign_of(xy: np.ndarray) -> float:
    """The body's facing sign (see :func:`kinematics.anterior_sign`) over many frames."""
    s = k.anterior_sign(xy.reshape((-1,) + xy.shape[-2:]))
    finite = np.isfinite(s)
    return float(np.sign(np.nanmedian(s[finite])) or 1.0) if finite.any() else 1.0


SLIDE_SIGNAL = "knee_flexion_slide"
"""The knee read from the heel's slide towards the hip (see :func:`calibrated`)."""
SLIDE_REST_PERCENTILE = 90
"""The straight leg's hip–ankle distance in the picture: this percentile of the recording's
(the calibration window's, live). The heel slide starts and ends with the leg straight;
the leg's longest readings include the model's jitter, which would read a straight leg
bent (a 1 % shorter reach is a 16° bend), so not the very longest."""


def straight_reach(reach: np.ndarray, still_sd: float = np.nan) -> float:
    """The straight leg's hip–ankle distance in ``reach`` ``(T,)``: its top readings.

    Their level (:func:`~formcheck.filters.top_level`) at :data:`SLIDE_REST_PERCENTILE`:
    a straight leg read long reads every bend deeper (renders with 0.3 % landmark
    noise, live: the percentile 3 % long, a 42° slide read ~50°, a partial slide
    counted). The readings' noise: :func:`reading_noise`. NaN where no reading is finite.
    """
    return top_level(reach, SLIDE_REST_PERCENTILE, reading_noise(reach, still_sd))


def shake_allowance(noise: float, tracking: Tracking) -> float:
    """How far a ratio of lengths in the picture may shake beyond a steady model's.

    ``shank_noise_sd`` times its ``noise`` (SD, a share) beyond ``hip_drop_noise``,
    the share of a length a steady model's jitter moves it by; 0 where not measured.
    """
    return tracking.shank_noise_sd * noise_beyond(noise, tracking.hip_drop_noise)


def reading_noise(x: np.ndarray, still_sd: float = np.nan) -> float:
    """The noise (SD) of readings ``x`` ``(T,)`` of a slow measure.

    The larger of their frame-to-frame jitter (:func:`~formcheck.filters.reading_jitter`)
    and ``still_sd``, their spread over a still start (smoothed readings jitter less
    from frame to frame than they spread).
    """
    x = x[np.isfinite(x)]
    return max((v for v in (reading_jitter(x), still_sd) if v > 0), default=np.nan)


HIP_REST_PERCENTILE = 97
"""A lying exercise's resting (most flexed) hip flexion, whose straightening a bridge lifts:
the level of the recording's readings at this percentile (:func:`top_level`), beyond their
noise (read from the percentile itself, 0.3 % landmark noise lifted it ~4°, a bridge's rest
read lifted by as much, and its wobbles there as attempts)."""

STANDING_WINDOW_S = 5.0
STANDING_PERCENTILE = 90
"""A squat read from the hips' drop (:func:`with_knee_from_hip_drop`) is measured against
the hip–ankle distance standing up around it (:func:`standing_hip_ankle`): this
percentile of the distance over this long before, and after, each frame. A squat's
cycle (down, up, a pause) lasts 3-6 s, so each window holds some standing."""
STILL_SD_DEG = 4.0
"""A start is still when its movement signal spreads less than this (SD, °) over the
calibration window, for a steady pose model (:func:`calibrate`)."""
SHOWN_AS = {"knee_flexion_landmarks": "knee_flexion"}
"""Movement signals that count a movement in place of the measure shown and reported for it
(a rep's peak, the angle drawn on the video): seen from the front a squat is counted on the
model's 3-D knee and the hips' drop as before, and its knee shown as read from the drop."""
FRONT_TURN_DEG = 30.0
"""A camera turned this far towards the body's front places a standing hip joint fully
``Tracking.standing_hip_below_front`` below the landmark (:func:`standing_hip_below`)."""
STANDING_STRAIGHT_KNEE_DEG = 12.0
"""A standing leg whose knee reads within this of straight at the still start shows the hip
landmark's place in front of the joint (:func:`straight_leg_hip_shift`; standing, the knees
read 0-5° off straight side-on)."""
VIEWS_3D = ("front", "lying_front")
"""Views where hip and knee flexion come from the 3-D world landmarks."""
VIEWS_TURNED = ("oblique",)
"""Views where 2-D sagittal angles are corrected for the camera's turn."""

RAISED_THIGH_DEG = 30.0
"""A thigh raised this far forward of the trunk line (from the hip joint) or more is read
from the leg's lengths where the model drew it short (:func:`with_leg_lengths`); less raised,
less of it; not at all behind the line (a leg put back, where the short thigh is not the
knee landmark's)."""


def standing_hip_ankle(reach: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``(T,)``: the hip–ankle distance ``reach`` ``(T,)`` of the leg standing, around each frame.

    The smaller of its level at :data:`STANDING_PERCENTILE` (:func:`top_level`, beyond
    the readings' noise: read long, every standing frame reads a drop, and a knee bent
    from it, ~20° under 0.3 % landmark noise) over :data:`STANDING_WINDOW_S`
    before and after the frame (near the recording's start or end, over its first or
    last :data:`STANDING_WINDOW_S`). Local, so a person stepping nearer the camera
    (the picture's scale growing) or farther is measured at the scale of the moment:
    a standing frame just before a step forward is not measured against the larger
    body after it, and a squat just before or after a step back is measured against
    its own standing on the side away from the step, which the window still holds
    when the person stood there at least a tenth of it (half a second) before the
    step or after it before squatting. A recording that starts or ends in a squat is
    measured against the standing after or before it.
    """
    noise = reading_noise(reach)
    before, after = (rolling_percentile(reach, t, STANDING_WINDOW_S, STANDING_PERCENTILE, side,
                                        noise) for side in ("before", "after"))
    return np.fmin(before, after)


class StandingReach:
    """Live: each leg's hip–ankle distance standing, over the frames seen so far.

    The causal half of :func:`standing_hip_ankle`: its level at :data:`STANDING_PERCENTILE` over
    the last :data:`STANDING_WINDOW_S`, once that much has been seen (until then the
    calibration's ``hip_ankle_rest`` stands). A person stepping nearer is followed
    within half a second of standing there; stepping back, within most of the window.
    """

    def __init__(self) -> None:
        self._seen: dict[str, deque[tuple[float, float]]] = {"": deque(), "_other": deque()}

    def update(self, t: float, values: dict[str, float]) -> dict[str, float]:
        """Feed one frame's ``hip_ankle`` (each leg); the ``hip_ankle_standing`` known."""
        out = {}
        for suffix, seen in self._seen.items():
            v = values.get("hip_ankle" + suffix, float("nan"))
            if np.isfinite(v):
                seen.append((t, v))
            while seen and seen[0][0] < t - STANDING_WINDOW_S:
                seen.popleft()
            if seen and seen[-1][0] - seen[0][0] >= 0.9 * STANDING_WINDOW_S:
                x = np.array([x for _, x in seen])
                out["hip_ankle_standing" + suffix] = top_level(x, STANDING_PERCENTILE,
                                                               reading_noise(x))
        return out


def leg_quality(vis: np.ndarray, side: str) -> np.ndarray:
    """``(T,)`` quality of a leg's measures: the least visible of its hip, knee, ankle."""
    return np.min(vis[..., [side_landmark(side, n) for n in ("hip", "knee", "ankle")]], axis=-1)


def quality_key(measure: str) -> str:
    """The quality series that belongs to ``measure`` (see :func:`compute_measures`)."""
    if measure.startswith("trunk"):
        return "trunk_quality"
    if measure == "knee_width_ratio":
        return "legs_quality"
    if measure.endswith("_operated"):
        return "quality_operated"
    return "quality_other" if measure.endswith("_other") else "quality"


def turned_camera(world: np.ndarray, tracking: Tracking) -> tuple[float, float]:
    """``(turn sign, elevation °)`` to measure a turned view with, from world landmarks.

    :func:`kinematics.camera_pose_from_world` with the ``tracking`` gain and offset.
    Only a camera above the body is corrected (below the hips the model's lean
    overstates it): the elevation is at least 0, and 0 when the correction is off or
    the body is never seen upright.
    """
    if tracking.world_pitch_gain <= 0 or len(world) == 0:
        return 1.0, 0.0
    sign, elevation = k.camera_pose_from_world(world, tracking.world_pitch_gain,
                                               tracking.world_pitch_offset_deg)
    return sign, max(float(np.nan_to_num(elevation)), 0.0)


def compute_measures(xy: np.ndarray, vis: np.ndarray, side: str, min_visibility: float,
                     front_sign: float, world: np.ndarray | None = None,
                     turn_deg: float | None = None, elevation_deg: float = 0.0
                     ) -> dict[str, np.ndarray]:
    """Raw (uncalibrated) measures for the operated ``side`` and the other leg.

    Args:
        xy: ``(T, 33, 2)`` isotropic landmark positions (NaN where no person).
        vis: ``(T, 33)`` visibility.
        side: operated side; measures of the other leg get the suffix ``_other``.
        min_visibility: landmarks less visible than this make their measures NaN
            (a low floor: how well a measure is seen is in its quality series).
        front_sign: body facing sign for the sagittal angles.
        world: ``(T, 33, 3)`` world landmarks; when given, hip and knee flexion
            are measured in 3-D (for a camera in front of the person).
        turn_deg: when given, hip and knee flexion come from 2-D segment
            inclinations corrected for a camera turned this far from side-on
            (a standing person seen at an angle; negative: from behind the body).
        elevation_deg: with ``turn_deg``, the camera's height above the body (°).

    Returns:
        dict of ``(T,)`` arrays: ``hip_flexion``, ``hip_extension``, ``knee_flexion``,
    ``knee_flexion_landmarks`` (the same, kept where knee flexion is later read from
    the hips' drop: :func:`with_knee_from_hip_drop`),
    ``hip_abduction``, ``thigh_elevation``, ``leg_line_extension`` (the hip–ankle line
    behind the trunk line in the picture, for timing), ``hip_extension_leg`` (the hip's
    extension read from that line, the knee's bend taken out), ``trunk_lean_forward``,
    ``trunk_lean_back``,
    ``trunk_lean_side_signed``, ``heel_x``, ``heel_y``, ``knee_x``, ``knee_y`` (both
    gated like the heel), ``shank``, ``hip_ankle`` (the
    hip–ankle distance in the picture), ``shank_thigh``, ``shank_shank`` (the shank's
    length in the picture over the thigh's and over the other leg's shank),
    ``toe_below_ankle`` (:func:`kinematics.toe_below_ankle`), ``foot_pitch``,
    ``knee_width_ratio``, ``knee_past_midline``, each leg measure also
    ``*_other``; :data:`LEG_FRAME` per leg (NaN unless measured in 2-D; with ``turn_deg``
    in the body's plane, :func:`kinematics.to_body_plane`); ``trunk_tilt``
    (the trunk from the image vertical, 0–180°, uncalibrated), ``trunk_dx``,
    ``trunk_dy`` (the trunk's axis, shoulders to hips, in the picture), ``hip_x``,
    ``hip_y`` (the hips' position), ``ankle_x``, ``ankle_y`` (each leg's ankle) and
    ``trunk_length``, for telling the exercise from
    walking, bending down or (a heel slide) a bridge; ``hip_height`` (the hips above the
    ankles in the picture), for a squat's depth, and ``hip_height_scaled`` (the same over
    the picture's scale, :func:`kinematics.picture_scale`; NaN without ``world``); and the
    qualities
    (0–1) ``quality``, ``quality_other`` (each leg), ``legs_quality`` (both)
    and ``trunk_quality``.

    """
    out: dict[str, np.ndarray] = {}
    for leg, suffix in ((side, ""), (k.other_side(side), "_other")):
        need = _needs(leg)
        g = lambda name, v, need=need: _gate(v, vis, need[name], min_visibility)  # noqa: E731
        if world is not None:
            hip, knee = k.hip_flexion_3d_deg(world, leg), k.knee_flexion_3d_deg(world, leg)
            thigh = k.thigh_elevation_3d_deg(world, leg)
        elif turn_deg is not None:
            hip, knee = k.sagittal_angles_deg(xy, leg, front_sign, turn_deg, elevation_deg)
            thigh = k.thigh_elevation_deg(xy, leg, front_sign, turn_deg, elevation_deg)
        else:
            hip = k.hip_flexion_deg(xy, leg, front_sign)
            knee = k.knee_flexion_deg(xy, leg)
            thigh = k.thigh_elevation_deg(xy, leg, front_sign)
        out["hip_flexion" + suffix] = g("hip_flexion", hip)
        out["hip_extension" + suffix] = -out["hip_flexion" + suffix]
        out["knee_flexion" + suffix] = g("knee_flexion", knee)
        # The same, kept where knee flexion is then read otherwise (with_knee_from_hip_drop).
        out["knee_flexion_landmarks" + suffix] = out["knee_flexion" + suffix]
        # The knee in the picture: a straight leg draws a straight line from any view,
        # so a bend seen here is a bend (one in the line of sight is not seen).
        out["knee_flexion_image" + suffix] = g("knee_flexion",
                                               np.abs(k.knee_flexion_deg(xy, leg)))
        out["thigh_elevation" + suffix] = g("knee_flexion", thigh)
        # The hip's extension read from the leg's line (kinematics.hip_extension_from_leg_deg),
        # measured like the view's other 2-D angles (turned views corrected).
        turned = (turn_deg, elevation_deg) if turn_deg is not None else (0.0, 0.0)
        out["hip_extension_leg" + suffix] = _gate(
            k.hip_extension_from_leg_deg(xy, leg, front_sign, *turned), vis,
            TRUNK + need["knee_flexion"], min_visibility)
        # The leg's line (hip → ankle) behind the trunk line in the picture, from any
        # view: what a movement of the leg behind the body is timed on (its size is the
        # hip extension's; see kinematics.leg_line_flexion_deg).
        out["leg_line_extension" + suffix] = _gate(
            -k.leg_line_flexion_deg(xy, leg, front_sign), vis,
            TRUNK + (side_landmark(leg, "ankle"),), min_visibility)
        out["hip_abduction" + suffix] = g("hip_abduction", k.hip_abduction_deg(xy, leg))
        heel = xy[..., side_landmark(leg, "heel"), :]
        out["heel_x" + suffix] = g("heel", heel[..., 0])
        out["heel_y" + suffix] = g("heel", heel[..., 1])
        knee_xy = xy[..., side_landmark(leg, "knee"), :]
        out["knee_x" + suffix] = g("heel", knee_xy[..., 0])
        out["knee_y" + suffix] = g("heel", knee_xy[..., 1])
        shank = k.shank_length(xy, leg)
        out["shank" + suffix] = g("heel", shank)
        out["hip_ankle" + suffix] = g("knee_flexion", k.hip_ankle_distance(xy, leg))
        # The shank's length in the picture against the thigh's and the standing leg's
        # shank (:func:`knee_flexion_from_shank`).
        out["shank_thigh" + suffix] = g("knee_flexion", shank / k.thigh_length(xy, leg))
        other = k.other_side(leg)
        # The toe below the ankle, for the camera's height (:func:`camera_elevation`).
        out["toe_below_ankle" + suffix] = _gate(
            k.toe_below_ankle(xy, leg), vis,
            need["knee_flexion"] + (side_landmark(leg, "foot_index"),), min_visibility)
        out["shank_shank" + suffix] = _gate(
            shank / k.shank_length(xy, other), vis,
            need["knee_flexion"] + (side_landmark(other, "knee"), side_landmark(other, "ankle")),
            min_visibility)
        ankle = xy[..., side_landmark(leg, "ankle"), :]
        out["ankle_x" + suffix] = g("knee_flexion", ankle[..., 0])
        out["ankle_y" + suffix] = g("knee_flexion", ankle[..., 1])
        out["foot_pitch" + suffix] = g("foot_pitch", k.foot_pitch_deg(xy, leg))
        out["knee_past_midline" + suffix] = g("knee_past_midline", k.knee_past_midline(xy, leg))
        out["quality" + suffix] = leg_quality(vis, leg).astype(float)
        # The same names in every view (a live stream keeps its first frame's names):
        # NaN where hip and knee flexion do not come from the 2-D image landmarks; a
        # turned camera's picture taken into the body's plane first.
        if world is None:
            plane = xy if turn_deg is None else k.to_body_plane(xy, front_sign, turn_deg,
                                                                 elevation_deg)
            frame = k.leg_in_trunk_frame(plane, leg, front_sign).reshape(xy.shape[:-2] + (4,))
        else:
            frame = np.full(xy.shape[:-2] + (4,), np.nan)
        for j, name in enumerate(LEG_FRAME):
            out[name + suffix] = _gate(frame[..., j], vis, TRUNK + need["knee_flexion"],
                                       min_visibility)
    trunk_ok = lambda v: _gate(v, vis, TRUNK, min_visibility)  # noqa: E731
    out["trunk_lean_forward"] = trunk_ok(k.trunk_lean_forward_deg(xy, front_sign))
    out["trunk_lean_back"] = -out["trunk_lean_forward"]
    out["trunk_lean_side_signed"] = trunk_ok(k.trunk_lean_deg(xy))
    out["trunk_tilt"] = trunk_ok(np.abs(k.trunk_lean_deg(xy)))
    hip = k.mid_hip(xy)
    out["hip_x"], out["hip_y"] = trunk_ok(hip[..., 0]), trunk_ok(hip[..., 1])
    axis = k.trunk_axis(xy)
    out["trunk_dx"], out["trunk_dy"] = trunk_ok(axis[..., 0]), trunk_ok(axis[..., 1])
    out["trunk_length"] = trunk_ok(np.linalg.norm(axis, axis=-1))
    out["across_spread"] = trunk_ok(k.body_width_ratio(xy))
    # The hips' height above the ankles, where the hips face the camera (their width at
    # least HIPS_FACING of the trunk's length: turned sideways they read higher).
    hips_ankles = (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    ankles_y = (xy[..., L.LEFT_ANKLE, 1] + xy[..., L.RIGHT_ANKLE, 1]) / 2
    hip_width = np.linalg.norm(xy[..., L.LEFT_HIP, :] - xy[..., L.RIGHT_HIP, :], axis=-1)
    facing = hip_width >= HIPS_FACING * out["trunk_length"]
    out["hip_height"] = np.where(facing, _gate(ankles_y - hip[..., 1], vis, hips_ankles,
                                               min_visibility), np.nan)
    # The same in metres at the body where the world landmarks are given (the picture's
    # scale, kinematics.picture_scale): a handheld camera zooming out lowers the
    # picture's hip height, not this one.
    out["hip_height_scaled"] = out["hip_height"] / k.picture_scale(xy, world) \
        if world is not None else np.full(xy.shape[:-2], np.nan)
    out["trunk_quality"] = np.min(vis[..., list(TRUNK)], axis=-1).astype(float)
    out["legs_quality"] = np.minimum(out["quality"], out["quality_other"])
    knees = (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    out["knee_width_ratio"] = _gate(k.knee_ankle_width_ratio(xy), vis, knees, min_visibility)
    return out


def fuse_legs(meas: dict[str, np.ndarray], min_quality: float) -> dict[str, np.ndarray]:
    """For two-legged exercises: each leg measure from both legs, the better-seen one weighted.

    Both legs do the same movement, so the operated side must not change the
    count: a leg hidden behind the other (side view) gets little weight, two
    well-seen legs are averaged. Weights grow with each leg's quality above
    ``min_quality``; a leg without a value leaves the other. Returns a copy in
    which every name in :data:`SAGITTAL_LEG_MEASURES` and ``quality`` hold the fusion;
    the operated leg's own values stay as ``<name>_operated`` (``quality_operated``),
    for telling whether both legs moved together (:class:`~formcheck.session.BoutCheck`).
    """
    out = dict(meas)
    for name in (*SAGITTAL_LEG_MEASURES, "quality"):
        if name in meas:
            out[name + "_operated"] = meas[name]
    q1, q2 = meas["quality"], meas["quality_other"]
    w1 = np.clip((q1 - min_quality) / (1.0 - min_quality), 0.0, 1.0) ** 2 + 1e-6
    w2 = np.clip((q2 - min_quality) / (1.0 - min_quality), 0.0, 1.0) ** 2 + 1e-6
    for name in SAGITTAL_LEG_MEASURES:
        a, b = meas.get(name), meas.get(name + "_other")
        if a is None or b is None:
            continue
        wa, wb = np.where(np.isfinite(a), w1, 0.0), np.where(np.isfinite(b), w2, 0.0)
        total = wa + wb
        fused = (np.nan_to_num(a) * wa + np.nan_to_num(b) * wb) / np.where(total > 0, total, 1)
        out[name] = np.where(total > 0, fused, np.nan)
    out["quality"] = np.fmax(q1, q2)
    return out


@dataclass
class Calibration:
    """What the neutral start pose taught.

    Attributes:
        offsets: measure name → degrees subtracted (the model's constant offset).
        heel_rest: the heel's resting place in the picture ``(x, y)`` per leg key
            ``""`` / ``"_other"``; ``surface_dir`` the trunk's axis at rest. Lying,
            the trunk lies along the surface, so ``heel_rise`` is the heel's height
            off the line through its resting place along that axis; ``heel_reach`` per
            leg key the heel's distance from the knee there (the leg straight), to
            which a heel drawn nearer the knee is put back out
            (:func:`kinematics.heel_out_to_reach`).
        hip_flexion_rest: resting (most flexed) hip flexion per leg key, the
            reference of ``hip_lift``.
        applied: whether a still neutral start pose calibrated all angles.
        method: ``start`` (neutral start pose), ``resting_level`` (only the
            movement signal, from its resting level) or ``none``.
        knee_flexion_start: knee flexion of the operated leg at the start.
        hip_ankle_rest: the hip–ankle distance in the picture of the leg lying straight
            per leg key, the reference of ``knee_flexion_slide`` (:data:`SLIDE_REST_PERCENTILE`).
        hip_shift: trunk lengths the hips are moved towards the back before hip and
            knee flexion are measured (:func:`with_hip_shift`): lying, the model's
            misplacement of the hips, shown by a leg lying straight at the start or
            by feet on the surface (:func:`feet_flat_hip_shift`).
        shank_rest: per leg key, the shank's length in the picture over the thigh's
            (``shank_thigh``) and over the other leg's shank (``shank_shank``) at the
            start, the references of ``knee_flexion_shank``; ``shank_noise``: per leg key,
            how far those two ratios to the start's shake beyond a steady model's
            (:func:`shake_allowance`): a shortening within it reads straight.
        camera_elevation_deg: how far the camera looks down on a body standing at the
            start, facing it, at the least (:func:`camera_elevation`; 0 when level, below
            the hips or not known), for reading ``knee_flexion_shank``.
        lying_elevation_deg: lying, the camera's elevation over the bed
            (:func:`kinematics.lying_camera_elevation_deg`; NaN when not known), for the
            straight leg's knee-heel reach a steep shank is drawn at
            (:func:`kinematics.foreshortened_reach`).
        standing_hip: standing, ``(shift, below)`` of the hip joint from the model's hip
            landmark (:func:`with_standing_hip`): trunk lengths behind it, as the still
            start's straight leg shows, and thigh lengths below it (``Tracking``'s
            ``standing_hip_below``); ``(0, 0)`` when not standing or not calibrated.
        standing_leg: per leg key, the start's thigh (from that joint) and shank
            lengths and joint–ankle distance, trunk lengths: the references of
            :func:`with_leg_lengths`; ``thigh_shrink``: its ``(low, high)`` shares
            (``Tracking``'s ``standing_thigh_shrink_*``).
        knee_from_hip_drop: knee and hip flexion are read from the hips' drop
            (:func:`with_knee_from_hip_drop`); ``hip_drop_noise``: a drop within this
            share of the standing hip–ankle distance reads straight.
        knee_from_slide: the knee is read from its landmarks and the heel's slide together
            (:func:`kinematics.knee_from_slide_and_landmarks`, the reach's noise
            ``hip_drop_noise``, the angle's ``knee_noise_deg``).

    """

    offsets: dict[str, float] = field(default_factory=dict)
    heel_rest: dict[str, tuple[float, float]] = field(default_factory=dict)
    surface_dir: tuple[float, float] = (float("nan"), float("nan"))
    heel_reach: dict[str, float] = field(default_factory=dict)
    hip_flexion_rest: dict[str, float] = field(default_factory=dict)
    applied: bool = False
    knee_flexion_start: float = float("nan")
    method: str = "none"
    hip_shift: float = 0.0
    hip_ankle_rest: dict[str, float] = field(default_factory=dict)
    shank_rest: dict[str, tuple[float, float]] = field(default_factory=dict)
    shank_noise: dict[str, tuple[float, float]] = field(default_factory=dict)
    camera_elevation_deg: float = 0.0
    lying_elevation_deg: float = float("nan")
    knee_from_hip_drop: bool = False
    hip_drop_noise: float = 0.0
    knee_from_slide: bool = False
    knee_noise_deg: float = 0.0
    standing_hip: tuple[float, float] = (0.0, 0.0)
    standing_leg: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    thigh_shrink: tuple[float, float] = (0.0, 0.0)


def _leg_frame(raw: dict[str, np.ndarray], suffix: str,
               frames: np.ndarray | slice = slice(None)) -> np.ndarray | None:
    """One leg's :data:`LEG_FRAME` series over ``frames`` as ``(n, 2, 2)``; None if absent."""
    names = [n + suffix for n in LEG_FRAME]
    if not all(n in raw for n in names):
        return None
    return np.stack([raw[n][frames] for n in names], axis=-1).reshape(-1, 2, 2)


def _leg_frames(raw: dict[str, np.ndarray]) -> Iterator[tuple[str, np.ndarray]]:
    """``(suffix, leg)`` for each leg with a hip flexion and a :func:`_leg_frame`."""
    for suffix in ("", "_other"):
        leg = _leg_frame(raw, suffix)
        if leg is not None and "hip_flexion" + suffix in raw:
            yield suffix, leg


def _set_hip(out: dict[str, np.ndarray], raw: dict[str, np.ndarray], suffix: str,
             hip: np.ndarray) -> None:
    """Put a leg's hip flexion measured anew, and its extension, into ``out``.

    NaN where ``raw``'s was; ``raw``'s where the new one is not known.
    """
    was = raw["hip_flexion" + suffix]
    hip = np.where(np.isfinite(was), np.where(np.isfinite(hip), hip, was), np.nan)
    out["hip_flexion" + suffix], out["hip_extension" + suffix] = hip, -hip


def _set_knee(out: dict[str, np.ndarray], raw: dict[str, np.ndarray], suffix: str,
              knee: np.ndarray) -> None:
    """Put a leg's knee flexion measured anew into ``out`` (NaN, fallback: :func:`_set_hip`)."""
    was = raw["knee_flexion" + suffix]
    out["knee_flexion" + suffix] = np.where(np.isfinite(was),
                                            np.where(np.isfinite(knee), knee, was), np.nan)


def with_hip_shift(raw: dict[str, np.ndarray], shift: float) -> dict[str, np.ndarray]:
    """``raw`` with hip and knee flexion (each leg) measured with the hips moved ``shift``.

    See :func:`kinematics.angles_with_hip_shift`; needs the :data:`LEG_FRAME`
    series (else ``raw`` is returned as it is). Values stay NaN where they were,
    and as measured where the leg's frame is not known (a 3-D view).
    """
    if not shift:
        return raw
    out = dict(raw)
    for suffix, leg in _leg_frames(raw):
        hip, knee = k.angles_with_hip_shift(leg, shift)
        _set_hip(out, raw, suffix, hip)
        _set_knee(out, raw, suffix, knee)
    return out


def with_standing_hip(raw: dict[str, np.ndarray], shift: float, below: float
                      ) -> dict[str, np.ndarray]:
    """``raw`` with hip and knee flexion (each leg) measured from where a standing hip joint lies.

    :func:`kinematics.angles_from_joint`: the hips moved ``shift`` trunk lengths
    towards the back and ``below`` thigh lengths down the trunk's axis. The knee too:
    its thigh runs from the joint, not from the landmark. A landmark above the joint
    turns a thigh raised towards 90° (a knee lift, a squat) away from the shank, so a
    bent knee read from the landmark reads a few degrees short, which a straight start
    leg cannot show (subtracted as a constant, its reading made that worse). The knee
    gets the joint's difference added to its own reading, not replaced: the knee may be
    smoothed harder than the leg's series (live, for its noise), and the difference,
    from the same leg twice, carries little of the leg's noise. The knee's joint is
    never put in front of the landmark (``shift`` < 0): the model's landmark lies in
    front of the joint, so a start leg showing it behind its line shows the pose (hips
    back, knees soft), not the landmark's misplacement. Needs the
    :data:`LEG_FRAME` series (2-D views, a turned one taken into the body's plane:
    :func:`kinematics.to_body_plane`); elsewhere, and with both 0, ``raw`` as it is.
    """
    if not shift and not below:
        return raw
    out = dict(raw)
    for suffix, leg in _leg_frames(raw):
        knee = k.angles_from_joint(leg, max(shift, 0.0), below)[1]
        _set_hip(out, raw, suffix, k.hip_flexion_from_joint(leg, shift, below))
        _set_knee(out, raw, suffix,
                  raw["knee_flexion" + suffix] + knee - k.angles_from_joint(leg, 0.0, 0.0)[1])
    return out


def standing_leg_lengths(raw: dict[str, np.ndarray], window: np.ndarray, shift: float,
                         below: float, max_knee_deg: float
                         ) -> dict[str, tuple[float, float, float]]:
    """Per leg key, ``(thigh, shank, joint–ankle distance)`` over the frames ``window``.

    Medians in trunk lengths, the thigh and the distance from the hip joint placed
    ``shift``, ``below`` as in :func:`with_standing_hip`, of the legs standing straight
    there (the knee within ``max_knee_deg``: a start seated or with the knees bent
    shows no straight leg's reach); other legs are left out.
    """
    out = {}
    for suffix in ("", "_other"):
        leg = _leg_frame(raw, suffix, window)
        if leg is None:
            continue
        knee = raw["knee_flexion" + suffix][window]
        knee = knee[np.isfinite(knee)]
        if knee.size < 3 or not np.median(np.abs(knee)) <= max_knee_deg:
            continue
        thigh = k.thigh_length_from_joint(leg, shift, below)
        shank = np.linalg.norm(leg[:, 1, :], axis=-1)
        reach = np.linalg.norm(k.joint_to_ankle(leg, shift, below), axis=-1)
        ok = np.isfinite(thigh) & np.isfinite(shank) & np.isfinite(reach)
        if ok.sum() >= 3:
            out[suffix] = (float(np.median(thigh[ok])), float(np.median(shank[ok])),
                           float(np.median(reach[ok])))
    return out


def with_leg_lengths(raw: dict[str, np.ndarray], meas: dict[str, np.ndarray],
                     cal: Calibration) -> dict[str, np.ndarray]:
    """Calibrated ``meas``, each leg's hip and knee read from its lengths where the thigh is short.

    From the hip–ankle line and the start's segment lengths. Standing side-on the
    picture draws the thigh at its standing length whatever the pose; a thigh drawn
    shorter (below ``cal.thigh_shrink``'s high share of ``cal.standing_leg``'s) shows the
    model's knee landmark pulled back along it, and the angles are read more and more
    (all at the low share) from :func:`kinematics.angles_from_leg_lengths`, which does
    not use it. ``raw``: the measures with the hip joint placed (:func:`with_standing_hip`).
    """
    out = dict(meas)
    shift, below = cal.standing_hip
    low, high = cal.thigh_shrink
    for suffix, (thigh, shank, straight) in cal.standing_leg.items():
        leg = _leg_frame(raw, suffix)
        if leg is None or not thigh > 0:
            continue
        hip, knee = k.angles_from_leg_lengths(leg, shift, below, thigh, shank, straight)
        w = k.thigh_shrink_weight(k.thigh_length_from_joint(leg, shift, below) / thigh,
                                  low, high)
        # a thigh raised forward (a knee lift): not a leg put behind
        w = w * np.clip(k.hip_flexion_from_joint(leg, shift, below) / RAISED_THIGH_DEG, 0, 1)
        use = np.isfinite(w) & (w > 0) & np.isfinite(hip) & np.isfinite(knee)
        for name, new in (("hip_flexion", hip), ("knee_flexion", knee)):
            # Only ever more flexed: the knee landmark pulled back along a raised thigh
            # turns the thigh down and the shank forward, so both read short; a smaller
            # reading from the lengths is something else (a turned camera shortening the
            # thigh in the picture: a real knee drive filmed obliquely, its hip past 90°).
            was = out[name + suffix]
            out[name + suffix] = np.where(use, np.fmax(was, (1 - w) * was + w * new), was)
        out["hip_extension" + suffix] = np.where(use, -out["hip_flexion" + suffix],
                                                 out["hip_extension" + suffix])
    return out


def straight_leg_hip_shift(raw: dict[str, np.ndarray], window: np.ndarray,
                           max_knee_deg: float) -> float:
    """The hips' misplacement (trunk lengths, + = towards the front) shown by a straight leg.

    Over the frames ``window`` (the still start pose), a leg whose knee reads
    within ``max_knee_deg`` of straight should have its hip in line with the
    knee and ankle: how far the model put the hip in front of that line (median,
    the better-seen such leg) is its misplacement. 0 when no leg shows it.
    """
    best, shift = -1.0, 0.0
    for suffix in ("", "_other"):
        leg = _leg_frame(raw, suffix, window)
        if leg is None:
            continue
        knee = raw["knee_flexion" + suffix][window]
        off = k.hip_off_leg_line(leg)
        ok = np.isfinite(off) & np.isfinite(knee)
        if ok.sum() < 3 or not np.median(np.abs(knee[ok])) <= max_knee_deg:
            continue
        q = raw.get("quality" + suffix, np.ones_like(knee))[window][ok]
        if float(np.median(q)) > best:
            best, shift = float(np.median(q)), float(np.median(off[ok]))
    return shift


def feet_flat_hip_shift(raw: dict[str, np.ndarray], window: np.ndarray,
                        max_shift: float) -> float:
    """The hips' misplacement (trunk lengths, + = towards the front) shown by a foot on the surface.

    Lying on the back with the feet on the surface (a bridge's start), the hip
    should lie on the line from the shoulders to the ankle
    (:func:`kinematics.hip_off_shoulder_ankle_line`). Over the frames ``window``,
    where the hips lie lowest (a low percentile: a start that already lifts them
    counts only its resting frames), how far the model put the hip in front of
    that line, from the better-seen leg. 0 when no leg shows it within
    ``max_shift``: farther off, the hips are lifted or the foot is up.
    """
    best, shift = -1.0, 0.0
    for suffix in ("", "_other"):
        leg = _leg_frame(raw, suffix, window)
        if leg is None:
            continue
        off = k.hip_off_shoulder_ankle_line(leg)
        ok = np.isfinite(off)
        if ok.sum() < 3:
            continue
        rest = float(np.percentile(off[ok], 10))
        q = raw.get("quality" + suffix, np.ones(len(window)))[window][ok]
        if abs(rest) <= max_shift and float(np.median(q)) > best:
            best, shift = float(np.median(q)), rest
    return shift


def camera_elevation(toe_below: list[float], tracking: Tracking) -> float:
    """How far (°) the camera looks down on a body standing at the start, from its feet.

    ``toe_below``: each foot's :func:`kinematics.toe_below_ankle` at the still start
    (their mean; NaN ones left out), read with ``tracking.camera_toe_level`` and
    ``camera_toe_per_tan`` (:func:`kinematics.camera_elevation_from_feet`), less
    ``camera_toe_margin_deg``: the elevation the feet show at the least (a person's
    feet differ from the average the reading assumes). At least 0 (a camera below the
    hips is taken as level), at most 35; 0 when off or not seen.
    """
    seen = [v for v in toe_below if np.isfinite(v)]
    if tracking.camera_toe_per_tan <= 0 or not seen:
        return 0.0
    e = float(k.camera_elevation_from_feet(float(np.mean(seen)), tracking.camera_toe_level,
                                           tracking.camera_toe_per_tan))
    return float(np.clip(e - tracking.camera_toe_margin_deg, 0.0, 35.0))


def standing_hip_below(tracking: Tracking, turn_deg: float) -> float:
    """How far (thigh lengths) a standing hip joint lies below the landmark.

    For a camera turned ``turn_deg`` from side-on (> 0 towards the body's front):
    ``tracking.standing_hip_below`` side-on and from behind, ``standing_hip_below_front``
    from 30° in front on, in proportion between (when set).
    """
    side, front = tracking.standing_hip_below, tracking.standing_hip_below_front
    if front <= 0:
        return side
    return side + (front - side) * float(np.clip(turn_deg / FRONT_TURN_DEG, 0.0, 1.0))


def calibrate(raw: dict[str, np.ndarray], t: np.ndarray, spec: ExerciseSpec,
              tracking: Tracking, rest_reference: dict[str, np.ndarray] | None = None,
              still_sd_deg: float = STILL_SD_DEG, turn_deg: float = 0.0) -> Calibration:
    """Learn the start pose from the first ``calibration_s`` of usable frames.

    A still start whose movement signal reads within ``max_calibration_offset_deg``
    of neutral calibrates every angle (method ``start``). Otherwise (a recording
    that starts mid-movement, seated or lying, or a model that reads the resting
    angle far from 0) the signal's resting level, a low percentile over the
    recording, is taken as its neutral reading (``resting_level``), so the
    movement is still counted; the other angles too where that level is within
    the model's usual offset.
    For a two-legged exercise the decision is made on the better-seen leg.
    ``rest_reference``: the same measures over the whole recording, when ``raw``
    holds only one view segment of it. A segment that never returns to rest (a
    patient turning while seated) then takes the recording's resting level where
    its own lies more than ``max_calibration_offset_deg`` above it.
    ``still_sd_deg``: the signal's spread over the window under which the start is still
    (a noisy pose model's still start spreads wider). ``turn_deg``: the camera's turn from
    side-on (> 0 towards the body's front; :func:`standing_hip_below`).
    """
    suffix = ""
    if spec.legs == "both" and "quality_other" in raw:
        if np.nanmedian(raw["quality_other"]) > np.nanmedian(raw["quality"]):
            suffix = "_other"
    valid = np.isfinite(raw["knee_flexion" + suffix]) & np.isfinite(raw["trunk_lean_forward"])
    if not valid.any():
        return Calibration()
    t0 = t[np.flatnonzero(valid)[0]]
    window = valid & (t >= t0) & (t <= t0 + tracking.calibration_s)

    def start(name: str) -> float:
        v = raw[name][window]
        v = v[np.isfinite(v)]
        return float(np.median(v)) if v.size else float("nan")

    cal = Calibration(knee_flexion_start=start("knee_flexion" + suffix))
    if spec.posture == "lying" and spec.start_knee_flexion_deg \
            and tracking.lying_max_hip_shift > 0:
        # Knees bent, feet on the surface (a bridge): the shoulders and ankles show
        # where the hips lie; measure with them moved there.
        cal.hip_shift = feet_flat_hip_shift(raw, window, tracking.lying_max_hip_shift)
        raw = with_hip_shift(raw, cal.hip_shift)
        cal.knee_flexion_start = start("knee_flexion" + suffix)
    elif spec.calibrate and spec.posture == "lying" and tracking.lying_straight_knee_deg > 0:
        # A leg lying straight at the start shows how far the model put the hips
        # off the joints: measure with them moved back (the angle it gave the
        # start pose is then the knee's own, and no longer subtracted as a constant).
        cal.hip_shift = straight_leg_hip_shift(raw, window, tracking.lying_straight_knee_deg)
        raw = with_hip_shift(raw, cal.hip_shift)
    elif spec.calibrate and spec.posture == "standing" and tracking.standing_hip_below > 0:
        # Standing: the hip landmark's misplacement is a position, not an angle (see
        # Tracking.standing_hip_below): its part in front of the leg's line the start
        # shows; the part above the joint, which a straight leg hides, the model's own.
        shift = straight_leg_hip_shift(raw, window, STANDING_STRAIGHT_KNEE_DEG)
        if abs(shift) > tracking.standing_max_hip_shift:
            shift = 0.0
        cal.standing_hip = (shift, standing_hip_below(tracking, turn_deg))
        raw = with_standing_hip(raw, *cal.standing_hip)
        if spec.thigh_from_leg_lengths and tracking.standing_thigh_shrink_high > 0:
            cal.standing_leg = standing_leg_lengths(raw, window, *cal.standing_hip,
                                                    STANDING_STRAIGHT_KNEE_DEG)
            cal.thigh_shrink = (tracking.standing_thigh_shrink_low,
                                tracking.standing_thigh_shrink_high)
    cal.surface_dir = (start("trunk_dx"), start("trunk_dy"))
    signal = spec.signal + suffix
    seen = raw[signal][window] if signal in raw else np.array([])
    seen = seen[np.isfinite(seen)]
    window_sd = float(np.std(seen)) if seen.size else np.nan
    still = bool(window_sd < still_sd_deg)  # its readings spread by the landmarks' noise alone
    for leg in ("", "_other"):
        cal.heel_rest[leg] = (start("heel_x" + leg), start("heel_y" + leg))
        if "knee_x" + leg in raw:
            reach = np.hypot(raw["heel_x" + leg] - raw["knee_x" + leg],
                             raw["heel_y" + leg] - raw["knee_y" + leg])[window]
            reach = reach[np.isfinite(reach)]
            cal.heel_reach[leg] = float(np.median(reach)) if reach.size else np.nan
        hip = raw["hip_flexion" + leg]
        cal.hip_flexion_rest[leg] = top_level(hip, HIP_REST_PERCENTILE, reading_noise(
            hip, robust_sd(hip[window]) if still else np.nan))
        reach = raw.get("hip_ankle" + leg, np.array([]))
        cal.hip_ankle_rest[leg] = straight_reach(
            reach, robust_sd(reach[window]) if still and reach.size else np.nan)
        cal.shank_rest[leg] = (start("shank_thigh" + leg), start("shank_shank" + leg)) \
            if "shank_thigh" + leg in raw else (np.nan, np.nan)
        cal.shank_noise[leg] = tuple(
            shake_allowance(reading_noise(raw[name + leg] / ref), tracking)
            for name, ref in zip(("shank_thigh", "shank_shank"), cal.shank_rest[leg],
                                 strict=True)) if "shank_thigh" + leg in raw else (0.0, 0.0)
    if spec.posture == "lying" and tracking.lying_width_ratio > 0:
        cal.lying_elevation_deg = k.lying_camera_elevation_deg(start("across_spread"),
                                                               tracking.lying_width_ratio)
    if spec.posture == "standing":
        cal.camera_elevation_deg = camera_elevation(
            [start("toe_below_ankle" + leg) for leg in ("", "_other")
             if "toe_below_ankle" + leg in raw], tracking)
    cal.knee_from_hip_drop = spec.knee_from_hip_drop
    cal.hip_drop_noise = tracking.hip_drop_noise
    cal.knee_from_slide = spec.knee_from_slide
    cal.knee_noise_deg = tracking.smoothing_noise_deg
    if not spec.calibrate:
        return cal
    offsets = {}
    for name in ZERO_AT_NEUTRAL:
        for leg in ("", "_other") if name.startswith(("hip", "knee", "thigh")) else ("",):
            offsets[name + leg] = start(name + leg)
    signal_offset = offsets.get(signal, float("nan"))
    limit = tracking.max_calibration_offset_deg
    if np.isfinite(signal_offset) and abs(signal_offset) <= limit \
            and (not np.isfinite(window_sd) or window_sd < still_sd_deg):
        cal.offsets = {n: (v if np.isfinite(v) and abs(v) <= limit else 0.0)
                       for n, v in offsets.items()}
        if spec.legs == "both":
            # Both legs stand in the same neutral pose, which the better-seen leg's
            # still start showed: the other leg's reading there is the model's offset
            # for it too, however large (from the front and above, a straight knee
            # can read past the limit on one leg and not the other).
            for name in (spec.signal, spec.signal + "_other"):
                if np.isfinite(offsets.get(name, np.nan)):
                    cal.offsets[name] = offsets[name]
        cal.applied, cal.method = True, "start"
    elif spec.signal in raw:
        # No still neutral start: take each angle's resting level, its low
        # percentile over the recording, as its neutral reading: for the
        # movement signal whatever it is, for the other angles only within the
        # model's usual offset (a hip flexed 80° while seated stays 80°).
        signals = (spec.signal, spec.signal + "_other")
        rep_depth = spec.target_deg - spec.return_deg
        for name in dict.fromkeys((*signals, *offsets)):
            v = raw[name] if name in raw else np.array([])
            low = resting_level(v, rep_depth if name in signals else 0.0)
            if name in signals and rest_reference is not None and name in rest_reference:
                whole_low = resting_level(rest_reference[name], rep_depth)
                if low - whole_low > limit:
                    low = whole_low
            if np.isfinite(low) and (name in signals or abs(low) <= limit):
                cal.offsets[name] = low
                cal.method = "resting_level"
    return cal


def resting_level(v: np.ndarray, rep_depth: float = 0.0) -> float:
    """The level a signal ``(T,)`` rests at, without a still start to show it.

    With ``rep_depth`` (how far a rep goes from its return level to its target):
    the median of the troughs between its cycles, the minima at least that
    deep below the movement on both sides (the recording's ends count as rising)
    and in the lower half of its range (dips in a noisy held position are not
    rests); a few frames misread low (a person turning, a misplaced leg) do not
    move it. Never below the signal's 5th percentile, which it is without
    ``rep_depth`` or with fewer than two such troughs.
    NaN with 10 or fewer readings.
    """
    v = v[np.isfinite(v)]
    if v.size <= 10:
        return float("nan")
    low = float(np.percentile(v, 5))
    if rep_depth <= 0:
        return low
    edge = [float(v.max())]
    padded = np.concatenate((edge, v, edge))
    troughs, _ = find_peaks(-padded, prominence=rep_depth)
    levels = padded[troughs]
    levels = levels[levels <= (low + float(np.percentile(v, 95))) / 2]
    return max(low, float(np.median(levels))) if len(levels) >= 2 else low


def calibrated(raw: dict[str, np.ndarray], cal: Calibration) -> dict[str, np.ndarray]:
    """Measures with the calibration applied, plus the derived relative ones.

    Adds ``trunk_lean_side`` (|sideways lean| from the start), ``heel_rise``,
    ``hip_lift``, ``knee_flexion_slide`` (:func:`kinematics.knee_flexion_from_slide`
    against the straight leg's hip–ankle distance), ``knee_flexion_shank``
    (:func:`kinematics.knee_flexion_from_shank` against the start's shank, for the
    camera's elevation and the thigh's abduction), ``knee_flexion_tempo`` (per leg, the
    knee a rep is timed on: :func:`with_knee_from_hip_drop`, else the knee) and
    ``knee_bend`` (per leg) to the calibrated angles; where the calibration says so
    (``knee_from_hip_drop``), knee and hip flexion read from the hips' drop
    (:func:`with_knee_from_hip_drop`), and (``knee_from_slide``) the knee from its
    landmarks and the heel's slide together. ``knee_bend``
    is the larger of the knee's flexion as measured for the view and its bend in the
    picture: from the front the model's 3-D knee misses much of a bend, and the
    picture shows a bend across the line of sight.
    """
    raw = with_standing_hip(with_hip_shift(raw, cal.hip_shift), *cal.standing_hip)
    out = {n: v - cal.offsets.get(n, 0.0) for n, v in raw.items()}
    if cal.standing_leg:
        out = with_leg_lengths(raw, out, cal)
    out["trunk_lean_side"] = np.abs(out["trunk_lean_side_signed"])
    along = np.array(cal.surface_dir)  # the surface's line in the picture, lying
    for suffix in ("", "_other"):
        heel = np.stack([raw["heel_x" + suffix], raw["heel_y" + suffix]], axis=-1)
        knee = np.stack([raw["knee_x" + suffix], raw["knee_y" + suffix]], axis=-1) \
            if "knee_x" + suffix in raw else None
        reach = cal.heel_reach.get(suffix, np.nan)
        if knee is not None and math.isfinite(cal.lying_elevation_deg):
            reach = k.foreshortened_reach(heel, knee, along, reach, cal.lying_elevation_deg)
        out["heel_rise" + suffix] = k.heel_rise(
            heel, raw["shank" + suffix], np.array(cal.heel_rest.get(suffix, (np.nan, np.nan))),
            along, knee, reach)
        out["hip_lift" + suffix] = cal.hip_flexion_rest.get(suffix, np.nan) - raw[
            "hip_flexion" + suffix]
        if "hip_ankle" + suffix in raw:
            out[SLIDE_SIGNAL + suffix] = k.knee_flexion_from_slide(
                raw["hip_ankle" + suffix], cal.hip_ankle_rest.get(suffix, np.nan))
    if cal.knee_from_hip_drop:
        out = with_knee_from_hip_drop(raw, out, cal)
    if cal.knee_from_slide and cal.hip_drop_noise > 0 and cal.knee_noise_deg > 0:
        for suffix in ("", "_other"):
            if SLIDE_SIGNAL + suffix in out:
                out["knee_flexion" + suffix] = k.knee_from_slide_and_landmarks(
                    out["knee_flexion" + suffix], out[SLIDE_SIGNAL + suffix],
                    cal.hip_drop_noise, cal.knee_noise_deg)
    for suffix in ("", "_other"):
        # The knee a rep is timed on: as the drop reads it where that is how it is read
        # (above), else the knee itself (a rep filmed partly from the front and partly
        # from the side is timed on both).
        out.setdefault(KNEE_TEMPO + suffix, out["knee_flexion" + suffix])
        out["knee_bend" + suffix] = np.fmax(out["knee_flexion" + suffix],
                                            out["knee_flexion_image" + suffix])
        if "shank_thigh" + suffix in raw:
            thigh0, other0 = cal.shank_rest.get(suffix, (np.nan, np.nan))
            # A shortening within the ratios' shake reads straight: read through the
            # bend's cosine, a straight leg's jitter (under 0.3 % landmark noise ~5 % SD)
            # reads as 15-35° bends, past the front view's 25° limit.
            n_thigh, n_other = np.nan_to_num(cal.shank_noise.get(suffix, (0.0, 0.0)))
            out["knee_flexion_shank" + suffix] = k.knee_flexion_from_shank(
                raw["shank_thigh" + suffix] / thigh0 + n_thigh,
                raw["shank_shank" + suffix] / other0 + n_other,
                cal.camera_elevation_deg, np.abs(out["hip_abduction" + suffix]))
    return out


def with_knee_from_hip_drop(raw: dict[str, np.ndarray], meas: dict[str, np.ndarray],
                            cal: Calibration) -> dict[str, np.ndarray]:
    """Calibrated ``meas`` with each leg's knee and hip flexion read from the hips' drop.

    For a squat on both feet seen from the front, where the model's 3-D knee reads a
    fraction of the bend (renders: a 60° squat 12-27°): the knee from how far the hip
    came down towards the ankle (:func:`kinematics.knee_flexion_from_hip_drop`), against
    ``hip_ankle_standing`` (:data:`STANDING_WINDOW_S`) where ``raw`` holds it, else the
    calibration's ``hip_ankle_rest``. The thigh then tilts forward half the knee's bend
    (``thigh_elevation``), and the hip flexes that much plus the trunk's own forward
    lean, which the 3-D landmarks show (their hip flexion less their thigh's tilt,
    calibrated; the model reads the trunk's lean nearer the truth than the thigh's).
    The knee as the landmarks show it stays as ``knee_flexion_landmarks``; the knee the
    drop reads without the jitter allowance is ``knee_flexion_tempo``, what a squat is
    timed on: the allowance reads a 21° bend as 6° and a 29° one as 24°, so a squat timed
    on the knee as reported came down later and went back up sooner than it did.
    """
    out = dict(meas)
    for suffix in ("", "_other"):
        reach = raw.get("hip_ankle" + suffix)
        if reach is None:
            continue
        standing = raw.get("hip_ankle_standing" + suffix,
                           cal.hip_ankle_rest.get(suffix, np.nan))
        seen = np.isfinite(meas["knee_flexion" + suffix])
        knee = np.where(seen, k.knee_flexion_from_hip_drop(reach, standing, cal.hip_drop_noise),
                        np.nan)
        out[KNEE_TEMPO + suffix] = np.where(
            seen, k.knee_flexion_from_hip_drop(reach, standing), np.nan)
        trunk = meas["hip_flexion" + suffix] - meas["thigh_elevation" + suffix]
        hip = knee / 2 + trunk
        out["knee_flexion" + suffix], out["thigh_elevation" + suffix] = knee, knee / 2
        out["hip_flexion" + suffix], out["hip_extension" + suffix] = hip, -hip
    return out
