"""Bad input is refused fast and clearly: not-videos, bad landmark files, bad --fps.

Fuzz-style tests (Hypothesis) feed generated landmark files and video bytes to the loaders
and the engine: the only outcomes allowed are a clear error or a result, never another
exception and never a numpy warning.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcheck.analysis import DEFAULT_ANALYSIS_FPS, analyze_track
from formcheck.cli import DEFAULT_FPS, main
from formcheck.pose import PoseTrack
from formcheck.protocol import PatientSettings
from formcheck.track_io import TrackFileError, load_track, save_track
from formcheck.video import VideoError, VideoWriter, probe, read_frames

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_videos" / "bridge_clean_side.mp4"
HEAVY = ("mediapipe", "scipy", "sqlalchemy", "alembic", "streamlit", "matplotlib", "fpdf",
         "cv2", "formcheck.analysis", "formcheck.pose")
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _modules_after(argv_list: list[list[str]]) -> tuple[list[str], list[int], str]:
    """Run ``formcheck`` once per argv in one fresh interpreter; heavy modules it loaded."""
    code = (
        "import json, sys\n"
        "from formcheck.cli import main\n"
        "codes = []\n"
        f"for argv in {argv_list!r}:\n"
        "    try:\n"
        "        codes.append(main(argv))\n"
        "    except SystemExit as stop:\n"
        "        codes.append(stop.code)\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps([loaded, codes]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loaded, codes = json.loads(proc.stdout.strip().splitlines()[-1])
    return loaded, codes, proc.stderr


def _video(path: Path, frames: int, rotation: int | None = None) -> Path:
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 160, 120, "yuv420p"
        if rotation is not None:
            s.set_display_rotation(rotation)
        for i in range(frames):
            img = np.full((120, 160, 3), 90, np.uint8)
            img[:20] = (255, 0, 0)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def _not_videos(tmp_path: Path) -> dict[str, Path]:
    from PIL import Image

    files = {}
    files["text"] = tmp_path / "notes.txt"
    files["text"].write_text(("Jan Jansen oefent elke dag zijn heup. " * 30 + "\n") * 100)
    files["png"] = tmp_path / "photo.png"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(files["png"])
    files["jpeg"] = tmp_path / "photo.jpg"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(files["jpeg"])
    files["empty"] = tmp_path / "empty.mp4"
    files["empty"].write_bytes(b"")
    files["two_frames"] = _video(tmp_path / "two.mp4", 2)
    return files


def test_help_and_bad_input_answer_without_heavy_modules(tmp_path):
    files = _not_videos(tmp_path)
    argv = [["--help"], ["clinic", "--help"], ["analyze", "--help"]]
    argv += [["analyze", str(f), "--exercise", "bridge", "--side", "left", "--lang", "en"]
             for f in files.values()]
    argv += [["analyze", str(SAMPLE), "--exercise", "bridge", "--side", "left", "--fps", "0"]]
    loaded, codes, stderr = _modules_after(argv)
    assert loaded == [], f"loaded before refusing: {loaded}"
    assert codes[:3] == [0, 0, 0] and all(c not in (0, None) for c in codes[3:]), codes
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == len(files) + 1 and all(x.startswith("formcheck: ") for x in lines)
    assert "Traceback" not in stderr


def test_help_has_no_docstring_markup(capsys):
    for argv in (["--help"], ["clinic", "--help"], ["clinic", "login", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert "``" not in out and "register(" not in out and ":func:" not in out


@pytest.mark.parametrize("kind,message", [
    ("text", "image or text, not a video"), ("png", "image or text, not a video"),
    ("jpeg", "image or text, not a video"), ("empty", "0 bytes"),
    ("two_frames", "too few frames"),
])
def test_not_videos_are_refused_with_the_documented_line(tmp_path, capsys, kind, message):
    path = _not_videos(tmp_path)[kind]
    with pytest.raises(VideoError):
        probe(path)
    code = main(["analyze", str(path), "--exercise", "bridge", "--side", "left", "--lang", "en"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1 and message in err, err


@pytest.mark.parametrize("fps", ["0", "-5", "nan", "inf", "-inf", "1e-9", "121", "abc"])
def test_bad_fps_is_refused(capsys, fps):
    code = main(["analyze", str(SAMPLE), "--exercise", "bridge", "--side", "left",
                 "--lang", "en", f"--fps={fps}"])
    assert code == 2
    assert "--fps must be a number from 1 to 120" in capsys.readouterr().err


def test_cli_default_fps_is_the_engine_default():
    assert DEFAULT_FPS == DEFAULT_ANALYSIS_FPS


def test_upside_down_video_is_analysed_with_a_warning(tmp_path, run_cli):
    video = _video(tmp_path / "upside_down.mp4", 12, rotation=180)
    assert probe(video).upside_down
    out = tmp_path / "r.json"
    proc = run_cli("analyze", str(video), "--exercise", "bridge", "--side", "left",
                   "--lang", "en", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    codes = [w["code"] for w in json.loads(out.read_text())["warnings"]]
    assert codes[0] == "upside_down" and "upside down" in proc.stdout
    assert not probe(_video(tmp_path / "upright.mp4", 12)).upside_down


# -- landmark files -----------------------------------------------------------------------

def _track(n: int = 40, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"t": np.arange(n) / 10.0, "image_xyz": 0.3 + 0.4 * rng.random((n, 33, 3)),
            "visibility": rng.random((n, 33)), "world_xyz": rng.random((n, 33, 3)) - 0.5,
            "n_people": np.ones(n, int), "image_wh": np.array([640, 480])}


def _analyse(track: PoseTrack, lang: str = "en"):
    return analyze_track(track, "mini_squat", PatientSettings(side="left"), lang)


def _npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("change,message", [
    ({"t": np.zeros(0), "image_xyz": np.zeros((0, 33, 3)), "visibility": np.zeros((0, 33)),
      "world_xyz": np.zeros((0, 33, 3)), "n_people": np.zeros(0)}, "at least 3"),
    ({"t": np.zeros(40)}, "increase"),
    ({"t": np.arange(40)[::-1] / 10.0}, "increase"),
    ({"t": np.full(40, np.nan)}, "finite"),
    ({"t": np.arange(40.0)}, "in seconds"),            # frame numbers
    ({"t": np.arange(40) * 33.3}, "in seconds"),       # milliseconds
    ({"image_wh": np.array([640, 480, 3])}, "image_wh"),
    ({"image_wh": np.array([0, 0])}, "image_wh"),
    ({"image_wh": np.array([np.inf, 480])}, "image_wh"),
    ({"image_xyz": np.zeros((40, 17, 3))}, "image_xyz"),
    ({"n_people": -np.ones(40)}, "n_people"),
    ({"t": np.array(["a"] * 40)}, "numbers"),
])
def test_bad_npz_files_give_a_clear_error(tmp_path, change, message):
    path = _npz(tmp_path / "bad.npz", {**_track(), **change})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrackFileError, match=message):
            load_track(path)


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_empty_landmark_file(tmp_path, suffix):
    (tmp_path / f"x{suffix}").write_bytes(b"")
    with pytest.raises(TrackFileError, match="empty"):
        load_track(tmp_path / f"x{suffix}")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_landmarks_mean_no_person(tmp_path, bad):
    arrays = _track()
    arrays["image_xyz"] = np.full((40, 33, 3), bad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _analyse(load_track(_npz(tmp_path / "nan.npz", arrays)))
    assert result.detection_rate == 0.0 and result.rep_count == 0
    assert [w.code for w in result.warnings] == ["no_person"]


def test_text_in_a_numeric_csv_cell_is_named(tmp_path):
    path = save_track(PoseTrack(**{k: v for k, v in _track(5).items() if k != "image_wh"},
                                image_wh=(640, 480)), tmp_path / "t.csv")
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[10] = "abc"
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TrackFileError, match=r"row 4, column \w+: 'abc' is not a number"):
        load_track(path)


def test_csv_is_read_streaming(tmp_path):
    """A 50,000-row CSV loads with memory for its arrays, not for its text (< 600 MB)."""
    n = 50_000
    arrays = _track(3)
    one = PoseTrack(**{k: v for k, v in arrays.items() if k != "image_wh"}, image_wh=(640, 480))
    header, first, *_ = save_track(one, tmp_path / "one.csv").read_text().splitlines()
    rest = first.split(",", 1)[1]
    path = tmp_path / "long.csv"
    with path.open("w") as handle:
        handle.write(header + "\n")
        handle.writelines(f"{i / 30:.4f},{rest}\n" for i in range(n))
    # VmHWM is this program's own peak; ru_maxrss would carry over the peak of the
    # (large) pytest process it was forked from.
    code = (
        "from pathlib import Path\n"
        "from formcheck.track_io import load_track\n"
        f"track = load_track({str(path)!r})\n"
        "hwm = [ln for ln in Path('/proc/self/status').read_text().splitlines()\n"
        "       if ln.startswith('VmHWM')][0]\n"
        "print(len(track), int(hwm.split()[1]) // 1024)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows, peak_mb = map(int, proc.stdout.split())
    assert rows == n and peak_mb < 600, f"{peak_mb} MB for {n} rows"


finite = st.floats(-2.0, 2.0, allow_nan=False)
anything = st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e308, -1e308]))


@st.composite
def landmark_arrays(draw) -> dict[str, np.ndarray]:
    """A landmark file's arrays with some of them broken in generated ways."""
    n = draw(st.integers(0, 25))
    arrays = _track(max(n, 1), seed=draw(st.integers(0, 1000)))
    arrays = {k: (v[:n] if k != "image_wh" else v) for k, v in arrays.items()}
    for key in draw(st.sets(st.sampled_from(sorted(arrays)), max_size=3)):
        shape = draw(st.sampled_from([arrays[key].shape, (n,), (n, 33), (n, 33, 3), (2,), (3,),
                                      (0,), (n + 1, 33, 3)]))
        fill = draw(st.sampled_from(["value", "random", "sparse"]))
        size = int(np.prod(shape))
        if fill == "value":
            values = np.full(size, draw(anything))
        elif fill == "random":
            values = np.array(draw(st.lists(anything, min_size=size, max_size=size))
                              if size <= 64 else np.linspace(-1, 2, size))
        else:
            values = np.resize(arrays[key].astype(float).ravel(), size)
            if size:
                values[draw(st.integers(0, size - 1))] = draw(anything)
        arrays[key] = values.reshape(shape)
    return arrays


