"""The app as a child process: ready when its health check answers, an error when it exits
or never answers; stopped even when it ignores the request to end."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from formcheck.serve import stop, wait_until_serving


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_returns_once_the_health_check_answers(tmp_path):
    (tmp_path / "_stcore").mkdir()
    (tmp_path / "_stcore" / "health").write_text("ok")
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1", "--directory", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        marker = tmp_path / "ready"
        with pytest.raises(RuntimeError, match="did not serve"):   # answers, but not ready
            wait_until_serving(f"http://127.0.0.1:{port}", proc, 3, marker.is_file, 0.1)
        marker.touch()
        wait_until_serving(f"http://127.0.0.1:{port}", proc, 60, marker.is_file, 0.1)
    finally:
        proc.terminate()
        proc.wait(10)


def test_an_app_that_exits_is_an_error_not_a_wait():
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait(30)
    with pytest.raises(RuntimeError, match="code 3"):
        wait_until_serving(f"http://127.0.0.1:{_port()}", proc, 600)


def test_stop_kills_a_process_that_ignores_terminate():
    proc = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                             "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                             "print('ready', flush=True); time.sleep(120)"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"   # SIGTERM is ignored from here on
    stop(proc, wait_s=0.5)
    assert proc.returncode == -9
    proc.stdout.close()
