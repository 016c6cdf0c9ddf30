"""Ground-truth joint angles from 3D joint centres (degrees, 0 = standing straight).

All functions are pure and vectorised: joints are arrays shaped (..., 3).

Conventions
-----------
- trunk axis ``u``: hip centre -> shoulder centre; lateral ``l``: right hip -> left hip;
  trunk forward ``f = l x u`` (orthonormalised).
- hip flexion: angle between the trunk line continued below the hip (``-u``) and the
  thigh (hip -> knee), in the trunk's sagittal plane (``u``, ``f``); positive when the
  knee goes forward, negative = extension.
- hip abduction: the same in the trunk's frontal plane (``u``, ``l``); positive away
  from the midline, negative = adduction (a thigh above the horizontal is measured
  against the trunk line continued upwards, so the value never wraps to +-180).
- knee flexion: 180 - angle(hip, knee, ankle).
- trunk lean: angle of ``u`` from a reference "up" direction, forward component in the
  plane (up, forward reference), side component (magnitude) in the plane (up, lateral).
  Standing: up = world vertical, forward = the person's horizontal facing direction.
"""

from __future__ import annotations

import numpy as np


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


def trunk_frame(
    hip_l: np.ndarray, hip_r: np.ndarray, sh_l: np.ndarray, sh_r: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the trunk's (up ``u``, lateral-left ``l``, forward ``f``) unit axes, each (..., 3)."""
    u = _unit(0.5 * (sh_l + sh_r) - 0.5 * (hip_l + hip_r))
    lat = hip_l - hip_r
    lat = _unit(lat - _dot(lat, u)[..., None] * u)
    f = np.cross(lat, u)
    return u, lat, f


def hip_angles(
    hip: np.ndarray, knee: np.ndarray, u: np.ndarray, lat: np.ndarray, f: np.ndarray, side: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return (hip flexion, hip abduction) in degrees for one side, each shaped (...)."""
    d = knee - hip
    down = -_dot(d, u)
    flex = np.degrees(np.arctan2(_dot(d, f), down))
    outward = lat if side == "left" else -lat
    # |down| keeps a thigh raised above the horizontal from wrapping to +-180 degrees
    abd = np.degrees(np.arctan2(_dot(d, outward), np.abs(down)))
    return flex, abd


def knee_flexion(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Return 180 - angle(hip, knee, ankle) in degrees, shaped (...)."""
    a = _unit(hip - knee)
    b = _unit(ankle - knee)
    inner = np.degrees(np.arccos(np.clip(_dot(a, b), -1.0, 1.0)))
    return 180.0 - inner


def trunk_lean(
    u: np.ndarray, up_ref: np.ndarray, fwd_ref: np.ndarray, lat_ref: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (forward lean, |side lean|) in degrees of trunk axis ``u`` against references."""
    up = _dot(u, up_ref)
    fwd = np.degrees(np.arctan2(_dot(u, fwd_ref), up))
    side = np.abs(np.degrees(np.arctan2(_dot(u, lat_ref), up)))
    return fwd, side


def all_angles(
    joints: dict[str, np.ndarray], up_ref: np.ndarray, fwd_ref: np.ndarray, lat_ref: np.ndarray
) -> dict[str, object]:
    """Return every ground-truth angle series from joint centres shaped (T, 3).

    Returns a dict with ``hip_flexion_deg``, ``knee_flexion_deg``, ``hip_abduction_deg``
    (each ``{"left": (T,), "right": (T,)}``), ``trunk_lean_forward_deg`` and
    ``trunk_lean_side_deg`` (each (T,)).
    """
    u, lat, f = trunk_frame(
        joints["hip_l"], joints["hip_r"], joints["shoulder_l"], joints["shoulder_r"]
    )
    out: dict[str, object] = {
        "hip_flexion_deg": {}, "knee_flexion_deg": {}, "hip_abduction_deg": {},
    }
    for side, s in (("left", "l"), ("right", "r")):
        flex, abd = hip_angles(joints[f"hip_{s}"], joints[f"knee_{s}"], u, lat, f, side)
        out["hip_flexion_deg"][side] = flex  # type: ignore[index]
        out["hip_abduction_deg"][side] = abd  # type: ignore[index]
        out["knee_flexion_deg"][side] = knee_flexion(  # type: ignore[index]
            joints[f"hip_{s}"], joints[f"knee_{s}"], joints[f"ankle_{s}"]
        )
    fwd, side_lean = trunk_lean(u, up_ref, fwd_ref, lat_ref)
    out["trunk_lean_forward_deg"] = fwd
    out["trunk_lean_side_deg"] = side_lean
    return out
