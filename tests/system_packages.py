"""Debian packages the tests install themselves (Chromium, PostgreSQL), one install at a time.

The suite runs in parallel workers (pytest-xdist): two workers asking apt for a package at
once would meet dpkg's lock, and the loser would skip its tests. :func:`apt_install` takes
a file lock first, and looks again once it has it: a worker that waited finds the package
the other one installed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

LOCK = Path("/tmp/formcheck-tests-apt.lock")


def apt_install(package: str, installed: Callable[[], bool], timeout: float = 900) -> str | None:
    """Install Debian's ``package`` unless ``installed()``; return why not, or ``None``."""
    if installed():
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"{package} is not installed, and installing it needs root and apt-get"
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # released when the file closes
        if installed():
            return None
        try:
            subprocess.run(f"apt-get update -qq && apt-get install -y -qq {package}",
                           shell=True, check=True, capture_output=True, timeout=timeout,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        except (subprocess.SubprocessError, OSError) as error:
            return f"installing {package} failed: {error}"
    return None if installed() else f"{package} not found after installing it"
