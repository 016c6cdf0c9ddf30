"""Browser fixtures: Debian's Chromium, the Streamlit app on a free port, sample clips."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from formcheck.serve import stop, wait_until_serving
from tests.system_packages import apt_install

REPO = Path(__file__).resolve().parents[2]
SAMPLES = Path(os.environ.get("FORMCHECK_SAMPLES", REPO / "sample_videos"))
CLIPS = Path(os.environ.get("FORMCHECK_CLIPS", REPO.parent / "shared" / "clips"))
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# Preferred clips: the upload test wants faults to find, the live test a clip the
# live placement check accepts (front view, standing).
UPLOAD_PREFERENCE = ("mini_squat_faults_side", "hip_abduction_faults_front")
LIVE_PREFERENCE = ("hip_abduction_clean_front", "hip_abduction_faults_front")
FALLBACK_CLIP = ("physioplus_bridging.mp4",
                 {"exercise": "bridge", "side": "left", "rep_count": 1, "reps": []})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; installed with apt-get when missing and running as root."""
    reason = apt_install("chromium", CHROMIUM.exists)
    if reason:
        pytest.skip(reason)
    pytest.importorskip("playwright.sync_api")
    return CHROMIUM


@contextmanager
def running_app(env: dict[str, str] | None = None, log_name: str = "streamlit.log"):
    """Yield the URL of ``streamlit run app.py`` on a free loopback port (extra ``env``)."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / log_name
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_serving(url, proc, timeout_s=180)
        except RuntimeError as error:
            pytest.fail(f"streamlit did not start: {error}; see {log}")
        yield url
    finally:
        stop(proc)
        out.close()


@pytest.fixture(scope="session")
def app_url(chromium: Path):
    """The app, started with ``streamlit run`` on a free loopback port (own data folder)."""
    with tempfile.TemporaryDirectory(prefix="formcheck-app-") as data, \
            running_app({"XDG_DATA_HOME": data}) as url:
        yield url


CLINIC_USER, CLINIC_PASSWORD = "fysio1", "heup-oefenen-2024"


@pytest.fixture(scope="module")
def clinic_store(tmp_path_factory):
    """A fresh SQLite store per test module, with one clinic and one clinician
    (``CLINIC_USER``); yields ``(db, url, folder)``."""
    from formcheck.clinic import auth
    from formcheck.clinic.db import init_db

    folder = tmp_path_factory.mktemp("clinic")
    url = f"sqlite:///{folder / 'clinic.db'}"
    db = init_db(url)
    clinic = auth.create_clinic(db, "Revalidatiecentrum Test")
    auth.create_clinician(db, clinic.id, CLINIC_USER, CLINIC_PASSWORD)
    yield db, url, folder
    db.dispose()


def main_text(page) -> str:
    """The text of the page's main area."""
    return page.inner_text('[data-testid="stMain"]')


def wait_shown(page, selector: str, timeout: float = 60_000) -> None:
    """Wait for ``selector``; fail at once if the page shows an exception instead.

    On a timeout the failure gives the page's text, and its screenshot is kept in
    ``test-artifacts`` (what CI shows of a browser test is its failure message).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.locator(selector).or_(page.get_by_test_id("stException")).first.wait_for(
            timeout=timeout)
    except PlaywrightTimeout:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"not_shown_{time.strftime('%H%M%S')}.png"
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"{selector} not shown in {timeout / 1000:.0f} s ({shot.name}); "
                    f"the page shows:\n{main_text(page)}")
    assert page.get_by_test_id("stException").count() == 0, main_text(page)


def click_settled(locator, timeout: float = 30_000) -> None:
    """Click ``locator`` once it matches exactly one element.

    While Streamlit reruns, the previous run's element can stay on the page beside the new
    one until the run ends (seen in CI: an exercise name matched twice just after a rerun).
    """
    from playwright.sync_api import expect

    expect(locator).to_have_count(1, timeout=timeout)
    locator.click(timeout=timeout)


def pick_settled(page, text: str, timeout: float = 30_000) -> None:
    """:func:`choose_settled` on the radio option labelled ``text``, then wait until the run
    the choice started has ended. Otherwise the next step can outrun the choice (seen in a
    fresh clone: a video uploaded just after the click was analysed as the list's first
    exercise)."""
    choose_settled(page.get_by_text(text, exact=True), page.get_by_role("radio", name=text),
                   timeout)
    wait_settled(page)


def open_expander(expander, content, timeout: float = 60_000) -> None:
    """Unfold ``expander`` (one ``stExpander``) until ``content`` inside it is visible.

    In CI the form under a clicked "Add patient" stayed hidden for 30 s (whether the click
    was lost or a rerun drew the expander folded again is not known): the summary is clicked
    again while the expander is folded and the content hidden.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    expect(expander).to_have_count(1, timeout=timeout)
    details, summary = expander.locator("details"), expander.locator("summary")
    deadline = time.monotonic() + timeout / 1000
    while not content.is_visible():
        if details.get_attribute("open", timeout=timeout) is None:
            summary.click(timeout=timeout)
        try:
            content.wait_for(state="visible", timeout=10_000)
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise


