"""Video input and output: container timestamps, rotation, H.264, broken files."""

import itertools
from fractions import Fraction

import av
import numpy as np
import pytest

from formcheck.video import VideoError, VideoWriter, probe, read_frames


def pattern(h=120, w=160):
    img = np.zeros((h, w, 3), np.uint8)
    img[:20, :, 0] = 255  # red band at the top
    return img


def write_raw(path, frames_pts, rotation=None, time_base=Fraction(1, 1000)):
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 160, 120, "yuv420p"
        s.time_base = s.codec_context.time_base = time_base
        if rotation is not None:
            s.set_display_rotation(rotation)
        for pts in frames_pts:
            f = av.VideoFrame.from_ndarray(pattern(), format="rgb24")
            f.pts, f.time_base = pts, time_base
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


def test_times_come_from_the_container_not_a_nominal_rate(tmp_path):
    pts = [0, 33, 66, 200, 233, 500, 533]  # variable frame rate, in ms
    write_raw(tmp_path / "vfr.mp4", pts)
    times = [t for t, _ in read_frames(tmp_path / "vfr.mp4")]
    assert times == pytest.approx([p / 1000 for p in pts], abs=2e-3)


@pytest.mark.parametrize("rotation,band", [(90, "left"), (-90, "right"), (180, "bottom")])
def test_phone_rotation_comes_out_upright(tmp_path, rotation, band):
    write_raw(tmp_path / "rot.mp4", range(0, 300, 33), rotation=rotation)
    info = probe(tmp_path / "rot.mp4")
    _, rgb = next(read_frames(tmp_path / "rot.mp4"))
    red = rgb[..., 0] > 200
    where = {"left": red[:, :10].mean(), "right": red[:, -10:].mean(),
             "bottom": red[-10:, :].mean(), "top": red[:10, :].mean()}
    assert max(where, key=where.get) == band
    if rotation in (90, -90):
        assert rgb.shape[:2] == (160, 120) and (info.width, info.height) == (120, 160)


def test_writer_makes_browser_playable_h264(tmp_path):
    out = tmp_path / "out.mp4"
    with VideoWriter(out, 160, 120, 30) as w:
        for i in range(15):
            w.write(pattern(), i / 30)
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in c.decode(s)) == 15


def test_max_fps_skips_frames_and_max_side_scales(tmp_path):
    write_raw(tmp_path / "v.mp4", range(0, 2000, 33))
    frames = list(read_frames(tmp_path / "v.mp4", max_side=80, max_fps=10))
    assert 19 <= len(frames) <= 21
    assert frames[0][1].shape == (60, 80, 3)


@pytest.mark.parametrize("content,code", [(b"", "not_a_video"), (b"hello" * 100, "not_a_video")])
def test_not_a_video(tmp_path, content, code):
    p = tmp_path / "x.mp4"
    p.write_bytes(content)
    with pytest.raises(VideoError) as e:
        list(read_frames(p))
    assert e.value.code == code


def test_missing_file():
    with pytest.raises(VideoError) as e:
        probe("/no/such/file.mp4")
    assert e.value.code == "file_not_found"


def test_truncated_video_gives_frames_then_a_clear_error(tmp_path):
    full = tmp_path / "full.mp4"
    with VideoWriter(full, 160, 120, 30) as w:  # faststart: index first, data after
        rng = np.random.default_rng(0)
        for i in range(90):
            w.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), i / 30)
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    got = []
    with pytest.raises(VideoError) as e:
        for t, _ in read_frames(cut):
            got.append(t)
    assert e.value.code == "truncated"
    assert 10 < len(got) < 90


def _frames(path, **kw):
    """``(frames, error)`` of ``read_frames(path, 640, 10 fps)``: yielded, raised."""
    out = []
    try:
        out.extend(read_frames(path, 640, 10.0, **kw))
    except VideoError as exc:
        return out, str(exc)
    return out, None


@pytest.mark.clips
@pytest.mark.parametrize("name", ["be23_squat.mp4",  # H.264 with B-frames, 24 fps
                                  "renyun_single_leg_stance_brace.mp4"])  # edit list, cut off
def test_frames_nothing_refers_to_are_not_decoded_and_the_frames_are_the_same(clips_dir, name):
    from formcheck.video import _kept_pts

    path = clips_dir / name
    with av.open(str(path)) as c:
        packets = [p for p in c.demux(c.streams.video[0]) if p.size]
    assert len(_kept_pts(path, 10.0)) < len(packets) / 2  # the rest need not be decoded
    every, every_error = _frames(path, skip_unused=False)
    skipping, skipping_error = _frames(path)
    assert skipping_error == every_error
    assert [t for t, _ in skipping] == [t for t, _ in every]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(skipping, every, strict=True))


def _plain_rgb(path, n, w, h):
    """The first ``n`` frames as PyAV converts them one by one (a new scaler per frame)."""
    with av.open(str(path)) as c:
        frames = itertools.islice(c.decode(c.streams.video[0]), n)
        return [f.to_ndarray(format="rgb24", width=w, height=h) for f in frames]


@pytest.mark.parametrize("clip", [None, "be23_squat.mp4"])
def test_frames_scaled_by_one_reused_scaler_are_those_of_a_fresh_one(tmp_path, request, clip):
    if clip is None:
        path, size = tmp_path / "v.mp4", (80, 60)
        write_raw(path, range(0, 1000, 33))
    else:
        path, size = request.getfixturevalue("clips_dir") / clip, (640, 360)
    got = [rgb for _, rgb in itertools.islice(read_frames(path, max(size)), 20)]
    want = _plain_rgb(path, 20, *size)
    assert len(got) == len(want) == 20
    assert all(a.shape == (size[1], size[0], 3) for a in got)
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
