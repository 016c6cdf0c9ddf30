"""Real clips played faster, slower, backwards, with a shakier or lost pose: does the count hold?

Patients move at their own pace: a frail patient may take two or three times as long
as the person in a clip, a fit one half as long; and the pose model's landmarks shake
more in a poor picture. Each real clip's poses (the cached track at the analysis
rate, ``../shared/clips``, expectations from ``tests/data/real_clips.toml``) are
perturbed and analysed again:

* ``fast1.5``: played 1.5× faster (the same poses, closer together in time);
* ``slow0.6`` / ``slow0.4``: played at 0.6× / 0.4× speed, the poses linearly
  interpolated back to the analysis rate (what a slower patient filmed at the same
  rate would give, without the model's frame-to-frame noise of the extra frames);
* ``reversed``: played backwards (squats only, where down and up are alike);
* ``noise0.3`` / ``noise0.6`` / ``noise1.0``: independent noise of 0.3 / 0.6 / 1 % of
  the frame on every landmark in every frame (:func:`formcheck.synth.capture.jittered`;
  the model's own frame-to-frame shake, measured the same way, is 0.02-0.13 % on
  the clips that move slowly enough to tell it from the movement);
* ``lost15``: nobody found in a random 15 % of the frames (motion blur);
  ``gaps``: nobody found for 0.5 s every 4 s (passing behind furniture; reps
  within a gap cannot be seen);
* ``rate5``: every other pose (5 a second), as from a slow phone or a video of that
  frame rate: no finer rate to track it at.

Each clip is analysed as a recording is (:func:`~formcheck.analysis.analyze_tracked`):
quick reps sampled too sparsely are analysed again on the track at the finer rate,
perturbed the same way (``--first-rate``: only at the first rate, as runs before
2026-12-03 did; a lost frame there costs a quick rep more than it does a recording).

The expected count is the clip's own. Prints a line per clip and side and writes
``benchmarks/results/perturbed.json`` / ``.md`` (``--name``: another name). Needs only
the track cache and the clips (the model runs once per clip and rate, the first time).

Usage: python benchmarks/perturbed.py [--name NAME] [--first-rate]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import cached_track  # noqa: E402  (the shared track cache)

from formcheck.analysis import analyze_track, analyze_tracked  # noqa: E402
from formcheck.pose import PoseTrack  # noqa: E402
from formcheck.protocol import PatientSettings  # noqa: E402
from formcheck.synth.capture import jittered, retimed, without_person  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
RESULTS = REPO / "benchmarks" / "results"
RATE_HZ = 10.0


def backwards(track: PoseTrack) -> PoseTrack:
    """Played backwards."""
    return dataclasses.replace(track.take(slice(None, None, -1)), t=track.t[-1] - track.t[::-1])


def every_other(track: PoseTrack) -> PoseTrack:
    """Every other pose, as from a video of that rate (so no finer rate to track it at)."""
    half = track.take(slice(None, None, 2))
    rate = 1.0 / float(np.median(np.diff(half.t))) if len(half) > 1 else 0.0
    return dataclasses.replace(half, meta={**track.meta, "fps": rate})


PERTURBATIONS: dict[str, Callable[[PoseTrack], PoseTrack]] = {
    "fast1.5": lambda tr: retimed(tr, 1.5),
    "slow0.6": lambda tr: retimed(tr, 0.6, RATE_HZ),
    "slow0.4": lambda tr: retimed(tr, 0.4, RATE_HZ),
    "reversed": backwards,
    "noise0.3": lambda tr: jittered(tr, 0.003),
    "noise0.6": lambda tr: jittered(tr, 0.006),
    "noise1.0": lambda tr: jittered(tr, 0.010),
    "lost15": lambda tr: without_person(tr, np.random.default_rng(0).random(len(tr)) < 0.15),
    "gaps": lambda tr: without_person(tr, (tr.t - tr.t[0]) % 4.0 >= 3.5),
    "rate5": every_other,
}
SYMMETRIC = {"mini_squat"}
"""Exercises whose movement reads the same backwards (no hold at the top)."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", default="perturbed", help="results file name (no suffix)")
    ap.add_argument("--first-rate", action="store_true",
                    help="analyse only the track at the first rate")
    args = ap.parse_args()
    if not (CLIPS / "clips.json").is_file():
        print(f"real clips not present at {CLIPS}")
        return 1
    cases = tomllib.loads((REPO / "tests" / "data" / "real_clips.toml").read_text())["case"]
    rows, started = [], time.time()
    for case in cases:
        path = CLIPS / case["clip"]
        track, truncated = cached_track(path)
        for side in case["sides"]:
            row = {"clip": Path(case["clip"]).stem, "exercise": case["exercise"], "side": side,
                   "expected": case["reps"], "tolerance": case["tolerance"], "counts": {},
                   "as_expected": {}}
            for name, retime in PERTURBATIONS.items():
                if name == "reversed" and case["exercise"] not in SYMMETRIC:
                    continue
                cut = truncated and name != "reversed"
                settings = PatientSettings(side)
                if args.first_rate:
                    res = analyze_track(retime(track), case["exercise"], settings, "en",
                                        truncated=cut)
                else:
                    def at(fps: float, p: Path = path, f: Callable = retime,
                           keep: bool = name != "reversed") -> tuple:
                        finer, cut_f = cached_track(p, True, fps)
                        return f(finer), cut_f and keep
                    res = analyze_tracked((retime(track), cut), at, case["exercise"], settings,
                                          "en")
                warned = case.get("or_warning") in [w.code for w in res.warnings]
                ok = abs(res.rep_count - case["reps"]) <= case["tolerance"] or (
                    warned and res.rep_count == 0)
                row["counts"][name], row["as_expected"][name] = res.rep_count, ok
            rows.append(row)
            print(f"{row['clip'][:36]:36s} {side[0]} expected {case['reps']}±{case['tolerance']}  "
                  + "  ".join(f"{k} {v}{'' if row['as_expected'][k] else ' MISS'}"
                              for k, v in row["counts"].items()), flush=True)
    summary = {name: {"cases": sum(name in r["counts"] for r in rows),
                      "as_expected": sum(r["as_expected"].get(name, False) for r in rows),
                      "exact": sum(r["counts"].get(name) == r["expected"] for r in rows)}
               for name in PERTURBATIONS}
    summary["seconds"] = round(time.time() - started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%Y-%m-%d %H:%M")
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": run, "summary": summary, "rows": rows}, indent=1))
    lines = ["# Real clips re-timed and shaken", "",
             f"Run {run} by `benchmarks/perturbed.py`"
             f"{' --first-rate' if args.first_rate else ''}: each real clip's poses played faster, "
             "slower (interpolated to the analysis rate), for squats backwards, with "
             "independent noise of 0.3-1 % of the frame on every landmark, and with nobody "
             "found in some frames, and analysed as a recording is (quick reps again at the "
             "finer rate, perturbed the same way, unless --first-rate); the expected count is "
             "the clip's own "
             "(tests/data/real_clips.toml).", "",
             "| perturbation | cases | as expected | exact |", "|---|---|---|---|"]
    lines += [f"| {k} | {v['cases']} | {v['as_expected']} | {v['exact']} |"
              for k, v in summary.items() if k != "seconds"]
    lines += ["", "| clip | side | expected | " + " | ".join(PERTURBATIONS) + " |",
              "|---|---|---|" + "---|" * len(PERTURBATIONS)]
    lines += [f"| {r['clip']} | {r['side']} | {r['expected']}±{r['tolerance']} | " + " | ".join(
        (f"{r['counts'][k]}{'' if r['as_expected'][k] else ' (miss)'}" if k in r["counts"]
         else "–") for k in PERTURBATIONS) + " |" for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    for k, v in summary.items():
        if k != "seconds":
            print(f"{k}: as expected {v['as_expected']}/{v['cases']}, exact {v['exact']}")
    print(f"written: benchmarks/results/{args.name}.json, {args.name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
