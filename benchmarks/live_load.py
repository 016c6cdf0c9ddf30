"""Server load of the in-browser live check: N patients streaming landmarks at 30 Hz.

Starts the app itself (``streamlit run app.py``) on a free loopback port, with
``FORMCHECK_LOAD_TEST_TOKENS`` so that it issues one socket token per simulated patient,
each with its own live engine (no page, no model on the server). The landmark frames are
the pose model's output on a sample clip (found once here, in Python), looped with time
moving forward, sent as the browser page sends them. Each client sends at 30 Hz for
``--seconds`` and times every frame from sending to receiving its state.

Server CPU is the app process's user+system time (``/proc``) while streaming, so it
includes the socket, JSON, frame checks and the engine. The clients run on the same
machine and compete for its cores.

    python benchmarks/live_load.py [--clients N] [--seconds S] [--video PATH] [--browser S]

``--browser S`` first opens the live page in headless Chromium (Debian's, fake camera
playing the clip) for S seconds and reports the pose model's frame rate in the browser,
beside the server mode's figure from ``results/live_speed.json``.

Results to ``benchmarks/results/live_load.json``; the last line printed is
``live load: N clients at 30 Hz, p95 X ms, server CPU Y% of one core per client``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VIDEO = REPO / "sample_videos" / "hip_abduction_clean_front.mp4"
OUT = REPO / "benchmarks" / "results" / "live_load.json"
RATE_HZ = 30.0
TICKS = os.sysconf("SC_CLK_TCK")


def landmark_bodies(video: Path) -> tuple[list[str], float]:
    """The clip's frames as the page's JSON messages without their time; and the clip length."""
    from formcheck.pose import PoseEstimator
    from formcheck.video import read_frames

    est = PoseEstimator(count_people_every_s=None)
    bodies, last_t = [], 0.0
    for t, rgb in read_frames(video, max_side=640):
        frame = est.detect(rgb, t)
        h, w = rgb.shape[:2]
        lm = world = None
        if frame is not None:
            lm = np.round(np.column_stack([frame.image_xyz, frame.visibility]), 5).tolist()
            world = np.round(frame.world_xyz, 5).tolist()
        bodies.append(json.dumps({"wh": [w, h], "lm": lm, "world": world})[1:])
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


async def client(url: str, origin: str, token: str, bodies: list[str], seconds: float,
                 delays: list[float], counts: dict[str, int]) -> None:
    """One simulated patient: token, then frames at 30 Hz; records send → state delays."""
    from websockets.asyncio.client import connect

    async with connect(url, additional_headers={"Origin": origin}, max_size=2**20) as ws:
        await ws.send(json.dumps({"token": token}))
        json.loads(await ws.recv())            # hello
        sent_at: dict[float, float] = {}

        async def receive() -> None:
            async for message in ws:
                state = json.loads(message)
                if "dropped" in state:
                    counts["dropped"] += 1
                    continue
                start = sent_at.pop(state["t"], None)
                if start is not None:
                    delays.append(time.perf_counter() - start)
                    counts["states"] += 1

        reader = asyncio.create_task(receive())
        start = time.perf_counter()
        i = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + i / RATE_HZ
            if due > now:
                await asyncio.sleep(due - now)
            t = round(1.0 + i / RATE_HZ, 4)
            sent_at[t] = time.perf_counter()
            await ws.send(f'{{"t": {t}, ' + bodies[i % len(bodies)])
            counts["sent"] += 1
            i += 1
        await asyncio.sleep(1.0)               # the last answers
        reader.cancel()


async def run_clients(url: str, origin: str, tokens: list[str], bodies: list[str],
                      seconds: float) -> tuple[list[float], dict[str, int]]:
    delays: list[float] = []
    counts = {"sent": 0, "states": 0, "dropped": 0}
    await asyncio.gather(*(client(url, origin, tok, bodies[k * 7 % len(bodies):]
                                  + bodies[:k * 7 % len(bodies)], seconds, delays, counts)
                           for k, tok in enumerate(tokens)))
    return delays, counts


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--exercise", default="hip_abduction")
    ap.add_argument("--side", default="left")
    ap.add_argument("--browser", type=float, default=0.0, metavar="S",
                    help="first measure the model's frame rate in headless Chromium for S s")
    args = ap.parse_args()

    print(f"finding the landmarks of {args.video.name} ...", flush=True)
    bodies, clip_s = landmark_bodies(args.video)
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        tokens_file = Path(tmp) / "tokens.json"
        env = {**os.environ, "FORMCHECK_LOAD_TEST_TOKENS":
               f"{tokens_file}:{args.clients}:{args.exercise}:{args.side}"}
        log = (Path(tmp) / "app.log").open("w")
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            from formcheck.serve import wait_until_serving

            try:
                wait_until_serving(f"http://127.0.0.1:{port}", app, 120, tokens_file.is_file)
            except RuntimeError as error:
                sys.exit(f"the app did not start: {error}")
            tokens = json.loads(tokens_file.read_text())
            in_browser = {}
            if args.browser:
                print(f"the pose model in headless Chromium for {args.browser:.0f} s ...",
                      flush=True)
                in_browser = browser_fps(f"http://127.0.0.1:{port}", args.video, args.browser,
                                         args.exercise, args.side)
            time.sleep(2.0)
            idle0, wall0 = _cpu_s(app.pid), time.perf_counter()
            time.sleep(2.0)
            idle_pct = (_cpu_s(app.pid) - idle0) / (time.perf_counter() - wall0) * 100
            print(f"{args.clients} clients for {args.seconds:.0f} s ...", flush=True)
            cpu0, wall0 = _cpu_s(app.pid), time.perf_counter()
            delays, counts = asyncio.run(run_clients(
                f"ws://127.0.0.1:{port}/formcheck/pose/socket", f"http://127.0.0.1:{port}",
                tokens, bodies, args.seconds))
            cpu_s, wall = _cpu_s(app.pid) - cpu0, time.perf_counter() - wall0
        finally:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
            log.close()

    ms = np.array(delays) * 1000
    p50, p95 = (float(np.percentile(ms, q)) if len(ms) else float("nan") for q in (50, 95))
    server_pct = cpu_s / wall * 100
    per_client = server_pct / args.clients
    per_frame_ms = cpu_s * 1000 / max(counts["states"], 1)
    result = {
        "clients": args.clients, "rate_hz": RATE_HZ, "seconds": args.seconds,
        "video": str(args.video.relative_to(REPO)) if args.video.is_relative_to(REPO)
        else str(args.video), "clip_s": round(clip_s, 2),
        "frames_sent": counts["sent"], "states_received": counts["states"],
        "frames_dropped": counts["dropped"],
        "delay_ms_p50": round(p50, 2), "delay_ms_p95": round(p95, 2),
        "server_cpu_pct_of_one_core": round(server_pct, 1),
        "server_cpu_pct_idle": round(idle_pct, 1),
        "server_cpu_pct_per_client": round(per_client, 2),
        "server_cpu_ms_per_frame": round(per_frame_ms, 3),
        **in_browser,
        "cpu_count": os.cpu_count(), "machine": platform.machine(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "note": "clients run on the same machine as the server",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"live load: {args.clients} clients at 30 Hz, p95 {p95:.0f} ms, "
          f"server CPU {per_client:.1f}% of one core per client")


if __name__ == "__main__":
    main()
