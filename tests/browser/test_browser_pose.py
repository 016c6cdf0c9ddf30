"""Browser mode of the live check in headless Chromium: the pose model runs in the page.

The fake camera plays a rendered clip (looped). The test waits on the page's own counters
(frames processed, states received, the stream time the server saw), not on the clock: the
WASM model on a loaded 2-core machine may run at a few frames a second.
"""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from formcheck.browser_live import FRAME_BYTES, HEADER, SOCKET_PATH, parse_frame, runtime_installed
from formcheck.i18n import text

from .conftest import write_y4m

pytestmark = pytest.mark.browser

METRIC = '[data-testid="stMetricValue"]'
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
SETTLE_S = 10.0          # placement + countdown + calibration, stream seconds
SAFETY_CAP_S = 600       # wall clock: only against a hang, never what the test waits for


@pytest.fixture(autouse=True)
def _runtime_installed():
    """Fail at once, not at the hang cap, where the page has no model runtime to load."""
    if not runtime_installed():
        pytest.fail("the browser pose runtime is not installed: run `npm ci` (scripts/test does)")


def _pose_frame(page):
    iframe = page.query_selector('iframe[src*="/formcheck/pose/"]')
    return iframe.content_frame() if iframe else None


def _stats(page) -> dict | None:
    frame = _pose_frame(page)
    return frame.evaluate("window.formcheckStats || null") if frame else None


def _wait_for(page, done, what: str, poll_s: float = 1.0) -> dict:
    """Poll the page's counters until ``done(stats)``; fail with the last ones if it hangs."""
    cap = time.monotonic() + SAFETY_CAP_S
    stats = None
    while time.monotonic() < cap:
        stats = _stats(page)
        if stats and done(stats):
            return stats
        page.wait_for_timeout(poll_s * 1000)
    pytest.fail(f"{what}: not reached; last page counters {json.dumps(stats)[:600]}")


def test_browser_mode_counts_reps_locally(launch, app_url, live_sample, tmp_path, artifacts):
    clip, truth = live_sample
    y4m = write_y4m(clip, tmp_path / "camera.y4m")
    clip_s = truth["n_frames"] / truth["fps"] if "n_frames" in truth else 20.0
    browser = launch("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={y4m}")
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    # Keep a handle on every WebSocket a frame opens (to send a bad frame on the page's own).
    context.add_init_script("window.__sockets = [];"
                            "window.WebSocket = class extends window.WebSocket {"
                            " constructor(...a) { super(...a); window.__sockets.push(this); } };")
    from_page: list[str | bytes] = []   # every message the page sent on its pose socket
    sizes: list[int] = []               # every message sent on any socket

    def watch(ws):
        ws.on("framesent", lambda m: sizes.append(len(m)))
        if SOCKET_PATH in ws.url:
            ws.on("framesent", lambda m: from_page.append(m))

    page = context.new_page()
    page.on("websocket", watch)
    page.goto(f"{app_url}/live?lang=en&exercise={truth['exercise']}&side={truth['side']}")

    # Counting: the clip's repetitions within four passes of it after the set-up phases.
    want = truth["rep_count"]

    def counted_or_seen_enough(s):
        last = s["lastState"] or {}
        return last.get("count", 0) >= want or last.get("t", 0) > SETTLE_S + 4 * clip_s

    first = _wait_for(page, lambda s: s["states"] >= 1, "first state from the server")
    t0 = first["lastState"]["t"]
    stats = _wait_for(page, lambda s: counted_or_seen_enough(
        {**s, "lastState": {**(s["lastState"] or {}), "t": (s["lastState"] or {}).get(
            "t", 0) - t0}}), "counting the clip")
    (artifacts / "browser_pose_sent.json").write_text(json.dumps(   # replayable
        [base64.b64encode(m).decode() for m in from_page[1:] if isinstance(m, bytes)]))
    assert stats["lastState"]["count"] >= want, f"counted {stats['lastState']} < {want}"
    assert stats["lastState"]["phase"] == "counting"

    # The page's panel says the same count, the mode and the frame rate (it refreshes on
    # its own timer: on a loaded machine it may lag the overlay; the picture waits for it).
    main = page.locator('[data-testid="stMain"]')
    page.wait_for_function(
        "([sel, n]) => { const m = document.querySelector(sel);"
        " return m && parseInt(m.innerText) >= n; }", arg=[METRIC, want], timeout=180_000)
    # The panel's fragment reruns twice a second: its caption is read once it is there.
    expect(main).to_contain_text(re.compile(r"Pose found in this browser · \d+ frames/s analysed"))
    page.screenshot(path=str(artifacts / "app_browser_pose.png"))
    body = main.inner_text()
    assert "Traceback" not in body
    assert not page.locator('iframe[src*="webrtc_streamer"]').count()   # no video stream

    # A malformed landmark message is dropped; the session goes on counting frames.
    before = _stats(page)
    _pose_frame(page).evaluate(
        "(path) => { const s = window.__sockets.find(s => s.url.endsWith(path));"
        " s.send('{not json'); s.send(new Uint8Array(FRAME_BYTES - 1).buffer); }"
        .replace("FRAME_BYTES", str(FRAME_BYTES)), SOCKET_PATH)
    after = _wait_for(page, lambda s: s["dropped"] >= before["dropped"] + 2
                      and s["states"] >= before["states"] + 10, "dropping bad frames")
    assert after["lastState"]["frames"] > before["lastState"]["frames"]
    assert after["lastState"]["phase"] == "counting"

    # Only landmarks went to the server: the token, then binary frames of the landmark
    # format's two sizes that the server reads as sent, never an image.
    bad = ("{not json", bytes(FRAME_BYTES - 1))
    token, frames = from_page[0], [m for m in from_page[1:] if m not in bad]
    assert "token" in json.loads(token)
    assert len(frames) > 20
    assert all(isinstance(m, bytes) and len(m) in (HEADER.size, FRAME_BYTES) for m in frames)
    assert max(sizes) < 64 * 1024            # Streamlit's own socket carries no picture either
    last_t = None
    for m in frames:
        last_t, _ = parse_frame(m, last_t)
    assert sum(len(m) == FRAME_BYTES for m in frames) > 0.8 * len(frames)

    # No request left this machine (page, its iframe, the model and its runtime).
    outside = {u for u in requests if not u.startswith(("data:", "blob:"))
               and urlsplit(u).hostname not in {h.strip("[]") for h in LOCAL_HOSTS}}
    assert not outside, f"requests outside loopback: {sorted(outside)}"
    local = [urlsplit(u).path for u in requests]
    for needed in ("/formcheck/pose/model.task", "/formcheck/pose/vendor/vision_bundle.mjs"):
        assert needed in local
    assert any(p.endswith(".wasm") for p in local)
    assert text("app.mode_browser", "en") in body
    context.close()


