"""Pose builders for the six leaflet exercises, and rep timelines with injected faults.

A builder turns a movement progress ``q`` in [0, 1] (0 = start pose, 1 = peak) and a
:class:`Rep` into a canonical :class:`~formcheck.synth.skeleton.Pose`. Canonical frame:
+x = the person's left, +y = up (standing; towards the head), +z = forward (face).
Lying exercises are built in the same body frame and turned onto the back afterwards.
Amplitudes and tempos here are synthetic defaults, not clinical facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from formcheck.synth.body import SEGMENTS
from formcheck.synth.skeleton import (
    SEG_INDEX,
    Pose,
    Rig,
    posed_joints,
    rot_x,
    rot_z,
    rotation_between,
    segment_transforms,
)

EXERCISES: tuple[str, ...] = (
    "hip_abduction", "mini_squat", "hip_flexion", "hip_extension_stretch", "heel_slide", "bridge",
)
LYING = frozenset({"heel_slide", "bridge"})
BILATERAL = frozenset({"mini_squat", "bridge"})

FAULTS: tuple[str, ...] = (
    "hip_flexion_limit", "trunk_lean", "knee_not_straight", "knee_valgus", "hold_too_short",
    "too_fast", "heel_lift", "incomplete_range", "wrong_leg", "adduction_past_midline",
)


@dataclass(frozen=True)
class ExerciseSpec:
    """Synthetic defaults of one exercise.

    Attributes
    ----------
    primary : angle series that carries the rep (key of the truth ``angles``).
    amplitude_deg : normal peak excursion of the primary angle from the start pose.
    required_hold_s : hold the leaflet asks for (0 = none).
    best_view : camera view that shows it best.
    faults : fault codes this exercise can show.

    """

    primary: str
    amplitude_deg: float
    required_hold_s: float
    best_view: str
    faults: tuple[str, ...]


SPECS: dict[str, ExerciseSpec] = {
    "hip_abduction": ExerciseSpec(
        "hip_abduction_deg", 25.0, 0.0, "front",
        ("trunk_lean", "knee_not_straight", "too_fast", "incomplete_range", "wrong_leg",
         "adduction_past_midline")),
    "mini_squat": ExerciseSpec(
        "knee_flexion_deg", 60.0, 0.0, "side",
        ("hip_flexion_limit", "knee_valgus", "too_fast", "incomplete_range")),
    "hip_flexion": ExerciseSpec(
        "hip_flexion_deg", 70.0, 3.0, "oblique",
        ("hip_flexion_limit", "trunk_lean", "hold_too_short", "too_fast", "incomplete_range",
         "wrong_leg")),
    "hip_extension_stretch": ExerciseSpec(
        "hip_flexion_deg", -18.0, 8.0, "side",
        ("trunk_lean", "knee_not_straight", "heel_lift", "hold_too_short", "too_fast",
         "incomplete_range", "wrong_leg")),
    "heel_slide": ExerciseSpec(
        "hip_flexion_deg", 55.0, 3.0, "side",
        ("heel_lift", "hold_too_short", "too_fast", "incomplete_range", "wrong_leg")),
    "bridge": ExerciseSpec(
        "hip_flexion_deg", -45.0, 3.0, "side",
        ("hold_too_short", "too_fast", "incomplete_range")),
}
"""Per exercise defaults; bridge amplitude is from the knees-90° start to in-line."""

INCOMPLETE_FRACTION = 0.4
CROSS_ADDUCTION_DEG = 22.0
"""Adduction reached when the leg swings past the midline after an abduction rep."""
CROSS_FLEXION_DEG = 20.0
"""Hip flexion while crossing, so the moving leg passes in front of the standing one."""
CROSS_S = 1.4
"""Duration of the swing past the midline and back to the start pose."""


@dataclass(frozen=True)
class Rep:
    """One movement in a clip's timeline (times in seconds from the clip start).

    ``scale`` multiplies the normal amplitude (0.4 for ``incomplete_range``);
    ``moving`` is ``"operated"`` or ``"other"`` (a wrong-leg rep); ``cross_s`` > 0 adds,
    after the return, a swing past the midline (adduction) and back; ``trunk_back_deg`` is
    how far the trunk leans back in a hip-flexion ``trunk_lean`` rep.
    """

    index: int
    start_s: float
    up_s: float
    hold_s: float
    down_s: float
    scale: float = 1.0
    moving: str = "operated"
    faults: tuple[str, ...] = ()
    amplitude_jitter: float = 1.0
    cross_s: float = 0.0
    trunk_back_deg: float = 22.0

    @property
    def peak_start_s(self) -> float:
        """Time the peak (hold) starts."""
        return self.start_s + self.up_s

    @property
    def end_s(self) -> float:
        """Time the return to the start pose ends."""
        return self.start_s + self.up_s + self.hold_s + self.down_s + self.cross_s


def _ease(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def progress(rep: Rep, t: np.ndarray) -> np.ndarray:
    """Movement progress of ``rep`` at times ``t`` (T,): 0 = start pose, 1 = peak.

    Negative while the leg swings past the midline after the return (``cross_s``):
    -1 = full crossing.
    """
    up = _ease((t - rep.start_s) / rep.up_s)
    down = _ease((t - rep.peak_start_s - rep.hold_s) / rep.down_s)
    q = up * (1.0 - down)
    if rep.cross_s > 0:
        x = np.clip((t - rep.end_s + rep.cross_s) / rep.cross_s, 0.0, 1.0)
        q = q - np.sin(np.pi * x) ** 2
    return q


def parse_faults(text: str) -> dict[int, tuple[str, ...]]:
    """Parse ``"2:trunk_lean,4:too_fast"`` into ``{2: ("trunk_lean",), 4: ("too_fast",)}``."""
    out: dict[int, list[str]] = {}
    for item in filter(None, (s.strip() for s in (text or "").split(","))):
        num, _, code = item.partition(":")
        if not num.strip().isdigit() or code.strip() not in FAULTS:
            raise ValueError(f"bad fault {item!r}: use REP:CODE with CODE in {FAULTS}")
        out.setdefault(int(num), []).append(code.strip())
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True)
class Timeline:
    """A clip's rep plan: ``reps`` in time order, ``duration_s`` total length."""

    reps: tuple[Rep, ...]
    duration_s: float
    lead_in_s: float = 1.6
    extra: dict = field(default_factory=dict)


