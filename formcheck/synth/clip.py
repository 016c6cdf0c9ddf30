"""Render one synthetic exercise clip (H.264 MP4) with its ground-truth JSON."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from formcheck.synth.angles import all_angles
from formcheck.synth.body import REGIONS, load_body
from formcheck.synth.exercises import (
    BILATERAL,
    BUILDERS,
    LYING,
    NEUTRAL_REP,
    SPECS,
    Rep,
    Timeline,
    parse_faults,
    plan_timeline,
    progress,
)
from formcheck.synth.render import Box, Camera, make_renderer, make_scene
from formcheck.synth.skeleton import (
    JOINT_NAMES,
    Pose,
    make_rig,
    posed_joints,
    rot_x,
    rot_z,
    segment_transforms,
    skin,
    vertex_normals,
)

FPS = 30
VIEW_AZIMUTH = {"side": 0.0, "front": 90.0, "oblique": 30.0}
BED_TOP_M = 0.45
SKIN_TONES = [(0.93, 0.76, 0.64), (0.80, 0.60, 0.47), (0.62, 0.44, 0.32), (0.42, 0.29, 0.21),
              (0.96, 0.82, 0.72)]
SHIRTS = [(0.15, 0.35, 0.65), (0.70, 0.18, 0.18), (0.20, 0.55, 0.35), (0.85, 0.85, 0.85),
          (0.55, 0.35, 0.60), (0.95, 0.65, 0.20)]
SHORTS = [(0.12, 0.12, 0.16), (0.25, 0.28, 0.40), (0.40, 0.40, 0.42), (0.30, 0.22, 0.15)]
SHOES = [(0.95, 0.95, 0.95), (0.10, 0.10, 0.10), (0.30, 0.35, 0.55)]
HAIR = [(0.10, 0.08, 0.06), (0.35, 0.22, 0.12), (0.65, 0.55, 0.40), (0.55, 0.55, 0.55)]


@dataclass(frozen=True)
class ClipSpec:
    """What to render. ``faults`` uses the CLI syntax ``"2:trunk_lean,4:too_fast"``.

    ``azimuth_deg`` None = the view's default (side 0, front 90, oblique 30);
    ``side`` is the operated side.

    Domain randomisation (defaults leave a clip as it always was):
    ``elevation_deg`` sets the camera height so it looks down (+) or up (-) at the aim
    point; ``frame_wh`` is the frame size (width, height), e.g. portrait (1080, 1920);
    ``fit_frame`` moves the camera back until the whole body stays in the frame;
    ``sway_deg`` sways a standing body about its feet (slow, both planes);
    ``tremor_deg`` shakes the primary angle by up to this much during holds;
    ``tempo`` multiplies the up and down times (not of ``too_fast`` reps);
    ``trunk_back_deg`` is the backward lean of a hip-flexion ``trunk_lean`` rep;
    ``room_seed`` randomises the floor and wall colours; ``preset`` is x264's preset;
    ``render_max_side`` renders larger frames at most this big and scales them up to
    ``frame_wh`` (cheaper; the pose model sees ~640 px frames anyway); ``fps`` is the
    frame rate;
    ``msaa`` the GL renderer's anti-aliasing samples (0 = none, about twice as fast);
    ``rep_scale``, one per rep, sets each movement's size exactly as a share of its
    planned size (no amplitude jitter; e.g. a squat past 90° made to peak at 86°);
    ``support="chair"`` puts a chair beside a standing person on the non-operated side,
    its backrest's top rail under that hand (the leaflet: stand at a table or chair to
    lean on);
    ``fov_deg`` is the camera's vertical field of view (a phone's main lens held upright
    sees about 70°; a wider lens is set up closer, with more perspective).
    """

    exercise: str
    side: str = "left"
    view: str = "side"
    reps: int = 5
    faults: str = ""
    seed: int = 0
    body: str = "female"
    azimuth_deg: float | None = None
    distance_m: float | None = None
    height_m: float | None = None
    crf: int = 23
    backend: str = "auto"
    extra: dict = field(default_factory=dict)
    elevation_deg: float | None = None
    frame_wh: tuple[int, int] = (640, 480)
    fit_frame: bool = False
    sway_deg: float = 0.0
    tremor_deg: float = 0.0
    tempo: float = 1.0
    trunk_back_deg: float = 22.0
    room_seed: int | None = None
    preset: str = "medium"
    render_max_side: int | None = None
    fps: int = FPS
    msaa: int = 4
    rep_scale: tuple[float, ...] = ()
    fov_deg: float = Camera.fov_deg
    support: str = ""

    def variation(self) -> dict:
        """The randomised settings that differ from the defaults (empty for a plain clip)."""
        base = ClipSpec(self.exercise)
        keys = ("elevation_deg", "frame_wh", "fit_frame", "sway_deg", "tremor_deg", "tempo",
                "trunk_back_deg", "room_seed", "rep_scale", "fov_deg", "support")
        return {k: getattr(self, k) for k in keys if getattr(self, k) != getattr(base, k)}


@dataclass(frozen=True)
class ClipFrames:
    """Posed frames of a clip before rendering.

    Attributes
    ----------
    t : (T,) frame times, seconds.
    verts : (T, V, 3) posed world vertices (float32).
    joints : name -> (T, 3) world joint centres.
    timeline : the rep plan.

    """

    t: np.ndarray
    verts: np.ndarray
    joints: dict[str, np.ndarray]
    timeline: Timeline


def _world_rotation(exercise: str) -> np.ndarray:
    """Canonical body frame -> world: identity standing, on the back when lying."""
    return rot_x(-90.0) if exercise in LYING else np.eye(3)


def pose_frames(spec: ClipSpec) -> tuple[ClipFrames, object]:
    """Pose every frame of ``spec``; return the frames and the rig used."""
    rng = np.random.default_rng(spec.seed)
    rig = make_rig(load_body(spec.body))
    side = {"left": "l", "right": "r"}[spec.side]
    timeline = plan_timeline(spec.exercise, spec.reps, parse_faults(spec.faults), rng,
                             tempo=spec.tempo, trunk_back_deg=spec.trunk_back_deg)
    if spec.rep_scale:
        if len(spec.rep_scale) != spec.reps:
            raise ValueError(f"rep_scale needs one size per rep ({spec.reps})")
        timeline = replace(timeline, reps=tuple(
            replace(r, scale=r.scale * k, amplitude_jitter=1.0)
            for r, k in zip(timeline.reps, spec.rep_scale, strict=True)))
    n = int(round(timeline.duration_s * spec.fps))
    t = np.arange(n) / spec.fps
    build = BUILDERS[spec.exercise]
    world = _world_rotation(spec.exercise)
    cache: dict[tuple, Pose] = {}

    def pose_at(q: float, rep: Rep) -> Pose:
        key = (round(q, 5), rep.index if q != 0 else 0)
        if key not in cache:
            cache[key] = build(rig, side, q, rep if q != 0 else NEUTRAL_REP)
        return cache[key]

    tremor = _tremor(spec, timeline, t)
    sway = _sway(spec, t)

    verts = np.zeros((n, len(rig.body.verts), 3), np.float32)
    joints = {k: np.zeros((n, 3)) for k in JOINT_NAMES}
    offset = pivot = None
    for i, ti in enumerate(t):
        q, rep = 0.0, NEUTRAL_REP
        for r in timeline.reps:
            qi = float(progress(r, np.array([ti]))[0])
            if qi != 0:
                q, rep = qi, r
        pose = pose_at(q - tremor[i] if q > 0 else q, rep)
        rot, off = segment_transforms(rig, pose)
        rot = world @ rot
        off = off @ world.T
        v = skin(rig, rot, off)
        if offset is None:  # placed once from the start pose, then kept
            offset = _placement(spec.exercise, v, rig)
            surface = BED_TOP_M if spec.exercise in LYING else 0.0
        v = v + offset
        if sway is not None:
            if pivot is None:  # the floor between the feet at the start
                pivot = 0.5 * (posed_joints(rig, rot, off)["ankle_l"]
                               + posed_joints(rig, rot, off)["ankle_r"]) + offset
                pivot[1] = 0.0
            v = (v - pivot) @ sway[i].T + pivot
        # soft tissue flattens against the floor / bed instead of sinking into it
        v[:, 1] = np.maximum(v[:, 1], surface)
        verts[i] = v
        for k, p in posed_joints(rig, rot, off).items():
            joints[k][i] = p + offset if sway is None else (p + offset - pivot) @ sway[i].T + pivot
    return ClipFrames(t=t, verts=verts, joints=joints, timeline=timeline), rig


def _tremor(spec: ClipSpec, timeline: Timeline, t: np.ndarray) -> np.ndarray:
    """Per-frame progress dip (T,) during holds: up to ``tremor_deg`` of the primary angle.

    A mix of a 4-8 Hz tremor and a ~1 Hz wobble, faded in and out over 0.3 s at the
    ends of each hold; 0 outside holds.
    """
    out = np.zeros(len(t))
    if spec.tremor_deg <= 0:
        return out
    rng = np.random.default_rng(spec.seed + 3000)
    amp = abs(SPECS[spec.exercise].amplitude_deg)
    for r in timeline.reps:
        if r.hold_s < 0.3:
            continue
        a = min(spec.tremor_deg / (amp * r.scale * r.amplitude_jitter), 0.5)
        f1, f2 = rng.uniform(4.0, 8.0), rng.uniform(0.7, 1.3)
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        wave = 0.6 * np.sin(2 * np.pi * f1 * t + p1) + 0.4 * np.sin(2 * np.pi * f2 * t + p2)
        x = t - r.peak_start_s
        fade = np.clip(np.minimum(x, r.hold_s - x) / 0.3, 0.0, 1.0)
        out += a * fade * 0.5 * (1.0 + wave)
    return out


def _sway(spec: ClipSpec, t: np.ndarray) -> np.ndarray | None:
    """Per-frame world rotations (T, 3, 3) of a standing body swaying about its feet."""
    if spec.sway_deg <= 0 or spec.exercise in LYING:
        return None
    rng = np.random.default_rng(spec.seed + 2000)
    fa, fb = rng.uniform(0.15, 0.35, 2)
    pa, pb = rng.uniform(0, 2 * np.pi, 2)
    fwd = spec.sway_deg * np.sin(2 * np.pi * fa * t + pa)
    lat = 0.6 * spec.sway_deg * np.sin(2 * np.pi * fb * t + pb)
    return np.stack([rot_x(a) @ rot_z(b) for a, b in zip(fwd, lat, strict=True)])


def _placement(exercise: str, v: np.ndarray, rig) -> np.ndarray:
    """World offset putting the start pose on the floor (standing) or on the bed (lying)."""
    from formcheck.synth.skeleton import SEG_INDEX

    w = rig.body.weights
    if exercise in LYING:
        arms = sum(w[:, SEG_INDEX[f"{a}_{s}"]] for a in ("upperarm", "forearm", "hand")
                   for s in "lr") > 0.5
        back = (rig.body.verts[:, 1] > rig.joints["root"][1] - 0.15) & ~arms
        centre = 0.5 * (v[:, 2].min() + v[:, 2].max())
        return np.array([-v[:, 0].mean(), BED_TOP_M - v[back, 1].min(), -centre])
    feet = (w[:, SEG_INDEX["foot_l"]] + w[:, SEG_INDEX["foot_r"]]) > 0.5
    return np.array([-v[:, 0].mean(), -v[feet, 1].min(), -v[:, 2].mean()])


def _colors(region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    palette = {
        "skin": SKIN_TONES[rng.integers(len(SKIN_TONES))],
        "shirt": SHIRTS[rng.integers(len(SHIRTS))],
        "shorts": SHORTS[rng.integers(len(SHORTS))],
        "shoes": SHOES[rng.integers(len(SHOES))],
        "hair": HAIR[rng.integers(len(HAIR))],
    }
    table = np.array([palette[r] for r in REGIONS], dtype=np.float32)
    return table[region]


def camera_for(spec: ClipSpec, frames: ClipFrames) -> Camera:
    """Return the clip's camera: azimuth from the operated flank, aimed at the body."""
    az = spec.azimuth_deg if spec.azimuth_deg is not None else VIEW_AZIMUTH[spec.view]
    lying = spec.exercise in LYING
    v0 = frames.verts[0]
    centre = 0.5 * (v0.min(axis=0) + v0.max(axis=0))
    if lying:
        target = (float(centre[0]), BED_TOP_M + 0.12, float(centre[2]))
        dist = spec.distance_m or 2.7
        height = spec.height_m or 1.35
    else:
        target = (float(centre[0]), 0.88, float(centre[2]))
        dist = spec.distance_m or 3.0
        height = spec.height_m or 1.1
    lateral = (1.0, 0.0, 0.0) if spec.side == "left" else (-1.0, 0.0, 0.0)
    w, h = spec.frame_wh

    def make(d: float) -> Camera:
        up = height if spec.elevation_deg is None else (
            target[1] + d * np.tan(np.radians(spec.elevation_deg)))
        return Camera(azimuth_deg=az, distance_m=d, height_m=float(up), target=target,
                      lateral=lateral, width=int(w), height=int(h), fov_deg=spec.fov_deg)

    cam = make(dist)
    if spec.fit_frame:
        pts = frames.verts[::5, ::7].reshape(-1, 3)
        for _ in range(25):
            if _fits(cam, pts):
                break
            cam = make(cam.distance_m * 1.08)
    return cam


