"""A domain-randomised benchmark set: seeded, deterministic clip specs.

Every clip draws its camera (azimuth, elevation, distance, frame size incl. portrait),
body preset, clothes / skin / room colours, operated side, body sway, tremor during
holds, tempo and per-rep faults from one seeded generator, stratified so the set
always covers the ranges it promises:

* side-on exercises: azimuth 0 ± 0–35° (negative = from behind / the head end);
  from the front (hip abduction, some mini squats): 90 ± 0–30°;
* two-legged exercises (mini squat, bridge) also exactly side-on from the
  *non-operated* flank (azimuth 180), so the operated leg is hidden behind the other;
* elevation −10…+25° standing (negative = camera below the aim point, looking up);
  0…+25° lying (a camera below the bed top would film the bed's side);
* hip flexion with the trunk leaning back 18–30° (a ``trunk_lean`` rep whose true
  hip flexion, trunk to thigh, is unchanged);
* hip abduction swinging past the midline (``adduction_past_midline``), from the front;
* about 60 % clean reps; each fault only in views where the engine is meant to judge
  it (exercises.toml ``views``), so a miss is the engine's, not the camera's.

``lens="wide"`` gives the same clips (same draws) filmed through wider lenses from
closer by, as phones and laptops film: vertical field of view 60–80° in portrait frames,
45–65° in landscape ones (the standard set: 45°), the camera brought nearer by the ratio of the
lenses' tangents before it steps back to fit the body, so near and far limbs differ
more in scale and the feet and head sit further off the lens axis.

``pace="slow"`` gives the same clips moved 1.8–2.6 times slower (as patients told to
move slowly do: 2–4 s up, 2–4 s down; ``too_fast`` reps stay fast).

``support="chair"`` gives the same clips with a chair beside every standing person
(on the non-operated side, under that hand, as the leaflet has patients stand at a chair
to lean on): more furniture near the legs, in front of them from the other flank.

Tempo: clean reps are never faster than 1.15 × the exercise's ``min_move_s`` (so
they are not ``too_fast`` by the leaflet's rule); slower reps go up to 1.35 × the
default duration.
"""

from __future__ import annotations

import numpy as np

from formcheck.synth.body import BODY_PRESETS
from formcheck.synth.clip import ClipSpec
from formcheck.synth.exercises import LYING, SPECS

SEED = 2026
CRF = 23
PRESET = "ultrafast"
FPS = 20  # and no anti-aliasing: half the software-GL cost
"""Frame rate: the engine analyses at 10 fps, so 20 fps keeps every second frame."""
RENDER_MAX_SIDE = 720
"""Frames larger than this are rendered at this size and scaled up (the engine analyses
at most 640 px), to keep the CPU cost of portrait 1080×1920 clips down."""

# exercise -> (clips, movements per clip, camera kinds: side ±35°, near ±12°, front 90 ± 30°,
# facing 90 ± 12°, far = 180°)
PLAN: dict[str, tuple[int, int, dict[str, int]]] = {
    "hip_abduction": (12, 3, {"front": 8, "facing": 4}),
    "mini_squat": (13, 3, {"side": 5, "front": 2, "facing": 2, "far": 4}),
    "hip_flexion": (12, 3, {"side": 12}),
    "hip_extension_stretch": (8, 2, {"near": 3, "side": 5}),
    "heel_slide": (9, 3, {"side": 9}),
    "bridge": (10, 3, {"side": 7, "far": 3}),
}
TRUNK_BACK_CLIPS = 4
"""Hip-flexion clips whose set leans the trunk back on one or more reps."""

MIN_MOVE_S = {"hip_abduction": 1.2, "mini_squat": 1.5, "hip_flexion": 1.2,
              "hip_extension_stretch": 1.2, "heel_slide": 1.5, "bridge": 1.2}
"""Copy of exercises.toml ``min_move_s`` (kept here so the set does not change with it)."""
CLEAN_MOVE_PER_TEMPO_S = 0.738 * (1.1 + 1.2) * 0.9
"""Full-range time (10–90 % of each eased phase, scaled up) of the fastest clean rep."""

TEMPO_MAX = 1.35
"""Slowest tempo: up and down times × this."""

