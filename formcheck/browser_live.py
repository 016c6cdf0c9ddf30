"""The live check with the pose model in the patient's browser: its page and landmark socket.

The page (``formcheck/ui/browser_pose/``) runs MediaPipe Pose Landmarker in the browser
(npm ``@mediapipe/tasks-vision``, served from ``node_modules/`` by these routes, with our
bundled model) and sends landmarks, never video, one small binary message per frame
(little-endian; :func:`encode_frame` writes it, ``pose.js`` does the same)::

    float64  t            seconds, strictly increasing
    uint16   width, height of the camera frame in pixels
    float32  lm[33][4]    normalised image landmarks x, y, z, visibility  } absent:
    float32  world[33][3] world landmarks in metres                       } no person

That is 12 bytes, or 936 with a person; only binary messages of those sizes are taken (no
picture fits).
The first message must be the text ``{"token": "..."}``: a per-session token from
:data:`TOKENS`. Every frame is checked (:func:`parse_frame`); a bad one is dropped and
answered with ``{"dropped": reason, "dropped_total": n}``, the session goes on. Good
frames go to the token's :class:`PoseSink` (the page's
:class:`~formcheck.ui.live_page.StreamHolder`, which feeds the same
:class:`~formcheck.live.LiveSession` as the server mode); the frames that came while the
engine was busy go together, and are answered with the state the overlay shows after them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import mimetypes
import os
import secrets
import struct
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np

from .live import Measured, MeasureKey, measure_together
from .pose import DEFAULT_MODEL, N_LANDMARKS, PoseFrame

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parent.parent
PAGE_DIR = Path(__file__).resolve().parent / "ui" / "browser_pose"
TASKS_VISION = REPO / "node_modules" / "@mediapipe" / "tasks-vision"
PREFIX = "/formcheck/pose"
SOCKET_PATH = f"{PREFIX}/socket"
HEADER = struct.Struct("<dHH")                  # t, width, height
N_FLOATS = N_LANDMARKS * (4 + 3)                # image landmarks with visibility, world
FRAME_BYTES = HEADER.size + 4 * N_FLOATS        # 936: a frame with a person
MAX_RATE_HZ = 60.0              # frames a second, sustained; bursts up to RATE_BURST
RATE_BURST = 90.0               # 3 s at 30 Hz: a backlog after a stall is not a flood
AUTH_TIMEOUT_S = 10.0
TURN_S = 0.010                  # the engine advances all waiting sockets at most this often
MAX_ABS_COORD = 100.0           # normalised image or metre coordinates beyond this are junk
MAX_SIDE_PX = 8192
# Everything the page may load comes from the app itself; the model needs WebAssembly.
CSP = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
       "connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; media-src 'self' blob:; "
       "base-uri 'none'; form-action 'none'")
ALLOWED_ORIGINS_ENV = "FORMCHECK_ALLOWED_ORIGINS"
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")


class BadFrame(ValueError):
    """A landmark message that cannot be used; ``str(e)`` is the short reason."""


class PoseSink(Protocol):
    """Where a token's frames go."""

    def measure_key(self) -> MeasureKey | None:
        """What the measures of the next frames depend on (see :func:`measure_together`)."""

    def process_poses(self, frames: list[tuple[PoseFrame | None, float]],
                      measured: Measured | None = None) -> dict[str, Any]:
        """Advance on frames ``(pose or None: no person, t)`` in order; the state after them.

        The state is what the overlay shows (JSON-ready). ``measured``: the frames'
        measures, taken together with other sockets' frames.
        """

    def start_stream(self) -> dict[str, Any]:
        """A socket opened; return what the page needs once (texts, goal, skeleton)."""

    def end_pose_stream(self) -> None:
        """The socket closed."""