def _fits(cam: Camera, pts: np.ndarray, margin: float = 0.04) -> bool:
    """Whether every point (N, 3) projects inside the frame with a ``margin`` share spare."""
    px, depth = cam.project(pts)
    mx, my = margin * cam.width, margin * cam.height
    return bool(np.all(depth > 0.1) and np.all((px[:, 0] >= mx) & (px[:, 0] <= cam.width - mx)
                                              & (px[:, 1] >= my) & (px[:, 1] <= cam.height - my)))


def truth_dict(spec: ClipSpec, frames: ClipFrames, camera: Camera) -> dict:
    """Build the ground-truth JSON document of a clip."""
    lying = spec.exercise in LYING
    world = _world_rotation(spec.exercise)
    up_ref = world @ np.array([0.0, 1.0, 0.0])
    fwd_ref = world @ np.array([0.0, 0.0, 1.0])
    lat_ref = np.array([1.0, 0.0, 0.0])
    ang = all_angles(frames.joints, up_ref, fwd_ref, lat_ref)
    ex = SPECS[spec.exercise]
    side = spec.side
    other = "right" if side == "left" else "left"
    prim = ang[ex.primary]
    t = frames.t
    past = knee_past_midline_m(frames.joints, side)

    def r2(a: np.ndarray) -> list[float]:
        return [round(float(x), 2) for x in a]

    reps, wrong = [], []
    for r in frames.timeline.reps:
        moving = side if r.moving == "operated" else other
        m = (t >= r.start_s) & (t <= r.end_s)
        series = prim[moving] if isinstance(prim, dict) else prim
        seg = series[m]
        base = float(series[0])
        peak = float(seg.max() if ex.amplitude_deg > 0 else seg.min())
        if spec.exercise == "bridge":
            peak = float(seg.min())
        if r.moving != "operated":
            wrong.append({"start_s": round(r.start_s, 3), "end_s": round(r.end_s, 3),
                          "leg": moving, "peak_deg": round(peak, 2)})
            continue
        faults = list(r.faults)
        short = ex.required_hold_s and r.hold_s < ex.required_hold_s - 0.5
        if short and "hold_too_short" not in faults:
            faults.append("hold_too_short")
        hip = ang["hip_flexion_deg"][side][m]  # type: ignore[index]
        if hip.max() > 90.0 and "hip_flexion_limit" not in faults:
            faults.append("hip_flexion_limit")
        crossed = float(past[m].max()) > 0.0
        if crossed and "adduction_past_midline" not in faults:
            faults.append("adduction_past_midline")
        if not crossed and "adduction_past_midline" in faults:
            faults.remove("adduction_past_midline")
        peaks = {}
        for key in ("hip_flexion_deg", "knee_flexion_deg", "hip_abduction_deg"):
            s = ang[key][side][m]  # type: ignore[index]
            peaks[key] = {"max": round(float(s.max()), 2), "min": round(float(s.min()), 2)}
        for key in ("trunk_lean_forward_deg", "trunk_lean_side_deg"):
            s = ang[key][m]  # type: ignore[index]
            peaks[key] = {"max": round(float(s.max()), 2), "min": round(float(s.min()), 2)}
        reps.append({
            "index": len(reps) + 1, "plan_index": r.index,
            "start_s": round(r.start_s, 3), "peak_start_s": round(r.peak_start_s, 3),
            "end_s": round(r.end_s, 3), "peak_deg": round(peak, 2),
            "start_deg": round(base, 2), "hold_s": round(r.hold_s, 3),
            "up_s": round(r.up_s, 3), "down_s": round(r.down_s, 3),
            "completed": "incomplete_range" not in faults, "faults": faults, "peaks": peaks,
            **({"knee_past_midline_m": round(float(past[m].max()), 3)} if spec.exercise
               == "hip_abduction" and (spec.variation() or "adduction" in spec.faults) else {}),
        })
    angles = {"t": [round(float(x), 4) for x in t]}
    for key, val in ang.items():
        angles[key] = {k: r2(v) for k, v in val.items()} if isinstance(val, dict) else r2(val)
    px, _ = camera.project(np.stack([frames.joints[j] for j in JOINT_NAMES], axis=1))
    view = spec.view
    extra = {}
    if spec.variation():
        var = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.variation().items()}
        target = np.asarray(camera.target)
        dy = camera.position[1] - target[1]
        var["camera_elevation_deg"] = round(float(np.degrees(np.arctan2(dy, camera.distance_m))), 2)
        var["far_leg_occluded"] = bool(
            spec.exercise in BILATERAL and abs(abs(camera.azimuth_deg) - 180.0) < 1e-6)
        extra["variation"] = var
    return {
        "exercise": spec.exercise, "side": side, "view": view,
        "camera": {
            "azimuth_deg": camera.azimuth_deg, "distance_m": camera.distance_m,
            "height_m": camera.height_m, "fov_deg": camera.fov_deg,
            "target": [round(x, 3) for x in camera.target],
            "position": [round(float(x), 3) for x in camera.position],
            "azimuth_convention": "0 = side view of the operated flank, +90 = in front "
                                  "(lying: at the feet), -90 = behind",
        },
        "fps": spec.fps, "n_frames": len(t), "width": camera.width, "height": camera.height,
        "body": spec.body, "seed": spec.seed, "faults_requested": spec.faults,
        "posture": "lying" if lying else "standing",
        "primary_angle": ex.primary, "required_hold_s": ex.required_hold_s,
        "angles": angles,
        "rep_count": sum(1 for r in reps if r["completed"]),
        "reps": reps, "wrong_leg_reps": wrong,
        "joints_px": {j: [[round(float(a), 1), round(float(b), 1)] for a, b in px[:, k]]
                      for k, j in enumerate(JOINT_NAMES)},
        "notes": "Angles from exact joint centres of the posed mesh (degrees). Lying: trunk lean "
                 "is measured from the surface towards the head (0 = flat), forward = towards "
                 "the ceiling. Body data: MakeHuman/MPFB2, CC0.",
        **extra,
    }


