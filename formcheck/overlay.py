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

from .i18n import has, text
from .measures import SHOWN_AS
from .pose import SKELETON_EDGES, side_landmark
from .protocol import ExerciseSpec

OPERATED = (255, 140, 0)   # RGB
OTHER = (90, 170, 255)
BODY = (230, 230, 230)
FAULT_BG = (200, 30, 30)
OK_BG = (20, 130, 60)


# Where each angle is drawn: the joint it belongs to.
ANGLE_JOINTS = {
    "hip_flexion": "hip", "hip_extension": "hip", "hip_extension_leg": "hip",
    "hip_abduction": "hip", "hip_lift": "hip",
    "knee_flexion": "knee", "knee_bend": "knee", "knee_flexion_landmarks": "knee",
    "trunk_lean_forward": "shoulder",
    "trunk_lean_back": "shoulder", "trunk_lean_side": "shoulder",
}


def angle_anchors(spec: ExerciseSpec, side: str) -> dict[str, int]:
    """The angles that matter for ``spec`` (its signal or what it shows, then faults' measures).

    Returns measure name → landmark index of the operated side to draw it at.
    """
    names = [SHOWN_AS.get(spec.signal, spec.signal)] + [r.measure for r in spec.faults]
    return {n: side_landmark(side, ANGLE_JOINTS[n]) for n in dict.fromkeys(names)
            if n in ANGLE_JOINTS}


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


@cache
def _text_patch(label: str, size: int, fill: tuple[int, int, int], stroke: bool
                ) -> np.ndarray:
    """Rendered text as an ``(h, w, 4)`` uint8 RGBA patch (cached: labels repeat)."""
    font = _font(size)
    sw = 2 if stroke else 0
    left, top, right, bottom = font.getbbox(label, stroke_width=sw)
    img = Image.new("RGBA", (max(right - left, 1), max(bottom - top, 1)), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((-left, -top), label, font=font, fill=fill + (255,),
                             stroke_width=sw, stroke_fill=(0, 0, 0, 255))
    return np.asarray(img)


def _paste(out: np.ndarray, patch: np.ndarray, x: float, y: float) -> None:
    """Alpha-blend an RGBA patch onto ``out`` at ``(x, y)``, clipped to the frame."""
    h, w = out.shape[:2]
    x, y = int(x), int(y)
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + patch.shape[1], w), min(y + patch.shape[0], h)
    if x0 >= x1 or y0 >= y1:
        return
    p = patch[y0 - y:y1 - y, x0 - x:x1 - x]
    a = p[..., 3:4].astype(np.uint16)
    region = out[y0:y1, x0:x1]
    region[:] = ((region * (255 - a) + p[..., :3] * a) // 255).astype(np.uint8)


def _box(out: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int],
         alpha: float) -> None:
    """Fill a rectangle with a translucent colour."""
    region = out[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)]
    a = int(alpha * 256)
    tint = np.array(colour, np.uint16) * a
    region[:] = ((region.astype(np.uint16) * (256 - a) + tint) >> 8).astype(np.uint8)


def wrap_text(label: str, size: int, max_w: int) -> list[str]:
    """Split ``label`` into lines no wider than ``max_w`` pixels at font ``size``.

    Words are kept whole; a single word wider than ``max_w`` gets a line of its own
    (the caller shrinks the font when even that does not fit).
    """
    font = _font(size)
    lines: list[str] = []
    for word in label.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(trial) <= max_w:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines or [""]


def fitted_lines(label: str, size: int, max_w: int, max_lines: int = 3) -> tuple[list[str], int]:
    """Lines and font size so ``label`` fits ``max_w`` in at most ``max_lines`` lines."""
    while True:
        lines = wrap_text(label, size, max_w)
        widest = max(_font(size).getlength(line) for line in lines)
        if (len(lines) <= max_lines and widest <= max_w) or size <= 8:
            return lines, size
        size = max(8, int(size * 0.85))