def plan_timeline(
    exercise: str,
    n_reps: int,
    faults: dict[int, tuple[str, ...]],
    rng: np.random.Generator,
    lead_in_s: float = 1.6,
    rest_s: float = 1.6,
    tail_s: float = 0.6,
    tempo: float = 1.0,
    trunk_back_deg: float = 22.0,
) -> Timeline:
    """Plan ``n_reps`` movements with the requested per-rep faults (1-based rep numbers).

    ``tempo`` multiplies the up and down times of every rep but the ``too_fast`` ones.
    """
    spec = SPECS[exercise]
    bad = {c for codes in faults.values() for c in codes} - set(spec.faults)
    if bad:
        raise ValueError(f"{exercise} cannot show {sorted(bad)}; it can show {spec.faults}")
    if any(k < 1 or k > n_reps for k in faults):
        raise ValueError(f"fault rep numbers must be within 1..{n_reps}")
    t = lead_in_s
    reps = []
    for i in range(1, n_reps + 1):
        codes = faults.get(i, ())
        up = 1.1 * rng.uniform(0.9, 1.1) * tempo
        down = 1.2 * rng.uniform(0.9, 1.1) * tempo
        hold = spec.required_hold_s + 0.2 if spec.required_hold_s else 0.4
        if "hold_too_short" in codes:
            hold = 1.0 if spec.required_hold_s <= 3 else 3.0
        if "too_fast" in codes:
            up, hold, down = 0.4, 0.1, 0.4
        reps.append(Rep(
            index=i, start_s=t, up_s=up, hold_s=hold, down_s=down,
            scale=INCOMPLETE_FRACTION if "incomplete_range" in codes else 1.0,
            moving="other" if "wrong_leg" in codes else "operated",
            faults=tuple(c for c in codes if c != "wrong_leg"),
            amplitude_jitter=float(rng.uniform(0.95, 1.05)),
            cross_s=CROSS_S * max(tempo, 1.0) if "adduction_past_midline" in codes else 0.0,
            trunk_back_deg=trunk_back_deg,
        ))
        t = reps[-1].end_s + rest_s * rng.uniform(0.95, 1.05)
    end = reps[-1].end_s + tail_s if reps else lead_in_s + tail_s
    return Timeline(reps=tuple(reps), duration_s=end, lead_in_s=lead_in_s)