def test_a_dim_room_is_lifted_for_the_model(launch, app_url, clips_dir, tmp_path):
    # A real clip dimmed as a room lit by one lamp films it (a third of the light, sensor
    # noise): the model finds no one in those frames unless the page first stretches the
    # frame's levels, as the server does for uploads.
    from formcheck.synth.capture import degrade_video

    dimmed = degrade_video(clips_dir / "physioplus_bridging.mp4", tmp_path / "dim.mp4", "dim")
    y4m = write_y4m(dimmed, tmp_path / "camera.y4m")
    browser = launch("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={y4m}")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{app_url}/live?lang=en&exercise=bridge&side=left")
    stats = _wait_for(page, lambda s: s["processed"] >= 30, "30 frames through the model")
    assert stats["found"] >= 0.8 * stats["processed"], stats
    assert stats["stretched"] >= 0.8 * stats["processed"], stats


def test_portrait_camera_with_legs_behind_a_chair_shows_the_whole_message(
        launch, app_url, tmp_path, artifacts):
    # A phone held upright films a squat side-on with the chair between camera and legs:
    # live says the legs are hidden (pose.legs_hidden) and the overlay shows that long
    # message whole, wrapped and made smaller to fit the portrait picture (it ran off its
    # right edge on one line before), as the title and the count.
    import dataclasses

    from formcheck.synth.clip import render_clip
    from formcheck.synth.randomised import random_set

    spec = random_set(4321, lens="wide", support="chair")[
        "r24_mini_squat_side_az180_el3_640x480_fov61_chair_right"]
    clip = tmp_path / "chair.mp4"
    render_clip(dataclasses.replace(spec, frame_wh=(360, 640)), clip, log=False)
    y4m = write_y4m(clip, tmp_path / "camera.y4m", width=360, height=640)
    browser = launch("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={y4m}")
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(f"{app_url}/live?lang=nl&exercise=mini_squat&side=right")
    want = text("live.legs_hidden", "nl")
    stats = _wait_for(page, lambda s: (s["lastState"] or {}).get("message") == want
                      and (s.get("overlay") or {}).get("message"), "the legs-hidden message")
    page.screenshot(path=str(artifacts / "app_live_legs_hidden_portrait.png"))
    overlay = stats["overlay"]
    assert overlay["message"]["width"] == 360
    assert 2 <= len(overlay["message"]["lines"]) <= 3
    assert " ".join(overlay["message"]["lines"]) == want
    assert all(overlay[k]["fits"] for k in ("title", "message", "count")), overlay
