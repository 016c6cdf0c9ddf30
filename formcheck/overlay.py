"""Drawing on frames: skeleton, the angles that matter, rep count, hold, fault message.

Drawing is kept apart from measuring: everything drawn comes from a
:class:`OverlayState` the caller filled from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .i18n import text
from .pose import SKELETON_EDGES, side_landmark

OPERATED = (255, 140, 0)   # RGB
OTHER = (90, 170, 255)
BODY = (230, 230, 230)
FAULT_BG = (200, 30, 30)
OK_BG = (20, 130, 60)


@dataclass
class OverlayState:
    """What to show on one frame.

    ``xy``: ``(33, 2)`` landmark pixels or None; ``angles``: label → degrees,
    drawn at the landmark index given in ``anchors``.
    """

    xy: np.ndarray | None
    side: str
    title: str
    count: int
    goal: int | None = None
    hold_s: float = 0.0
    hold_required: float = 0.0
    message: str | None = None
    message_is_fault: bool = True
    angles: dict[str, float] = field(default_factory=dict)
    anchors: dict[str, int] = field(default_factory=dict)
    set_index: int | None = None
    lang: str = "nl"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        from matplotlib import font_manager

        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except Exception:  # noqa: BLE001 - any font problem: fall back to PIL's own
        return ImageFont.load_default()


def draw_skeleton(rgb: np.ndarray, xy: np.ndarray, side: str) -> None:
    """Draw bones and joints in place; the operated leg in orange."""
    scale = max(1, round(max(rgb.shape[:2]) / 400))
    op = {side_landmark(side, n) for n in ("hip", "knee", "ankle", "heel", "foot_index")}
    for a, b in SKELETON_EDGES:
        pa, pb = xy[a], xy[b]
        if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb))):
            continue
        colour = OPERATED if a in op and b in op else BODY
        cv2.line(rgb, tuple(int(v) for v in pa), tuple(int(v) for v in pb), colour, 2 * scale,
                 cv2.LINE_AA)
    for i in range(11, 33):
        if np.all(np.isfinite(xy[i])):
            cv2.circle(rgb, tuple(int(v) for v in xy[i]), 3 * scale,
                       OPERATED if i in op else OTHER, -1, cv2.LINE_AA)


def annotate(rgb: np.ndarray, state: OverlayState) -> np.ndarray:
    """A copy of ``rgb`` ``(H, W, 3)`` with the overlay drawn."""
    out = rgb.copy()
    if state.xy is not None:
        draw_skeleton(out, state.xy, state.side)
    h, w = out.shape[:2]
    big, small = _font(max(16, h // 18)), _font(max(12, h // 30))
    img = Image.fromarray(out)
    d = ImageDraw.Draw(img, "RGBA")
    if state.xy is not None:
        for label, deg in state.angles.items():
            p = state.xy[state.anchors.get(label, 0)]
            if np.all(np.isfinite(p)) and np.isfinite(deg):
                d.text((p[0] + 8, p[1] - 8), f"{deg:.0f}°", font=small, fill=(255, 255, 0),
                       stroke_width=2, stroke_fill=(0, 0, 0))
    reps = text("ui.reps", state.lang)
    goal = f" / {state.goal}" if state.goal else ""
    lines = [state.title, f"{state.count}{goal} {reps}"]
    if state.set_index:
        lines[1] += f"  ·  {text('ui.set', state.lang)} {state.set_index}"
    pad = h // 60 + 4
    box_h = pad * 3 + big.size + small.size
    d.rectangle((0, 0, w, box_h), fill=(0, 0, 0, 150))
    d.text((pad, pad), lines[0], font=small, fill=(255, 255, 255))
    d.text((pad, pad * 2 + small.size), lines[1], font=big, fill=(255, 255, 255))
    if state.hold_required > 0 and state.hold_s > 0:
        frac = min(state.hold_s / state.hold_required, 1.0)
        left = max(state.hold_required - state.hold_s, 0.0)
        x0, y0, bw, bh = w - w // 3 - pad, pad, w // 3, small.size + pad
        d.rectangle((x0, y0, x0 + bw, y0 + bh), outline=(255, 255, 255), width=2)
        d.rectangle((x0, y0, x0 + int(bw * frac), y0 + bh),
                    fill=OK_BG + (220,) if frac >= 1 else (230, 160, 0, 220))
        label = f"{text('ui.hold', state.lang)} {left:.0f} s" if left > 0 else text(
            "ui.good", state.lang)
        d.text((x0 + pad, y0 + pad // 2), label, font=small, fill=(255, 255, 255))
    if state.message:
        tw = d.textlength(state.message, font=big)
        y = h - big.size - 3 * pad
        bg = FAULT_BG if state.message_is_fault else OK_BG
        d.rectangle((0, y, w, h), fill=bg + (210,))
        d.text((max(pad, (w - tw) / 2), y + pad), state.message, font=big, fill=(255, 255, 255))
    return np.asarray(img)
