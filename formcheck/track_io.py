"""Save and load pose tracks, so a video can be re-analysed without the model.

Two formats, chosen by the file suffix:

* ``.npz``: arrays ``t`` ``(T,)``, ``image_xyz`` ``(T, 33, 3)``, ``visibility``
  ``(T, 33)``, ``world_xyz`` ``(T, 33, 3)``, ``n_people`` ``(T,)``,
  ``image_wh`` ``(2,)``.
* ``.csv``: one row per frame: ``t``, ``n_people``, ``width``, ``height``, then
  for each landmark ``i`` in 0–32: ``x{i}``, ``y{i}``, ``z{i}``, ``v{i}`` (image
  landmarks, normalised), then ``wx{i}``, ``wy{i}``, ``wz{i}`` (world, metres).
  Frames without a person have empty landmark cells.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .pose import N_LANDMARKS, PoseTrack


class TrackFileError(Exception):
    """A landmark file that cannot be used."""


def _columns() -> list[str]:
    cols = ["t", "n_people", "width", "height"]
    cols += [f"{a}{i}" for i in range(N_LANDMARKS) for a in ("x", "y", "z", "v")]
    cols += [f"{a}{i}" for i in range(N_LANDMARKS) for a in ("wx", "wy", "wz")]
    return cols


def save_track(track: PoseTrack, path: str | Path) -> Path:
    """Write ``track`` as ``.npz`` or ``.csv`` (by suffix)."""
    path = Path(path)
    if path.suffix == ".npz":
        np.savez_compressed(
            path, t=track.t, image_xyz=track.image_xyz, visibility=track.visibility,
            world_xyz=track.world_xyz, n_people=track.n_people,
            image_wh=np.asarray(track.image_wh),
        )
    elif path.suffix == ".csv":
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(_columns())
            for i in range(len(track)):
                row: list[object] = [f"{track.t[i]:.4f}", int(track.n_people[i]), *track.image_wh]
                if track.detected[i]:
                    img = np.concatenate([track.image_xyz[i], track.visibility[i][:, None]], axis=1)
                    row += [f"{v:.5f}" for v in img.ravel()]
                    row += [f"{v:.5f}" for v in track.world_xyz[i].ravel()]
                else:
                    row += [""] * (N_LANDMARKS * 7)
                w.writerow(row)
    else:
        raise TrackFileError(f"use a .npz or .csv file name, not {path.name}")
    return path


def load_track(path: str | Path) -> PoseTrack:
    """Read a track written by :func:`save_track`; raises :class:`TrackFileError`."""
    path = Path(path)
    if not path.is_file():
        raise TrackFileError(f"file not found: {path}")
    try:
        if path.suffix == ".npz":
            with np.load(path) as d:
                wh = tuple(int(v) for v in d["image_wh"])
                return PoseTrack(d["t"], d["image_xyz"], d["visibility"], d["world_xyz"],
                                 d["n_people"].astype(int), wh, source=str(path))  # type: ignore[arg-type]
        if path.suffix == ".csv":
            return _load_csv(path)
    except TrackFileError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise TrackFileError(f"{path.name}: {exc}") from None
    raise TrackFileError(f"use a .npz or .csv file, not {path.name}")


def _load_csv(path: Path) -> PoseTrack:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != _columns():
        raise TrackFileError(f"{path.name}: not a formcheck landmark CSV (header differs)")
    body = rows[1:]
    if not body:
        raise TrackFileError(f"{path.name}: no frames")
    n = len(body)
    t = np.array([float(r[0]) for r in body])
    people = np.array([int(r[1]) for r in body])
    wh = (int(body[0][2]), int(body[0][3]))
    vals = np.array([[float(v) if v != "" else np.nan for v in r[4:]] for r in body])
    split = N_LANDMARKS * 4
    img = vals[:, :split].reshape(n, N_LANDMARKS, 4)
    world = vals[:, split:].reshape(n, N_LANDMARKS, 3)
    vis = np.nan_to_num(img[..., 3], nan=0.0)
    return PoseTrack(t, img[..., :3], vis, world, people, wh, source=str(path))
