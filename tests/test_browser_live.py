"""The landmark socket of the in-browser live check, and the engine's pose entry point."""

from __future__ import annotations

import json
import math
import socket
import struct
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from formcheck import browser_live
from formcheck.browser_live import (
    FRAME_BYTES,
    TOKENS,
    BadFrame,
    RateLimit,
    encode_frame,
    origin_allowed,
    parse_frame,
)
from formcheck.live import LiveSession, measure_together
from formcheck.pose import PoseEstimator
from formcheck.protocol import PatientSettings
from formcheck.ui.live_page import StreamHolder
from formcheck.video import read_frames

REPO = Path(__file__).resolve().parent.parent
CLIP = REPO / "sample_videos" / "hip_abduction_clean_front.mp4"


def _message(t: float, lm=None, world=None, wh=(640, 480)) -> bytes:
    if lm is None:
        lm = [[0.5, 0.1 + i / 40, 0.0, 0.9] for i in range(33)]
    if world is None:
        world = [[0.0, -0.8 + i / 20, 0.0] for i in range(33)]
    return encode_frame(t, wh, np.array(lm, dtype=float), np.array(world, dtype=float))


@pytest.fixture
def holder():
    h = StreamHolder()
    h.configure("hip_abduction", PatientSettings("left"), "en", 5)
    yield h
    h.release()


