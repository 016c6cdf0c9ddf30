"""Render the accuracy benchmark set: synthetic clips with exact truth, into a cache folder.

A fixed, deterministic set of ~32 clips covering the six exercises across camera
views (best view plus the other sensible ones), six body presets, both operated
sides, camera distance / height, and every fault the synth can inject for each
exercise (about 60 % of the reps are clean). Each clip is ``<name>.mp4`` with
``<name>.truth.json`` (written by the synth) and ``<name>.spec.json`` (the spec it
was rendered from) beside it; a clip whose spec file matches is not re-rendered,
so re-runs are cheap. Evaluate with ``python benchmarks/accuracy.py DIR --no-real``.

Azimuths: 0 = side view of the operated flank, +90 = in front (lying: at the feet),
-90 = behind (lying: at the head). "Oblique" is 30° off the best view's axis:
±30 for everything but hip abduction, whose best view is the front (60 / 120).

``--set random`` renders the domain-randomised set instead (64 clips, see
:mod:`formcheck.synth.randomised`: cameras ±35° off side-on and ±30° off the front,
elevation −10…+25°, portrait frames, sway, tremor, tempo, trunk leaning back,
far leg hidden, adduction past the midline), default DIR ~/.cache/formcheck/bench-random.

Usage: python benchmarks/render_set.py [DIR] [--set fixed|random [--seed N]] [--force]
       [--only SUBSTR] [--dry-run] [--prune]   (DIR default: ~/.cache/formcheck/bench)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import numpy as np

from formcheck.synth import ClipSpec, render_clip
from formcheck.synth.exercises import SPECS, parse_faults, plan_timeline
from formcheck.synth.randomised import random_set

DEFAULT_DIR = Path.home() / ".cache" / "formcheck" / "bench"
DEFAULT_DIRS = {"fixed": DEFAULT_DIR, "random": DEFAULT_DIR.with_name("bench-random")}
SET_VERSION = 1  # bump to force a re-render of everything
CRF = 23

# exercise, view, azimuth, operated side, body, movements, faults, distance m, height m
_ROWS: list[tuple[str, str, float, str, str, int, str, float, float]] = [
    # standing, frontal-plane movement: front is best; side shows nothing of it
    ("hip_abduction", "front", 90, "left", "female", 4, "2:trunk_lean", 3.0, 1.1),
    ("hip_abduction", "front", 90, "right", "male", 3, "3:knee_not_straight", 3.5, 1.4),
    ("hip_abduction", "front", 90, "left", "male_african", 4,
     "1:too_fast,3:incomplete_range", 2.7, 0.9),
    ("hip_abduction", "oblique", 60, "right", "heavier_female", 4,
     "2:wrong_leg,4:trunk_lean", 3.2, 1.2),
    ("hip_abduction", "oblique", 120, "left", "slim_female", 3, "2:knee_not_straight", 3.0, 1.0),
    # standing, sagittal; front view is where knee valgus shows
    ("mini_squat", "side", 0, "left", "male", 4, "3:hip_flexion_limit", 3.0, 1.1),
    ("mini_squat", "side", 0, "right", "heavier", 3, "2:too_fast", 3.6, 1.3),
    ("mini_squat", "oblique", 30, "left", "female", 4, "2:incomplete_range", 2.8, 1.0),
    ("mini_squat", "oblique", -30, "right", "slim_female", 3, "3:knee_valgus", 3.2, 1.2),
    ("mini_squat", "front", 90, "left", "heavier_female", 4, "2:knee_valgus,4:too_fast", 3.0, 1.1),
    ("mini_squat", "front", 90, "right", "male_african", 3, "2:incomplete_range", 3.4, 0.9),
    # standing, sagittal, 3 s hold; side view is where the pose model swaps legs
    ("hip_flexion", "oblique", 30, "left", "female", 3, "2:hold_too_short", 3.0, 1.1),
    ("hip_flexion", "oblique", -30, "right", "male", 3, "3:trunk_lean", 3.3, 1.3),
    ("hip_flexion", "oblique", 30, "right", "heavier", 4,
     "1:hip_flexion_limit,3:too_fast", 2.8, 1.0),
    ("hip_flexion", "side", 0, "left", "slim_female", 3, "2:incomplete_range", 3.0, 1.1),
    ("hip_flexion", "side", 0, "right", "male_african", 3, "2:wrong_leg", 3.5, 1.2),
    ("hip_flexion", "side", 0, "left", "heavier_female", 3, "", 2.7, 0.9),
    # standing, 8 s hold: one full-hold rep per clip, the others short (faulty) to keep
    # clips ~22 s; faults stacked on one movement where they do not mask each other
    ("hip_extension_stretch", "side", 0, "left", "male", 3,
     "2:hold_too_short,3:too_fast", 3.0, 1.1),
    ("hip_extension_stretch", "side", 0, "right", "female", 3,
     "1:trunk_lean,1:hold_too_short,3:wrong_leg,3:too_fast", 3.4, 1.3),
    ("hip_extension_stretch", "oblique", 30, "left", "heavier", 3,
     "1:knee_not_straight,1:too_fast,3:heel_lift,3:hold_too_short", 2.8, 1.0),
    ("hip_extension_stretch", "oblique", -30, "right", "slim_female", 3,
     "1:too_fast,3:incomplete_range,3:hold_too_short", 3.2, 1.2),
    ("hip_extension_stretch", "side", 0, "left", "male_african", 3,
     "1:heel_lift,1:hold_too_short,2:too_fast", 2.7, 0.9),
    # lying, 3 s hold: side and oblique (towards the feet +30, towards the head -30)
    ("heel_slide", "side", 0, "left", "female", 3, "2:heel_lift", 2.7, 1.35),
    ("heel_slide", "side", 0, "right", "heavier", 3, "3:hold_too_short", 3.1, 1.6),
    ("heel_slide", "oblique", 30, "left", "male", 3, "1:too_fast,3:wrong_leg", 2.5, 1.2),
    ("heel_slide", "oblique", -30, "right", "slim_female", 3, "2:incomplete_range", 2.9, 1.4),
    ("heel_slide", "side", 0, "left", "male_african", 4, "4:too_fast", 2.6, 1.1),
    ("bridge", "side", 0, "left", "male", 3, "2:hold_too_short", 2.7, 1.35),
    ("bridge", "side", 0, "right", "heavier_female", 3, "3:too_fast", 3.0, 1.1),
    ("bridge", "oblique", 30, "left", "female", 3, "2:incomplete_range", 2.6, 1.5),
    ("bridge", "oblique", -30, "right", "heavier", 3, "", 2.9, 1.3),
    ("bridge", "side", 0, "left", "slim_female", 4, "1:too_fast,3:hold_too_short", 2.8, 1.2),
]


def _name(ex: str, view: str, az: float, side: str, body: str) -> str:
    a = f"m{-az:.0f}" if az < 0 else f"{az:.0f}"
    return f"{ex}_{view}_az{a}_{side}_{body}"


def build_set() -> dict[str, ClipSpec]:
    """Return the benchmark set: clip name -> spec (seeds fixed by position)."""
    out: dict[str, ClipSpec] = {}
    for i, (ex, view, az, side, body, reps, faults, dist, height) in enumerate(_ROWS):
        name = _name(ex, view, az, side, body)
        if name in out:
            raise ValueError(f"duplicate clip name {name}")
        out[name] = ClipSpec(
            exercise=ex, side=side, view=view, reps=reps, faults=faults, seed=500 + i,
            body=body, azimuth_deg=float(az), distance_m=dist, height_m=height, crf=CRF)
    return out


def clip_info(spec: ClipSpec) -> dict:
    """Length and rep make-up of a clip, from its (cheap, deterministic) timeline."""
    plan = parse_faults(spec.faults)
    tl = plan_timeline(spec.exercise, spec.reps, plan, np.random.default_rng(spec.seed),
                       tempo=spec.tempo)
    wrong = sum("wrong_leg" in plan.get(i, ()) for i in range(1, spec.reps + 1))
    faulty = sum(bool(plan.get(i)) for i in range(1, spec.reps + 1))
    return {"duration_s": tl.duration_s, "movements": spec.reps, "clean": spec.reps - faulty,
            "wrong_leg": wrong, "faults": {c for cs in plan.values() for c in cs}}


def check_set(clips: dict[str, ClipSpec]) -> list[str]:
    """Return coverage problems (empty when every exercise shows all its faults etc.)."""
    problems = []
    by_ex: dict[str, set[str]] = defaultdict(set)
    for spec in clips.values():
        by_ex[spec.exercise] |= clip_info(spec)["faults"]
    for ex, spec in SPECS.items():
        missing = set(spec.faults) - by_ex.get(ex, set())
        if missing:
            problems.append(f"{ex}: faults never injected: {sorted(missing)}")
    if len({s.body for s in clips.values()}) < 3:
        problems.append("fewer than 3 body presets")
    return problems


NEW_FIELDS = ("elevation_deg", "frame_wh", "fit_frame", "sway_deg", "tremor_deg", "tempo",
              "trunk_back_deg", "room_seed", "preset", "render_max_side", "fps", "msaa")
"""ClipSpec fields added with the randomised set; a spec that leaves them all at their
defaults is written without them, so clips of the fixed set rendered before stay current."""
LATER_FIELDS = ("fov_deg", "support")
"""Fields added later still: written only when not at their default."""


def spec_doc(name: str, spec: ClipSpec) -> dict:
    d = asdict(spec)
    plain = ClipSpec(spec.exercise)
    if all(getattr(spec, k) == getattr(plain, k) for k in NEW_FIELDS):
        for k in NEW_FIELDS:
            del d[k]
    for k in LATER_FIELDS:
        if getattr(spec, k) == getattr(plain, k):
            del d[k]
    # JSON round trip: tuples become lists, as in the file written
    return json.loads(json.dumps({"set_version": SET_VERSION, "name": name, "spec": d}))


def is_current(out_dir: Path, name: str, spec: ClipSpec) -> bool:
    paths = [out_dir / f"{name}{s}" for s in (".mp4", ".truth.json", ".spec.json")]
    if not all(p.is_file() for p in paths):
        return False
    try:
        return json.loads(paths[2].read_text()) == spec_doc(name, spec)
    except (OSError, ValueError):
        return False


def render_one(out_dir: Path, name: str, spec: ClipSpec) -> dict:
    """Render into a temporary subfolder, then move into place (spec file last)."""
    for s in (".spec.json", ".mp4", ".truth.json"):
        (out_dir / f"{name}{s}").unlink(missing_ok=True)
    tmp = out_dir / f".partial-{os.getpid()}"  # one per process: shards run side by side
    tmp.mkdir(parents=True, exist_ok=True)
    stats = render_clip(spec, tmp / f"{name}.mp4", log=False)
    for s in (".mp4", ".truth.json"):
        (tmp / f"{name}{s}").replace(out_dir / f"{name}{s}")
    (out_dir / f"{name}.spec.json").write_text(json.dumps(spec_doc(name, spec), indent=1) + "\n")
    return stats


def composition(clips: dict[str, ClipSpec]) -> list[str]:
    rows: dict = defaultdict(lambda: {"clips": 0, "views": set(), "bodies": set(), "sides": set(),
                                "moves": 0, "clean": 0, "faults": set(), "secs": 0.0})
    for spec in clips.values():
        info = clip_info(spec)
        r = rows[spec.exercise]
        r["clips"] += 1
        r["views"].add(f"{spec.view}({spec.azimuth_deg:+.0f})")
        r["bodies"].add(spec.body)
        r["sides"].add(spec.side[0].upper())
        r["moves"] += info["movements"]
        r["clean"] += info["clean"]
        r["faults"] |= info["faults"]
        r["secs"] += info["duration_s"]
    lines = [f"{'exercise':22s} clips moves clean  video  views / bodies / sides / faults"]
    for ex in SPECS:
        r = rows[ex]
        lines.append(
            f"{ex:22s} {r['clips']:5d} {r['moves']:5d} {r['clean']:5d} {r['secs']:5.0f}s  "
            f"{' '.join(sorted(r['views']))} / {len(r['bodies'])} bodies / "
            f"{''.join(sorted(r['sides']))} / {','.join(sorted(r['faults']))}")
    tot_m = sum(r["moves"] for r in rows.values())
    tot_c = sum(r["clean"] for r in rows.values())
    secs = [clip_info(s)["duration_s"] for s in clips.values()]
    bodies = sorted({s.body for s in clips.values()})
    lines.append(f"total: {len(clips)} clips, {tot_m} movements ({tot_c} clean, "
                 f"{100 * tot_c / max(tot_m, 1):.0f}%), {sum(secs):.0f} s of video "
                 f"(clip {min(secs):.1f}-{max(secs):.1f} s), bodies: {', '.join(bodies)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", type=Path, default=None)
    ap.add_argument("--set", choices=sorted(DEFAULT_DIRS), default="fixed",
                    help="fixed: the 32-clip set (default); random: the domain-randomised set")
    ap.add_argument("--seed", type=int, default=None,
                    help="random set only: another seed gives a held-out set of the same "
                         "design (e.g. --seed 4242 into ~/.cache/formcheck/bench-heldout)")
    ap.add_argument("--lens", choices=["standard", "wide"], default="standard",
                    help="random set only: wide = the same clips through phone-like wider "
                         "lenses from closer by (e.g. --seed 7373 --lens wide into "
                         "~/.cache/formcheck/bench-wide7373)")
    ap.add_argument("--pace", choices=["normal", "slow"], default="normal",
                    help="random set only: slow = the same clips moved 1.8-2.6x slower")
    ap.add_argument("--support", choices=["", "chair"], default="",
                    help="random set only: chair = the same clips with a chair beside every "
                         "standing person")
    ap.add_argument("--force", action="store_true", help="re-render even if up to date")
    ap.add_argument("--only", default="", help="render only clips whose name contains this")
    ap.add_argument("--dry-run", action="store_true", help="list the set, render nothing")
    ap.add_argument("--shard", default="0/1",
                    help="K/N: render only every N-th clip starting at K (run N in parallel)")
    ap.add_argument("--backend", choices=["auto", "gl", "cv"], default=None,
                    help="renderer for every clip: cv = the flat-shaded OpenCV painter, a "
                         "different renderer from the GL one (e.g. --set random --seed 555 "
                         "--shard 0/3 --backend cv into ~/.cache/formcheck/bench-cv555)")
    ap.add_argument("--prune", action="store_true",
                    help="delete clips in DIR rendered by this script but no longer in the set")
    args = ap.parse_args(argv)
    out_dir: Path = (args.dir or DEFAULT_DIRS[args.set]).expanduser()
    if args.seed is not None and args.set == "fixed":
        ap.error("--seed is for --set random")
    clips = build_set() if args.set == "fixed" else (
        random_set(lens=args.lens, pace=args.pace, support=args.support) if args.seed is None
        else random_set(args.seed, args.lens, args.pace, args.support))
    if args.backend is not None:
        clips = {n: dataclasses.replace(s, backend=args.backend) for n, s in clips.items()}
    problems = check_set(clips)
    for p in problems:
        print(f"set problem: {p}", file=sys.stderr)
    k_shard, n_shard = (int(x) for x in args.shard.split("/"))
    todo = {n: s for i, (n, s) in enumerate(clips.items())
            if args.only in n and i % n_shard == k_shard}
    if args.dry_run:
        for n, s in todo.items():
            info = clip_info(s)
            print(f"{n:58s} {info['duration_s']:5.1f}s reps {s.reps} faults {s.faults or '-'}")
        print("\n".join(composition(clips)))
        return 1 if problems else 0

    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done, skipped, failed = [], [], []
    for k, (name, spec) in enumerate(todo.items(), 1):
        prefix = f"[{k:2d}/{len(todo)}] {name}"
        if not args.force and is_current(out_dir, name, spec):
            skipped.append(name)
            print(f"{prefix}: up to date", flush=True)
            continue
        t0 = time.perf_counter()
        try:
            stats = render_one(out_dir, name, spec)
        except Exception as exc:  # keep going; report at the end
            failed.append(name)
            print(f"{prefix}: FAILED {type(exc).__name__}: {exc}", flush=True)
            continue
        done.append(name)
        el = time.perf_counter() - started
        print(f"{prefix}: {stats['frames']} frames ({stats['frames'] / spec.fps:.1f} s) in "
              f"{time.perf_counter() - t0:.0f} s [{stats['renderer']}], total {el / 60:.1f} min",
              flush=True)
    shutil.rmtree(out_dir / f".partial-{os.getpid()}", ignore_errors=True)

    stray = sorted(p for p in out_dir.glob("*.mp4") if p.stem not in clips)
    for p in stray:
        marker = p.with_name(p.stem + ".spec.json")
        if args.prune and marker.is_file():
            for s in (".mp4", ".truth.json", ".spec.json"):
                p.with_name(p.stem + s).unlink(missing_ok=True)
            print(f"pruned {p.name}")
        else:
            print(f"note: {p.name} is not in the set (accuracy.py will still evaluate it; "
                  "--prune removes clips this script made)")

    print()
    print("\n".join(composition(clips)))
    print(f"rendered {len(done)}, up to date {len(skipped)}, failed {len(failed)} "
          f"in {(time.perf_counter() - started) / 60:.1f} min -> {out_dir}")
    if failed:
        print("failed: " + ", ".join(failed))
    out = " --out random" if args.set == "random" else ""
    print(f"evaluate: python benchmarks/accuracy.py {out_dir} --no-real{out}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