class TokenRegistry:
    """Per-session socket tokens → their sink; only the tokens' SHA-256 digests are kept.

    Sinks are held weakly: a token dies with its Streamlit session's holder.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sinks: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self._connected: set[str] = set()

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def issue(self, sink: PoseSink) -> str:
        """A new random token for ``sink``."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sinks[self._digest(token)] = sink
        return token

    def revoke(self, token: str) -> None:
        """Forget ``token``."""
        with self._lock:
            self._sinks.pop(self._digest(token), None)

    def connect(self, token: str) -> tuple[str, PoseSink] | None:
        """The token's sink, marked connected; None if unknown or already connected."""
        key = self._digest(token) if isinstance(token, str) else ""
        with self._lock:
            sink = self._sinks.get(key)
            if sink is None or key in self._connected:
                return None
            self._connected.add(key)
            return key, sink

    def disconnect(self, key: str) -> None:
        """The socket of digest ``key`` closed."""
        with self._lock:
            self._connected.discard(key)


TOKENS = TokenRegistry()


# -- one frame ------------------------------------------------------------------------------

def encode_frame(t: float, wh: tuple[int, int], lm: np.ndarray | None = None,
                 world: np.ndarray | None = None) -> bytes:
    """One landmark message (see the module doc): ``lm`` ``(33, 4)``, ``world`` ``(33, 3)``."""
    head = HEADER.pack(t, *wh)
    if lm is None:
        return head
    return head + np.concatenate([np.ravel(lm), np.ravel(world)]).astype("<f4").tobytes()


def parse_frame(data: bytes, last_t: float | None) -> tuple[float, PoseFrame | None]:
    """Check one landmark message (see the module doc); ``(t, frame)``, frame None: no person.

    Raises :class:`BadFrame` when the message has neither frame size, its time is not
    finite or not later than ``last_t``, the frame size is impossible, or a number is not
    finite, out of range, or a visibility outside [0, 1].
    """
    if len(data) not in (HEADER.size, FRAME_BYTES):
        raise BadFrame("not a landmark frame")
    t, w, h = HEADER.unpack_from(data)
    if not math.isfinite(t) or t < 0:
        raise BadFrame("bad time")
    if last_t is not None and t <= last_t:
        raise BadFrame("time not moving forward")
    if not (1 <= w <= MAX_SIDE_PX and 1 <= h <= MAX_SIDE_PX):
        raise BadFrame("bad frame size")
    if len(data) == HEADER.size:
        return t, None
    numbers = np.frombuffer(data, "<f4", N_FLOATS, HEADER.size).astype(float)
    if not np.isfinite(numbers).all() or np.abs(numbers).max() > MAX_ABS_COORD:
        raise BadFrame("landmarks not finite or out of range")
    lm = numbers[:N_LANDMARKS * 4].reshape(N_LANDMARKS, 4)
    visibility = lm[:, 3]
    if visibility.min() < 0 or visibility.max() > 1:
        raise BadFrame("visibility outside [0, 1]")
    frame = PoseFrame(t=t, image_xyz=lm[:, :3].copy(), visibility=visibility.copy(),
                      world_xyz=numbers[N_LANDMARKS * 4:].reshape(N_LANDMARKS, 3),
                      image_wh=(w, h))
    return t, frame


@dataclass
class RateLimit:
    """Token bucket: ``rate_hz`` messages a second on average, bursts up to ``burst``."""

    rate_hz: float = MAX_RATE_HZ
    burst: float = RATE_BURST
    _level: float = RATE_BURST
    _at: float = 0.0

    def allow(self, now: float) -> bool:
        """True if a message arriving at ``now`` (monotonic seconds) is within the rate."""
        if self._at:
            self._level = min(self.burst, self._level + (now - self._at) * self.rate_hz)
        self._at = now
        if self._level < 1:
            return False
        self._level -= 1
        return True


def origin_allowed(origin: str | None, host: str | None,
                   allowed: tuple[str, ...] | None = None) -> bool:
    """Same origin as the page (scheme-less host:port match), or one of ``allowed``.

    ``allowed`` defaults to the comma-separated ``FORMCHECK_ALLOWED_ORIGINS`` (for a reverse
    proxy that rewrites the Host header).
    """
    if not origin or origin == "null":
        return False
    if allowed is None:
        allowed = tuple(o.strip().rstrip("/") for o in
                        os.environ.get(ALLOWED_ORIGINS_ENV, "").split(",") if o.strip())
    if origin.rstrip("/") in allowed:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host


# -- the routes -----------------------------------------------------------------------------

