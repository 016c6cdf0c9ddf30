"""Shared fixtures: paths to the real clips and the bundled samples, a CLI runner, videos
tracked once a session."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CLIPS = Path(os.environ.get("FORMCHECK_CLIPS", REPO.parent / "shared" / "clips"))
SAMPLES = REPO / "sample_videos"
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def clips_dir() -> Path:
    """The real clips folder; skips the test when it is absent."""
    if not (CLIPS / "clips.json").is_file():
        pytest.skip(f"real clips not present at {CLIPS}")
    return CLIPS


@pytest.fixture(scope="session")
def clip_meta(clips_dir: Path) -> dict:
    return json.loads((clips_dir / "clips.json").read_text())


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A folder for screenshots and outputs worth looking at after a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "formcheck.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


@pytest.fixture(scope="session")
def run_cli():
    """Run ``formcheck ARGS…`` as a user would, in a subprocess."""
    return _run_cli


_TRACKS: dict[tuple[str, float], tuple] = {}


def _tracked(path: str | Path, fps: float | None = None) -> tuple:
    """``track_video(path, analysis_fps=fps)`` (default rate when ``None``), run once a session
    per video and rate; each call gets its own copy."""
    from formcheck.analysis import DEFAULT_ANALYSIS_FPS, track_video

    fps = DEFAULT_ANALYSIS_FPS if fps is None else fps
    key = (str(Path(path).resolve()), fps)
    if key not in _TRACKS:
        _TRACKS[key] = track_video(path, analysis_fps=fps)
    return copy.deepcopy(_TRACKS[key])


def _analysed(path: str | Path, exercise: str, settings, lang: str = "nl"):
    """``analyze_video(path, exercise, settings, lang)`` on the session's tracks of ``path``
    (the same steps: the default rate, again at a finer one where the reps need it)."""
    from formcheck.analysis import analyze_tracked

    result = analyze_tracked(_tracked(path), lambda fps: _tracked(path, fps), exercise,
                             settings, lang)
    result.source = str(path)
    return result


@pytest.fixture(scope="session")
def tracked():
    """``tracked(path, fps=None)``: a video's ``(track, truncated)``, the pose model run on it
    once a session (tests that track the same unchanged video share it)."""
    return _tracked


@pytest.fixture(scope="session")
def analysed_video():
    """``analysed_video(path, exercise, settings, lang)``: ``analyze_video`` on the
    session's tracks of the video (see :func:`tracked`)."""
    return _analysed


def _repeat_clip(src: Path, out: Path, times: int) -> Path:
    """Write ``src`` played ``times`` times in a row to ``out`` (its packets, not re-encoded).

    A longer real video for tests that must catch an analysis while it runs.
    """
    import av

    with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
        stream = inp.streams.video[0]
        copy = dst.add_stream_from_template(stream)
        packets = [p for p in inp.demux(stream) if p.dts is not None]
        step = max(p.pts + (p.duration or 0) for p in packets) - min(p.pts for p in packets)
        for n in range(times):
            for p in packets:
                p.pts, p.dts = p.pts + (step if n else 0), p.dts + (step if n else 0)
                p.stream = copy
                dst.mux(p)
    return out


@pytest.fixture(scope="session")
def repeated_clip():
    """``repeated_clip(src, out, times)``: a sample clip several times over, as one video."""
    return _repeat_clip


class Processes:
    """Child processes seen through Linux's ``/proc`` (the tests that use them skip without)."""

    @staticmethod
    def children(pid: int, workers_only: bool = False) -> set[int]:
        """The processes whose parent is ``pid`` (``workers_only``: multiprocessing workers,
        not the resource tracker, which lives as long as its process)."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
                cmd = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == pid and (not workers_only or b"spawn_main" in cmd):
                found.add(int(stat.parent.name))
        return found

    @staticmethod
    def running(pid: int) -> bool:
        """Whether process ``pid`` still runs (a zombie has ended)."""
        try:
            return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
        except OSError:
            return False

    @classmethod
    def wait_ended(cls, pids: set[int], cap_s: float = 300) -> None:
        """Return once none of ``pids`` runs; the cap only stops a hang."""
        deadline = time.monotonic() + cap_s
        while alive := {p for p in pids if cls.running(p)}:
            assert time.monotonic() < deadline, f"processes still running: {alive}"
            time.sleep(0.2)


@pytest.fixture(scope="session")
def processes() -> type[Processes]:
    """:class:`Processes`; skips where there is no ``/proc``."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs Linux /proc")
    return Processes
