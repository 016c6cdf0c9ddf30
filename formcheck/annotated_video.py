"""The annotated video of an analysis: the source frames with the overlay, as H.264."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .analysis import AnalysisResult, Progress
from .i18n import fault_text, text
from .overlay import OverlayState, angle_anchors, annotate
from .video import VideoWriter, prefetched, probe, read_frames

OUT_MAX_SIDE = 960


def _interp_xy(result: AnalysisResult, t: float, scale: np.ndarray) -> np.ndarray | None:
    """Landmark pixels at ``t`` (linear between analysed frames), None if nobody."""
    tr = result.track
    i = int(np.searchsorted(tr.t, t))
    lo, hi = max(i - 1, 0), min(i, len(tr) - 1)
    if not (tr.detected[lo] or tr.detected[hi]):
        return None
    if not tr.detected[lo]:
        lo = hi
    if not tr.detected[hi]:
        hi = lo
    span = tr.t[hi] - tr.t[lo]
    a = 0.0 if span <= 0 else float(np.clip((t - tr.t[lo]) / span, 0, 1))
    xy = (1 - a) * tr.image_xyz[lo, :, :2] + a * tr.image_xyz[hi, :, :2]
    return xy * scale


def _upright(rgb: np.ndarray, xy: np.ndarray | None, quarter: int
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """A frame and its landmark pixels ``(33, 2)`` turned to stand upright.

    ``quarter``: 0, 90, -90 or 180°, as :func:`~formcheck.kinematics.quarter_turn_deg`
    gives it.
    """
    k = {90: 1, -90: -1, 180: 2}.get(quarter, 0)
    if not k:
        return rgb, xy
    h, w = rgb.shape[:2]
    turned = np.ascontiguousarray(np.rot90(rgb, k))
    if xy is None:
        return turned, None
    x, y = xy[:, 0], xy[:, 1]
    new = {1: (y, w - x), -1: (h - y, x), 2: (w - x, h - y)}[k]
    return turned, np.stack(new, axis=-1)


def write_annotated_video(result: AnalysisResult, video: str | Path, out: str | Path,
                          progress: Progress | None = None) -> Path:
    """Decode ``video`` again and write it with the overlay to ``out`` (MP4, H.264).

    A video the analysis found on its side or upside down is written upright.
    """
    info = probe(video)
    lang, spec, tr = result.lang, result.spec, result.track
    anchors = angle_anchors(result.spec, result.settings.side)
    title = spec.title(lang)
    writer: VideoWriter | None = None
    try:
        quarter = int(tr.meta.get("turned_deg", 0))
        for t, rgb in prefetched(read_frames(video, max_side=OUT_MAX_SIDE)):
            i = min(int(np.searchsorted(tr.t, t + 1e-6)) - 1, len(tr) - 1)
            i = max(i, 0)
            scale = np.array([rgb.shape[1], rgb.shape[0]], float)
            rgb, xy = _upright(rgb, _interp_xy(result, t, scale), quarter)
            if writer is None:
                writer = VideoWriter(out, rgb.shape[1], rgb.shape[0], info.fps)
            fault = result.frames.fault[i] if len(tr) else None
            message = fault_text(fault, spec, lang) if fault else None
            if xy is None:
                message, is_fault = text("ui.no_person", lang), True
            else:
                is_fault = True
            state = OverlayState(
                xy=xy, side=result.settings.side, title=title,
                count=int(result.frames.count[i]) if len(tr) else 0,
                hold_s=float(result.frames.hold_s[i]) if len(tr) else 0.0,
                hold_required=spec.hold_s, message=message, message_is_fault=is_fault,
                angles={n: float(result.measures[n][i]) for n in anchors if n in result.measures},
                anchors=anchors, lang=lang,
            )
            writer.write(annotate(rgb, state), t)
            if progress and info.duration_s > 0:
                progress(min(t / info.duration_s, 1.0))
    finally:
        if writer is not None:
            writer.close()
    return Path(out)
