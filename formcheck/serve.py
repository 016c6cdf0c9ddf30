"""The Streamlit app as a child process (tests, benchmarks): wait until it serves, stop it."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable


def wait_until_serving(url: str, proc: subprocess.Popen, timeout_s: float = 120.0,
                       ready: Callable[[], bool] = lambda: True, poll_s: float = 0.5) -> None:
    """Return once the app at ``url`` answers its health check and ``ready()`` holds.

    Raises :class:`RuntimeError` if ``proc`` (the app) exits first, or after ``timeout_s``
    seconds: a cap against a hang, generous because a loaded machine starts slowly.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=2) as r:
                if r.status == 200 and ready():
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited (code {proc.returncode}) before serving {url}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app did not serve {url} within {timeout_s:.0f} s")
        time.sleep(poll_s)


def stop(proc: subprocess.Popen, wait_s: float = 10.0) -> None:
    """Ask ``proc`` to end; kill it if it has not within ``wait_s`` seconds."""
    proc.terminate()
    try:
        proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
