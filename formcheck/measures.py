"""From landmarks to the named measures an exercise uses (angles in degrees).

``compute_measures`` works on a whole ``(T, 33, 2)`` sequence or a single
``(1, 33, 2)`` frame, so recorded video and live video share it. Measures whose
landmarks are not visible enough are NaN. :class:`Calibration` holds what the
neutral start pose taught: the model's constant offset per angle and the
reference heel and bridge heights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import kinematics as k
from .pose import Landmark as L
from .pose import side_landmark
from .protocol import ExerciseSpec, Tracking

# Angles whose neutral (standing or lying straight) value is 0°: calibration
# subtracts the start pose's reading from them.
ZERO_AT_NEUTRAL = (
    "hip_flexion", "hip_extension", "knee_flexion", "hip_abduction",
    "trunk_lean_forward", "trunk_lean_back", "trunk_lean_side_signed",
)
TRUNK = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def _needs(side: str) -> dict[str, tuple[int, ...]]:
    s = lambda name: side_landmark(side, name)  # noqa: E731
    return {
        "hip_flexion": TRUNK + (s("knee"),),
        "knee_flexion": (s("hip"), s("knee"), s("ankle")),
        "hip_abduction": TRUNK + (s("knee"),),
        "heel_y": (s("heel"), s("knee"), s("ankle")),
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


VIEWS_3D = ("front", "lying_front")
"""Views where hip and knee flexion come from the 3-D world landmarks."""
VIEWS_TURNED = ("oblique",)
"""Views where 2-D sagittal angles are corrected for the camera's turn."""


