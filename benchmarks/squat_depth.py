"""Mini squats of every depth around the 35° target, from the front, obliquely and side-on.

The domain-randomised render sets bend a squat's knees ~60° (full) or ~24° (incomplete),
so how deep a squat must be before the engine counts it is not seen there. This renders
mini squats whose five reps are sized exactly (``ClipSpec.rep_scale``): true knee peaks
of 30°, 36°, 42°, 48° and 54° (the target is 35°: the first is incomplete, the others
count), filmed from the front, 30° off side-on and side-on, each from 10° below the
hips, 5° above and 20° above, by two bodies per view and height (all six render bodies
over the set). Each clip goes through the real pipeline (video → MediaPipe → engine).
Per rep: the true knee peak, the peak the engine reports, and whether the rep was
counted, shown as an incomplete attempt or not seen; summed per view and true depth.

Clips are cached in ``~/.cache/formcheck/squat-depth`` (rendered when missing, ~10 min);
prints a line per rep and writes ``benchmarks/results/squat_depth.json`` / ``.md``.

Usage: python benchmarks/squat_depth.py [--dir DIR] [--force] [--name NAME] [--only TEXT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from formcheck.analysis import analyze_video
from formcheck.protocol import PatientSettings, default_programme
from formcheck.synth.clip import ClipSpec, render_clip
from formcheck.synth.randomised import BODY_PRESETS

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
DEFAULT_DIR = Path.home() / ".cache" / "formcheck" / "squat-depth"
#: The five reps' sizes as shares of the renderer's full mini squat (knee ~60°).
SIZES = (0.5, 0.6, 0.7, 0.8, 0.9)
VIEWS = {"front": 90.0, "oblique": 30.0, "side": 0.0}
ELEVATIONS = (-10.0, 5.0, 20.0)


def specs() -> dict[str, ClipSpec]:
    """The clips, by name."""
    bodies = sorted(BODY_PRESETS)
    out = {}
    for i, (view, az) in enumerate(VIEWS.items()):
        for j, el in enumerate(ELEVATIONS):
            for k in range(2):
                n = (i * len(ELEVATIONS) + j) * 2 + k
                body = bodies[n % len(bodies)]
                side = ("left", "right")[n % 2]
                out[f"{view}_el{el:g}_{body}_{side}"] = ClipSpec(
                    "mini_squat", side, view, reps=len(SIZES), seed=800 + n, body=body,
                    azimuth_deg=az, elevation_deg=el, frame_wh=((640, 480), (720, 1280))[k],
                    fit_frame=True, room_seed=900 + n, fps=10, msaa=0, preset="ultrafast",
                    backend=("gl", "cv")[k], rep_scale=SIZES)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--force", action="store_true", help="render again even if present")
    ap.add_argument("--name", default="squat_depth", help="results file name (no suffix)")
    ap.add_argument("--only", default="", help="only clips whose name contains this")
    args = ap.parse_args()
    target = default_programme().exercise("mini_squat").target_deg
    args.dir.mkdir(parents=True, exist_ok=True)
    rows, started = [], time.time()
    for name, spec in specs().items():
        if args.only not in name:
            continue
        video = args.dir / f"{name}.mp4"
        if args.force or not video.is_file() or not video.with_suffix(".truth.json").is_file():
            render_clip(spec, video, log=False)
        truth = json.loads(video.with_suffix(".truth.json").read_text())
        res = analyze_video(video, spec.exercise, PatientSettings(spec.side), "en")
        for i, rep in enumerate(truth["reps"]):
            true = float(rep["peak_deg"])
            seen = [r for r in res.reps if r.start_s <= rep["end_s"] and r.end_s >= rep["start_s"]]
            counted = any(r.completed for r in seen)
            row = {"clip": name, "view": spec.view, "elevation_deg": spec.elevation_deg,
                   "body": spec.body, "view_seen": res.view, "rep": i + 1,
                   "true_deg": round(true, 1),
                   "read_deg": round(max((r.peak_deg for r in seen), default=float("nan")), 1),
                   "verdict": "counted" if counted else "incomplete" if seen else "not seen",
                   "should_count": true >= target, "reps_seen": len(seen)}
            rows.append(row)
            print(f"{name:36s} rep {i + 1}  true {true:5.1f}  read {row['read_deg']:5.1f}  "
                  f"{row['verdict']}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%Y-%m-%d %H:%M")
    depths = sorted({round(r["true_deg"] / 6) * 6 for r in rows})
    table = ["| view | " + " | ".join(f"~{d}°" for d in depths) + " | right |",
             "|---|" + "---|" * (len(depths) + 1)]
    summary = {}
    for view in VIEWS:
        mine = [r for r in rows if r["view"] == view]
        if not mine:
            continue
        right = sum((r["verdict"] == "counted") == r["should_count"] for r in mine)
        summary[view] = {"reps": len(mine), "right": right}
        cells = []
        for d in depths:
            at = [r for r in mine if round(r["true_deg"] / 6) * 6 == d]
            cells.append(f"{sum(r['verdict'] == 'counted' for r in at)}/{len(at)} counted")
        table.append(f"| {view} | " + " | ".join(cells) + f" | {right}/{len(mine)} |")
    err = np.array([r["read_deg"] - r["true_deg"] for r in rows], float)
    summary["peak_bias_deg"] = round(float(np.nanmean(err)), 2)
    summary["peak_mae_deg"] = round(float(np.nanmean(np.abs(err))), 2)
    summary["seconds"] = round(time.time() - started)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": run, "target_deg": target, "summary": summary, "rows": rows}, indent=1))
    lines = ["# Mini squats of every depth around the target", "",
             f"Run {run} by `benchmarks/squat_depth.py` (its docstring says what is rendered). "
             f"Target {target:g}°: a squat under it should be shown as incomplete, one past it "
             f"counted. Reported knee peak bias {summary['peak_bias_deg']:+.2f}°, MAE "
             f"{summary['peak_mae_deg']:.2f}° (from the front the knee is read from the "
             "hips' drop).", "", *table, "",
             "| clip | view seen | rep | true knee peak | read peak | verdict |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['clip']} | {r['view_seen']} | {r['rep']} | {r['true_deg']:.1f} | "
              f"{r['read_deg']:.1f} | {r['verdict']} |" for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    for view in (v for v in VIEWS if v in summary):
        print(f"{view}: {summary[view]['right']}/{summary[view]['reps']} right")
    print(f"written: {RESULTS / args.name}.json, .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