def text_sizes(h: int, w: int) -> tuple[int, int]:
    """Big and small font sizes for an ``h`` × ``w`` frame, landscape or portrait.

    Scaled by the smaller of the height and a 16:9 width, so a 9:16 phone frame
    gets text that fits its width.
    """
    unit = min(h, w * 9 // 16 if w < h else h)
    return max(14, unit // 18), max(11, unit // 30)


def count_label(state: OverlayState) -> str:
    """The count line: ``3 / 10 reps  ·  Set 2``, ``1 rep``."""
    goal = f" / {state.goal}" if state.goal else ""
    unit = text("ui.one_rep" if state.count == 1 and not goal else "ui.reps", state.lang)
    label = f"{state.count}{goal} {unit}"
    if state.set_index:
        label += f"  ·  {text('ui.set', state.lang)} {state.set_index}"
    return label


def annotate(rgb: np.ndarray, state: OverlayState) -> np.ndarray:
    """A copy of ``rgb`` ``(H, W, 3)`` with the overlay drawn (any aspect ratio)."""
    out = rgb.copy()
    if state.xy is not None:
        draw_skeleton(out, state.xy, state.side)
    h, w = out.shape[:2]
    big, small = text_sizes(h, w)
    white = (255, 255, 255)
    if state.xy is not None:
        for label, deg in state.angles.items():
            p = state.xy[state.anchors.get(label, 0)]
            if np.all(np.isfinite(p)) and np.isfinite(deg):
                key = f"angle_labels.{label}"
                name = f"{text(key, state.lang)} " if has(key) else ""
                patch = _text_patch(f"{name}{round(deg)}°", small, (255, 255, 0), True)
                # Keep the label inside the frame: left of the joint near the right edge.
                x = p[0] + 8 if p[0] + 8 + patch.shape[1] <= w else p[0] - 8 - patch.shape[1]
                _paste(out, patch, x, p[1] - 8)
    count = count_label(state)
    pad = min(h, w) // 60 + 4
    hold_w = w // 3 if state.hold_required > 0 and state.hold_s > 0 else 0
    title_lines, title_size = fitted_lines(state.title, small, w - 2 * pad - hold_w, 2)
    count_lines, count_size = fitted_lines(count, big, w - 2 * pad, 1)
    line_h = title_size + pad // 2
    top_h = pad * 3 + len(title_lines) * line_h + count_size
    _box(out, 0, 0, w, top_h, (0, 0, 0), 0.6)
    for i, line in enumerate(title_lines):
        _paste(out, _text_patch(line, title_size, white, False), pad, pad + i * line_h)
    _paste(out, _text_patch(count_lines[0], count_size, white, False), pad,
           pad * 2 + len(title_lines) * line_h)
    if hold_w:
        frac = min(state.hold_s / state.hold_required, 1.0)
        left = max(state.hold_required - state.hold_s, 0.0)
        x0, y0, bw, bh = w - hold_w - pad, pad, hold_w, small + 2 * pad
        _box(out, x0, y0, x0 + bw, y0 + bh, (60, 60, 60), 0.7)
        _box(out, x0, y0, x0 + int(bw * frac), y0 + bh, OK_BG if frac >= 1 else (230, 160, 0),
             0.9)
        label = f"{text('ui.hold', state.lang)} {left:.0f} s" if left > 0 else text(
            "ui.good", state.lang)
        lines, size = fitted_lines(label, small, bw - 2 * pad, 1)
        _paste(out, _text_patch(lines[0], size, white, False), x0 + pad, y0 + pad)
    if state.message:
        lines, size = fitted_lines(state.message, big, w - 2 * pad, 3)
        line_h = size + pad // 2
        y = h - len(lines) * line_h - 3 * pad
        _box(out, 0, y, w, h, FAULT_BG if state.message_is_fault else OK_BG, 0.82)
        for i, line in enumerate(lines):
            patch = _text_patch(line, size, white, False)
            _paste(out, patch, max(pad, (w - patch.shape[1]) / 2), y + pad + i * line_h)
    return out