def compute_measures(xy: np.ndarray, vis: np.ndarray, side: str, min_visibility: float,
                     front_sign: float, world: np.ndarray | None = None,
                     turn_deg: float | None = None) -> dict[str, np.ndarray]:
    """Raw (uncalibrated) measures for the operated ``side`` and the other leg.

    Args:
        xy: ``(T, 33, 2)`` isotropic landmark positions (NaN where no person).
        vis: ``(T, 33)`` visibility.
        side: operated side; measures of the other leg get the suffix ``_other``.
        min_visibility: landmarks less visible than this make their measures NaN.
        front_sign: body facing sign for the sagittal angles.
        world: ``(T, 33, 3)`` world landmarks; when given, hip and knee flexion
            are measured in 3-D (for a camera in front of the person).
        turn_deg: when given, hip and knee flexion come from 2-D segment
            inclinations corrected for a camera turned this far from side-on
            (a standing person seen at an angle).

    Returns:
        dict of ``(T,)`` arrays: ``hip_flexion``, ``hip_extension``, ``knee_flexion``,
    ``hip_abduction``, ``trunk_lean_forward``, ``trunk_lean_back``,
    ``trunk_lean_side_signed``, ``heel_y``, ``shank``,
    ``knee_width_ratio``, ``knee_past_midline``, each leg measure also ``*_other``.

    """
    out: dict[str, np.ndarray] = {}
    for leg, suffix in ((side, ""), (k.other_side(side), "_other")):
        need = _needs(leg)
        g = lambda name, v, need=need: _gate(v, vis, need[name], min_visibility)  # noqa: E731
        if world is not None:
            hip, knee = k.hip_flexion_3d_deg(world, leg), k.knee_flexion_3d_deg(world, leg)
        elif turn_deg is not None:
            hip, knee = k.sagittal_angles_deg(xy, leg, front_sign, turn_deg)
        else:
            hip = k.hip_flexion_deg(xy, leg, front_sign)
            knee = k.knee_flexion_deg(xy, leg)
        out["hip_flexion" + suffix] = g("hip_flexion", hip)
        out["hip_extension" + suffix] = -out["hip_flexion" + suffix]
        out["knee_flexion" + suffix] = g("knee_flexion", knee)
        out["hip_abduction" + suffix] = g("hip_abduction", k.hip_abduction_deg(xy, leg))
        out["heel_y" + suffix] = g("heel_y", xy[..., side_landmark(leg, "heel"), 1])
        out["shank" + suffix] = g("heel_y", k.shank_length(xy, leg))
        out["knee_past_midline" + suffix] = g("knee_past_midline", k.knee_past_midline(xy, leg))
    trunk_ok = lambda v: _gate(v, vis, TRUNK, min_visibility)  # noqa: E731
    out["trunk_lean_forward"] = trunk_ok(k.trunk_lean_forward_deg(xy, front_sign))
    out["trunk_lean_back"] = -out["trunk_lean_forward"]
    out["trunk_lean_side_signed"] = trunk_ok(k.trunk_lean_deg(xy))
    knees = (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    out["knee_width_ratio"] = _gate(k.knee_ankle_width_ratio(xy), vis, knees, min_visibility)
    return out


@dataclass
class Calibration:
    """What the neutral start pose taught.

    Attributes:
        offsets: measure name → degrees subtracted (the model's constant offset).
        heel_y: reference heel height (image y) per leg key ``""`` / ``"_other"``.
        hip_flexion_rest: resting (most flexed) hip flexion per leg key, the
            reference of ``hip_lift``.
        applied: whether a still neutral start pose calibrated all angles.
        method: ``start`` (neutral start pose), ``resting_level`` (only the
            movement signal, from its resting level) or ``none``.
        knee_flexion_start: knee flexion of the operated leg at the start.

    """

    offsets: dict[str, float] = field(default_factory=dict)
    heel_y: dict[str, float] = field(default_factory=dict)
    hip_flexion_rest: dict[str, float] = field(default_factory=dict)
    applied: bool = False
    knee_flexion_start: float = float("nan")
    method: str = "none"


def calibrate(raw: dict[str, np.ndarray], t: np.ndarray, spec: ExerciseSpec,
              tracking: Tracking) -> Calibration:
    """Learn the start pose from the first ``calibration_s`` of usable frames."""
    valid = np.isfinite(raw["knee_flexion"]) & np.isfinite(raw["trunk_lean_forward"])
    if not valid.any():
        return Calibration()
    t0 = t[np.flatnonzero(valid)[0]]
    window = valid & (t >= t0) & (t <= t0 + tracking.calibration_s)

    def start(name: str) -> float:
        v = raw[name][window]
        v = v[np.isfinite(v)]
        return float(np.median(v)) if v.size else float("nan")

    cal = Calibration(knee_flexion_start=start("knee_flexion"))
    for suffix in ("", "_other"):
        cal.heel_y[suffix] = start("heel_y" + suffix)
        hip = raw["hip_flexion" + suffix]
        hip = hip[np.isfinite(hip)]
        cal.hip_flexion_rest[suffix] = float(np.percentile(hip, 97)) if hip.size else np.nan
    if not spec.calibrate:
        return cal
    offsets = {}
    for name in ZERO_AT_NEUTRAL:
        for suffix in ("", "_other") if name.startswith(("hip", "knee")) else ("",):
            offsets[name + suffix] = start(name + suffix)
    signal_offset = offsets.get(spec.signal, float("nan"))
    window_sd = np.nanstd(raw[spec.signal][window]) if spec.signal in raw else np.nan
    limit = tracking.max_calibration_offset_deg
    if np.isfinite(signal_offset) and abs(signal_offset) <= limit \
            and (not np.isfinite(window_sd) or window_sd < 4.0):
        cal.offsets = {n: (v if np.isfinite(v) and abs(v) <= limit else 0.0)
                       for n, v in offsets.items()}
        cal.applied, cal.method = True, "start"
    elif spec.signal in raw:
        # No still neutral start (a recording that starts mid-movement): take
        # the signal's resting level, its low percentile, as the neutral reading.
        for name in (spec.signal, spec.signal + "_other"):
            v = raw[name][np.isfinite(raw[name])]
            low = float(np.percentile(v, 3)) if v.size > 10 else float("nan")
            if np.isfinite(low) and abs(low) <= limit:
                cal.offsets[name] = low
                cal.method = "resting_level"
    return cal


def calibrated(raw: dict[str, np.ndarray], cal: Calibration) -> dict[str, np.ndarray]:
    """Measures with the calibration applied, plus the derived relative ones.

    Adds ``trunk_lean_side`` (|sideways lean| from the start), ``heel_rise`` and
    ``hip_lift`` (per leg) to the calibrated angles.
    """
    out = {n: v - cal.offsets.get(n, 0.0) for n, v in raw.items()}
    out["trunk_lean_side"] = np.abs(out["trunk_lean_side_signed"])
    for suffix in ("", "_other"):
        ref = cal.heel_y.get(suffix, np.nan)
        out["heel_rise" + suffix] = (ref - raw["heel_y" + suffix]) / np.maximum(
            raw["shank" + suffix], 1e-9)
        out["hip_lift" + suffix] = cal.hip_flexion_rest.get(suffix, np.nan) - raw[
            "hip_flexion" + suffix]
    return out
