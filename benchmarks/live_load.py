"""Server load of the in-browser live check: N patients streaming landmarks at 30 Hz.

Starts the app itself (``streamlit run app.py``; ``--processes P``: P of them, as behind a
sticky proxy) on free loopback ports, with ``FORMCHECK_LOAD_TEST_TOKENS`` so that each
issues one socket token per simulated patient, each with its own live engine (no page, no
model on the server). The landmark frames are the pose model's output on a sample clip
(found once here, in Python, and kept in the temporary folder), looped with time moving
forward, pre-encoded as the page's binary messages. All clients run in this one asyncio
process (its own CPU is reported); each starts at its own phase of the 1/30 s tick and
sends at 30 Hz for ``--seconds``. The server answers with the state after the frames it
took together; a frame's delay is from its sending to the first state that covers it.

Server CPU is the app processes' user+system time (``/proc``) while streaming, so it
includes the socket, the frame checks, the engine and the answers. The clients run on
the same machine and compete for its cores.

    python benchmarks/live_load.py [--clients N] [--seconds S] [--processes P]
                                   [--video PATH] [--browser S] [--out FILE]

``--browser S`` first opens the live page in headless Chromium (Debian's, fake camera
playing the clip) for S seconds and reports the pose model's frame rate in the browser,
beside the server mode's figure from ``results/live_speed.json``.

Results to ``benchmarks/results/live_load.json``; the last line printed is
``live load: N clients at 30 Hz, p95 X ms, server CPU Y% of one core per client``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VIDEO = REPO / "sample_videos" / "hip_abduction_clean_front.mp4"
OUT = REPO / "benchmarks" / "results" / "live_load.json"
RATE_HZ = 30.0
TIME = struct.Struct("<d")      # a landmark message begins with its time
SETTLE_S = 8.0                  # placement, countdown and calibration take about this long
TICKS = os.sysconf("SC_CLK_TCK")


def landmark_bodies(video: Path) -> tuple[list[bytes], float]:
    """The clip's frames as the page's binary messages without their time; the clip length.

    Kept in the temporary folder for the next run (keyed by the clip's size and time).
    """
    stat = video.stat()
    cache = Path(tempfile.gettempdir()) / (
        f"formcheck-live-load-binary-{video.stem}-{stat.st_size}-{int(stat.st_mtime)}.json")
    if cache.is_file():
        found = json.loads(cache.read_text())
        return [base64.b64decode(b) for b in found["bodies"]], found["clip_s"]
    bodies, clip_s = _find_landmarks(video)
    cache.write_text(json.dumps({"bodies": [base64.b64encode(b).decode() for b in bodies],
                                 "clip_s": clip_s}))
    return bodies, clip_s


def _find_landmarks(video: Path) -> tuple[list[bytes], float]:
    from formcheck.browser_live import encode_frame
    from formcheck.pose import PoseEstimator
    from formcheck.video import read_frames

    est = PoseEstimator(count_people_every_s=None)
    bodies, last_t = [], 0.0
    for t, rgb in read_frames(video, max_side=640):
        frame = est.detect(rgb, t)
        h, w = rgb.shape[:2]
        if frame is None:
            data = encode_frame(0.0, (w, h))
        else:
            data = encode_frame(0.0, (w, h), np.column_stack([frame.image_xyz, frame.visibility]),
                                frame.world_xyz)
        bodies.append(data[8:])               # without the time (float64, first)
        last_t = t
    est.close()
    return bodies, last_t + 1 / RATE_HZ


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime + stime


async def client(url: str, token: str, bodies: list[bytes], seconds: float,
                 phase_s: float, delays: list[tuple[float, float]], late: list[float],
                 counts: dict[str, int]) -> None:
    """One simulated patient: token, then frames at 30 Hz from ``phase_s`` on.

    The server answers with the state after the frames it took together; each frame's
    delay is from its sending to the first state that covers it (state ``t`` >= its ``t``).
    """
    from websockets.asyncio.client import connect

    origin = "http://" + url.split("/")[2]   # the page's own origin
    async with connect(url, additional_headers={"Origin": origin}, max_size=2**20,
                       compression=None) as ws:
        await ws.send(json.dumps({"token": token}))
        json.loads(await ws.recv())            # hello
        waiting: deque[tuple[float, float]] = deque()    # (t, sent at) not yet answered

        async def receive() -> None:
            async for message in ws:
                now = time.perf_counter()
                if message.startswith('{"dropped"'):
                    counts["dropped"] += 1
                    continue
                t = json.loads(message)["t"]
                counts["states"] += 1
                while waiting and waiting[0][0] <= t:
                    sent_t, sent = waiting.popleft()
                    delays.append((sent_t - 1.0, now - sent))

        reader = asyncio.create_task(receive())
        await asyncio.sleep(phase_s)
        start = time.perf_counter()
        i = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + i / RATE_HZ
            if due > now:
                await asyncio.sleep(due - now)
            t = round(1.0 + i / RATE_HZ, 4)
            sent = time.perf_counter()
            late.append(sent - due)
            waiting.append((t, sent))     # t - 1: seconds since this client began
            await ws.send(TIME.pack(t) + bodies[i % len(bodies)])
            counts["sent"] += 1
            i += 1
        await asyncio.sleep(1.0)               # the last answers
        counts["unanswered"] += len(waiting)
        reader.cancel()


async def run_clients(urls: list[str], tokens: list[str], bodies: list[bytes], seconds: float
                      ) -> tuple[list[tuple[float, float]], list[float], dict[str, int], float]:
    """All clients in this one process; also the process's own CPU seconds while they ran.

    Delays come as (seconds since the client began, delay).
    """
    delays: list[tuple[float, float]] = []
    late: list[float] = []
    counts = {"sent": 0, "states": 0, "dropped": 0, "unanswered": 0}
    n = len(tokens)
    cpu0 = time.process_time()
    await asyncio.gather(*(client(urls[k % len(urls)], tok,
                                  bodies[k * 7 % len(bodies):] + bodies[:k * 7 % len(bodies)],
                                  seconds, k / (n * RATE_HZ), delays, late, counts)
                           for k, tok in enumerate(tokens)))
    return delays, late, counts, time.process_time() - cpu0


def browser_fps(url: str, video: Path, seconds: float, exercise: str, side: str) -> dict:
    """Frames a second the pose model manages in headless Chromium on this machine."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO))
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, write_y4m

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        y4m = write_y4m(video, Path(tmp) / "camera.y4m")
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + [
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"{url}/live?lang=en&exercise={exercise}&side={side}")
        iframe = page.wait_for_selector('iframe[src*="/formcheck/pose/"]', timeout=120_000)
        frame = iframe.content_frame()
        deadline = time.monotonic() + 300     # the page's CSP forbids wait_for_function
        while not frame.evaluate("(window.formcheckStats || {}).processed > 0"):
            if time.monotonic() > deadline:
                sys.exit("the pose model did not start in Chromium")
            page.wait_for_timeout(500)
        first = frame.evaluate("[window.formcheckStats.processed, performance.now()]")
        page.wait_for_timeout(seconds * 1000)
        last = frame.evaluate("[window.formcheckStats.processed, performance.now()]")
        browser.close()
    fps = (last[0] - first[0]) / ((last[1] - first[1]) / 1000)
    server = json.loads((OUT.parent / "live_speed.json").read_text()) \
        if (OUT.parent / "live_speed.json").is_file() else {}
    return {"browser_model_fps": round(fps, 1), "browser_seconds": seconds,
            "server_mode_fps_paced": round(server.get("paced_30fps", {}).get("fps", 0), 1),
            "server_mode_fps_max": round(server.get("max", {}).get("fps", 0), 1)}


def _start_app(port: int, tokens_file: Path, n: int, exercise: str, side: str,
               log: Path) -> subprocess.Popen:
    env = {**os.environ, "FORMCHECK_LOAD_TEST_TOKENS": f"{tokens_file}:{n}:{exercise}:{side}"}
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _wait_ready(apps: list[tuple[subprocess.Popen, int, Path]]) -> None:
    from formcheck.serve import wait_until_serving

    for app, port, tokens_file in apps:
        try:
            wait_until_serving(f"http://127.0.0.1:{port}", app, 120, tokens_file.is_file)
        except RuntimeError as error:
            sys.exit(f"the app did not start: {error}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--processes", type=int, default=1,
                    help="app processes (a deployment's several behind one proxy, sticky per "
                         "session); clients are spread over them")
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--exercise", default="hip_abduction")
    ap.add_argument("--side", default="left")
    ap.add_argument("--browser", type=float, default=0.0, metavar="S",
                    help="first measure the model's frame rate in headless Chromium for S s")
    ap.add_argument("--out", type=Path, default=OUT, help="results file (JSON)")
    args = ap.parse_args()

    print(f"finding the landmarks of {args.video.name} ...", flush=True)
    bodies, clip_s = landmark_bodies(args.video)
    with tempfile.TemporaryDirectory() as tmp:
        apps = []
        for p in range(args.processes):
            n = len(range(p, args.clients, args.processes))
            port, tokens_file = _free_port(), Path(tmp) / f"tokens{p}.json"
            apps.append((_start_app(port, tokens_file, n, args.exercise, args.side,
                                    Path(tmp) / f"app{p}.log"), port, tokens_file))
        try:
            _wait_ready(apps)
            per_app = [json.loads(f.read_text()) for _, _, f in apps]
            # Client k talks to process k % P (as a sticky proxy would spread sessions).
            tokens = [per_app[k % args.processes][k // args.processes]
                      for k in range(args.clients)]
            urls = [f"ws://127.0.0.1:{port}/formcheck/pose/socket" for _, port, _ in apps]
            in_browser = {}
            if args.browser:
                print(f"the pose model in headless Chromium for {args.browser:.0f} s ...",
                      flush=True)
                in_browser = browser_fps(f"http://127.0.0.1:{apps[0][1]}", args.video,
                                         args.browser, args.exercise, args.side)
            pids = [app.pid for app, _, _ in apps]
            time.sleep(2.0)
            idle0, wall0 = sum(map(_cpu_s, pids)), time.perf_counter()
            time.sleep(2.0)
            idle_pct = (sum(map(_cpu_s, pids)) - idle0) / (time.perf_counter() - wall0) * 100
            print(f"{args.clients} clients on {args.processes} app process(es) for "
                  f"{args.seconds:.0f} s ...", flush=True)
            cpu0, wall0 = sum(map(_cpu_s, pids)), time.perf_counter()
            delays, late, counts, client_cpu_s = asyncio.run(run_clients(
                urls, tokens, bodies, args.seconds))
            cpu_s, wall = sum(map(_cpu_s, pids)) - cpu0, time.perf_counter() - wall0
        finally:
            for app, _, _ in apps:
                app.terminate()
            for app, _, _ in apps:
                try:
                    app.wait(10)
                except subprocess.TimeoutExpired:
                    app.kill()

    ms = np.array([d for _, d in delays]) * 1000
    # The first seconds of each patient (placement, countdown, calibration: the view and
    # facing not yet known, so nothing is measured together) apart from the rest.
    since = np.array([s for s, _ in delays])
    settled = ms[since >= SETTLE_S]
    p50, p95, p99 = (float(np.percentile(ms, q)) if len(ms) else float("nan")
                     for q in (50, 95, 99))
    server_pct = cpu_s / wall * 100
    per_client = server_pct / args.clients
    answered = len(delays)
    result = {
        "clients": args.clients, "rate_hz": RATE_HZ, "seconds": args.seconds,
        "app_processes": args.processes,
        "video": str(args.video.relative_to(REPO)) if args.video.is_relative_to(REPO)
        else str(args.video), "clip_s": round(clip_s, 2),
        "frames_sent": counts["sent"], "frames_answered": answered,
        "frames_unanswered": counts["unanswered"], "frames_dropped": counts["dropped"],
        "states_received": counts["states"],
        "frames_per_state": round(answered / max(counts["states"], 1), 2),
        "delay_ms_p50": round(p50, 2), "delay_ms_p95": round(p95, 2),
        "delay_ms_p99": round(p99, 2),
        f"delay_ms_p95_first_{SETTLE_S:.0f}_s": round(float(np.percentile(
            ms[since < SETTLE_S], 95)), 2) if (since < SETTLE_S).any() else None,
        f"delay_ms_p95_after_{SETTLE_S:.0f}_s": round(float(np.percentile(settled, 95)), 2)
        if len(settled) else None,
        "send_late_ms_p95": round(float(np.percentile(late, 95)) * 1000, 2) if late else None,
        "server_cpu_pct_of_one_core": round(server_pct, 1),
        "server_cpu_pct_idle": round(idle_pct, 1),
        "server_cpu_pct_per_client": round(per_client, 2),
        "server_cpu_ms_per_frame": round(cpu_s * 1000 / max(answered, 1), 3),
        "load_generator_cpu_pct_of_one_core": round(client_cpu_s / wall * 100, 1),
        **in_browser,
        "cpu_count": os.cpu_count(), "machine": platform.machine(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "note": "the load generator (one asyncio process) runs on the same machine as the "
                "server and shares its cores",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"live load: {args.clients} clients at 30 Hz, p95 {p95:.0f} ms, "
          f"server CPU {per_client:.1f}% of one core per client")


if __name__ == "__main__":
    main()
