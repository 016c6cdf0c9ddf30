"""How much the pose model's landmarks shake: real clips against renders.

The noise benchmarks (``perturbed.py``, ``live_real.py --noise``) add independent noise
of 0.3-1 % of the frame's longer side to every landmark. This measures what the model
itself gives, per clip, on the body's landmarks (shoulders, hips, knees, ankles, heels),
in % of the frame's longer side:

* ``jitter``: frame-to-frame noise, the robust SD (1.4826 × MAD) of each landmark
  coordinate's second difference ``x[t] − (x[t−1] + x[t+1]) / 2`` over √1.5 (what it is
  for independent noise; ``filters.reading_jitter``), the median over the landmarks'
  coordinates; movement adds to it, so it is an upper bound on moving clips;
* ``still``: the stillest second, the smallest mean SD of those landmarks over any 1 s
  of the clip (the person's own sway and the model's slow wander together);
* ``shape``: the stillest second of the landmarks' spread about the body's own
  movement, each frame's landmarks fitted to the second's mean shape by a shift, turn
  and scale first (:func:`shape_spread`): what moves the angles, without the sway.

``--noise PCT [--wander S]`` shakes the renders' landmarks as the noise benchmarks do
(``synth.capture.jittered``), to set the benchmarks' noise beside the real clips'.

Real clips from ``../shared/clips`` (skipped when absent) and rendered clips from
``--renders DIR`` (default: ``sample_videos``), each tracked once into the track cache
(``benchmarks/accuracy.py``). Prints a line per clip and writes
``benchmarks/results/jitter.json`` / ``.md``.

Usage: python benchmarks/jitter.py [--renders DIR] [--name NAME] [--noise PCT [--wander S]]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import REAL, cached_track  # noqa: E402  (the shared track cache)

from formcheck.filters import reading_jitter  # noqa: E402
from formcheck.pose import Landmark  # noqa: E402
from formcheck.synth.capture import jittered  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
BODY = [getattr(Landmark, f"{s}_{p}") for p in ("SHOULDER", "HIP", "KNEE", "ANKLE", "HEEL")
        for s in ("LEFT", "RIGHT")]
STILL_S = 1.0


def shape_spread(seg: np.ndarray) -> float:
    """Mean SD of points ``seg`` ``(T, K, 2)`` about their mean shape, each frame fitted
    to it by a shift, turn and scale (least squares)."""
    x = seg - seg.mean(axis=1, keepdims=True)
    mean = x.mean(axis=0)
    fitted = np.empty_like(x)
    for i, f in enumerate(x):
        u, sv, vt = np.linalg.svd(f.T @ mean)
        rot = u @ vt
        fitted[i] = f @ rot * (sv.sum() / max(float((f ** 2).sum()), 1e-12))
    return float(np.mean(np.std(fitted, axis=0)))


def shake(track) -> tuple[float, float, float]:
    """``(jitter, still, shape)`` of ``track``'s body landmarks, % of the frame's longer
    side."""
    w, h = track.image_wh
    xy = track.image_xyz[:, BODY, :2] * np.array([w, h]) / max(w, h) * 100
    per = [reading_jitter(v[np.isfinite(v)]) for v in xy.reshape(len(xy), -1).T]
    per = [p for p in per if np.isfinite(p)]
    jitter = float(np.median(per)) if per else float("nan")
    fps = 1.0 / float(np.median(np.diff(track.t))) if len(track) > 1 else 0.0
    n = max(int(round(STILL_S * fps)), 3)
    still = shape = float("inf")
    for s in range(len(xy) - n + 1):
        seg = xy[s:s + n]
        if np.isfinite(seg).all():
            still = min(still, float(np.mean(np.std(seg, axis=0))))
            shape = min(shape, shape_spread(seg))
    return tuple(v if np.isfinite(v) else float("nan") for v in (jitter, still, shape))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--renders", type=Path, default=REPO / "sample_videos")
    ap.add_argument("--name", default="jitter", help="results file name (no suffix)")
    ap.add_argument("--noise", type=float, default=0.0,
                    help="shake the renders' landmarks by this %% of the frame")
    ap.add_argument("--wander", type=float, default=0.0, help="that noise wandering over ~S s")
    args = ap.parse_args()
    groups = {"real": sorted(REAL.glob("*.mp4")) if REAL.is_dir() else [],
              "rendered": sorted(args.renders.glob("*.mp4"))}
    if not groups["real"]:
        print(f"no real clips in {REAL}: only the renders are measured")
    rows = []
    for kind, clips in groups.items():
        for clip in clips:
            track = cached_track(clip)[0]
            if kind == "rendered" and args.noise > 0:
                track = jittered(track, args.noise / 100, len(rows), args.wander)
            jitter, still, shape = shake(track)
            rows.append({"kind": kind, "clip": clip.stem, "jitter_pct": round(jitter, 3),
                         "still_pct": round(still, 3), "shape_pct": round(shape, 3)})
            print(f"{kind:8s} {clip.stem[:50]:50s} jitter {jitter:5.2f} %  still {still:5.2f} %"
                  f"  shape {shape:5.2f} %", flush=True)
    summary = {}
    for kind in groups:
        mine = [r for r in rows if r["kind"] == kind]
        if mine:
            j = [r["jitter_pct"] for r in mine]
            st = [r["still_pct"] for r in mine]
            sh = [r["shape_pct"] for r in mine]
            summary[kind] = {"clips": len(mine), "jitter_median": round(float(np.median(j)), 3),
                             "jitter_max": round(float(np.max(j)), 3),
                             "still_median": round(float(np.nanmedian(st)), 3),
                             "still_max": round(float(np.nanmax(st)), 3),
                             "shape_median": round(float(np.nanmedian(sh)), 3),
                             "shape_max": round(float(np.nanmax(sh)), 3)}
            print(f"{kind}: {summary[kind]}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%Y-%m-%d %H:%M")
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": run, "renders": str(args.renders), "noise_pct": args.noise,
         "wander_s": args.wander, "summary": summary, "rows": rows}, indent=1))
    shaken = (f"; their landmarks shaken by {args.noise} % of the frame"
              + (f", wandering over ~{args.wander} s" if args.wander else "")
              if args.noise > 0 else "")
    lines = ["# How much the landmarks shake: real clips against renders", "",
             f"Run {run} by `benchmarks/jitter.py` (its docstring defines the numbers; "
             f"renders from `{args.renders}`{shaken}), in % of the frame's longer side.", "",
             "| clips | n | jitter median | jitter max | stillest second median | max "
             "| shape median | shape max |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {k} | {v['clips']} | {v['jitter_median']:.2f} | {v['jitter_max']:.2f} | "
              f"{v['still_median']:.2f} | {v['still_max']:.2f} | {v['shape_median']:.2f} | "
              f"{v['shape_max']:.2f} |" for k, v in summary.items()]
    lines += ["", "| kind | clip | jitter % | stillest second % | shape % |",
              "|---|---|---|---|---|"]
    lines += [f"| {r['kind']} | {r['clip']} | {r['jitter_pct']:.2f} | {r['still_pct']:.2f} | "
              f"{r['shape_pct']:.2f} |" for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print(f"written: {RESULTS / args.name}.json, .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
