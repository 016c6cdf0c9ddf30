"""Save a pose track once, re-analyse it without the model: same answer."""

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.pose import PoseTrack
from formcheck.track_io import TrackFileError, load_track, save_track

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


def small_track() -> PoseTrack:
    rng = np.random.default_rng(0)
    n = 5
    track = PoseTrack(np.arange(n) / 30, rng.random((n, 33, 3)), rng.random((n, 33)),
                      rng.random((n, 33, 3)), np.array([1, 1, 0, 2, 1]), (640, 480))
    track.image_xyz[2] = np.nan
    track.world_xyz[2] = np.nan
    track.visibility[2] = 0
    return track


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_round_trip(tmp_path, suffix):
    track = small_track()
    back = load_track(save_track(track, tmp_path / f"t{suffix}"))
    assert back.image_wh == (640, 480)
    np.testing.assert_array_equal(back.n_people, track.n_people)
    np.testing.assert_allclose(back.image_xyz, track.image_xyz, atol=1e-5, equal_nan=True)
    np.testing.assert_allclose(back.world_xyz, track.world_xyz, atol=1e-5, equal_nan=True)
    np.testing.assert_allclose(back.visibility, track.visibility, atol=1e-5)
    np.testing.assert_allclose(back.t, track.t, atol=1e-4)


def test_wrong_files(tmp_path):
    with pytest.raises(TrackFileError):
        load_track(tmp_path / "missing.npz")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(TrackFileError):
        load_track(tmp_path / "x.txt")


def test_cli_landmarks_then_reanalyse_matches_the_video(tmp_path, run_cli):
    clips = sorted(p for p in SAMPLES.glob("*.mp4") if p.with_suffix(".truth.json").is_file())
    if not clips:
        pytest.skip("no sample videos")
    video = clips[0]
    truth = json.loads(video.with_suffix(".truth.json").read_text())
    args = ["--exercise", truth["exercise"], "--side", truth["side"], "--lang", "en"]
    direct = run_cli("analyze", str(video), *args, "--json", str(tmp_path / "direct.json"))
    assert direct.returncode == 0, direct.stderr
    for suffix in (".npz", ".csv"):
        saved = run_cli("landmarks", str(video), "-o", str(tmp_path / f"track{suffix}"))
        assert saved.returncode == 0, saved.stderr
        again = run_cli("analyze", "--landmarks", str(tmp_path / f"track{suffix}"), *args,
                        "--json", str(tmp_path / f"again{suffix}.json"))
        assert again.returncode == 0, again.stderr
        a = json.loads((tmp_path / "direct.json").read_text())
        b = json.loads((tmp_path / f"again{suffix}.json").read_text())
        assert a["rep_count"] == b["rep_count"]
        assert [r["faults"] for r in a["reps"]] == [r["faults"] for r in b["reps"]]
        for ra, rb in zip(a["reps"], b["reps"], strict=True):
            assert ra["start_s"] == pytest.approx(rb["start_s"], abs=0.05)
            assert ra["peak_deg"] == pytest.approx(rb["peak_deg"], abs=0.5)


def _without_world(track: PoseTrack, path: Path) -> Path:
    """``track`` as a landmark CSV whose world cells are empty (the picture's landmarks only,
    as other tools export them)."""
    save_track(track, path)
    lines = path.read_text().splitlines()
    first_world = lines[0].split(",").index("wx0")
    rows = [lines[0]] + [",".join(cells[:first_world] + [""] * (len(cells) - first_world))
                         for cells in (line.split(",") for line in lines[1:])]
    path.write_text("\n".join(rows) + "\n")
    return path


def _front_squats() -> list:
    from tests.test_clips import CASES
    from tests.test_rendered import FRONT_SQUATS

    cases = [pytest.param(p, json.loads(p.with_suffix(".truth.json").read_text())["rep_count"],
                          id=p.stem) for p in FRONT_SQUATS[:1]]
    cases += [pytest.param(c["clip"], c["reps"], id=c["clip"], marks=pytest.mark.clips)
              for c, side in CASES if c["clip"] == "kratika_squat_front.mp4" and side == "left"]
    return cases


@pytest.mark.parametrize(("clip", "reps"), _front_squats())
def test_front_squats_count_from_a_landmark_file_without_world_landmarks(
        clip, reps, tmp_path, run_cli, tracked, request):
    """A front view is measured in 3-D from the world landmarks; a file of the picture's
    landmarks only (world cells empty) is measured in the picture instead: the same count,
    not none (0 of 10 on the real clip before)."""
    if isinstance(clip, str):
        clip = request.getfixturevalue("clips_dir") / clip
    track, _ = tracked(clip)
    path = _without_world(track, tmp_path / "picture_only.csv")
    assert np.isnan(load_track(path).world_xyz).all()
    out = run_cli("analyze", "--landmarks", str(path), "--exercise", "mini_squat", "--side",
                  "left", "--lang", "en", "--json", str(tmp_path / "result.json"))
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["view"] == "front"
    assert result["rep_count"] == reps, [r["peak_deg"] for r in result["reps"]]
    assert "picture_only" in {w["code"] for w in result["warnings"]}
    assert "3-D (world) landmarks" in out.stdout   # said to the user, not only in the JSON
