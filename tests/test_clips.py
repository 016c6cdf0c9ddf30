"""End to end on real videos of real people (../shared/clips; skipped when absent).

Expected counts and tolerances are in ``data/real_clips.toml``.
"""

import json
import tomllib
from pathlib import Path

import pytest

from formcheck.analysis import analyze_track, track_video
from formcheck.protocol import FAULT_CODES, PatientSettings

CASES_FILE = Path(__file__).parent / "data" / "real_clips.toml"
CASES = [(c["clip"], c["exercise"], c["side"], c["reps"], c["tolerance"], c.get("why", ""))
         for c in tomllib.loads(CASES_FILE.read_text())["case"]]

_tracks: dict = {}


def tracked(clips_dir, name):
    if name not in _tracks:
        _tracks[name] = track_video(clips_dir / name)
    return _tracks[name]


@pytest.mark.clips
@pytest.mark.parametrize("clip,exercise,side,expected,tol,why", CASES,
                         ids=[f"{c[0].split('.')[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_rep_count_on_real_clips(clips_dir, clip, exercise, side, expected, tol, why):
    track, truncated = tracked(clips_dir, clip)
    res = analyze_track(track, exercise, PatientSettings(side), "en", truncated=truncated)
    assert res.detection_rate > 0.9
    assert abs(res.rep_count - expected) <= tol, (res.rep_count, expected, why)
    out = json.loads(json.dumps(res.to_dict()))  # the JSON contract
    for key in ("exercise", "side", "approach", "rep_count", "reps", "attempts",
                "detection_rate", "view", "warnings"):
        assert key in out
    assert out["rep_count"] == sum(r["completed"] for r in out["reps"])
    for i, rep in enumerate(out["reps"], 1):
        assert rep["index"] == i and rep["start_s"] < rep["end_s"]
        assert set(rep["faults"]) <= set(FAULT_CODES)
        assert {"peak_deg", "hold_s"} <= set(rep)


@pytest.mark.clips
def test_wrong_view_counts_nothing_and_says_what_to_change(clips_dir):
    # Side view of a one-legged calf raise, analysed as hip abduction (needs the front).
    track, _ = tracked(clips_dir, "kanat_standing_knee_curl_side.mp4")
    res = analyze_track(track, "hip_abduction", PatientSettings("left"), "nl")
    assert res.rep_count == 0 and res.reps == []
    wrong = [w for w in res.warnings if w.code == "wrong_view"]
    assert wrong and "voren" in wrong[0].message


@pytest.mark.clips
def test_body_half_out_of_frame_is_reported(clips_dir):
    # Head and torso out of frame most of the time: the "not visible" path.
    track, _ = tracked(clips_dir, "renyun_single_leg_stance_brace.mp4")
    res = analyze_track(track, "hip_flexion", PatientSettings("left"), "en")
    codes = {w.code for w in res.warnings}
    assert codes & {"low_detection", "left_frame", "no_person"}, codes
