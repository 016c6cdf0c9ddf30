"""Fast tests of the synthetic renderer (formcheck.synth)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from formcheck.synth import angles as A
from formcheck.synth.exercises import (
    BUILDERS,
    SPECS,
    Rep,
    bridge_start_hip_flexion,
    parse_faults,
    plan_timeline,
)


@pytest.fixture(scope="module")
def rig():
    from formcheck.synth.body import BodyDataError, ensure_body_data, load_body
    from formcheck.synth.skeleton import make_rig

    try:
        ensure_body_data()
    except BodyDataError as exc:
        pytest.skip(f"body data unavailable: {exc}")
    return make_rig(load_body("female"))


def _angles(rig, exercise, q, rep, side="l"):
    from formcheck.synth.clip import _world_rotation
    from formcheck.synth.skeleton import posed_joints, segment_transforms

    pose = BUILDERS[exercise](rig, side, q, rep)
    rot, off = segment_transforms(rig, pose)
    world = _world_rotation(exercise)
    joints = {k: (world @ v)[None] for k, v in posed_joints(rig, rot, off).items()}
    ang = A.all_angles(joints, world @ [0, 1.0, 0], world @ [0, 0, 1.0], np.array([1.0, 0, 0]))
    flat = {}
    for k, v in ang.items():
        if isinstance(v, dict):
            flat.update({f"{k}.{s}": float(x[0]) for s, x in v.items()})
        else:
            flat[k] = float(v[0])
    return flat


def _rep(**kw):
    base = dict(index=1, start_s=0.0, up_s=1.0, hold_s=0.0, down_s=1.0)
    base.update(kw)
    return Rep(**base)


def test_angle_functions_hand_cases():
    hip = np.array([0.0, 1.0, 0.0])
    u, lat, f = A.trunk_frame(np.array([0.1, 1, 0]), np.array([-0.1, 1, 0]),
                              np.array([0.15, 1.5, 0]), np.array([-0.15, 1.5, 0]))
    knee = hip + [0, -np.cos(np.radians(30)), np.sin(np.radians(30))]
    flex, abd = A.hip_angles(hip, knee, u, lat, f, "left")
    assert flex == pytest.approx(30) and abd == pytest.approx(0, abs=1e-9)
    ankle = knee + [0, -1, 0]
    assert A.knee_flexion(hip, knee, ankle) == pytest.approx(30)
    knee_out = hip + [np.sin(np.radians(20)), -np.cos(np.radians(20)), 0]
    assert A.hip_angles(hip, knee_out, u, lat, f, "left")[1] == pytest.approx(20)
    assert A.hip_angles(hip, knee_out, u, lat, f, "right")[1] == pytest.approx(-20)


@pytest.mark.parametrize("side", ["l", "r"])
def test_posed_angles_equal_requested(rig, side):
    s = "left" if side == "l" else "right"
    tol = 0.5
    a = _angles(rig, "mini_squat", 1.0, _rep(), side)
    assert a[f"hip_flexion_deg.{s}"] == pytest.approx(55, abs=tol)
    assert a[f"knee_flexion_deg.{s}"] == pytest.approx(60, abs=tol)
    assert a["trunk_lean_forward_deg"] == pytest.approx(25, abs=tol)
    a = _angles(rig, "hip_abduction", 1.0, _rep(), side)
    assert a[f"hip_abduction_deg.{s}"] == pytest.approx(25, abs=tol)
    assert a[f"knee_flexion_deg.{s}"] == pytest.approx(0, abs=tol)
    assert a["trunk_lean_side_deg"] == pytest.approx(0, abs=tol)
    a = _angles(rig, "hip_abduction", 1.0, _rep(faults=("trunk_lean", "knee_not_straight")), side)
    assert a["trunk_lean_side_deg"] == pytest.approx(22, abs=tol)
    assert a[f"knee_flexion_deg.{s}"] == pytest.approx(35, abs=tol)
    a = _angles(rig, "hip_flexion", 1.0, _rep(), side)
    assert a[f"hip_flexion_deg.{s}"] == pytest.approx(70, abs=tol)
    assert a[f"knee_flexion_deg.{s}"] == pytest.approx(84, abs=tol)
    a = _angles(rig, "hip_flexion", 1.0, _rep(faults=("trunk_lean",)), side)
    assert a["trunk_lean_forward_deg"] == pytest.approx(-22, abs=tol)
    assert a[f"hip_flexion_deg.{s}"] == pytest.approx(70, abs=tol)
    a = _angles(rig, "hip_extension_stretch", 1.0, _rep(), side)
    assert a[f"hip_flexion_deg.{s}"] == pytest.approx(-18, abs=tol)
    assert a[f"knee_flexion_deg.{s}"] == pytest.approx(0, abs=tol)
    a = _angles(rig, "bridge", 1.0, _rep(), side)
    assert a[f"hip_flexion_deg.{s}"] == pytest.approx(0, abs=tol)
    a0 = _angles(rig, "bridge", 0.0, _rep(), side)
    assert a0[f"knee_flexion_deg.{s}"] == pytest.approx(90, abs=tol)
    assert a0[f"hip_flexion_deg.{s}"] == pytest.approx(bridge_start_hip_flexion(rig), abs=tol)
    inc = _angles(rig, "bridge", 1.0, _rep(scale=0.4), side)
    h0 = a0[f"hip_flexion_deg.{s}"]
    assert inc[f"hip_flexion_deg.{s}"] == pytest.approx(0.6 * h0, abs=tol)


def test_standing_start_pose_is_neutral(rig):
    for ex in ("hip_abduction", "mini_squat", "hip_flexion", "hip_extension_stretch"):
        a = _angles(rig, ex, 0.0, _rep())
        for key, val in a.items():
            assert val == pytest.approx(0, abs=0.5), (ex, key)


def test_thigh_direction_projections_exact(rig):
    from formcheck.synth.exercises import _thigh_dir

    u, lat, f = np.array([0, 1.0, 0]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
    for flex, abd in [(40, 15), (-15, 10), (80, -10), (0, 30)]:
        d = _thigh_dir(flex, abd, "l")
        fl, ab = A.hip_angles(np.zeros(3), d, u, lat, f, "left")
        assert fl == pytest.approx(flex, abs=1e-6) and ab == pytest.approx(abd, abs=1e-6)


def test_timeline_and_truth_consistent(rig):
    from formcheck.synth.clip import ClipSpec, camera_for, pose_frames, truth_dict

    spec = ClipSpec("hip_flexion", "right", "oblique", reps=3,
                    faults="1:hold_too_short,2:wrong_leg,3:incomplete_range", seed=3)
    frames, _ = pose_frames(spec)
    truth = truth_dict(spec, frames, camera_for(spec, frames))
    assert truth["n_frames"] == len(truth["angles"]["t"]) == len(frames.t)
    assert len(truth["angles"]["hip_flexion_deg"]["right"]) == truth["n_frames"]
    reps = truth["reps"]
    assert [r["index"] for r in reps] == [1, 2]
    assert len(truth["wrong_leg_reps"]) == 1 and truth["wrong_leg_reps"][0]["leg"] == "left"
    assert truth["rep_count"] == 1  # rep 3 is incomplete, rep 2 was the wrong leg
    assert "hold_too_short" in reps[0]["faults"] and reps[0]["hold_s"] < 3
    assert reps[1]["completed"] is False and "incomplete_range" in reps[1]["faults"]
    assert reps[1]["peak_deg"] == pytest.approx(0.4 * 70, abs=4)
    assert reps[0]["start_s"] >= 1.5
    events = sorted([(r["start_s"], r["end_s"]) for r in reps]
                    + [(w["start_s"], w["end_s"]) for w in truth["wrong_leg_reps"]])
    for (s0, e0), (s1, _) in zip(events, events[1:], strict=False):
        assert s1 - e0 >= 1.5
        assert s0 < e0
    t = np.array(truth["angles"]["t"])
    hip = np.array(truth["angles"]["hip_flexion_deg"]["right"])
    still = t < reps[0]["start_s"]
    assert np.ptp(hip[still]) < 1e-6
    for r in reps:
        inside = (t >= r["start_s"]) & (t <= r["end_s"])
        assert hip[inside].max() == pytest.approx(r["peak_deg"], abs=0.01)
        hold = (t >= r["peak_start_s"]) & (t <= r["peak_start_s"] + r["hold_s"])
        assert np.ptp(hip[hold]) < 0.5


def test_parse_faults_and_validation():
    assert parse_faults("2:trunk_lean, 4:too_fast,2:knee_not_straight") == {
        2: ("trunk_lean", "knee_not_straight"), 4: ("too_fast",)}
    with pytest.raises(ValueError):
        parse_faults("2:nonsense")
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        plan_timeline("bridge", 2, {1: ("wrong_leg",)}, rng)
    tl = plan_timeline("mini_squat", 3, {3: ("too_fast",)}, rng)
    fast = tl.reps[2]
    assert fast.end_s - fast.start_s < 1.0
    assert all(r.end_s - r.start_s >= 2.0 for r in tl.reps[:2])
    assert SPECS["hip_extension_stretch"].required_hold_s == 8


@pytest.mark.parametrize("backend", ["auto", "cv"])
def test_render_frame_shows_person(rig, backend):
    from formcheck.synth.clip import ClipSpec, _colors, camera_for, pose_frames
    from formcheck.synth.render import make_renderer, make_scene
    from formcheck.synth.skeleton import vertex_normals

    spec = ClipSpec("mini_squat", "left", "side", reps=1)
    frames, rig_ = pose_frames(spec)
    cam = camera_for(spec, frames)
    scene = make_scene(cam)
    colors = _colors(rig_.body.region, np.random.default_rng(0))
    empty = make_renderer(rig_.body.tris[:0], colors, scene, cam, backend)
    far = frames.verts[0] + np.array([0, -50.0, 0], np.float32)  # body out of sight
    bg = empty.render(far, vertex_normals(far, rig_.body.tris))
    r = make_renderer(rig_.body.tris, colors, scene, cam, backend)
    v = frames.verts[0]
    img = r.render(v, vertex_normals(v, rig_.body.tris))
    assert img.shape == (480, 640, 3) and img.dtype == np.uint8
    diff = np.abs(img.astype(int) - bg.astype(int)).sum(axis=2) > 30
    ys, xs = np.nonzero(diff)
    assert diff.mean() > 0.02  # the person covers a visible part of the frame
    px, _ = cam.project(frames.joints["hip_l"][0])
    assert xs.min() - 5 <= px[0] <= xs.max() + 5 and ys.min() - 5 <= px[1] <= ys.max() + 5
    assert ys.max() - ys.min() > 200  # a standing person about 2/3 of the frame tall


def test_render_clip_end_to_end(rig, tmp_path):
    import av

    from formcheck.synth.clip import ClipSpec, render_clip

    out = tmp_path / "abd.mp4"
    render_clip(ClipSpec("hip_abduction", "left", "front", reps=1, faults="1:too_fast"), out,
                log=False)
    truth = json.loads((tmp_path / "abd.truth.json").read_text())
    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264"
        n = sum(1 for _ in c.decode(video=0))
    assert n == truth["n_frames"]
    assert truth["rep_count"] == 1 and truth["reps"][0]["faults"] == ["too_fast"]
    assert truth["view"] == "front" and truth["camera"]["azimuth_deg"] == 90


def test_cli_rejects_bad_faults(tmp_path, capsys):
    from formcheck.synth.__main__ import _view_of, main

    code = main(["render", "--exercise", "bridge", "--faults", "1:wrong_leg", "--reps", "2",
                 "--out", str(tmp_path / "x.mp4")])
    assert code == 2 and "bridge cannot show" in capsys.readouterr().err
    assert [_view_of(a, "side") for a in (None, 0, 30, -30, 90)] == [
        "side", "side", "oblique", "oblique", "front"]


# ----------------------------------------------------------------- domain-randomised set

def test_random_set_deterministic_and_covers_ranges():
    from formcheck.synth.exercises import LYING, SPECS
    from formcheck.synth.randomised import FAULT_VIEWS, random_set, view_of

    clips = random_set()
    assert clips == random_set()
    assert random_set(seed=1) != clips
    specs = list(clips.values())
    assert len(specs) >= 60
    assert {s.exercise for s in specs} == set(SPECS)

    def off(s, centre):  # signed azimuth offset from a view's axis
        return (s.azimuth_deg - centre + 180.0) % 360.0 - 180.0

    side = [off(s, 0) for s in specs if abs(off(s, 0)) <= 35]
    front = [off(s, 90) for s in specs if abs(off(s, 90)) <= 30]
    assert min(side) <= -30 and max(side) >= 30 and min(map(abs, side)) <= 2
    assert min(front) <= -25 and max(front) >= 25 and min(map(abs, front)) <= 2
    standing = [s.elevation_deg for s in specs if s.exercise not in LYING]
    lying = [s.elevation_deg for s in specs if s.exercise in LYING]
    assert min(standing) <= -9 and max(standing) >= 24 and min(lying) >= 0
    assert sum(s.frame_wh == (1080, 1920) for s in specs) >= 5
    assert {(640, 480), (1280, 720), (720, 1280)} <= {s.frame_wh for s in specs}
    far = {s.exercise for s in specs if s.azimuth_deg == 180.0}
    assert far == {"mini_squat", "bridge"}  # exactly side-on from the other flank
    back = [s for s in specs if s.exercise == "hip_flexion" and "trunk_lean" in s.faults]
    assert len(back) >= 4 and all(18 <= s.trunk_back_deg <= 30 for s in back)
    cross = [s for s in specs if "adduction_past_midline" in s.faults]
    assert cross and all(view_of(s.azimuth_deg) == "front" for s in cross)
    assert min(s.tempo for s in specs) < 1.0 < max(s.tempo for s in specs)
    assert any(s.sway_deg > 1 for s in specs) and any(s.tremor_deg > 2 for s in specs)
    moves = sum(s.reps for s in specs)
    faulty = sum(len(parse_faults(s.faults)) for s in specs)
    assert 0.5 <= 1 - faulty / moves <= 0.7  # about 60 % clean reps
    for ex in SPECS:
        shown = {c for s in specs if s.exercise == ex
                 for cs in parse_faults(s.faults).values() for c in cs}
        assert shown == set(SPECS[ex].faults), ex
    for s in specs:
        for cs in parse_faults(s.faults).values():
            for c in cs:
                assert view_of(s.azimuth_deg) in FAULT_VIEWS.get((s.exercise, c), ("side",
                                                                 "oblique", "front"))


def test_the_wide_lens_slow_and_chair_sets_film_the_same_clips():
    import dataclasses

    from formcheck.synth.exercises import LYING
    from formcheck.synth.randomised import WIDE_FOV_DEG, random_set

    plain, wide = random_set(7), random_set(7, lens="wide")
    assert len(wide) == len(plain)
    for (name, s), w in zip(plain.items(), wide.values(), strict=True):
        portrait = s.frame_wh[1] > s.frame_wh[0]
        lo, hi = WIDE_FOV_DEG["portrait" if portrait else "landscape"]
        assert lo <= w.fov_deg <= hi and s.fov_deg == 45.0, name
        assert w.distance_m < s.distance_m or w.fov_deg < 46, name
        same = dataclasses.replace(w, fov_deg=s.fov_deg, distance_m=s.distance_m)
        assert same == s, name  # nothing else changes
    slow = random_set(7, pace="slow")
    for (name, s), w in zip(plain.items(), slow.values(), strict=True):
        assert 1.8 <= w.tempo / s.tempo <= 2.6, name
        assert dataclasses.replace(w, tempo=s.tempo) == s, name
    chair = random_set(7, support="chair")
    for (name, s), w in zip(plain.items(), chair.values(), strict=True):
        assert w.support == ("" if s.exercise in LYING else "chair"), name
        assert dataclasses.replace(w, support="") == s, name
    with pytest.raises(ValueError):
        random_set(7, lens="fisheye")


@pytest.fixture()
def one_body(rig, monkeypatch):
    """Load the body once for the randomised-clip tests (loading costs seconds)."""
    import functools

    from formcheck.synth import clip as clip_mod

    monkeypatch.setattr(clip_mod, "load_body", functools.cache(clip_mod.load_body))


def test_randomised_clip_has_exact_truth(one_body, tmp_path):
    import av

    from formcheck.synth.clip import ClipSpec, camera_for, pose_frames, render_clip, truth_dict

    spec = ClipSpec("hip_abduction", "right", "front", reps=2, seed=4,
                    faults="2:adduction_past_midline", azimuth_deg=105.0, elevation_deg=-10.0,
                    frame_wh=(180, 320), fit_frame=True, sway_deg=2.0, tempo=1.2, room_seed=4,
                    fps=10, msaa=0, preset="ultrafast")
    out = tmp_path / "abd.mp4"
    render_clip(spec, out, log=False)
    truth = json.loads((tmp_path / "abd.truth.json").read_text())
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == truth["n_frames"] and frames[0].shape == (320, 180, 3)
    assert truth["fps"] == 10 and truth["variation"]["camera_elevation_deg"] == pytest.approx(-10)
    px = np.array(list(truth["joints_px"].values()))
    assert (px[..., 0] > 0).all() and (px[..., 0] < 180).all() and (px[..., 1] < 320).all()
    r1, r2 = truth["reps"]
    assert r1["faults"] == [] and r1["knee_past_midline_m"] < 0
    assert r2["faults"] == ["adduction_past_midline"] and r2["knee_past_midline_m"] > 0.02
    abd = np.array(truth["angles"]["hip_abduction_deg"]["right"])
    t = np.array(truth["angles"]["t"])
    for r in (r1, r2):
        inside = (t >= r["start_s"]) & (t <= r["end_s"])
        assert 25 * 0.95 - 0.5 <= abd[inside].max() <= 25 * 1.05 + 0.5
    assert abd[t > r2["peak_start_s"]].min() == pytest.approx(-22, abs=0.5)
    # sway turns the whole body: trunk lean moves, the joint angles do not
    still, _ = pose_frames(ClipSpec(**{**spec.__dict__, "sway_deg": 0.0}))
    plain = truth_dict(spec, still, camera_for(spec, still))
    side_lean = np.array(truth["angles"]["trunk_lean_side_deg"])
    assert 0.3 < side_lean.max() <= 2.0 * 0.6 + 0.3
    for key in ("hip_abduction_deg", "hip_flexion_deg", "knee_flexion_deg"):
        assert np.allclose(truth["angles"][key]["right"], plain["angles"][key]["right"],
                           atol=0.02)


def test_trunk_back_tremor_and_hidden_far_leg(one_body):
    from formcheck.synth.clip import ClipSpec, camera_for, pose_frames, truth_dict

    spec = ClipSpec("hip_flexion", "left", "side", reps=2, seed=5, faults="2:trunk_lean",
                    trunk_back_deg=28.0, tremor_deg=3.0, fps=10)
    frames, _ = pose_frames(spec)
    truth = truth_dict(spec, frames, camera_for(spec, frames))
    clean, back = truth["reps"]
    assert clean["faults"] == [] and back["faults"] == ["trunk_lean"]
    assert back["peaks"]["trunk_lean_forward_deg"]["min"] == pytest.approx(-28, abs=0.5)
    assert clean["peaks"]["trunk_lean_forward_deg"]["min"] == pytest.approx(0, abs=0.5)
    for r in (clean, back):  # the hip still flexes ~70° (trunk to thigh) and shakes in the hold
        assert 70 * 0.95 - 0.5 <= r["peak_deg"] <= 70 * 1.05 + 0.5
        t = np.array(truth["angles"]["t"])
        hip = np.array(truth["angles"]["hip_flexion_deg"]["left"])
        hold = (t >= r["peak_start_s"]) & (t <= r["peak_start_s"] + r["hold_s"])
        assert 1.0 < np.ptp(hip[hold]) <= 3.5
    far = ClipSpec("mini_squat", "left", "side", reps=1, seed=6, azimuth_deg=180.0,
                   elevation_deg=5.0, fps=10)
    frames, _ = pose_frames(far)
    cam = camera_for(far, frames)
    var = truth_dict(far, frames, cam)["variation"]
    assert var["far_leg_occluded"] is True
    _, d_op = cam.project(frames.joints["knee_l"])
    _, d_other = cam.project(frames.joints["knee_r"])
    assert (d_op > d_other + 0.1).all()  # the operated leg is behind the other