# ----------------------------------------------------------------------------- builders

def _sag_rot(d: np.ndarray) -> np.ndarray:
    """Rotation about +x that turns straight down onto direction ``d`` (in the y-z plane)."""
    return rot_x(np.degrees(np.arctan2(-d[2], -d[1])))


def _thigh_dir(flex: float, abd_out: float, side: str) -> np.ndarray:
    """Return the unit thigh direction whose projected angles are exactly flex/abd."""
    f, a = np.radians(flex), np.radians(abd_out)
    out = 1.0 if side == "l" else -1.0
    d = np.array([out * np.cos(f) * np.sin(a), -np.cos(f) * np.cos(a), np.sin(f) * np.cos(a)])
    return d / np.linalg.norm(d)


def _other(s: str) -> str:
    return "r" if s == "l" else "l"


class _Builder:
    """Accumulates segment rotations (canonical world) for one frame."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.rot = np.tile(np.eye(3), (len(SEGMENTS), 1, 1))

    def set(self, seg: str, r: np.ndarray) -> None:
        self.rot[SEG_INDEX[seg]] = r

    def get(self, seg: str) -> np.ndarray:
        return self.rot[SEG_INDEX[seg]]

    def arms(self, abd: float = 8.0, elbow: float = 12.0) -> None:
        trunk = self.get("trunk")
        for s, sign in (("l", 1.0), ("r", -1.0)):
            upper = trunk @ rot_z(sign * abd)
            fore = upper @ rot_x(-elbow)
            self.set(f"upperarm_{s}", upper)
            self.set(f"forearm_{s}", fore)
            self.set(f"hand_{s}", fore)

    def leg(self, s: str, thigh: np.ndarray, shank: np.ndarray, foot: np.ndarray | None) -> None:
        self.set(f"thigh_{s}", thigh)
        self.set(f"shank_{s}", shank)
        self.set(f"foot_{s}", shank if foot is None else foot)

    def joints(self, root: np.ndarray) -> dict[str, np.ndarray]:
        rot, off = segment_transforms(self.rig, Pose(self.rot.copy(), root))
        return posed_joints(self.rig, rot, off)

    def pose_anchored(self, joint: str, target: np.ndarray) -> Pose:
        """Return the pose with the root moved so ``joint`` lands on ``target``."""
        j = self.joints(np.zeros(3))[joint]
        return Pose(self.rot.copy(), target - j)


def _rest_joint(rig: Rig, name: str) -> np.ndarray:
    """Canonical-rest joint position with the hip centre at the origin."""
    b = _Builder(rig)
    b.arms()
    return b.joints(np.zeros(3))[name]


def _ik_knee(hip: np.ndarray, ankle: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """Knee position (3,) in the y-z plane of hip/ankle, bent forward (+z side)."""
    v = ankle - hip
    d = float(np.hypot(v[1], v[2]))
    d = min(d, l1 + l2)
    a = (l1 * l1 - l2 * l2 + d * d) / (2 * d)
    h = np.sqrt(max(l1 * l1 - a * a, 0.0))
    e = np.array([0.0, v[1], v[2]]) / np.hypot(v[1], v[2])
    n = np.array([0.0, e[2], -e[1]])
    if n[2] < 0 and abs(n[2]) >= abs(n[1]) * 1e-9:
        n = -n
    return hip + a * e + h * n


def build_hip_abduction(rig: Rig, side: str, q: float, rep: Rep) -> Pose:
    """Standing, moving leg straight sideways; trunk upright; stance ankle fixed.

    ``q`` < 0: the leg swings past the midline (adduction), a little forward of the
    standing leg.
    """
    m = side if rep.moving == "operated" else _other(side)
    st = _other(m)
    amp = SPECS["hip_abduction"].amplitude_deg * rep.scale * rep.amplitude_jitter
    if q < 0:
        b = _Builder(rig)
        b.arms(abd=10.0)
        d = _thigh_dir(CROSS_FLEXION_DEG * -q, CROSS_ADDUCTION_DEG * q, m)
        thigh = rotation_between(np.array([0.0, -1.0, 0.0]), d)
        b.leg(m, thigh, thigh, None)
        b.leg(st, np.eye(3), np.eye(3), np.eye(3))
        return b.pose_anchored(f"ankle_{st}", _rest_joint(rig, f"ankle_{st}"))
    lean = (22.0 if "trunk_lean" in rep.faults else 0.0) * q
    knee = (35.0 if "knee_not_straight" in rep.faults else 0.0) * q
    b = _Builder(rig)
    toward_stance = 1.0 if st == "l" else -1.0
    # Side lean of the trunk (top towards the stance side) about the root.
    b.set("trunk", rot_z(-toward_stance * lean))
    b.arms(abd=10.0)
    thigh = rotation_between(np.array([0.0, -1.0, 0.0]), _thigh_dir(0.0, amp * q, m))
    b.leg(m, thigh, thigh @ rot_x(knee), None)
    b.leg(st, np.eye(3), np.eye(3), np.eye(3))
    return b.pose_anchored(f"ankle_{st}", _rest_joint(rig, f"ankle_{st}"))


def build_mini_squat(rig: Rig, side: str, q: float, rep: Rep) -> Pose:
    """Both knees bend, trunk leans forward, feet flat and fixed."""
    deep = "hip_flexion_limit" in rep.faults
    k_pk = (100.0 if deep else 60.0) * rep.amplitude_jitter
    h_pk = (100.0 if deep else 55.0) * rep.amplitude_jitter
    t_pk = 40.0 if deep else 25.0
    s = rep.scale * q
    knee_f, hip_f, trunk_f = k_pk * s, h_pk * s, t_pk * s
    thigh_a = hip_f - trunk_f  # thigh angle from vertical, knee forward
    shank_a = knee_f - thigh_a  # shank angle from vertical, knee forward
    b = _Builder(rig)
    b.set("trunk", rot_x(trunk_f))
    b.arms(abd=8.0, elbow=25.0 * s + 10.0)
    valgus = (22.0 if "knee_valgus" in rep.faults else 0.0) * q
    l1, l2 = rig.lengths["thigh"], rig.lengths["shank"]
    for leg in ("l", "r"):
        thigh = rot_x(-thigh_a)
        shank = rot_x(shank_a)
        if valgus:
            ankle_rel = thigh @ np.array([0, -l1, 0]) + shank @ np.array([0, -l2, 0])
            medial = -1.0 if leg == "l" else 1.0
            axis = ankle_rel / np.linalg.norm(ankle_rel)
            # sign so the knee (forward of the axis) swings towards the midline
            turn = _axis_rot(axis, valgus)
            knee_pt = turn @ (thigh @ np.array([0, -l1, 0]))
            if knee_pt[0] * medial < 0:
                turn = _axis_rot(axis, -valgus)
            thigh, shank = turn @ thigh, turn @ shank
        b.leg(leg, thigh, shank, np.eye(3))
    target = _rest_joint(rig, "ankle_l")
    return b.pose_anchored("ankle_l", target)


def _axis_rot(axis: np.ndarray, deg: float) -> np.ndarray:
    a = np.radians(deg)
    k = axis / np.linalg.norm(axis)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * kx + (1 - np.cos(a)) * kx @ kx


def build_hip_flexion(rig: Rig, side: str, q: float, rep: Rep) -> Pose:
    """Standing, moving leg raised forward with the knee bent; stance ankle fixed."""
    m = side if rep.moving == "operated" else _other(side)
    st = _other(m)
    high = "hip_flexion_limit" in rep.faults
    h_pk = (102.0 if high else SPECS["hip_flexion"].amplitude_deg) * rep.amplitude_jitter
    hip_f = h_pk * rep.scale * q
    knee_f = min(90.0, 1.2 * hip_f)
    lean = (-rep.trunk_back_deg if "trunk_lean" in rep.faults else 0.0) * q
    b = _Builder(rig)
    b.set("trunk", rot_x(lean))
    b.arms(abd=10.0)
    thigh = b.get("trunk") @ rot_x(-hip_f)
    shank = thigh @ rot_x(knee_f)
    b.leg(m, thigh, shank, shank @ rot_x(-15.0 * q))
    b.leg(st, np.eye(3), np.eye(3), np.eye(3))
    return b.pose_anchored(f"ankle_{st}", _rest_joint(rig, f"ankle_{st}"))


def build_hip_extension_stretch(rig: Rig, side: str, q: float, rep: Rep) -> Pose:
    """Standing, moving leg straight back with the foot flat; front knee gives a little."""
    m = side if rep.moving == "operated" else _other(side)
    st = _other(m)
    ext = -SPECS["hip_extension_stretch"].amplitude_deg * rep.scale * rep.amplitude_jitter * q
    lean = (25.0 if "trunk_lean" in rep.faults else 0.0) * q
    knee_b = (30.0 if "knee_not_straight" in rep.faults else 0.0) * q
    heel = (25.0 if "heel_lift" in rep.faults else 0.0) * q
    l1, l2 = rig.lengths["thigh"], rig.lengths["shank"]
    b = _Builder(rig)
    b.set("trunk", rot_x(lean))
    b.arms(abd=10.0)
    # World thigh: knee behind the hip by ``ext`` relative to the trunk line, so a
    # forward-leaning trunk takes the leg further back (the hip still extends).
    thigh_b = rot_x(ext + lean)
    shank_b = thigh_b @ rot_x(knee_b)
    foot_b = rot_x(heel)
    b.leg(m, thigh_b, shank_b, foot_b)
    hip_m = b.joints(np.zeros(3))[f"hip_{m}"]
    ankle_b = hip_m + thigh_b @ np.array([0, -l1, 0]) + shank_b @ np.array([0, -l2, 0])
    rest = _rest_joint(rig, f"ankle_{m}")
    toe_rel = _rest_joint(rig, f"toe_{m}") - rest
    rise = float((toe_rel - foot_b @ toe_rel)[1])  # ankle height gained by tipping onto the toes
    drop = float(hip_m[1] - ankle_b[1]) + rise  # vertical hip height above a floor-level ankle
    hip_s = b.joints(np.zeros(3))[f"hip_{st}"]
    fwd = 0.06 * q
    drop = min(drop, l1 + l2)
    fwd = min(fwd, float(np.sqrt(max((l1 + l2) ** 2 - drop * drop, 0.0))))
    ankle_s = hip_s + np.array([0.0, -drop, fwd])
    knee_s = _ik_knee(hip_s, ankle_s, l1, l2)
    b.leg(st, _sag_rot(knee_s - hip_s), _sag_rot(ankle_s - knee_s), np.eye(3))
    return b.pose_anchored(f"ankle_{st}", _rest_joint(rig, f"ankle_{st}"))


def lying_geometry(rig: Rig) -> dict[str, float]:
    """Canonical offsets (metres) along +z from the back surface for a lying body.

    ``hip``: hip centre height above the surface; ``heel``: ankle centre height when the
    heel touches it; ``sole``: ankle centre height above the sole.
    """
    v = rig.body.verts
    w = rig.body.weights
    trunk = w[:, SEG_INDEX["trunk"]] > 0.5
    foot = (w[:, SEG_INDEX["foot_l"]] + w[:, SEG_INDEX["foot_r"]]) > 0.5
    back = float(v[trunk, 2].min())
    heel = float(v[foot, 2].min())
    sole = float(v[foot, 1].min())
    return {
        "hip": float(rig.joints["root"][2] - back),
        "heel": float(rig.joints["ankle_l"][2] - heel),
        "sole": float(rig.joints["ankle_l"][1] - sole),
    }


def build_heel_slide(rig: Rig, side: str, q: float, rep: Rep) -> Pose:
    """Lying (canonical frame, surface at -z): knee bends while the heel slides."""
    m = side if rep.moving == "operated" else _other(side)
    geo = lying_geometry(rig)
    l1, l2 = rig.lengths["thigh"], rig.lengths["shank"]
    hip_f = SPECS["heel_slide"].amplitude_deg * rep.scale * rep.amplitude_jitter * q
    lift = (0.10 if "heel_lift" in rep.faults else 0.0) * q
    drop = geo["hip"] - geo["heel"]  # ankle below the hip centre when the heel rests
    # straight legs rest with the heel on the surface: small hip extension if needed
    rest_ext = -np.degrees(np.arcsin(np.clip(drop / (l1 + l2), -1, 1)))
    b = _Builder(rig)
    b.arms(abd=12.0, elbow=5.0)
    for leg in ("l", "r"):
        flex = rest_ext + (hip_f if leg == m else 0.0)
        thigh = rot_x(-flex)
        if leg != m:
            b.leg(leg, thigh, thigh, thigh)
            continue
        knee = thigh @ np.array([0.0, -l1, 0.0])
        ankle_z = -drop + lift
        dz = knee[2] - ankle_z
        dy = np.sqrt(max(l2 * l2 - dz * dz, 0.0))
        ankle = np.array([0.0, knee[1] - dy, ankle_z])
        shank = _sag_rot(ankle - knee)
        b.leg(leg, thigh, shank, shank @ rot_x(-10.0 * q))
    return Pose(b.rot.copy(), np.zeros(3))


def _bridge_frame(rig: Rig, side: str, beta: float, h0: float) -> Pose:
    l1, l2 = rig.lengths["thigh"], rig.lengths["shank"]
    lt = rig.lengths["trunk"]
    b = _Builder(rig)
    b.set("trunk", rot_x(-beta))
    b.arms(abd=12.0, elbow=5.0)
    foot = rot_x(90.0)
    start_thigh = rot_x(-h0)
    start_shank = start_thigh @ rot_x(90.0)
    shoulder0 = np.array([0.0, lt, 0.0])
    u = np.array([0.0, np.cos(np.radians(beta)), -np.sin(np.radians(beta))])
    root = shoulder0 - lt * u
    b.leg("l", start_thigh, start_shank, foot)
    b.leg("r", start_thigh, start_shank, foot)
    ankles0 = _start_joints(rig, start_thigh, start_shank, foot)
    j = b.joints(root)
    for leg in ("l", "r"):
        hip = j[f"hip_{leg}"]
        ankle = ankles0[f"ankle_{leg}"]
        knee = _ik_knee(hip, ankle, l1, l2)
        b.leg(leg, _sag_rot(knee - hip), _sag_rot(ankle - knee), foot)
    return Pose(b.rot.copy(), root)


def _start_joints(rig: Rig, thigh: np.ndarray, shank: np.ndarray, foot: np.ndarray):
    b = _Builder(rig)
    b.leg("l", thigh, shank, foot)
    b.leg("r", thigh, shank, foot)
    return b.joints(np.zeros(3))


def bridge_start_hip_flexion(rig: Rig) -> float:
    """Hip flexion (deg) of the bridge start: knees 90°, soles on the surface."""
    geo = lying_geometry(rig)
    l1, l2 = rig.lengths["thigh"], rig.lengths["shank"]
    target = geo["sole"] - geo["hip"]  # ankle z relative to the hip centre

    def ankle_z(h: float) -> float:
        th = np.radians(h)
        return l1 * np.sin(th) - l2 * np.cos(th)  # thigh up by h, shank down at 90° to it

    lo, hi = 0.0, 89.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ankle_z(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def build_bridge(rig: Rig, side: str, q: float, rep: Rep) -> Pose:
    """Lying, knees 90°, lift the buttocks (shoulders and feet fixed) to the target flexion."""
    from formcheck.synth.angles import all_angles

    h0 = bridge_start_hip_flexion(rig)
    target = h0 + (0.0 - h0) * rep.scale * min(rep.amplitude_jitter, 1.0) * q
    s = "left" if side == "l" else "right"
    up, fwd, lat = np.array([0, 1.0, 0]), np.array([0, 0, 1.0]), np.array([1.0, 0, 0])

    def flex(beta: float) -> float:
        pose = _bridge_frame(rig, side, beta, h0)
        rot, off = segment_transforms(rig, pose)
        j = {k: v[None] for k, v in posed_joints(rig, rot, off).items()}
        return float(all_angles(j, up, fwd, lat)["hip_flexion_deg"][s][0])  # type: ignore[index]

    lo, hi = 0.0, 60.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if flex(mid) > target:
            lo = mid
        else:
            hi = mid
    return _bridge_frame(rig, side, 0.5 * (lo + hi), h0)


BUILDERS: dict[str, Callable[[Rig, str, float, Rep], Pose]] = {
    "hip_abduction": build_hip_abduction,
    "mini_squat": build_mini_squat,
    "hip_flexion": build_hip_flexion,
    "hip_extension_stretch": build_hip_extension_stretch,
    "heel_slide": build_heel_slide,
    "bridge": build_bridge,
}

NEUTRAL_REP = Rep(index=0, start_s=0.0, up_s=1.0, hold_s=0.0, down_s=1.0)
"""A placeholder rep used to build the start pose (progress 0)."""