FAULT_VIEWS: dict[tuple[str, str], tuple[str, ...]] = {
    ("hip_abduction", "knee_not_straight"): ("front", "oblique"),
    ("hip_abduction", "trunk_lean"): ("front", "oblique"),
    ("hip_abduction", "adduction_past_midline"): ("front",),
    ("mini_squat", "hip_flexion_limit"): ("side", "oblique"),
    ("mini_squat", "knee_valgus"): ("front",),
    ("hip_flexion", "hip_flexion_limit"): ("side", "oblique"),
    ("hip_flexion", "trunk_lean"): ("side", "oblique"),
    ("hip_extension_stretch", "knee_not_straight"): ("side", "oblique"),
    ("hip_extension_stretch", "heel_lift"): ("side",),
    ("hip_extension_stretch", "trunk_lean"): ("side", "oblique"),
    ("heel_slide", "heel_lift"): ("side",),
}
"""Views where a fault may be injected (as in exercises.toml); others: any view."""

FRAME_SIZES: list[tuple[tuple[int, int], int]] = [
    ((640, 480), 24), ((1280, 720), 14), ((720, 1280), 12), ((1080, 1920), 10), ((480, 640), 4),
]
"""Frame sizes and how many clips of the 64 get each (portrait: 26)."""


def view_of(azimuth: float) -> str:
    """The engine's name for a camera azimuth: side (±15°), front (90 ± 15°), else oblique."""
    a = abs((azimuth + 180.0) % 360.0 - 180.0)
    if a <= 15.0 or a >= 165.0:
        return "side"
    return "front" if 75.0 <= a <= 105.0 else "oblique"


