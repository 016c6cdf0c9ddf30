"""Real capture conditions applied to a recorded video.

What phones and webcams do to the picture, independent of the person: dim
light with sensor noise, a frame rate the camera cannot deliver (each frame
held for several), a doubled container rate, a handheld camera that shakes and
drifts, a burned-in overlay, a mirrored selfie picture, head or feet out of
frame, a person filmed from far away or too close, an old low-resolution webcam, a
camera propped at a slant, a picture on its side, someone walking through, a slow
shutter, a messaging app's compression. Used to
check that a real clip's count survives them (``benchmarks/capture.py``,
``tests/test_capture.py``). And, on a pose track, the person's own pace (the
same movements played faster or slower, :func:`retimed`), a shakier pose model
(:func:`jittered`) and frames in which it found nobody (:func:`without_person`),
for ``benchmarks/perturbed.py``.

Frames are ``(H, W, 3)`` uint8 RGB; every function is pure given its seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

from formcheck.pose import PoseTrack
from formcheck.video import VideoWriter, probe, read_frames

Frames = Iterator[tuple[float, np.ndarray]]


def dim(frames: Frames, gain: float = 0.3, noise: float = 5.0, seed: int = 0) -> Frames:
    """Low light: ``gain`` of the brightness plus ``noise`` grey levels of sensor noise."""
    rng = np.random.default_rng(seed)
    for t, rgb in frames:
        x = rgb.astype(np.float32) * gain + rng.normal(0.0, noise, rgb.shape).astype(np.float32)
        yield t, np.clip(x, 0, 255).astype(np.uint8)


def held(frames: Frames, every: int = 3) -> Frames:
    """A new picture only every ``every`` frames (duplicated frames, motion in steps)."""
    last = None
    for i, (t, rgb) in enumerate(frames):
        if i % every == 0:
            last = rgb
        yield t, last


def resampled(frames: Frames, fps: float) -> Frames:
    """The same pictures at ``fps`` frames a second (each the latest source frame)."""
    prev: tuple[float, np.ndarray] | None = None
    k = 0
    for t, rgb in frames:
        while prev is not None and k / fps < t:
            yield k / fps, prev[1]
            k += 1
        prev = (t, rgb)
    if prev is not None:
        while k / fps <= prev[0] + 1e-9:
            yield k / fps, prev[1]
            k += 1


def shaken(frames: Frames, shift: float = 0.04, turn_deg: float = 3.0, zoom: float = 0.06,
           seed: int = 0) -> Frames:
    """A handheld camera that drifts, trembles, turns and zooms.

    The picture drifts (slow random walk) and trembles (per-frame jitter) by up
    to ``shift`` of its size, turns by up to ``turn_deg`` and zooms by up to
    ``zoom``; the borders are filled black.
    """
    rng = np.random.default_rng(seed)
    state = np.zeros(4)  # dx, dy (fractions), angle (deg), log zoom
    limit = np.array([shift, shift, turn_deg, np.log1p(zoom)])
    for t, rgb in frames:
        state = 0.97 * state + rng.normal(0.0, 0.12, 4) * limit
        state = np.clip(state, -limit, limit)
        jitter = rng.normal(0.0, 0.15, 4) * limit
        dx, dy, angle, logz = state + jitter
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), float(np.exp(logz)))
        m[:, 2] += (dx * w, dy * h)
        yield t, cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT)


def tilted(frames: Frames, roll_deg: float = 12.0) -> Frames:
    """A camera propped at a slant.

    The whole picture turned by ``roll_deg`` (counter-clockwise), its corners filled
    black, its size kept.
    """
    for t, rgb in frames:
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(roll_deg), 1.0)
        yield t, cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT)


def passer_by(frames: Frames, fps: float, start_s: float = 3.0, cross_s: float = 2.0,
              lag_s: float = 2.0, width: float = 0.4) -> Frames:
    """Someone walking through the picture in front of the person.

    From ``start_s``, a strip of the picture's middle (``width`` of it, mirrored, as it
    was ``lag_s`` earlier: the person in it, at another moment of their movement) slides
    across the whole picture in ``cross_s``, hiding the person as it passes.
    """
    lag = max(1, round(lag_s * fps))
    past: list[np.ndarray] = []
    for t, rgb in frames:
        past.append(rgb)
        if len(past) > lag + 1:
            past.pop(0)
        u = (t - start_s) / cross_s
        if not 0.0 <= u <= 1.0 or len(past) <= lag:
            yield t, rgb
            continue
        h, w = rgb.shape[:2]
        sw = int(w * width)
        x0 = (w - sw) // 2
        strip = past[0][:, x0:x0 + sw][:, ::-1]
        left = int(round(-sw + u * (w + sw)))
        img = rgb.copy()
        a, b = max(left, 0), min(left + sw, w)
        if b > a:
            img[:, a:b] = strip[:, a - left:b - left]
        yield t, img


def sideways(frames: Frames) -> Frames:
    """The picture on its side, as from a phone held sideways whose file does not say so.

    Turned a quarter counter-clockwise; width and height trade places.
    """
    for t, rgb in frames:
        yield t, np.ascontiguousarray(np.rot90(rgb))


def overlaid(frames: Frames, seed: int = 0) -> Frames:
    """A burned-in overlay: a caption bar with moving text, a bright arrow sweeping."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi)
    for t, rgb in frames:
        img = np.ascontiguousarray(rgb.copy())
        h, w = img.shape[:2]
        cv2.rectangle(img, (0, int(h * 0.85)), (w, h), (20, 20, 20), -1)
        x = int((0.5 + 0.45 * np.sin(t + phase)) * w)
        cv2.putText(img, f"REP TIME {t:5.1f}", (x - w // 4, int(h * 0.95)),
                    cv2.FONT_HERSHEY_SIMPLEX, h / 500, (255, 255, 0), max(1, h // 250))
        y = int((0.3 + 0.2 * np.cos(0.7 * t + phase)) * h)
        cv2.arrowedLine(img, (int(w * 0.05), y), (int(w * 0.3), y), (255, 40, 40),
                        max(2, h // 120), tipLength=0.3)
        yield t, img


def mirrored(frames: Frames) -> Frames:
    """The picture flipped left-right, as a selfie camera shows it.

    The person's left leg is then shown where a right leg would be, so the
    operated side must be named the other way round.
    """
    for t, rgb in frames:
        yield t, np.ascontiguousarray(rgb[:, ::-1])


def cropped(frames: Frames, top: float = 0.0, bottom: float = 0.0) -> Frames:
    """Part of the body out of frame (a camera aimed too low or too high).

    The ``top`` and ``bottom`` fractions of the picture are blacked out; its size is kept.
    """
    for t, rgb in frames:
        img = rgb.copy()
        h = img.shape[0]
        img[: int(round(top * h))] = 0
        if bottom > 0:
            img[h - int(round(bottom * h)):] = 0
        yield t, img


def far(frames: Frames, scale: float = 0.5) -> Frames:
    """Filmed from further away: the person small and fine detail lost.

    The picture is shrunk by ``scale`` into the middle of a frame of the same
    size; the rest is a plain wall of its median colour.
    """
    for t, rgb in frames:
        h, w = rgb.shape[:2]
        small = cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))),
                           interpolation=cv2.INTER_AREA)
        img = np.empty_like(rgb)
        img[:] = np.median(rgb.reshape(-1, 3), axis=0).astype(np.uint8)
        y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
        img[y:y + small.shape[0], x:x + small.shape[1]] = small
        yield t, img


def close(frames: Frames, zoom: float = 1.4) -> Frames:
    """Filmed from too close.

    The middle of the picture enlarged ``zoom`` times to fill it, so a person filling
    its height loses head and feet at its edges.
    """
    for t, rgb in frames:
        h, w = rgb.shape[:2]
        ch, cw = int(round(h / zoom)), int(round(w / zoom))
        y, x = (h - ch) // 2, (w - cw) // 2
        yield t, cv2.resize(rgb[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_LINEAR)


def motion_blurred(frames: Frames, n: int = 3) -> Frames:
    """A slow shutter in low light: each picture the mean of the last ``n`` frames."""
    last: list[np.ndarray] = []
    for t, rgb in frames:
        last = [*last[-(n - 1):], rgb.astype(np.float32)]
        yield t, (sum(last) / len(last)).astype(np.uint8)


def messenger(frames: Frames, height: int = 360, quality: int = 20) -> Frames:
    """Sent through a messaging app.

    Scaled to ``height`` lines and compressed hard (JPEG ``quality``: blocks and smeared
    edges), scaled back up.
    """
    for t, rgb in frames:
        h, w = rgb.shape[:2]
        small = cv2.resize(rgb, (max(1, round(w * height / h)), height),
                           interpolation=cv2.INTER_AREA) if h > height else rgb
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
        small = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else small
        yield t, cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def low_resolution(frames: Frames, height: int = 240) -> Frames:
    """An old webcam: the picture taken at ``height`` lines and scaled back up."""
    for t, rgb in frames:
        h, w = rgb.shape[:2]
        if h <= height:
            yield t, rgb
            continue
        small = cv2.resize(rgb, (max(1, round(w * height / h)), height),
                           interpolation=cv2.INTER_AREA)
        yield t, cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


CONDITIONS: dict[str, Callable[[Frames, float], Frames]] = {
    "dim": lambda f, fps: dim(f),
    "held_frames": lambda f, fps: held(f, every=max(2, round(fps / 8))),
    "fps_60": lambda f, fps: resampled(f, 60.0),
    "handheld": lambda f, fps: shaken(f),
    "overlay": lambda f, fps: overlaid(f),
    "dim_handheld": lambda f, fps: shaken(dim(f, seed=1), seed=1),
    "mirrored": lambda f, fps: mirrored(f),
    "head_cut": lambda f, fps: cropped(f, top=0.12),
    "feet_cut": lambda f, fps: cropped(f, bottom=0.06),
    "far": lambda f, fps: far(f),
    "very_far": lambda f, fps: far(f, scale=0.3),
    "close": lambda f, fps: close(f),
    "motion_blur": lambda f, fps: motion_blurred(f),
    "messenger": lambda f, fps: messenger(f),
    "low_resolution": lambda f, fps: low_resolution(f),
    "tilted": lambda f, fps: tilted(f),
    "tilted_cw": lambda f, fps: tilted(f, roll_deg=-12.0),
    "passer_by": lambda f, fps: passer_by(f, fps),
    "sideways": lambda f, fps: sideways(f),
}
"""Condition name → frames transform (given the source frame rate)."""

SWAPS_SIDES = frozenset({"mirrored"})
"""Conditions after which the operated leg appears as the other leg."""


def degrade_video(src: str | Path, dst: str | Path, condition: str,
                  max_side: int | None = None) -> Path:
    """Write ``src`` under ``condition`` (a :data:`CONDITIONS` key) to ``dst``.

    With ``max_side`` the frames are scaled down first. The same input gives the same
    bytes in every run (x264 without its macroblock tree, see :class:`VideoWriter`).
    """
    info = probe(src)
    fps = info.fps or 30.0
    frames = CONDITIONS[condition](read_frames(src, max_side=max_side), fps)
    out_fps = 60.0 if condition == "fps_60" else fps
    writer = None
    try:
        for t, rgb in frames:
            if writer is None:
                writer = VideoWriter(dst, rgb.shape[1], rgb.shape[0], fps=out_fps, crf=20,
                                     reproducible=True)
            writer.write(rgb, t)
    finally:
        if writer is not None:
            writer.close()
    return Path(dst)


def retimed(track: PoseTrack, speed: float, rate_hz: float | None = None) -> PoseTrack:
    """``track`` played at ``speed`` (2 = twice as fast), as a faster or slower patient.

    Without ``rate_hz`` the same poses come closer together or further apart in
    time. With it, the poses are resampled at ``rate_hz`` by linear interpolation
    (landmarks) and nearest frame (visibility, people): what a slower patient
    filmed at the analysis rate would give, less the model's noise on the extra
    frames. A frame without a person spreads NaN to its interpolated neighbours.
    """
    t0 = (track.t - track.t[0]) / speed
    if rate_hz is None or len(track) < 2:
        return dataclasses.replace(track, t=t0)
    t = np.arange(0.0, t0[-1], 1.0 / rate_hz)
    j = np.clip(np.searchsorted(t0, t, side="right") - 1, 0, len(t0) - 2)
    w = ((t - t0[j]) / (t0[j + 1] - t0[j]))[:, None, None]
    near = np.where(w[:, 0, 0] < 0.5, j, j + 1)

    def lerp(a: np.ndarray) -> np.ndarray:
        return a[j] * (1 - w) + a[j + 1] * w

    return dataclasses.replace(track, t=t, image_xyz=lerp(track.image_xyz),
                               visibility=track.visibility[near],
                               world_xyz=lerp(track.world_xyz), n_people=track.n_people[near])


def jittered(track: PoseTrack, sigma: float, seed: int = 0,
             wander_s: float = 0.0) -> PoseTrack:
    """``track`` with Gaussian noise on every landmark of every frame.

    ``sigma`` is a fraction of the frame's longer side for the image landmarks
    (the same in pixels along both axes) and twice that in metres for the world
    landmarks (a body ~1.7 m tall fills about half the frame). Independent from
    frame to frame, or with ``wander_s`` a slow wander of the same spread: each
    landmark's noise smoothed over about that long (a Gaussian of that SD in time),
    as a pose model's landmarks drift on a still body more than they jump.
    """
    rng = np.random.default_rng(seed)
    w, h = track.image_wh
    scale = max(w, h) / np.array([w, h, w], float)

    def noise(shape: tuple[int, ...]) -> np.ndarray:
        x = rng.normal(0.0, 1.0, shape)
        if wander_s > 0 and len(track) > 1:
            dt = float(np.median(np.diff(track.t)))
            x = ndimage.gaussian_filter1d(x, wander_s / dt, axis=0, mode="nearest")
            x /= max(float(np.std(x)), 1e-12)
        return x

    image = track.image_xyz + sigma * noise(track.image_xyz.shape) * scale
    world = track.world_xyz + 2 * sigma * noise(track.world_xyz.shape)
    return dataclasses.replace(track, image_xyz=image, world_xyz=world)


def without_person(track: PoseTrack, lost: np.ndarray) -> PoseTrack:
    """``track`` with nobody found where ``lost`` ``(T,)`` is True (blur, furniture)."""
    return track.without(lost)
