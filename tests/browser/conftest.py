"""Browser fixtures: Debian's Chromium, the Streamlit app on a free port, sample clips."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

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
    if not CHROMIUM.exists():
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("Chromium not installed and not root: cannot install it")
        subprocess.run("apt-get update -qq && apt-get install -y -qq chromium", shell=True,
                       check=False, capture_output=True, timeout=900)
        if not CHROMIUM.exists():
            pytest.skip("Chromium could not be installed")
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
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start; see {log}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


@pytest.fixture(scope="session")
def app_url(chromium: Path):
    """The app, started with ``streamlit run`` on a free loopback port (own data folder)."""
    with tempfile.TemporaryDirectory(prefix="formcheck-app-") as data, \
            running_app({"XDG_DATA_HOME": data}) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_instance(chromium: Path):
    from playwright.sync_api import sync_playwright

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


def write_y4m(mp4: Path, out: Path, width: int = 640, height: int = 480) -> Path:
    """Convert ``mp4`` to YUV4MPEG2 (4:2:0) for Chromium's fake camera."""
    import av

    with av.open(str(mp4)) as container, out.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        for frame in container.decode(video=0):
            yuv = frame.reformat(width=width, height=height, format="yuv420p")
            f.write(b"FRAME\n")
            f.write(yuv.to_ndarray().tobytes())
    return out


def wait_for_live_count(page, want: int, frame_budget: float = 1500,
                        hard_limit_s: float = 480, total: bool = False) -> int:
    """Wait until the live counter shows ``want`` reps; return the last count seen.

    ``total``: read the count of the whole session ("Counted in all"), which a set ending
    after a rest does not reset; else the current set's counter.

    Waits on the app's own progress, not the wall clock: it gives up only after the page
    reports about ``frame_budget`` processed frames (the "N frames/s" caption integrated
    over time) without reaching ``want``, so a slow, loaded machine simply takes longer.
    ``hard_limit_s`` only stops a run where no frame is ever processed.
    """
    metric = '[data-testid="stMetricValue"]'
    speed = re.compile(r"(\d+) (?:frames/s|beelden/s)")
    all_counted = re.compile(r"(?:Counted in all|Totaal geteld): (\d+)")
    seen, frames = -1, 0.0
    last = start = time.monotonic()
    while frames < frame_budget and time.monotonic() - start < hard_limit_s:
        page.wait_for_timeout(1000)
        assert page.get_by_test_id("stException").count() == 0
        body = page.inner_text('[data-testid="stMain"]')
        now = time.monotonic()
        found = speed.search(body)
        frames += (int(found.group(1)) if found else 0) * (now - last)
        last = now
        if total:
            counted = all_counted.search(body)
            seen = int(counted.group(1)) if counted else seen
        else:
            values = page.locator(metric).all_inner_texts()
            if values and re.match(r"\d+", values[0]):
                seen = int(re.match(r"\d+", values[0]).group())
        if seen >= want:
            break
    return seen
