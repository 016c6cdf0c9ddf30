"""Rigid-segment skeleton: canonical alignment, forward kinematics and skinning.

Each segment is first turned so its joint-centre line is exactly vertical (the
*canonical* rest pose: trunk hip-centre -> shoulder-centre straight up, thighs,
shanks, upper arms and forearms straight down, feet flat). A pose then gives each
segment a world rotation of that canonical segment, so angles between joint-centre
lines are exactly the posed angles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.synth.body import PARENT, SEGMENTS, Body

SEG_INDEX = {s: i for i, s in enumerate(SEGMENTS)}

_PIVOT: dict[str, str] = {
    "trunk": "root",
    "upperarm_l": "shoulder_l", "forearm_l": "elbow_l", "hand_l": "wrist_l",
    "upperarm_r": "shoulder_r", "forearm_r": "elbow_r", "hand_r": "wrist_r",
    "thigh_l": "hip_l", "shank_l": "knee_l", "foot_l": "ankle_l",
    "thigh_r": "hip_r", "shank_r": "knee_r", "foot_r": "ankle_r",
}
"""Proximal joint (rotation centre) of each segment."""

_DISTAL: dict[str, str] = {
    "upperarm_l": "elbow_l", "forearm_l": "wrist_l",
    "upperarm_r": "elbow_r", "forearm_r": "wrist_r",
    "thigh_l": "knee_l", "shank_l": "ankle_l",
    "thigh_r": "knee_r", "shank_r": "ankle_r",
}

JOINT_NAMES: tuple[str, ...] = (
    "shoulder_l", "shoulder_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r",
    "hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r", "toe_l", "toe_r",
    "head_top",
)
_JOINT_SEGMENT: dict[str, str] = {
    "shoulder_l": "upperarm_l", "shoulder_r": "upperarm_r",
    "elbow_l": "forearm_l", "elbow_r": "forearm_r",
    "wrist_l": "hand_l", "wrist_r": "hand_r",
    "hip_l": "thigh_l", "hip_r": "thigh_r",
    "knee_l": "shank_l", "knee_r": "shank_r",
    "ankle_l": "foot_l", "ankle_r": "foot_r",
    "toe_l": "foot_l", "toe_r": "foot_r",
    "head_top": "trunk",
}


def rot_x(deg: float) -> np.ndarray:
    """Rotation about +x (the person's left); positive turns +y towards +z (forward)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    """Rotation about +y (up); positive turns +z towards +x."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation about +z (forward); positive turns +x towards +y."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the smallest rotation (3, 3) that turns direction ``a`` onto ``b``."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if c < -1 + 1e-9:
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


@dataclass(frozen=True)
class Rig:
    """A body with its canonical alignment.

    Attributes
    ----------
    body : the rest-pose :class:`Body`.
    align : (S, 3, 3) rotation taking each rest segment to its canonical orientation.
    pivots : (S, 3) rest position of each segment's proximal joint (trunk: hip centre).
    joints : name -> (3,) rest joint centres, incl. ``root`` (mid-hip).
    lengths : ``thigh``, ``shank``, ``trunk`` (hip centre -> shoulder centre), metres.

    """

    body: Body
    align: np.ndarray
    pivots: np.ndarray
    joints: dict[str, np.ndarray]
    lengths: dict[str, float]


def make_rig(body: Body) -> Rig:
    """Compute the canonical alignment of each segment of ``body``."""
    joints = dict(body.joints)
    joints["root"] = 0.5 * (joints["hip_l"] + joints["hip_r"])
    mid_sh = 0.5 * (joints["shoulder_l"] + joints["shoulder_r"])
    align = np.zeros((len(SEGMENTS), 3, 3))
    pivots = np.zeros((len(SEGMENTS), 3))
    down = np.array([0.0, -1.0, 0.0])
    for seg, i in SEG_INDEX.items():
        pivots[i] = joints[_PIVOT[seg]]
        if seg == "trunk":
            align[i] = rotation_between(mid_sh - joints["root"], -down)
        elif seg in _DISTAL:
            align[i] = rotation_between(joints[_DISTAL[seg]] - joints[_PIVOT[seg]], down)
        elif seg.startswith("hand"):
            align[i] = align[SEG_INDEX["forearm" + seg[-2:]]]
        else:  # feet keep their flat rest orientation
            align[i] = np.eye(3)
    lengths = {
        "thigh": float(np.linalg.norm(joints["knee_l"] - joints["hip_l"])),
        "shank": float(np.linalg.norm(joints["ankle_l"] - joints["knee_l"])),
        "trunk": float(np.linalg.norm(mid_sh - joints["root"])),
    }
    return Rig(body=body, align=align, pivots=pivots, joints=joints, lengths=lengths)


@dataclass(frozen=True)
class Pose:
    """World rotations of the canonical segments plus the root position.

    Attributes
    ----------
    rot : (S, 3, 3) world rotation of each canonical segment (identity = canonical rest).
    root : (3,) world position of the hip centre (the trunk's pivot).

    """

    rot: np.ndarray
    root: np.ndarray

    def __post_init__(self) -> None:
        if self.rot.shape != (len(SEGMENTS), 3, 3) or self.root.shape != (3,):
            raise ValueError("Pose.rot must be (S, 3, 3) and Pose.root (3,)")


def segment_transforms(rig: Rig, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Forward kinematics: return per-segment world rotation (S, 3, 3) and offset (S, 3).

    A rest point ``x`` of segment ``s`` goes to ``R[s] @ x + t[s]``.
    """
    n = len(SEGMENTS)
    rot = np.zeros((n, 3, 3))
    off = np.zeros((n, 3))
    for seg in SEGMENTS:
        i = SEG_INDEX[seg]
        r = pose.rot[i] @ rig.align[i]
        parent = PARENT[seg]
        if parent is None:
            pivot_world = pose.root
        else:
            p = SEG_INDEX[parent]
            pivot_world = rot[p] @ rig.pivots[i] + off[p]
        rot[i] = r
        off[i] = pivot_world - r @ rig.pivots[i]
    return rot, off


def posed_joints(rig: Rig, rot: np.ndarray, off: np.ndarray) -> dict[str, np.ndarray]:
    """Return world joint centres name -> (3,) for segment transforms ``rot``, ``off``."""
    out: dict[str, np.ndarray] = {}
    for name in JOINT_NAMES:
        i = SEG_INDEX[_JOINT_SEGMENT[name]]
        out[name] = rot[i] @ rig.joints[name] + off[i]
    return out


def skin(rig: Rig, rot: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Linear-blend skinning: return posed vertices (V, 3)."""
    v = rig.body.verts
    mats = np.concatenate([rot, off[:, :, None]], axis=2).reshape(len(rot), 12)
    m = (rig.body.weights.astype(np.float64) @ mats).reshape(-1, 3, 4)  # blended (V, 3, 4)
    return (m[:, :, 0] * v[:, 0:1] + m[:, :, 1] * v[:, 1:2] + m[:, :, 2] * v[:, 2:3]
            + m[:, :, 3])


def vertex_normals(verts: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Return area-weighted unit vertex normals (V, 3) of a triangle mesh."""
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    fn = np.cross(b - a, c - a)
    n = np.zeros_like(verts)
    for k in range(3):
        for d in range(3):
            n[:, d] += np.bincount(tris[:, k], weights=fn[:, d], minlength=len(verts))
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