def _spread(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """``n`` values covering [lo, hi] evenly (one per stratum, both ends included), shuffled."""
    if n == 1:
        return np.array([rng.uniform(lo, hi)])
    base = np.linspace(lo, hi, n)
    jitter = rng.uniform(-0.3, 0.3, n) * (hi - lo) / (n - 1)
    jitter[[0, -1]] = 0.0
    return rng.permutation(np.clip(base + jitter, lo, hi))


def _sizes(rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
    pool = [wh for wh, k in FRAME_SIZES for _ in range(k)]
    while len(pool) < n:
        pool += pool
    return [pool[i] for i in rng.permutation(len(pool))[:n]]


WIDE_FOV_DEG = {"portrait": (60.0, 80.0), "landscape": (45.0, 65.0)}
"""``lens="wide"``: the range of the vertical field of view, by frame orientation."""
STANDARD_FOV_DEG = ClipSpec.fov_deg
SLOW_PACE = (1.8, 2.6)
"""``pace="slow"``: the range of the factor on every clip's tempo."""


def random_set(seed: int = SEED, lens: str = "standard", pace: str = "normal",
               support: str = "") -> dict[str, ClipSpec]:
    """Return the randomised benchmark set: clip name -> spec (same seed, same set).

    ``lens="wide"``: the same set through wider lenses from closer by; ``pace="slow"``:
    the same set moved about twice as slowly; ``support="chair"``: with a chair beside
    every standing person (see the module).
    """
    if lens not in ("standard", "wide"):
        raise ValueError(f"lens must be 'standard' or 'wide', not {lens!r}")
    if pace not in ("normal", "slow"):
        raise ValueError(f"pace must be 'normal' or 'slow', not {pace!r}")
    rng = np.random.default_rng(seed)
    lens_rng = np.random.default_rng([seed, 1])  # their own draws: the set stays the same
    pace_rng = np.random.default_rng([seed, 2])
    if support not in ("", "chair"):
        raise ValueError(f"support must be '' or 'chair', not {support!r}")
    n_total = sum(p[0] for p in PLAN.values())
    sizes = _sizes(rng, n_total)
    bodies = sorted(BODY_PRESETS)
    out: dict[str, ClipSpec] = {}
    k = 0
    for ex, (n_clips, n_reps, kinds) in PLAN.items():
        lying = ex in LYING
        cams: list[tuple[str, float]] = []
        for kind, n in kinds.items():
            if kind == "far":
                cams += [(kind, 180.0)] * n
            else:
                centre, reach = {"front": (90.0, 30.0), "facing": (90.0, 12.0),
                                 "near": (0.0, 12.0)}.get(kind, (0.0, 35.0))
                offs = _spread(rng, n, 0.0, reach) * rng.choice([-1.0, 1.0], n)
                cams += [(kind, centre + o) for o in offs]
        elev_lo = 0.0 if lying else -10.0
        elevations = _spread(rng, n_clips, elev_lo, 25.0)
        queue: list[str] = []
        for i, (kind, az) in enumerate(cams):
            view = view_of(az)
            elev = float(elevations[i])
            if kind == "far":
                elev = float(rng.uniform(-5.0 if not lying else 0.0, 10.0))
            trunk_back = ex == "hip_flexion" and i < TRUNK_BACK_CLIPS
            plan: list[list[str]] = []
            for r in range(n_reps):
                # the first rep of the first clips is faulty, so every fault gets injected
                faulty = rng.random() < 0.4 or (r == 0 and i < len(SPECS[ex].faults))
                if trunk_back and r == 0:
                    plan.append(["trunk_lean"])
                    continue
                if not faulty or (r == n_reps - 1 and all(plan)):
                    plan.append([])  # at least one clean rep per clip
                    continue
                if not queue:
                    queue = [str(c) for c in rng.permutation(SPECS[ex].faults)]
                fits = [c for c in queue if view in FAULT_VIEWS.get((ex, c), (view,))]
                if not fits:  # everything left needs another view: start a new round
                    queue += [str(c) for c in rng.permutation(SPECS[ex].faults)]
                    fits = [c for c in queue if view in FAULT_VIEWS.get((ex, c), (view,))]
                queue.remove(fits[0])
                plan.append([fits[0]])
            if trunk_back and rng.random() < 0.5 and sum(not p for p in plan) > 1:
                plan[-1] = ["trunk_lean"]
            faults = ",".join(f"{r + 1}:{c}" for r, cs in enumerate(plan) for c in cs)
            tempo_lo = max(0.8, 1.15 * MIN_MOVE_S[ex] / CLEAN_MOVE_PER_TEMPO_S)
            tempo = float(rng.uniform(tempo_lo, TEMPO_MAX))
            pace_txt = ""
            if pace == "slow":
                tempo *= float(pace_rng.uniform(*SLOW_PACE))
                pace_txt = f"_tempo{tempo:.1f}"
            sway = float(rng.uniform(0.5, 2.5)) if not lying and rng.random() < 0.7 else 0.0
            tremor = float(rng.uniform(1.0, 3.5)) if rng.random() < 0.7 else 0.0
            dist = float(rng.uniform(2.5, 3.5) if lying else rng.uniform(2.6, 3.8))
            side = str(rng.choice(["left", "right"]))
            body = str(rng.choice(bodies))
            w, h = sizes[k]
            fov = STANDARD_FOV_DEG
            if lens == "wide":
                fov = float(lens_rng.uniform(*WIDE_FOV_DEG["portrait" if h > w else "landscape"]))
                dist *= np.tan(np.radians(STANDARD_FOV_DEG / 2)) / np.tan(np.radians(fov / 2))
            spec = ClipSpec(
                exercise=ex, side=side, view=view, reps=n_reps, faults=faults, seed=9000 + k,
                body=body, azimuth_deg=round(float(az), 1), distance_m=round(dist, 2),
                crf=CRF, elevation_deg=round(elev, 1), frame_wh=(w, h), fit_frame=True,
                sway_deg=round(sway, 2), tremor_deg=round(tremor, 2), tempo=round(tempo, 3),
                trunk_back_deg=round(float(rng.uniform(18.0, 30.0)), 1) if ex == "hip_flexion"
                else 22.0,
                room_seed=9000 + k, preset=PRESET, render_max_side=RENDER_MAX_SIDE,
                fps=FPS, msaa=0, fov_deg=round(fov, 1),
                support="" if lying else support)
            a = spec.azimuth_deg
            az_txt = f"m{-a:.0f}" if a < 0 else f"{a:.0f}"
            el_txt = f"m{-elev:.0f}" if elev < 0 else f"{elev:.0f}"
            lens_txt = f"_fov{fov:.0f}" if lens == "wide" else ""
            extra = lens_txt + pace_txt + ("_chair" if spec.support else "")
            name = f"r{k:02d}_{ex}_{view}_az{az_txt}_el{el_txt}_{w}x{h}{extra}_{side}"
            out[name] = spec
            k += 1
    return out