async def pose_socket(websocket: Any) -> None:
    """The landmark socket: Origin check, token, then frames in, overlay states out."""
    from starlette.websockets import WebSocketDisconnect

    if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host")):
        await websocket.close(code=1008)   # refused before the handshake completes: HTTP 403
        return
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
        token = json.loads(first).get("token") if len(first) < 256 else None
    except (TimeoutError, ValueError, AttributeError, KeyError, WebSocketDisconnect):
        token = None
    found = TOKENS.connect(token) if isinstance(token, str) else None
    if found is None:
        await websocket.close(code=1008, reason="bad or used token")
        return
    key, sink = found
    try:
        await websocket.send_text(json.dumps({"hello": sink.start_stream()}))
        await _frames(websocket, sink)
    except WebSocketDisconnect:
        pass
    finally:
        TOKENS.disconnect(key)
        sink.end_pose_stream()


async def _frames(websocket: Any, sink: PoseSink) -> None:
    """Frames in, states out.

    A reader takes and checks every message as it comes; the engine takes all the frames
    that came while it was busy in one step (one vectorised measure, one answer: the state
    after the last). Unloaded that is one frame; a loaded server catches up instead of
    falling behind. Dropped frames are answered one by one.
    """
    from starlette.websockets import WebSocketDisconnect

    pending: list[tuple[PoseFrame | None, float]] = []
    notices: list[str] = []
    dropped = 0
    closed = False
    wake = asyncio.Event()

    async def read() -> None:
        nonlocal dropped, closed
        last_t: float | None = None
        rate = RateLimit()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                data = message.get("bytes")
                try:
                    if data is None:
                        raise BadFrame("not a landmark frame")
                    if not rate.allow(time.monotonic()):
                        raise BadFrame("too many frames")
                    t, frame = parse_frame(data, last_t)
                except BadFrame as e:
                    dropped += 1
                    notices.append(json.dumps({"dropped": str(e), "dropped_total": dropped}))
                else:
                    last_t = t
                    pending.append((frame, t))
                wake.set()
        except WebSocketDisconnect:
            return
        finally:
            closed = True
            wake.set()

    reader = asyncio.create_task(read())
    try:
        while True:
            await wake.wait()
            wake.clear()
            while notices:
                await websocket.send_text(notices.pop(0))
            if pending:
                frames = pending[:]
                pending.clear()
                state = await _engine_turn().process(sink, frames)
                await websocket.send_text(
                    json.dumps({**state, "t": frames[-1][1], "dropped_total": dropped}))
            if closed and not pending and not notices:
                return
    finally:
        reader.cancel()


