"""The app listens on this computer only unless told otherwise (README "Security defaults")."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from formcheck.serve import stop, wait_until_serving

REPO = Path(__file__).resolve().parent.parent


def _listening(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def test_app_binds_to_loopback_by_default(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port)],  # no --server.address: the repo's config decides
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "FORMCHECK_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"},
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", proc, timeout_s=120)
        addresses = _listening(port)
        assert addresses == {"0100007F"}, addresses  # 127.0.0.1 only, not 0.0.0.0 or ::
    finally:
        stop(proc)
        log.close()