def knee_past_midline_m(joints: dict[str, np.ndarray], side: str) -> np.ndarray:
    """How far (m, (T,)) the ``side`` knee is past the body's midline; < 0 = on its own side.

    The midline is the plane through the hip centre, normal to the trunk's lateral axis.
    """
    from formcheck.synth.angles import trunk_frame

    _, lat, _ = trunk_frame(joints["hip_l"], joints["hip_r"], joints["shoulder_l"],
                            joints["shoulder_r"])
    mid = 0.5 * (joints["hip_l"] + joints["hip_r"])
    outward = lat if side == "left" else -lat
    return -np.sum((joints[f"knee_{side[0]}"] - mid) * outward, axis=-1)


def chair_boxes(frames: ClipFrames, side: str, rng: np.random.Generator) -> tuple[Box, ...]:
    """Return a chair (render boxes) beside a standing person, on the non-operated side.

    Its backrest's top rail runs along the person's facing direction just under that
    hand at the start; the seat and front legs stand further out.
    """
    other = "r" if side == "left" else "l"
    out = 1.0 if other == "l" else -1.0  # world +x is the person's left
    wrist = frames.joints[f"wrist_{other}"][0]
    x0 = float(wrist[0]) + out * 0.04  # the rail's inner face
    top = float(wrist[1]) - 0.09  # the palm rests on it
    zc = float(wrist[2])
    rgb = tuple(float(c) for c in rng.uniform(0.15, 0.75, 3))

    def box(xa: float, xb: float, ya: float, yb: float, za: float, zb: float):
        xs = sorted((x0 + out * xa, x0 + out * xb))
        return (np.array([xs[0], ya, zc + za]), np.array([xs[1], yb, zc + zb]), rgb)

    legs = [box(xa, xa + 0.04, 0.0, yt, z, z + 0.04)
            for xa, yt in ((0.0, top), (0.40, 0.44)) for z in (-0.22, 0.18)]
    return (*legs, box(0.0, 0.04, top - 0.07, top, -0.22, 0.22),
            box(0.0, 0.44, 0.42, 0.46, -0.22, 0.22))


