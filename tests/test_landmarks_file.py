"""Save a pose track once, re-analyse it without the model: same answer."""

import dataclasses
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


def _exported(track: PoseTrack, path: Path, world: bool, visibility: bool,
              pixels: bool = False) -> Path:
    """``track`` as a landmark CSV as other tools export one: the world cells empty unless
    ``world``, the visibility cells empty unless ``visibility``; with ``pixels``, image x
    and y in pixels and no image z."""
    if pixels:
        image = track.image_xyz.copy()
        image[..., :2] *= track.image_wh
        image[..., 2] = np.nan
        track = dataclasses.replace(track, image_xyz=image)
    save_track(track, path)
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    dropped = {i for i, name in enumerate(header)
               if (not world and name[:2] in ("wx", "wy", "wz"))
               or (not visibility and name[0] == "v") or (pixels and name[0] == "z")}
    rows = [lines[0]] + [",".join("" if i in dropped else c for i, c in enumerate(line.split(",")))
                         for line in lines[1:]]
    path.write_text("\n".join(rows) + "\n")
    return path


def _squats() -> list:
    from tests.test_clips import CASES
    from tests.test_rendered import FRONT_SQUATS

    cases = [pytest.param(p, json.loads(p.with_suffix(".truth.json").read_text())["rep_count"],
                          id=p.stem) for p in FRONT_SQUATS[:1]]
    cases += [pytest.param(c["clip"], c["reps"], id=c["clip"], marks=pytest.mark.clips)
              for c, side in CASES if side == "left"
              and c["clip"] in ("kratika_squat_front.mp4", "be23_squat.mp4")]
    return cases


FORMS = {"no world": (False, True, False, None),   # picture_only: said in the front views
         "no visibility": (True, False, False, "visibility_unknown"),
         "picture only": (False, False, False, "visibility_unknown"),
         "pixels, no z": (True, True, True, None)}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("clip", "reps"), _squats())
def test_squats_count_from_landmark_files_as_other_tools_export_them(
        clip, reps, form, tmp_path, run_cli, tracked, request):
    """A front view is measured in 3-D from the world landmarks, and every view gates its
    measures on visibility: a file without world landmarks is measured in the picture, one
    without visibility takes every landmark as seen, each said in a warning; pixel x and y
    are normalised and a missing image z is not needed: the count of the video, not none
    (0 of 10 and 0 of 8 on the real clips before)."""
    if isinstance(clip, str):
        clip = request.getfixturevalue("clips_dir") / clip
    world, visibility, pixels, warning = FORMS[form]
    track, _ = tracked(clip)
    path = _exported(track, tmp_path / "exported.csv", world, visibility, pixels)
    loaded = load_track(path)
    assert np.isnan(loaded.world_xyz).all() != world
    out = run_cli("analyze", "--landmarks", str(path), "--exercise", "mini_squat", "--side",
                  "left", "--lang", "en", "--json", str(tmp_path / "result.json"))
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["rep_count"] == reps, [r["peak_deg"] for r in result["reps"]]
    codes = {w["code"] for w in result["warnings"]}
    assert warning is None or warning in codes, codes
    assert ("picture_only" in codes) == (not world and result["view"] == "front"), codes


@pytest.mark.clips
def test_a_landmark_file_at_a_videos_full_rate_counts_as_the_video_does(
        tmp_path, run_cli, tracked, clips_dir):
    """A landmark file of 30 rows a second is read as a video of its poses would be (its
    rows at the analysis rate): read row by row, the real heel slide filmed from the foot
    end, which opens held bent, counted 3 for 2 (the model reads the opening bend higher
    at 30 frames a second, and its small rise from the held opening passed for a rep)."""
    track, _ = tracked(clips_dir / "belivan_older_heel_slide_reclined_front.mp4", 30.0)
    assert float(np.median(np.diff(track.t))) < 0.05  # the file holds 30 rows a second
    path = tmp_path / "heel_slide.csv"
    save_track(track, path)
    out = run_cli("analyze", "--landmarks", str(path), "--exercise", "heel_slide", "--side",
                  "left", "--lang", "en", "--json", str(tmp_path / "result.json"))
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "result.json").read_text())["rep_count"] == 2