class EngineTurn:
    """Advances every socket whose frames are waiting, in one turn of the event loop.

    The frames of all those sockets whose measures depend on the same things are measured
    in one vectorised call (:func:`~formcheck.live.measure_together`); then each sink
    advances on its own frames. With many patients most of a frame's cost is shared.
    """

    def __init__(self) -> None:
        self._jobs: list[tuple[PoseSink, list[tuple[PoseFrame | None, float]],
                               asyncio.Future[dict[str, Any]]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def process(self, sink: PoseSink,
                      frames: list[tuple[PoseFrame | None, float]]) -> dict[str, Any]:
        """``sink.process_poses(frames, ...)`` in the next turn; its state."""
        done = asyncio.get_running_loop().create_future()
        self._jobs.append((sink, frames, done))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return await done

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = -math.inf
        while True:
            await self._wake.wait()
            # Turns at most every TURN_S: frames that come meanwhile join the next turn
            # (when the server is busy, more of them share one measuring call).
            if (wait := last + TURN_S - loop.time()) > 0:
                await asyncio.sleep(wait)
            last = loop.time()
            self._wake.clear()
            jobs, self._jobs = self._jobs, []
            try:
                measured = measure_together([(sink.measure_key(), [f for f, _ in frames])
                                             for sink, frames, _ in jobs])
            except Exception:            # noqa: BLE001 - then each sink measures its own
                log.exception("measuring the waiting frames together failed")
                measured = [None] * len(jobs)
            for (sink, frames, done), m in zip(jobs, measured, strict=True):
                if done.done():          # its socket went away
                    continue
                try:
                    done.set_result(sink.process_poses(frames, m))
                except Exception as e:   # noqa: BLE001 - the socket's own task raises it
                    done.set_exception(e)


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, EngineTurn] = \
    weakref.WeakKeyDictionary()


def _engine_turn() -> EngineTurn:
    """The event loop's :class:`EngineTurn` (one per loop: the app runs one)."""
    loop = asyncio.get_running_loop()
    turn = _TURNS.get(loop)
    if turn is None:
        turn = _TURNS[loop] = EngineTurn()
    return turn


def _static_file(rel: str) -> Path | None:
    """The file the page asks for, from a fixed list of places; None if not allowed."""
    if rel == "model.task":
        return DEFAULT_MODEL
    if rel.startswith("vendor/"):
        name = rel.removeprefix("vendor/")
        if name in ("vision_bundle.mjs",) or (
                name.split(".")[0] in ("wasm/vision_wasm_module_internal",
                                       "wasm/vision_wasm_internal",
                                       "wasm/vision_wasm_nosimd_internal")
                and name.rsplit(".", 1)[-1] in ("js", "wasm")):
            return TASKS_VISION / name
        return None
    if rel in ("", "index.html"):
        return PAGE_DIR / "index.html"
    if "/" not in rel and rel.rsplit(".", 1)[-1] in ("js", "css"):
        return PAGE_DIR / rel
    return None


async def pose_static(request: Any) -> Any:
    """The in-browser pose page, its script, the tasks-vision runtime and our model."""
    from starlette.responses import FileResponse, PlainTextResponse

    path = _static_file(request.path_params.get("rel", ""))
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "no-cache"}
    if path is None or not path.is_file():
        missing = path is not None and path.is_relative_to(TASKS_VISION)
        return PlainTextResponse(
            "the browser pose runtime is not installed: run scripts/start" if missing
            else "not found", status_code=404, headers=headers)
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers=headers)


def routes() -> list[Any]:
    """The Starlette routes to serve beside Streamlit (``st.App(..., routes=routes())``)."""
    from starlette.routing import Route, WebSocketRoute

    _load_test_sinks()
    return [WebSocketRoute(SOCKET_PATH, pose_socket),
            Route(PREFIX + "/{rel:path}", pose_static)]


def runtime_installed() -> bool:
    """True if ``npm ci`` has installed the tasks-vision runtime the page needs."""
    return (TASKS_VISION / "vision_bundle.mjs").is_file()


# -- load test (benchmarks/live_load.py) ----------------------------------------------------

LOAD_TEST_ENV = "FORMCHECK_LOAD_TEST_TOKENS"
_LOAD_TEST_SINKS: list[EngineSink] = []   # held here: the registry holds sinks weakly


def _load_test_sinks() -> None:
    """With ``FORMCHECK_LOAD_TEST_TOKENS=path:N:exercise:side``, issue N tokens into ``path``.

    For the load benchmark only: each token gets its own live engine, no page needed.
    The tokens go to a file, so only who can read the server's files can use them.
    """
    spec = os.environ.get(LOAD_TEST_ENV)
    if not spec:
        return
    from .live import LiveSession
    from .protocol import PatientSettings

    path, n, exercise, side = spec.rsplit(":", 3)
    _LOAD_TEST_SINKS[:] = [EngineSink(LiveSession(exercise, PatientSettings(side), "en"))
                           for _ in range(int(n))]
    tokens = [TOKENS.issue(sink) for sink in _LOAD_TEST_SINKS]
    Path(path).write_text(json.dumps(tokens))


class EngineSink:
    """A bare :class:`~formcheck.live.LiveSession` as a sink (load tests, no page)."""

    def __init__(self, live: Any) -> None:
        self.live = live

    def measure_key(self) -> MeasureKey | None:
        """The engine's measure key."""
        return self.live.measure_key()

    def process_poses(self, frames: list[tuple[PoseFrame | None, float]],
                      measured: Measured | None = None) -> dict[str, Any]:
        """Feed the engine; its state."""
        st = self.live.process_poses(frames, measured)
        return {"phase": st.phase, "count": st.rep_count, "set": st.set_index}

    def start_stream(self) -> dict[str, Any]:
        """Nothing to tell the page."""
        return {}

    def end_pose_stream(self) -> None:
        """Nothing to free."""