def click_until(page, locator, done, timeout: float = 90_000) -> None:
    """Click ``locator`` (once it is one element, on a settled page) until ``done()`` — what
    the click saves, read from the store — holds.

    Seen in CI on the loaded 2-core machine: a click on a clinic page's button after which
    nothing was shown for 30 s (whether the click was lost or its run took that long is not
    known). A person clicks again; so does this, once the page has settled with nothing
    saved, at most three times.
    """
    assert not done(), "saved before the click"
    deadline = time.monotonic() + timeout / 1000
    for _ in range(3):
        wait_settled(page, timeout)
        if done():   # the last click's run took long
            return
        click_settled(locator, timeout)
        wait_until = min(deadline, time.monotonic() + timeout / 3000)
        while time.monotonic() < wait_until:
            if done():
                return
            time.sleep(0.5)
    assert done(), f"nothing saved after three clicks; the page shows:\n{main_text(page)}"


def upload_settled(page, selector: str, path, timeout: float = 30_000) -> None:
    """Give ``path`` to the file input ``selector`` once exactly one is on the page
    (a rerun can leave the previous run's uploader beside the new one)."""
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_have_count(1, timeout=timeout)
    page.set_input_files(selector, str(path))


# Streamlit marks the app's script state on the app element (its own end-to-end tests read
# it) and each element of an earlier run with data-stale="true" until the running script
# replaces or drops it. Settled: no run in progress, nothing of an earlier run left, every
# picture loaded.
_SETTLED_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.dataset.testScriptState === "notRunning"
        && !document.querySelector('[data-stale="true"]')
        && [...document.images].every(img => img.complete);
}"""


def wait_settled(page, timeout: float = 60_000) -> None:
    """Wait until the page's script run has ended, with no element of an earlier run left.

    Call it after waiting for something the expected run shows: just after a click, the new
    run may not have begun. Pages with a timed fragment (the live panel, an upload's
    progress) run again and again; this waits for a moment between two runs.
    """
    page.wait_for_function(_SETTLED_JS, timeout=timeout)
    assert page.get_by_test_id("stException").count() == 0, main_text(page)


_WATCH_RERUNS_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.formcheckReruns = 0;
    if (window.formcheckRerunWatch) window.formcheckRerunWatch.disconnect();
    window.formcheckRerunWatch = new MutationObserver(() => {
        if (app.dataset.testScriptState === "rerunRequested") window.formcheckReruns += 1;
    });
    window.formcheckRerunWatch.observe(
        app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""


def rerun_settled(page, timeout: float = 60_000) -> None:
    """Rerun the whole script as a person pressing Streamlit's "r" key does; wait until that
    run has ended (what a page keeps across reruns is still shown, a one-run message gone).

    Streamlit ignores the key while a run is in progress (a timed fragment's run): the key
    is pressed again, at a moment the page is settled, until the rerun was asked for.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(_WATCH_RERUNS_JS)
    for _ in range(10):
        wait_settled(page, timeout)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("r")
        try:
            page.wait_for_function("() => window.formcheckReruns > 0", timeout=5_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        pytest.fail("the page never took a rerun (Streamlit's r key)")
    wait_settled(page, timeout)


def set_slider(slider, value: int, timeout: float = 30_000) -> None:
    """Move the slider ``slider`` to ``value`` with the arrow keys, and wait until it holds it.

    It must match exactly one slider first (a rerun can leave the previous run's form beside
    the new one). A rerun that puts the form in again while the keys go in moves the focus:
    the value is read from the page before each key, so the keys go on until it is reached.
    """
    from playwright.sync_api import expect

    expect(slider).to_have_count(1, timeout=timeout)
    for _ in range(50):  # a few passes over a 0-10 scale at most
        now = round(float(slider.input_value(timeout=timeout)))
        if now == value:
            break
        slider.press("ArrowRight" if now < value else "ArrowLeft", timeout=timeout)
    expect(slider).to_have_value(str(value), timeout=timeout)


def choose_settled(option_text, radio, timeout: float = 30_000) -> None:
    """Click a radio option's label ``option_text`` once it matches one element, and wait
    until the option ``radio`` (its radio input) is checked."""
    from playwright.sync_api import expect

    click_settled(option_text, timeout)
    expect(radio).to_be_checked(timeout=timeout)


@pytest.fixture(scope="session")
def playwright_instance(chromium: Path):
    from playwright.sync_api import expect, sync_playwright

    # expect(...) waits for a state as long as the helpers here do (Playwright's default, 5 s,
    # is short for a rerun on a loaded 2-core machine); one that is met returns at once.
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        yield p


@pytest.fixture
def launch(playwright_instance, chromium: Path):
    """``launch(*extra_args)`` → a Chromium browser, closed after the test."""
    browsers = []

    def _launch(*extra: str):
        b = playwright_instance.chromium.launch(executable_path=str(chromium),
                                                args=CHROMIUM_ARGS + list(extra))
        browsers.append(b)
        return b

    yield _launch
    for b in browsers:
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _sample(preference: tuple[str, ...]) -> tuple[Path, dict]:
    """A sample clip with its truth (preferred names first), or the real fallback clip."""
    found = [p for p in sorted(SAMPLES.glob("*.mp4"))
             if p.with_suffix(".truth.json").is_file() and p.stat().st_size > 1024]
    found.sort(key=lambda p: preference.index(p.stem) if p.stem in preference else 99)
    if found:
        truth = json.loads(found[0].with_suffix(".truth.json").read_text())
        return found[0], truth
    clip = CLIPS / FALLBACK_CLIP[0]
    if clip.is_file():
        return clip, dict(FALLBACK_CLIP[1])
    pytest.skip("no sample video and no fallback clip")


@pytest.fixture
def upload_sample() -> tuple[Path, dict]:
    return _sample(UPLOAD_PREFERENCE)


@pytest.fixture
def live_sample() -> tuple[Path, dict]:
    return _sample(LIVE_PREFERENCE)


def write_y4m(mp4: Path, out: Path, width: int = 640, height: int = 480,
              slow: int = 1, still_s: float = 0.0) -> Path:
    """Convert ``mp4`` to YUV4MPEG2 (4:2:0) for Chromium's fake camera.

    ``slow``: play it this many times slower (every frame kept, the frame rate divided).
    ``still_s``: begin with the first frame held this many seconds of the clip (the person
    standing still), where the live check measures the starting position.
    """
    import av

    with av.open(str(mp4)) as container, out.open("wb") as f:
        stream = container.streams.video[0]
        clip_rate = Fraction(stream.average_rate or 30)
        rate = clip_rate / slow
        f.write(f"YUV4MPEG2 W{width} H{height} F{rate.numerator}:{rate.denominator} "
                "Ip A1:1 C420jpeg\n".encode())
        for i, frame in enumerate(container.decode(stream)):
            yuv = frame.reformat(width=width, height=height, format="yuv420p")
            data = yuv.to_ndarray().tobytes()
            for _ in range(1 + (round(still_s * clip_rate) if i == 0 else 0)):
                f.write(b"FRAME\n")
                f.write(data)
    return out


# Server mode on a loaded machine: the server analyses only the newest frame when it falls
# behind, so at 2 frames a second a repetition at normal speed is barely sampled (nothing was
# counted). The fake camera plays the clip this many times slower: each movement then spans
# this many times more analysed frames, and Chromium and the server code fewer frames. A
# slowed rep holds its top for over a second, which the live check would take for the
# starting position if it measured then: the clip starts with the person standing still,
# long enough to cover the check's set-up (5 s) after a slow connection.
SERVER_MODE_SLOW = 3
SERVER_MODE_STILL_S = 5.0   # seconds of the clip (x SERVER_MODE_SLOW on the camera)
SAFETY_CAP_S = 900     # wall clock: only against a hang, never what a live test waits for
STALL_S = 120          # no frame analysed this long after START: the stream never started


def clip_seconds(clip: Path, truth: dict) -> float:
    """The clip's length in seconds (from its truth, else from the file)."""
    if truth.get("n_frames") and truth.get("fps"):
        return truth["n_frames"] / truth["fps"]
    import av

    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        return float(stream.frames / stream.average_rate)


def server_mode_camera(clip: Path, truth: dict, out: Path) -> tuple[Path, float]:
    """Chromium's fake camera for server mode (slowed, a still start) and the length of one
    pass of it in clip seconds (the camera loops it)."""
    write_y4m(clip, out, slow=SERVER_MODE_SLOW, still_s=SERVER_MODE_STILL_S)
    return out, clip_seconds(clip, truth) + SERVER_MODE_STILL_S


def most_reps_seen(truth: dict, clip_s: float, seen_s: float) -> int:
    """The most repetitions any ``seen_s`` seconds of the looped clip can show.

    A repetition is counted after its peak, so the count of a stream that played ``seen_s``
    seconds of the clip cannot exceed the peaks in the busiest window of that length.
    Without rep times in the truth: every rep of every pass the window touches.
    """
    peaks = sorted(r["peak_start_s"] for r in truth.get("reps", []) if "peak_start_s" in r)
    if len(peaks) != truth["rep_count"] or not peaks:
        return truth["rep_count"] * (math.ceil(seen_s / clip_s) + 1)
    passes = math.ceil(seen_s / clip_s) + 1
    looped = [p + n * clip_s for n in range(passes + 1) for p in peaks]
    return max(sum(a <= q <= a + seen_s for q in looped) for a in peaks)


@dataclass
class LiveWatch:
    """What the live page showed while a test watched its counter."""

    count: int = -1           # the counter read last (-1: none shown yet)
    fps: int = 0              # the frame rate the page showed last
    frames: float = 0.0       # frames analysed (the page's frame rate over time)
    judged_s: float = 0.0     # clip seconds analysed while counting, at a rate that can count
    played_s: float = 0.0     # clip seconds the camera played since START (all it could show)
    slowest: int | None = None  # the lowest frame rate shown while counting

    def __str__(self) -> str:
        return (f"count {self.count}, {self.frames:.0f} frames analysed, {self.judged_s:.0f} s "
                f"of the clip judged, {self.played_s:.0f} s played, {self.fps} frames/s now "
                f"(slowest {self.slowest})")


def restart_camera(webrtc) -> None:
    """STOP (if shown) and START the streamlit-webrtc camera in its frame ``webrtc``."""
    stop = webrtc.get_by_role("button", name="STOP")
    if stop.count():
        stop.click()
    start = webrtc.get_by_role("button", name="START")
    start.wait_for(timeout=120_000)
    start.click()


def watch_live_count(page, want: int, truth: dict, loop_s: float, started: float,
                     slow: int = SERVER_MODE_SLOW, passes: float = 2, total: bool = False,
                     webrtc=None) -> LiveWatch:
    """Watch the server-mode live counter until it shows ``want`` reps; return what it showed.

    Waits on the engine's progress, not the clock: it gives up only once the engine has
    analysed ``passes`` whole passes of the camera's loop (``loop_s`` clip seconds) while
    counting at a frame rate that can count (``MIN_JUDGE_FPS`` frames a second of the
    movement; the camera plays it ``slow`` times slower). A loaded machine only takes longer.
    ``started``: ``time.monotonic()`` at the START click. Fails at once if the counter shows
    more repetitions than the clip played so far holds (a counter that counts too much).
    ``total``: read the count of the whole session ("Counted in all"), which a set ending
    after a rest does not reset. ``webrtc``: the camera's frame; if no frame was analysed
    ``STALL_S`` after START (the WebRTC connection never came up), the camera is started
    once more; the second time the test fails.
    """
    from formcheck.i18n import text
    from formcheck.ui.live_page import MIN_JUDGE_FPS

    speed = re.compile(r"(\d+) (?:frames/s|beelden/s)")
    all_counted = re.compile(r"(?:Counted in all|Totaal geteld): (\d+)")
    counting = (text("app.phase_counting", "en"), text("app.phase_counting", "nl"))
    watch = LiveWatch()
    last = analysed_at = time.monotonic()
    restarts = 0
    while watch.count < want and watch.judged_s < passes * loop_s:
        if time.monotonic() - started > SAFETY_CAP_S:
            pytest.fail(f"live counter: the engine never judged the clip {passes} times: "
                        f"{watch}")
        page.wait_for_timeout(1000)
        assert page.get_by_test_id("stException").count() == 0
        body = page.inner_text('[data-testid="stMain"]')
        now = time.monotonic()
        found = speed.search(body)   # shown once the server analysed a frame of the stream
        watch.fps = int(found.group(1)) if found else 0
        if found:
            analysed_at = now
        elif now - max(started, analysed_at) > STALL_S and watch.frames == 0:
            page.screenshot(path=str(ARTIFACTS / f"live_stalled_{restarts}.png"))
            if webrtc is None or restarts:
                pytest.fail(f"no frame analysed {STALL_S} s after START: {watch}")
            restarts += 1
            restart_camera(webrtc)
            started = analysed_at = last = time.monotonic()
            continue
        watch.frames += watch.fps * (now - last)
        if any(c in body for c in counting):
            watch.slowest = watch.fps if watch.slowest is None else min(watch.slowest, watch.fps)
            if watch.fps * slow >= MIN_JUDGE_FPS:
                watch.judged_s += (now - last) / slow
        watch.played_s = (now - started) / slow
        last = now
        if total:
            counted = all_counted.search(body)
            watch.count = int(counted.group(1)) if counted else watch.count
        else:
            values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
            if values and re.match(r"\d+", values[0]):
                watch.count = int(re.match(r"\d+", values[0]).group())
        most = most_reps_seen(truth, loop_s, watch.played_s)
        assert watch.count <= most, f"counted more than the {most} reps played: {watch}"
    return watch
