"""Video in and out with PyAV: container timestamps, upright frames, H.264 output.

:func:`probe` is the gate every analysis passes first: a file FFmpeg can open but that is
no moving picture (text shown by the ``tty`` demuxer, a PNG or JPEG image, fewer than
:data:`MIN_FRAMES` frames) is refused with a :class:`VideoError` before any model loads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
MIN_FRAMES = 3
"""A video needs at least this many frames to be analysed."""
#: FFmpeg demuxers and decoders that turn a picture or text into a "video".
STILL_FORMATS = ("tty", "image2", "image2pipe", "apng")
STILL_CODECS = ("ansi", "png", "apng", "bmp", "gif", "tiff", "webp", "pam", "pbm", "pgm",
                "ppm", "sgi", "xbm", "xpm", "xwd", "sunrast", "pcx", "dds", "qoi")


class VideoError(Exception):
    """A video that cannot be read; the message is meant for the user."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video (after rotation)."""

    path: str
    width: int
    height: int
    fps: float
    duration_s: float
    n_frames: int
    rotation_deg: int

    @property
    def upside_down(self) -> bool:
        """Whether the file's rotation metadata says it was filmed upside down."""
        return self.rotation_deg == 180


def _open(path: str | Path):  # noqa: ANN202 - av container
    p = Path(path)
    if not p.exists():
        raise VideoError("file_not_found", str(p))
    if not p.is_file():
        raise VideoError("not_a_file", str(p))
    if p.stat().st_size == 0:
        raise VideoError("not_a_video", f"{p.name}: 0 bytes")
    import av

    try:
        container = av.open(str(p))
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoError("not_a_video", f"{p.name}: {exc}") from None
    if not container.streams.video:
        container.close()
        raise VideoError("no_video_stream", p.name)
    return container


def probe(path: str | Path) -> VideoInfo:
    """Read the container's description of a video, decoding only its first few frames.

    Raises :class:`VideoError` for anything that is not a moving picture (see the module).
    """
    container = _open(path)
    name = Path(path).name
    try:
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise VideoError("not_a_video", f"{name}: no decoder for its picture")
        codec = stream.codec_context.name or ""
        form = getattr(container.format, "name", "") or ""
        if form in STILL_FORMATS or form.endswith("_pipe") or codec in STILL_CODECS:
            raise VideoError("image_or_text", name)
        rate = stream.average_rate or stream.guessed_rate or 30
        fps = float(rate)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1e6
        else:
            duration = 0.0
        n = stream.frames or int(round(duration * fps))
        rotation, decoded = 0, 0
        try:
            for frame in container.decode(stream):
                if not decoded:
                    rotation = int(round(getattr(frame, "rotation", 0) or 0)) % 360
                decoded += 1
                if decoded >= MIN_FRAMES:
                    break
        except Exception as exc:  # noqa: BLE001 - any decoder failure means unreadable
            if not decoded:
                raise VideoError("not_a_video", f"{name}: {exc}") from None
        if decoded == 0:
            raise VideoError("no_frames", name)
        if decoded < MIN_FRAMES:
            raise VideoError("too_few_frames", f"{name}: {decoded}")
        w, h = stream.codec_context.width, stream.codec_context.height
        if w <= 0 or h <= 0:
            raise VideoError("not_a_video", f"{name}: no picture size")
        if rotation in (90, 270):
            w, h = h, w
        return VideoInfo(str(path), w, h, fps, duration, n, rotation)
    finally:
        container.close()


