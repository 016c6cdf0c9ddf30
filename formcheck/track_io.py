"""Save and load pose tracks, so a video can be re-analysed without the model.

Two formats, chosen by the file suffix:

* ``.npz``: arrays ``t`` ``(T,)``, ``image_xyz`` ``(T, 33, 3)``, ``visibility``
  ``(T, 33)``, ``world_xyz`` ``(T, 33, 3)``, ``n_people`` ``(T,)``,
  ``image_wh`` ``(2,)``.
* ``.csv``: one row per frame: ``t``, ``n_people``, ``width``, ``height``, then
  for each landmark ``i`` in 0–32: ``x{i}``, ``y{i}``, ``z{i}``, ``v{i}`` (image
  landmarks, normalised), then ``wx{i}``, ``wy{i}``, ``wz{i}`` (world, metres).
  Frames without a person have empty landmark cells.

:func:`load_track` checks what it reads (:func:`validated_track`): at least
:data:`MIN_FRAMES` frames, times finite and increasing, ``image_wh`` two whole positive
numbers, every cell a number. A frame whose image landmarks are not all finite (NaN, inf)
or beyond :data:`MAX_LANDMARK` counts as a frame without a person. CSV files are read row
by row: memory grows with the arrays kept (about 2 KB a frame), not with the text.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np

from .pose import N_LANDMARKS, PoseTrack

MIN_FRAMES = 3
MAX_IMAGE_SIDE = 100_000
MAX_TIME_S = 1e7
MAX_PEOPLE = 1000
MAX_LANDMARK = 1e3
"""Normalised image landmarks lie near 0-1 and world ones within metres: larger is corrupt."""
MAX_ROW_STEP_S = 0.5
"""Frames further apart than this (median) cannot show a repetition: 't' is not seconds."""
PIXELS_ABOVE = 4.0
"""Image x and y whose median size is above this are pixels, not normalised (a person's
normalised landmarks have a median near 0.5)."""
_CHUNK_ROWS = 4096
_CELLS = 4 + N_LANDMARKS * 7


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
    """Read and check a track written by :func:`save_track`; raises :class:`TrackFileError`."""
    path = Path(path)
    if not path.is_file():
        raise TrackFileError(f"file not found: {path}")
    if path.suffix not in (".npz", ".csv"):
        raise TrackFileError(f"use a .npz or .csv file, not {path.name}")
    if path.stat().st_size == 0:
        raise TrackFileError(f"{path.name}: empty file (0 bytes)")
    try:
        if path.suffix == ".npz":
            return _load_npz(path)
        return _load_csv(path)
    except TrackFileError as exc:
        raise TrackFileError(f"{path.name}: {exc}") from None
    except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrackFileError(f"{path.name}: {first}") from None


def _numbers(d: np.lib.npyio.NpzFile, key: str) -> np.ndarray:
    if key not in d.files:
        raise TrackFileError(f"array '{key}' is missing")
    array = d[key]
    if array.dtype.kind not in "biuf":
        raise TrackFileError(f"array '{key}' does not hold numbers")
    return array.astype(float)


def _load_npz(path: Path) -> PoseTrack:
    with np.load(path, allow_pickle=False) as d:
        arrays = {k: _numbers(d, k) for k in
                  ("t", "image_xyz", "visibility", "world_xyz", "n_people", "image_wh")}
    return validated_track(**arrays, source=str(path))


def _cell(value: str, row: int, column: str) -> float:
    if value == "":
        return np.nan
    try:
        return float(value)
    except ValueError:
        raise TrackFileError(f"row {row}, column {column}: {value[:20]!r} is not a number"
                             ) from None


def _load_csv(path: Path) -> PoseTrack:
    columns = _columns()
    chunks: list[np.ndarray] = []
    chunk = np.empty((_CHUNK_ROWS, _CELLS))
    filled = 0
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        if next(reader, None) != columns:
            raise TrackFileError("not a formcheck landmark CSV (header differs)")
        for number, row in enumerate(reader, start=2):
            if len(row) != _CELLS:
                raise TrackFileError(f"row {number} has {len(row)} cells, not {_CELLS}")
            chunk[filled] = [_cell(v, number, c) for v, c in zip(row, columns, strict=True)]
            filled += 1
            if filled == _CHUNK_ROWS:
                chunks.append(chunk)
                chunk, filled = np.empty((_CHUNK_ROWS, _CELLS)), 0
    chunks.append(chunk[:filled])
    n = sum(len(c) for c in chunks)
    if n == 0:
        raise TrackFileError("no frames")
    vals = np.empty((n, _CELLS))
    start = 0
    while chunks:  # copy and free chunk by chunk: peak memory about one extra chunk
        c = chunks.pop(0)
        vals[start : start + len(c)] = c
        start += len(c)
    widths, heights = vals[:, 2], vals[:, 3]
    if np.any(widths != widths[0]) or np.any(heights != heights[0]):
        raise TrackFileError("width and height differ between rows")
    split = 4 + N_LANDMARKS * 4
    img = vals[:, 4:split].reshape(n, N_LANDMARKS, 4)
    return validated_track(
        t=vals[:, 0], image_xyz=img[..., :3], visibility=img[..., 3],
        world_xyz=vals[:, split:].reshape(n, N_LANDMARKS, 3), n_people=vals[:, 1],
        image_wh=vals[0, 2:4], source=str(path),
    )


def validated_track(t: np.ndarray, image_xyz: np.ndarray, visibility: np.ndarray,
                    world_xyz: np.ndarray, n_people: np.ndarray, image_wh: np.ndarray,
                    source: str = "") -> PoseTrack:
    """Check arrays read from a file and build a :class:`PoseTrack`; raise :class:`TrackFileError`.

    Shapes as in :class:`PoseTrack`, ``image_wh`` ``(2,)``. A frame whose image landmarks are
    not all finite becomes a frame without a person (NaN landmarks, visibility 0, nobody);
    visibility is clipped to 0-1 and non-finite world values become NaN. A file without
    visibility (none above 0 in any frame with a person) has it unknown: every landmark of
    those frames is taken as seen (1.0) and ``meta["visibility_unknown"]`` is set. Image x
    and y given in pixels (median above :data:`PIXELS_ABOVE`) are normalised by
    ``image_wh`` (``meta["pixel_coordinates"]``); an image z left out (not measured) is 0.
    """
    t = np.asarray(t, float)
    if t.ndim != 1:
        raise TrackFileError(f"'t' must be one time per frame, got shape {t.shape}")
    n = len(t)
    if n < MIN_FRAMES:
        raise TrackFileError(f"{n} frames; at least {MIN_FRAMES} are needed")
    wanted = {"image_xyz": (n, N_LANDMARKS, 3), "visibility": (n, N_LANDMARKS),
              "world_xyz": (n, N_LANDMARKS, 3), "n_people": (n,), "image_wh": (2,)}
    got = {"image_xyz": np.shape(image_xyz), "visibility": np.shape(visibility),
           "world_xyz": np.shape(world_xyz), "n_people": np.shape(n_people),
           "image_wh": np.shape(image_wh)}
    for name, shape in wanted.items():
        if got[name] != shape:
            raise TrackFileError(f"'{name}' must have shape {shape}, got {got[name]}")
    if not np.all(np.abs(t) <= MAX_TIME_S):  # NaN fails too
        raise TrackFileError(f"frame times must be finite numbers within {MAX_TIME_S:g} s")
    if np.any(np.diff(t) <= 0):
        raise TrackFileError("frame times must increase from frame to frame")
    step = float(np.median(np.diff(t)))
    if step >= MAX_ROW_STEP_S:
        raise TrackFileError(f"frames are a median {step:g} s apart: give 't' in seconds "
                             "(frame numbers or milliseconds?)")
    wh = np.asarray(image_wh, float)
    if not (np.all(np.isfinite(wh)) and np.all(wh == np.round(wh))
            and np.all((wh >= 1) & (wh <= MAX_IMAGE_SIDE))):
        raise TrackFileError(f"image_wh must be two whole numbers from 1 to {MAX_IMAGE_SIDE}, "
                             f"got {wh.tolist()}")
    people = np.asarray(n_people, float)
    if not (np.all((people >= 0) & (people <= MAX_PEOPLE)) and np.all(people == np.round(people))):
        raise TrackFileError(f"n_people must be whole numbers from 0 to {MAX_PEOPLE}")
    people = people.astype(int)
    image = np.array(image_xyz, float)
    world = np.array(world_xyz, float)
    vis = np.array(visibility, float)
    xy = image[..., :2]
    placed = np.isfinite(xy).all(axis=(1, 2)) & (people > 0)
    pixels = bool(placed.any()) and float(np.median(np.abs(xy[placed]))) > PIXELS_ABOVE
    if pixels:  # x and y in pixels, as some tools export them: normalised by the frame
        xy /= wh
    # The picture's depth (z) is not measured: a file without it keeps its people.
    image[..., 2][~np.isfinite(image[..., 2])] = 0.0
    with np.errstate(invalid="ignore"):
        seen = (people > 0) & np.all(np.abs(image) <= MAX_LANDMARK, axis=(1, 2))
        world[~(np.abs(world) <= MAX_LANDMARK)] = np.nan
    image[~seen] = np.nan
    world[~seen] = np.nan
    # No visibility at all (every cell of every frame with a person empty or 0: a tool that
    # exports positions only): unknown, so every landmark counts as seen, not as hidden.
    unknown = bool(seen.any()) and not np.any(np.nan_to_num(vis[seen], nan=0.0) > 0)
    vis = np.clip(np.nan_to_num(vis, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    if unknown:
        vis[seen] = 1.0
    vis[~seen] = 0.0
    people[~seen & (people > 0)] = 0
    track = PoseTrack(t, image, vis, world, people, (int(wh[0]), int(wh[1])), source=source)
    if unknown:
        track.meta["visibility_unknown"] = True
    if pixels:
        track.meta["pixel_coordinates"] = True
    return track