def render_clip(spec: ClipSpec, out: str | Path, log: bool = True) -> dict:
    """Render ``spec`` to ``out`` (MP4) and ``<stem>.truth.json`` beside it; return stats."""
    from formcheck.synth.video import write_mp4

    t0 = time.perf_counter()
    frames, rig = pose_frames(spec)
    t_pose = time.perf_counter() - t0
    camera = camera_for(spec, frames)
    colors = _colors(rig.body.region, np.random.default_rng(spec.seed + 1000))
    bed = None
    if spec.exercise in LYING:
        v0 = frames.verts[0]
        cx = 0.5 * (v0[:, 0].min() + v0[:, 0].max())
        bed = (np.array([cx - 0.45, 0.0, v0[:, 2].min() - 0.2]),
               np.array([cx + 0.45, BED_TOP_M, v0[:, 2].max() + 0.25]))
    room = {}
    if spec.room_seed is not None:
        rr = np.random.default_rng(spec.room_seed)
        floor, wall = np.array([0.62, 0.55, 0.47]), np.array([0.84, 0.85, 0.80])
        room = {"floor_rgb": tuple(float(x) for x in 0.5 * floor + rr.uniform(0.1, 0.4, 3)),
                "wall_rgb": tuple(float(x) for x in 0.5 * wall + rr.uniform(0.2, 0.5, 3))}
    props = ()
    if spec.support == "chair" and spec.exercise not in LYING:
        props = chair_boxes(frames, spec.side, np.random.default_rng(spec.seed + 2000))
    elif spec.support:
        raise ValueError(f"support must be '' or 'chair' (standing), not {spec.support!r}")
    scene = make_scene(camera, bed=bed, props=props, **room)
    shrink = 1.0
    if spec.render_max_side and max(camera.width, camera.height) > spec.render_max_side:
        shrink = spec.render_max_side / max(camera.width, camera.height)
    small = replace(camera, width=int(round(camera.width * shrink / 2)) * 2,
                    height=int(round(camera.height * shrink / 2)) * 2)
    renderer = make_renderer(rig.body.tris, colors, scene, small, spec.backend, spec.msaa)
    t1 = time.perf_counter()

    def images():
        for v in frames.verts:
            img = renderer.render(v, vertex_normals(v, rig.body.tris))
            if shrink < 1.0:
                img = cv2.resize(img, (camera.width, camera.height),
                                 interpolation=cv2.INTER_LINEAR)
            yield img

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_mp4(out, images(), spec.fps, crf=spec.crf, preset=spec.preset)
    renderer.release()
    t_render = time.perf_counter() - t1
    truth = truth_dict(spec, frames, camera)
    truth_path = out.with_suffix("").with_suffix(".truth.json")
    truth_path = out.parent / (out.name[: -len(out.suffix)] + ".truth.json")
    truth_path.write_text(json.dumps(truth, separators=(",", ":")))
    stats = {
        "out": str(out), "truth": str(truth_path), "frames": len(frames.t),
        "pose_s": round(t_pose, 2), "render_encode_s": round(t_render, 2),
        "ms_per_frame": round(1000 * t_render / max(len(frames.t), 1), 1),
        "renderer": type(renderer).__name__, "spec": asdict(spec),
    }
    if log:
        keys = ("out", "frames", "pose_s", "ms_per_frame", "renderer")
        print(json.dumps({k: stats[k] for k in keys}))
    return stats
