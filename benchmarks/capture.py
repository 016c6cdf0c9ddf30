"""Real clips under real capture conditions: does the count survive them?

Each real clip (``../shared/clips``, expectations from
``tests/data/real_clips.toml``) is re-encoded under each condition of
:data:`formcheck.synth.capture.CONDITIONS` (dim light with noise, held frames,
a 60 fps container, a handheld camera, a burned-in overlay, dim and handheld,
mirrored, head or feet cut, far away, very far away, low resolution) and analysed through
the real pipeline (``zoomed``: the person was found only zoomed in, ``track_video``).
Prints and writes the count per clip and condition, and how many are within the clip's
expectation, to
``benchmarks/results/capture.json`` / ``capture.md``.

Usage: python benchmarks/capture.py [CLIP_STEM ...] [--all] [--conditions C,C,...]
(default clips: a squat, knee lifts, a sit-to-stand, a bridge and an abduction clip;
``--all``: every clip with an expectation; ``--cache DIR``: keep the degraded videos and
their pose tracks in DIR, so that a run after an engine change needs no pose model).
After a condition that mirrors the picture, the clip is analysed with the other leg named
as operated.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from formcheck.analysis import analyze_tracked, track_video
from formcheck.pose import PoseEstimator
from formcheck.protocol import PatientSettings
from formcheck.synth.capture import CONDITIONS, SWAPS_SIDES, degrade_video

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
RESULTS = REPO / "benchmarks" / "results"
DEFAULT = ["be23_squat", "ndnam_banded_knee_drives_oblique", "frailty_sit_to_stand",
           "physioplus_bridging", "be23_standing_side_leg_raise", "kratika_squat_front"]


def main() -> int:
    if not (CLIPS / "clips.json").is_file():
        print(f"real clips not present at {CLIPS}")
        return 1
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stems", nargs="*")
    ap.add_argument("--all", action="store_true", help="every clip with an expectation")
    ap.add_argument("--conditions", default=",".join(["original", *CONDITIONS]))
    ap.add_argument("--name", default="capture", help="results file name (without suffix)")
    ap.add_argument("--cache", type=Path, help="keep each degraded video and its pose tracks "
                    "here: a run after an engine change then needs no pose model")
    args = ap.parse_args()
    conditions = args.conditions.split(",")
    cases = tomllib.loads((REPO / "tests" / "data" / "real_clips.toml").read_text())["case"]
    if args.all:
        selected = cases
    else:
        selected = [next(c for c in cases if c["clip"].startswith(stem + "."))
                    for stem in (args.stems or DEFAULT)]
    rows = []
    est = PoseEstimator()
    t_start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.cache or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for case in selected:
            stem = Path(case["clip"]).stem
            for condition in conditions:
                src = CLIPS / case["clip"]
                path = src if condition == "original" else where / f"{stem}_{condition}.mp4"
                if condition in SWAPS_SIDES:
                    side = {"left": "right", "right": "left"}[case["sides"][0]]
                else:
                    side = case["sides"][0]

                def track_at(fps: float | None = None, path: Path = path, src: Path = src,
                             condition: str = condition,
                             key: str = f"{stem}_{condition}"):  # noqa: ANN202
                    """The video's pose track at ``fps`` (default rate: None), from the
                    cache when kept there."""
                    kept = where / f"{key}_{'default' if fps is None else round(fps, 3)}.pkl"
                    if args.cache and kept.is_file():
                        return pickle.loads(kept.read_bytes())
                    if not path.is_file():
                        degrade_video(src, path, condition)
                    est.reset()
                    out = track_video(path, estimator=est) if fps is None else \
                        track_video(path, estimator=est, analysis_fps=fps)
                    if args.cache:
                        kept.write_bytes(pickle.dumps(out))
                    return out

                res = analyze_tracked(track_at(), track_at,
                                      case["exercise"], PatientSettings(side), "en")
                codes = [w.code for w in res.warnings]
                ok = abs(res.rep_count - case["reps"]) <= case["tolerance"] \
                    or case.get("or_warning") in codes
                row = {"clip": stem, "exercise": case["exercise"], "side": side,
                       "condition": condition,
                       "expected": case["reps"], "tolerance": case["tolerance"],
                       "reps": res.rep_count, "as_expected": ok,
                       "exact": res.rep_count == case["reps"],
                       "detection_rate": round(res.detection_rate, 3),
                       "zoomed": "zoom_window" in res.track.meta,
                       "warnings": codes}
                rows.append(row)
                print(f"{stem[:34]:34s} {condition:13s} {res.rep_count:3d} / {case['reps']}"
                      f"±{case['tolerance']}  {'ok' if ok else 'MISS'}  "
                      f"det {res.detection_rate:.2f}"
                      f"{' (zoomed in)' if row['zoomed'] else ''}", flush=True)
    est.close()
    summary = {}
    for condition in conditions:
        sel = [r for r in rows if r["condition"] == condition]
        summary[condition] = {"clips": len(sel), "as_expected": sum(r["as_expected"] for r in sel),
                              "exact": sum(r["exact"] for r in sel),
                              "zoomed": sum(r["zoomed"] for r in sel)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": time.strftime("%Y-%m-%d %H:%M"), "seconds": round(time.time() - t_start),
         "summary": summary, "rows": rows}, indent=1))
    lines = ["# Real clips under capture conditions", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M')} by `benchmarks/capture.py`: each clip "
             "re-encoded under each condition (formcheck/synth/capture.py) and analysed "
             "through the real pipeline; expectations from tests/data/real_clips.toml.", "",
             "`zoomed`: found only zoomed in (`analysis.zoom_window`).", "",
             "| condition | clips | as expected | exact | zoomed |", "|---|---|---|---|---|"]
    lines += [f"| {c} | {s['clips']} | {s['as_expected']} | {s['exact']} | {s['zoomed']} |"
              for c, s in summary.items()]
    lines += ["", "| clip | condition | expected | got | detected |", "|---|---|---|---|---|"]
    lines += [f"| {r['clip']} | {r['condition']} | {r['expected']}±{r['tolerance']} | "
              f"{r['reps']}{'' if r['as_expected'] else ' (miss)'} | {r['detection_rate']:.0%}"
              f"{' (zoomed)' if r['zoomed'] else ''} |" for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    for c, s in summary.items():
        n = s["clips"]
        print(f"{c:13s} as expected {s['as_expected']}/{n}, exact {s['exact']}/{n}")
    print(f"written: benchmarks/results/{args.name}.json, {args.name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