@pytest.fixture(scope="module")
def server():
    """The socket's routes served by uvicorn on a free loopback port; yields ``host:port``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(Starlette(routes=browser_live.routes()), host="127.0.0.1",
                            port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@contextmanager
def _socket(server: str, origin: str | None = "page"):
    headers = {} if origin is None else {
        "Origin": f"http://{server}" if origin == "page" else origin}
    with connect(f"ws://{server}{browser_live.SOCKET_PATH}", additional_headers=headers,
                 origin=None, open_timeout=10) as ws:
        yield ws


def _closed_with(ws, code: int) -> bool:
    try:
        ws.recv(timeout=10)
    except ConnectionClosed as e:
        return e.rcvd is not None and e.rcvd.code == code
    return False


# -- one frame ------------------------------------------------------------------------------

def test_parse_frame_builds_a_pose_frame():
    lm = np.random.default_rng(1).uniform(0, 1, (33, 4))
    world = np.random.default_rng(2).uniform(-1, 1, (33, 3))
    data = _message(1.5, lm, world)
    assert len(data) == FRAME_BYTES == 936
    t, frame = parse_frame(data, None)
    assert t == 1.5 and frame is not None and frame.image_wh == (640, 480)
    assert frame.image_xyz.shape == (33, 3) and frame.world_xyz.shape == (33, 3)
    assert frame.visibility.shape == (33,)
    np.testing.assert_allclose(frame.image_xyz, lm[:, :3], atol=1e-7)   # float32 on the wire
    np.testing.assert_allclose(frame.visibility, lm[:, 3], atol=1e-7)
    np.testing.assert_allclose(frame.world_xyz, world, atol=1e-7)
    assert parse_frame(encode_frame(2.0, (640, 480)), 1.5) == (2.0, None)   # nobody in view


def _with(data: bytes, at: int, value: float) -> bytes:
    """``data`` with float32 number ``at`` (after the header) replaced."""
    out = bytearray(data)
    struct.pack_into("<f", out, browser_live.HEADER.size + 4 * at, value)
    return bytes(out)


@pytest.mark.parametrize("data, reason", [
    (b"", "not a landmark frame"),
    (_message(2.0)[:-4], "not a landmark frame"),                # 32 and a bit landmarks
    (_message(2.0) + b"\0" * 4, "not a landmark frame"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 5000, "not a landmark frame"),   # a JPEG picture
    (_message(1.0), "time not moving forward"),          # last_t is 1.0
    (_message(0.5), "time not moving forward"),
    (_message(float("nan")), "bad time"),
    (_message(-1.0), "bad time"),
    (_message(2.0, wh=(0, 480)), "bad frame size"),
    (_message(2.0, wh=(640, 9000)), "bad frame size"),
    (_with(_message(2.0), 5, float("inf")), "not finite"),
    (_with(_message(2.0), 140, float("nan")), "not finite"),    # a world landmark
    (_with(_message(2.0), 7, 1e6), "out of range"),
    (_with(_message(2.0), 3, 1.5), "visibility"),
    (_with(_message(2.0), 7, -0.1), "visibility"),
])
def test_parse_frame_rejects_bad_messages(data, reason):
    with pytest.raises(BadFrame, match=reason):
        parse_frame(data, 1.0)


def test_rate_limit_allows_the_rate_and_refuses_a_flood():
    rate = RateLimit(rate_hz=60, burst=30, _level=30)
    flood = [rate.allow(100.0) for _ in range(40)]           # 40 at one instant
    assert flood.count(True) == 30
    steady = [rate.allow(100.0 + (i + 1) / 50) for i in range(100)]   # 50 Hz < 60 Hz
    assert all(steady)


def test_origin_must_be_the_page_or_allowed():
    assert origin_allowed("http://127.0.0.1:8501", "127.0.0.1:8501", ())
    assert not origin_allowed("http://evil.example", "127.0.0.1:8501", ())
    assert not origin_allowed(None, "127.0.0.1:8501", ())
    assert not origin_allowed("null", "127.0.0.1:8501", ())
    assert origin_allowed("https://physio.example", "backend:8501", ("https://physio.example",))


# -- the socket -----------------------------------------------------------------------------

def test_socket_refuses_a_foreign_origin(server, holder):
    TOKENS.issue(holder)
    for origin in ("http://evil.example", None):
        with pytest.raises(InvalidStatus) as refused:
            with _socket(server, origin):
                pass
        assert refused.value.response.status_code == 403
    assert not holder.streaming


def test_socket_refuses_a_bad_token(server, holder):
    TOKENS.issue(holder)
    for first in (json.dumps({"token": "guessed"}), "no json", json.dumps([1])):
        with _socket(server) as ws:
            ws.send(first)
            assert _closed_with(ws, 1008)
    assert holder.frames == 0


def test_socket_drops_bad_frames_and_goes_on(server, holder):
    token = TOKENS.issue(holder)
    with _socket(server) as ws:
        ws.send(json.dumps({"token": token}))
        hello = json.loads(ws.recv(timeout=10))["hello"]
        assert hello["goal"] == 5 and hello["edges"] and holder.streaming
        # A second socket with the same token while this one is open: refused.
        with _socket(server) as other:
            other.send(json.dumps({"token": token}))
            assert _closed_with(other, 1008)
        ws.send(_message(1.0))
        state = json.loads(ws.recv(timeout=10))
        assert state["phase"] == "placement" and state["frames"] == 1
        bad = [b"{", _message(0.9), _message(2.0)[:-8], _with(_message(2.0), 0, math.nan),
               b"\0" * 100_000, json.dumps({"t": 2.0, "lm": None})]   # the last as text
        for i, data in enumerate(bad, start=1):
            ws.send(data)
            answer = json.loads(ws.recv(timeout=10))
            assert answer["dropped_total"] == i and answer["dropped"]
        ws.send(_message(1.1))       # after the bad ones, counting goes on
        state = json.loads(ws.recv(timeout=10))
        assert state["frames"] == 2 and state["dropped_total"] == len(bad)
    deadline = time.monotonic() + 10
    while holder.streaming and time.monotonic() < deadline:   # the server saw the close
        time.sleep(0.05)
    assert holder.frames == 2 and not holder.streaming


# -- one engine -----------------------------------------------------------------------------

class _Recording:
    """The pose model, keeping every frame it found for a second run."""

    def __init__(self) -> None:
        self.inner = PoseEstimator(count_people_every_s=None)
        self.frames: list = []

    def detect(self, rgb, t):
        frame = self.inner.detect(rgb, t)
        self.frames.append((t, frame))
        return frame

    def close(self):
        self.inner.close()


def test_pose_entry_counts_like_the_image_entry():
    if not CLIP.is_file():
        pytest.skip("sample clip missing")
    settings = PatientSettings("left")
    recording = _Recording()
    by_image = LiveSession("hip_abduction", settings, "en", estimator=recording)
    by_pose = LiveSession("hip_abduction", settings, "en")
    for t, rgb in read_frames(CLIP, max_side=640):
        by_image.process(rgb, t)
    for t, frame in recording.frames:
        state = by_pose.process_pose(frame, t)
    by_image.close()
    assert by_pose._estimator is None          # no model was loaded for the pose entry
    assert state.rep_count == by_image.snapshot().rep_count >= 1
    assert [e.kind for e in by_pose.all_events] == [e.kind for e in by_image.all_events]
    assert by_pose.reps() == by_image.reps()
    assert math.isfinite(state.fps) and state.fps > 0


@pytest.fixture(scope="module")
def clean_poses():
    """The clean clip's poses at a browser's rate (every 4th frame: 7.5 a second), one pass."""
    if not CLIP.is_file():
        pytest.skip("sample clip missing")
    estimator = PoseEstimator(count_people_every_s=None)
    try:
        poses = [(t, estimator.detect(rgb, t))
                 for t, rgb in list(read_frames(CLIP, max_side=640))[::4]]
    finally:
        estimator.close()
    return poses, poses[-1][0] + 4 / 30


@pytest.mark.parametrize("offset_s", [3.0, 6.5], ids=["calibration-mid-rep", "leg-held-up"])
def test_clean_clip_gives_no_fault_however_the_stream_starts(clean_poses, offset_s):
    """The browser's camera loops the clip from wherever it is: no false fault.

    Starting ``offset_s`` into the clip, the live calibration falls on a repetition
    (3.0 s) or on the leg held up (6.5 s). It must wait for the still start pose;
    calibrating on the movement left the knee's resting reading uncorrected
    ("keep the leg straight" on every clean repetition) or counted nothing.
    """
    poses, clip_s = clean_poses
    truth = json.loads(CLIP.with_suffix(".truth.json").read_text())
    live = LiveSession("hip_abduction", PatientSettings(truth["side"]), "en")
    for k in range(3):
        for t, frame in poses:
            if k * clip_s + t >= offset_s:
                live.process_pose(frame, k * clip_s + t)
    reps = live.reps()
    assert live.snapshot().phase == "counting"
    assert len(reps) >= truth["rep_count"]
    assert all(r["completed"] and not r["faults"] for r in reps), reps
    assert not [e for e in live.all_events if e.kind == "fault"]


def test_frames_taken_together_give_what_frames_one_by_one_give(clean_poses):
    """A loaded server takes the waiting frames of all its sockets in one step: the same
    engine result for each session as frames one at a time."""
    poses, clip_s = clean_poses
    frames = [(frame, k * clip_s + t) for k in range(3) for t, frame in poses]
    frames[40:43] = [(None, t) for _, t in frames[40:43]]        # nobody in view a moment
    new = lambda side: LiveSession("hip_abduction", PatientSettings(side), "en")  # noqa: E731
    one, right_one = new("left"), new("right")
    together, twin, right = new("left"), new("left"), new("right")   # measured together
    sizes = [1, 3, 2, 7, 1, 5, 4]                 # taken together: 1 to 7 frames at a time
    i = n = 0
    shared = 0
    while i < len(frames):
        chunk = frames[i:i + sizes[n % len(sizes)]]
        for frame, t in chunk:
            a = one.process_pose(frame, t)
            right_one.process_pose(frame, t)
        sessions = (together, twin, right)
        measured = measure_together([(s.measure_key(), [f for f, _ in chunk]) for s in sessions])
        shared += measured[0] is not None and measured[0].key == measured[1].key
        b, _, r = (s.process_poses(chunk, m) for s, m in zip(sessions, measured, strict=True))
        assert (b.phase, b.rep_count, b.hold_s, b.message, b.fps) == (
            a.phase, a.rep_count, a.hold_s, a.message, a.fps)
        # The same numbers (NaN where a measure does not apply in this view).
        np.testing.assert_equal(together._last_values, one._last_values)
        np.testing.assert_equal(twin._last_values, one._last_values)
        np.testing.assert_equal(right._last_values, right_one._last_values)
        i, n = i + len(chunk), n + 1
    assert shared > 0.5 * n                        # most steps did share one measuring call
    assert a.phase == "counting" and a.rep_count >= 3
    for mine, theirs in ((together, one), (right, right_one)):
        assert [(e.kind, e.t, e.data) for e in mine.all_events] == [
            (e.kind, e.t, e.data) for e in theirs.all_events]
        assert mine.calibration == theirs.calibration


def test_overlay_count_follows_the_page_sets(holder):
    """After the page closes a set, the overlay counts the new set from zero, numbered 2."""
    frames = [(i / 30, None) for i in range(3)]
    for t, frame in frames:
        state = holder.process_pose(frame, t)
    assert (state["count"], state["set"]) == (0, 1)
    holder.close_set(boundary=0, sets_closed=1)
    state = holder.process_pose(None, 1.0)
    assert (state["count"], state["set"]) == (0, 2)
    assert np.isfinite(state["fps"])


def test_closing_the_pose_socket_leaves_a_server_stream_running(holder):
    """Switching to the server mode: the browser page's socket closing late must not end it."""
    if not CLIP.is_file():
        pytest.skip("sample clip missing")
    t, rgb = next(iter(read_frames(CLIP, max_side=640)))
    holder.process(rgb, t)                 # server mode: the model finds the pose
    holder.end_pose_stream()
    assert holder.snapshot() is not None
    holder.end_stream()
    assert holder.snapshot() is None
