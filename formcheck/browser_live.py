"""The live check with the pose model in the patient's browser: its page and landmark socket.

The page (``formcheck/ui/browser_pose/``) runs MediaPipe Pose Landmarker in the browser
(npm ``@mediapipe/tasks-vision``, served from ``node_modules/`` by these routes, with our
bundled model) and sends landmarks, never video, one JSON text message per frame::

    {"t": 12.033,                       # seconds, strictly increasing
     "wh": [640, 480],                  # frame width, height in pixels
     "lm": [[x, y, z, visibility], ...] # 33 normalised image landmarks, or null: no person
     "world": [[x, y, z], ...]}         # 33 world landmarks in metres (with "lm")

The first message must be ``{"token": "..."}``: a per-session token from :data:`TOKENS`.
Every frame is checked (:func:`parse_frame`); a bad one is dropped and answered with
``{"dropped": reason, "dropped_total": n}``, the session goes on. A good one goes to the
token's :class:`PoseSink` (the page's :class:`~formcheck.ui.live_page.StreamHolder`, which
feeds the same :class:`~formcheck.live.LiveSession` as the server mode) and is answered with
the state the overlay shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import mimetypes
import os
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np

from .pose import DEFAULT_MODEL, N_LANDMARKS, PoseFrame

REPO = Path(__file__).resolve().parent.parent
PAGE_DIR = Path(__file__).resolve().parent / "ui" / "browser_pose"
TASKS_VISION = REPO / "node_modules" / "@mediapipe" / "tasks-vision"
PREFIX = "/formcheck/pose"
SOCKET_PATH = f"{PREFIX}/socket"
MAX_MESSAGE_CHARS = 16_384      # a frame is ~5 kB of JSON; a video frame would not fit
MAX_RATE_HZ = 60.0              # frames a second, sustained; bursts up to RATE_BURST
RATE_BURST = 90.0               # 3 s at 30 Hz: a backlog after a stall is not a flood
AUTH_TIMEOUT_S = 10.0
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

    def process_poses(self, frames: list[tuple[PoseFrame | None, float]]) -> dict[str, Any]:
        """Advance on frames ``(pose or None: no person, t)`` in order; the state after them.

        The state is what the overlay shows (JSON-ready).
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

def _finite_rows(value: Any, width: int, name: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != N_LANDMARKS:
        raise BadFrame(f"{name}: need {N_LANDMARKS} landmarks")
    try:
        arr = np.array(value)       # strings, booleans, nulls: not a float or int array
    except ValueError:
        raise BadFrame(f"{name}: need {width} numbers per landmark") from None
    if arr.shape != (N_LANDMARKS, width):
        raise BadFrame(f"{name}: need {width} numbers per landmark")
    if arr.dtype.kind not in "fi":
        raise BadFrame(f"{name}: not numbers")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > MAX_ABS_COORD):
        raise BadFrame(f"{name}: not finite or out of range")
    return arr


def parse_frame(text: str, last_t: float | None) -> tuple[float, PoseFrame | None]:
    """Check one landmark message (see the module doc); ``(t, frame)``, frame None: no person.

    Raises :class:`BadFrame` when the message is too long, not JSON, of the wrong shape,
    not finite, or not later than ``last_t``.
    """
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadFrame("too long")
    try:
        msg = json.loads(text)
    except ValueError:
        raise BadFrame("not JSON") from None
    if not isinstance(msg, dict):
        raise BadFrame("not an object")
    t = msg.get("t")
    if type(t) not in (int, float) or not math.isfinite(t) or t < 0:
        raise BadFrame("bad time")
    if last_t is not None and t <= last_t:
        raise BadFrame("time not moving forward")
    wh = msg.get("wh")
    if (not isinstance(wh, list) or len(wh) != 2 or not all(type(v) is int for v in wh)
            or not all(1 <= v <= MAX_SIDE_PX for v in wh)):
        raise BadFrame("bad frame size")
    if msg.get("lm") is None:
        return float(t), None
    lm = _finite_rows(msg["lm"], 4, "lm")
    world = _finite_rows(msg.get("world"), 3, "world")
    visibility = lm[:, 3]
    if np.any((visibility < 0) | (visibility > 1)):
        raise BadFrame("lm: visibility outside [0, 1]")
    frame = PoseFrame(t=float(t), image_xyz=lm[:, :3].copy(), visibility=visibility.copy(),
                      world_xyz=world, image_wh=(wh[0], wh[1]))
    return float(t), frame


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
                text = message.get("text")
                try:
                    if text is None:
                        raise BadFrame("not text")
                    if not rate.allow(time.monotonic()):
                        raise BadFrame("too many frames")
                    t, frame = parse_frame(text, last_t)
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
                state = sink.process_poses(frames)
                await websocket.send_text(
                    json.dumps({**state, "t": frames[-1][1], "dropped_total": dropped}))
            if closed and not pending and not notices:
                return
    finally:
        reader.cancel()


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

    def process_poses(self, frames: list[tuple[PoseFrame | None, float]]) -> dict[str, Any]:
        """Feed the engine; its state."""
        st = self.live.process_poses(frames)
        return {"phase": st.phase, "count": st.rep_count, "set": st.set_index}

    def start_stream(self) -> dict[str, Any]:
        """Nothing to tell the page."""
        return {}

    def end_pose_stream(self) -> None:
        """Nothing to free."""
