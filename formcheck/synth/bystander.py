"""A second person in view: a bystander's recording set beside the patient's.

The patient's frames and the bystander's (scaled to ``scale`` of the patient's frame
height, standing on the same floor line, the space above filled with grey) are put side
by side in one wide frame: the scene the people count must notice
(``tests/test_people_count.py``, ``benchmarks/people_count.py``). The bystander's last
frame is held if that recording is the shorter one.

Frames are ``(H, W, 3)`` uint8 RGB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from formcheck.video import VideoWriter, probe, read_frames

Frames = Iterator[tuple[float, np.ndarray]]
FILL = 128
"""Grey level above a scaled-down bystander."""


def _scaled(rgb: np.ndarray, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(2, round(w * height / h)), height), interpolation=cv2.INTER_AREA)


def beside(patient: Frames, bystander: Frames, scale: float = 0.6, side: str = "right",
           height: int = 360) -> Frames:
    """The patient's frames (``height`` px high) with the bystander's on ``side``.

    The bystander's frames are ``scale`` × ``height`` high, at the bottom.
    """
    if side not in ("left", "right"):
        raise ValueError(f"side must be left or right, got {side!r}")
    small = max(2, round(height * scale))
    last = None
    for t, a in patient:
        b = next(bystander, None)
        if b is not None:
            last = _scaled(b[1], small)
        if last is None:
            raise ValueError("the bystander's recording has no frames")
        other = np.full((height, last.shape[1], 3), FILL, np.uint8)
        other[height - small:] = last
        pair = (_scaled(a, height), other) if side == "right" else (other, _scaled(a, height))
        yield t, np.concatenate(pair, axis=1)


def with_bystander(patient: str | Path, bystander: str | Path, dst: str | Path,
                   scale: float = 0.6, side: str = "right", height: int = 360,
                   max_s: float | None = None, fps: float | None = None) -> Path:
    """Write :func:`beside` of two video files to ``dst``; returns ``dst``.

    Only the first ``max_s`` seconds, at most ``fps`` frames a second, are written.
    """
    rate = min(fps or float("inf"), probe(patient).fps or 30.0)
    frames_a = read_frames(patient, max_fps=fps)
    frames_b = read_frames(bystander, max_fps=fps)
    writer = None
    try:
        for t, rgb in beside(frames_a, frames_b, scale, side, height):
            if max_s is not None and t > max_s:
                break
            if writer is None:
                writer = VideoWriter(dst, rgb.shape[1], rgb.shape[0], fps=rate, crf=20)
            writer.write(rgb, t)
    finally:
        if writer is not None:
            writer.close()
        frames_a.close()
        frames_b.close()
    if writer is None:
        raise ValueError(f"no frames in {patient}")
    return Path(dst)
