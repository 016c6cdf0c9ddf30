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
  of the clip (the person's own sway and the model's slow wander together).

Real clips from ``../shared/clips`` (skipped when absent) and rendered clips from
``--renders DIR`` (default: ``sample_videos``), each tracked once into the track cache
(``benchmarks/accuracy.py``). Prints a line per clip and writes
``benchmarks/results/jitter.json`` / ``.md``.

Usage: python benchmarks/jitter.py [--renders DIR] [--name NAME]
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

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
BODY = [getattr(Landmark, f"{s}_{p}") for p in ("SHOULDER", "HIP", "KNEE", "ANKLE", "HEEL")
        for s in ("LEFT", "RIGHT")]
STILL_S = 1.0


def shake(track) -> tuple[float, float]:
    """``(jitter, still)`` of ``track``'s body landmarks, % of the frame's longer side."""
    w, h = track.image_wh
    xy = track.image_xyz[:, BODY, :2] * np.array([w, h]) / max(w, h) * 100
    per = [reading_jitter(v[np.isfinite(v)]) for v in xy.reshape(len(xy), -1).T]
    per = [p for p in per if np.isfinite(p)]
    jitter = float(np.median(per)) if per else float("nan")
    fps = 1.0 / float(np.median(np.diff(track.t))) if len(track) > 1 else 0.0
    n = max(int(round(STILL_S * fps)), 3)
    still = float("inf")
    for s in range(len(xy) - n + 1):
        seg = xy[s:s + n]
        if np.isfinite(seg).all():
            still = min(still, float(np.mean(np.std(seg, axis=0))))
    return jitter, still if np.isfinite(still) else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--renders", type=Path, default=REPO / "sample_videos")
    ap.add_argument("--name", default="jitter", help="results file name (no suffix)")
    args = ap.parse_args()
    groups = {"real": sorted(REAL.glob("*.mp4")) if REAL.is_dir() else [],
              "rendered": sorted(args.renders.glob("*.mp4"))}
    if not groups["real"]:
        print(f"no real clips in {REAL}: only the renders are measured")
    rows = []
    for kind, clips in groups.items():
        for clip in clips:
            jitter, still = shake(cached_track(clip)[0])
            rows.append({"kind": kind, "clip": clip.stem, "jitter_pct": round(jitter, 3),
                         "still_pct": round(still, 3)})
            print(f"{kind:8s} {clip.stem[:50]:50s} jitter {jitter:5.2f} %  still {still:5.2f} %",
                  flush=True)
    summary = {}
    for kind in groups:
        mine = [r for r in rows if r["kind"] == kind]
        if mine:
            j = [r["jitter_pct"] for r in mine]
            st = [r["still_pct"] for r in mine]
            summary[kind] = {"clips": len(mine), "jitter_median": round(float(np.median(j)), 3),
                             "jitter_max": round(float(np.max(j)), 3),
                             "still_median": round(float(np.nanmedian(st)), 3),
                             "still_max": round(float(np.nanmax(st)), 3)}
            print(f"{kind}: {summary[kind]}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%Y-%m-%d %H:%M")
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": run, "renders": str(args.renders), "summary": summary, "rows": rows}, indent=1))
    lines = ["# How much the landmarks shake: real clips against renders", "",
             f"Run {run} by `benchmarks/jitter.py` (its docstring defines the two numbers; "
             f"renders from `{args.renders}`), in % of the frame's longer side.", "",
             "| clips | n | jitter median | jitter max | stillest second median | max |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {k} | {v['clips']} | {v['jitter_median']:.2f} | {v['jitter_max']:.2f} | "
              f"{v['still_median']:.2f} | {v['still_max']:.2f} |" for k, v in summary.items()]
    lines += ["", "| kind | clip | jitter % | stillest second % |", "|---|---|---|---|"]
    lines += [f"| {r['kind']} | {r['clip']} | {r['jitter_pct']:.2f} | {r['still_pct']:.2f} |"
              for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print(f"written: {RESULTS / args.name}.json, .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