def upright(rgb: np.ndarray, rotation_deg: float) -> np.ndarray:
    """Rotate a decoded frame as its display matrix asks (counter-clockwise degrees)."""
    k = int(round(rotation_deg / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


class Pace:
    """The ``max_fps`` rule of :func:`read_frames`: keep a frame once ``1 / max_fps`` has passed."""

    def __init__(self, max_fps: float | None) -> None:
        self.step = 1.0 / max_fps if max_fps else 0.0
        self.next_t = 0.0

    def keep(self, t: float) -> bool:
        """Whether the frame at ``t`` s (from the first frame, increasing) is kept."""
        if t + 1e-6 < self.next_t:
            return False
        self.next_t = max(self.next_t + self.step, t + self.step * 0.5)
        return True


class _Clock:
    """Frame times as :func:`read_frames` gives them: from the first frame, always increasing."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self.last_t = -1.0

    def time(self, t: float) -> float:
        if self.t0 is None:
            self.t0 = t
        t -= self.t0
        if t <= self.last_t:  # duplicate or out-of-order timestamps
            t = self.last_t + 1e-3
        self.last_t = t
        return t


def _kept_pts(path: str | Path, max_fps: float) -> set[int] | None:
    """The timestamps of the frames :func:`read_frames` will keep, from the packets alone.

    Reads the packets without decoding them (cheap). None when some packet has no
    timestamp: then every frame must be decoded to know its time.
    """
    container = _open(path)
    try:
        stream = container.streams.video[0]
        pts = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            if packet.pts is None:
                return None
            if not packet.is_discard:
                pts.append(packet.pts)
        base = stream.time_base
    finally:
        container.close()
    clock, pace = _Clock(), Pace(max_fps)
    return {p for p in sorted(pts) if pace.keep(clock.time(float(p * base)))}


def read_frames(path: str | Path, max_side: int | None = None, max_fps: float | None = None,
                skip_unused: bool = True) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(t_seconds, rgb)`` per frame, upright, ``rgb`` ``(H, W, 3)`` uint8.

    Times are the container's presentation timestamps, starting at 0. With
    ``max_side`` the frames are scaled down so their longer side is at most that;
    with ``max_fps`` frames closer than ``1 / max_fps`` to the last one yielded
    are skipped: not converted, and (``skip_unused``) those no other frame refers to
    not even decoded (the frames yielded are the same either way).
    A stream that breaks off part-way raises :class:`VideoError` ``truncated``
    after the frames that could be read.
    """
    import av
    from av.video.reformatter import VideoReformatter

    kept = _kept_pts(path, max_fps) if max_fps and skip_unused else None
    container = _open(path)
    try:
        stream = container.streams.video[0]
        if not max_fps:
            # Every frame is used: decode on several threads. With max_fps the decoder
            # (about a tenth of the work next to the pose model) runs on one, which costs
            # less CPU in all, and lets it skip frames one by one.
            stream.thread_type = "AUTO"
        clock, pace = _Clock(), Pace(max_fps)
        # One scaler for the whole video, on this thread: ``frame.to_ndarray(width=…)``
        # would set up a new one (and its thread pool) for every frame, which cost as much
        # CPU as the scaling itself. The pixels are the same.
        to_rgb = VideoReformatter()
        n = 0
        fps = float(stream.average_rate or 30)
        skipped: set[int] = set()  # timestamps of packets sent with "skip if unreferenced"
        seen: set[int] = set()
        try:
            for packet in container.demux(stream):
                if kept is not None and packet.pts is not None:
                    unused = packet.pts not in kept
                    stream.codec_context.skip_frame = "NONREF" if unused else "DEFAULT"
                    if unused and not packet.is_discard:  # (a discarded one is no frame)
                        skipped.add(packet.pts)
                for frame in packet.decode():
                    if kept is not None and frame.pts is not None:
                        seen.add(frame.pts)
                    if frame.time is not None:
                        t = float(frame.time)
                    else:
                        t = clock.last_t + 1.0 / fps if n else 0.0
                    t = clock.time(t)
                    n += 1
                    if not pace.keep(t):
                        continue
                    if kept is not None and frame.pts not in kept:
                        log.warning("%s: frame at %.3f s kept but not foreseen from the "
                                    "packets; frames before it may have been skipped",
                                    Path(path).name, t)
                    w, h = frame.width, frame.height
                    if max_side and max(w, h) > max_side:
                        s = max_side / max(w, h)
                        w, h = int(round(w * s / 2) * 2), int(round(h * s / 2) * 2)
                    rgb = to_rgb.reformat(frame, w, h, "rgb24", threads=1).to_ndarray()
                    yield t, upright(rgb, getattr(frame, "rotation", 0) or 0)
        except av.error.FFmpegError as exc:
            if n == 0:
                raise VideoError("not_a_video", f"{Path(path).name}: {exc}") from None
            raise VideoError("truncated", f"{Path(path).name}: stopped after {n} frames") from None
        n += len(skipped - seen)  # frames not decoded because nothing needed them
        if n == 0:
            raise VideoError("no_frames", Path(path).name)
        expected = stream.frames or 0
        if expected and n < expected - max(2, 0.02 * expected):
            # The index promises more frames than the data holds: cut off.
            raise VideoError("truncated", f"{Path(path).name}: {n} of {expected} frames")
    finally:
        container.close()


#: x264 settings under which the same frames always give the same bytes. x264's
#: macroblock tree (a lookahead that lowers the quantiser of blocks later frames copy)
#: reads uninitialised stack memory (valgrind: "use of uninitialised value" in libx264
#: under ``x264_encoder_encode``, none with ``mbtree=0``), so with it the same frames came
#: out differently from one encoding to the next, on one thread or several. Without it
#: x264 is deterministic (also on several threads). At the same CRF the picture is as close
#: to the input (PSNR within 0.6 dB) but the file is up to twice as large.
REPRODUCIBLE_X264 = "mbtree=0"


class VideoWriter:
    """Write RGB frames to a browser-playable H.264 MP4 (yuv420p) with PyAV.

    With ``reproducible`` the same frames give the same file, byte for byte, in any run
    (:data:`REPRODUCIBLE_X264`): for test inputs made from other videos.
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: float = 30.0,
                 crf: int = 23, reproducible: bool = False) -> None:
        import av

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._container = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width = width - width % 2
        self._stream.height = height - height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, 1000)
        self._stream.codec_context.time_base = Fraction(1, 1000)
        options = {"crf": str(crf), "preset": "veryfast"}
        if reproducible:
            options["x264-params"] = REPRODUCIBLE_X264
        self._stream.options = options
        self._last_pts = -1

    def write(self, rgb: np.ndarray, t: float) -> None:
        """Add a frame shown at ``t`` seconds."""
        import av

        h, w = self._stream.height, self._stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
        pts = max(int(round(t * 1000)), self._last_pts + 1)
        frame.pts, frame.time_base = pts, Fraction(1, 1000)
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        """Flush the encoder and close the file."""
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prefetched(frames: Iterator[tuple[float, np.ndarray]], depth: int = 8
               ) -> Iterator[tuple[float, np.ndarray]]:
    """Decode ahead in a background thread while the caller works on earlier frames.

    PyAV releases the GIL while decoding, so this overlaps decoding with the
    pose model. Errors raised by the decoder are re-raised in the caller.
    """
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in frames:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=work, daemon=True, name="formcheck-decode")
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