@FUZZ
@given(arrays=landmark_arrays(), as_csv=st.booleans())
def test_fuzz_landmark_files(tmp_path_factory, arrays, as_csv):
    folder = tmp_path_factory.mktemp("fuzz")
    path = _npz(folder / "f.npz", arrays)
    if as_csv:
        try:
            with np.load(path) as d, np.errstate(invalid="ignore"):
                track = PoseTrack(d["t"], d["image_xyz"], d["visibility"], d["world_xyz"],
                                  d["n_people"].astype(int),
                                  tuple(float(v) for v in d["image_wh"][:2]))
            path = save_track(track, folder / "f.csv")
        except (ValueError, IndexError, TypeError, OverflowError):
            pass  # the arrays do not even make a track to write as CSV: keep the .npz
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            track = load_track(path)
        except TrackFileError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        result = _analyse(track)
    assert 0.0 <= result.detection_rate <= 1.0
    assert np.isfinite(result.duration_s)
    if not track.detected.any():
        assert [w.code for w in result.warnings] == ["no_person"]


@FUZZ
@given(data=st.data())
def test_fuzz_video_bytes(tmp_path_factory, data):
    """Random bytes, a real MP4 cut or with bytes overwritten: a VideoError or frames."""
    real = SAMPLE.read_bytes()
    kind = data.draw(st.sampled_from(["random", "cut", "flipped", "header"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=4096))
    elif kind == "cut":
        blob = real[: data.draw(st.integers(0, 60_000))]
    elif kind == "header":
        blob = real[:64] + data.draw(st.binary(max_size=2048))
    else:
        buffer = bytearray(real)
        for _ in range(data.draw(st.integers(1, 20))):
            at = data.draw(st.integers(0, len(buffer) - 1))
            buffer[at] = data.draw(st.integers(0, 255))
        blob = bytes(buffer)
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    path.write_bytes(blob)
    try:
        info = probe(path)
    except VideoError as exc:
        assert exc.code in ("not_a_video", "no_video_stream", "no_frames", "image_or_text",
                            "too_few_frames", "truncated")
        return
    assert info.width > 0 and info.height > 0
    frames = 0
    try:
        for _, rgb in read_frames(path, max_side=64):
            assert rgb.ndim == 3 and rgb.shape[2] == 3
            frames += 1
            if frames >= 5:
                break
    except VideoError as exc:
        assert exc.code in ("not_a_video", "no_frames", "truncated")


def test_video_writer_output_passes_the_probe(tmp_path):
    path = tmp_path / "ok.mp4"
    with VideoWriter(path, 64, 48, 30) as w:
        for i in range(5):
            w.write(np.zeros((48, 64, 3), np.uint8), i / 30)
    assert probe(path).n_frames >= 3


# -- Dutch output ---------------------------------------------------------------------------

ENGLISH = ("dosage", "hold", "view", "peak", "posterolateral approach", "(right", "(left",
           "detection", "per day", "knee_valgus", "too_fast", "ok\n")


def test_dutch_cli_output_is_dutch(tmp_path, capsys):
    from formcheck.cli import summary
    from formcheck.session import Rep

    assert main(["exercises"]) == 0
    listing = capsys.readouterr().out
    assert "dosering: 3×5 → 3×10" in listing and "vasthouden" in listing
    result = _analyse(load_track(_npz(tmp_path / "t.npz", _track())), "nl")
    result.settings = PatientSettings(side="right", approach="posterolateral")
    result.reps = [Rep(1, 1.0, 3.0, 71.2, 0.4, True, ["knee_valgus", "too_fast"]),
                   Rep(2, 4.0, 6.0, 72.0, 0.5, True, [])]
    text = summary(result)
    assert "rechts geopereerd, posterolaterale benadering" in text
    assert "knie niet recht naar voren, te snel" in text and "top" in text
    for word in ENGLISH:
        assert word not in listing + text + "\n", word
