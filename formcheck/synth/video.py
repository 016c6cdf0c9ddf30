"""Write RGB frames to a browser-playable H.264 MP4 (yuv420p, faststart) with PyAV."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..video import REPRODUCIBLE_X264


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: int = 30, crf: int = 23,
              preset: str = "medium") -> int:
    """Encode RGB uint8 frames (H, W, 3) to ``path``; return the number of frames written."""
    n = 0
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as container:
        stream = None
        for img in frames:
            if stream is None:
                stream = container.add_stream("libx264", rate=Fraction(fps, 1))
                stream.height, stream.width = img.shape[:2]
                stream.pix_fmt = "yuv420p"
                # Without x264's macroblock tree: the same frames give the same file
                # (see formcheck.video.REPRODUCIBLE_X264).
                stream.options = {"crf": str(crf), "preset": preset, "profile": "high",
                                  "threads": "2", "x264-params": REPRODUCIBLE_X264}
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
            n += 1
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
    return n
