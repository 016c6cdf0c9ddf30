"""Shared fixtures: paths to the real clips and the bundled samples, a CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
