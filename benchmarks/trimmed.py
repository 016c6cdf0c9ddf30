"""Real clips started or stopped mid-rep: does the count depend on where the recording starts?

A patient presses record when they are ready, not at a rest between reps; a clinician
stops a recording mid-rep. Each real clip (``../shared/clips``, cases from
``tests/data/real_clips.toml``) is analysed whole, as a recording is
(:func:`~formcheck.analysis.analyze_tracked`), and its completed reps are taken as the
reference. Its poses (the track at the rate that analysis used) are then cut at a quarter,
half and three quarters of the way through each completed rep, once as the recording's
start (the poses before are dropped, times start again at 0) and once as its end, and
analysed again (:func:`~formcheck.analysis.analyze_track`). Cuts leaving less than
``--min-s`` seconds are skipped (a recording that short is no set).

Expected: the reference reps wholly on the kept side of the cut, plus at most the rep
cut in two (how much of it shows decides whether it counts). Reported per clip and
overall: the cuts, the share counted as expected, and every other count with its
difference (``got − whole reps kept``). Writes ``benchmarks/results/trimmed.json`` /
``.md`` (``--name``: another name). Needs only the track cache and the clips.

Usage: python benchmarks/trimmed.py [--min-s S] [--name NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import cached_track  # noqa: E402  (the shared track cache)

from formcheck.analysis import analyze_track, analyze_tracked  # noqa: E402
from formcheck.protocol import PatientSettings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
RESULTS = REPO / "benchmarks" / "results"
FRACTIONS = (0.25, 0.5, 0.75)
"""Where in a rep (start to end) a cut falls."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--min-s", type=float, default=3.0,
                    help="skip cuts leaving a recording shorter than this (seconds)")
    ap.add_argument("--name", default="trimmed", help="results file name (no suffix)")
    args = ap.parse_args()
    if not (CLIPS / "clips.json").is_file():
        print(f"real clips not present at {CLIPS}")
        return 1
    cases = tomllib.loads((REPO / "tests" / "data" / "real_clips.toml").read_text())["case"]
    rows, cuts, started = [], [], time.time()
    for case in cases:
        path = CLIPS / case["clip"]
        for side in case["sides"]:
            settings = PatientSettings(side)
            whole = analyze_tracked(cached_track(path),
                                    lambda fps, p=path: cached_track(p, True, fps),
                                    case["exercise"], settings, "en")
            track = whole.track
            reps = [(r.start_s, r.end_s) for r in whole.reps if r.completed]
            row = {"clip": path.stem, "exercise": case["exercise"], "side": side,
                   "reps": len(reps), "cuts": 0, "as_expected": 0, "off": []}
            for k, (s, e) in enumerate(reps):
                for frac in FRACTIONS:
                    at = s + frac * (e - s)
                    i = int(np.searchsorted(track.t, at))
                    for keep in ("after", "before"):
                        a, b = (i, len(track)) if keep == "after" else (0, i)
                        if b - a < 2 or track.t[b - 1] - track.t[a] < args.min_s:
                            continue
                        kept = sum(s2 >= at if keep == "after" else e2 <= at
                                   for s2, e2 in reps)
                        got = analyze_track(track.part(a, b, restart=keep == "after"),
                                            case["exercise"], settings, "en").rep_count
                        ok = kept <= got <= kept + 1
                        row["cuts"] += 1
                        row["as_expected"] += ok
                        cuts.append(got - kept)
                        if not ok:
                            row["off"].append({"rep": k + 1, "at": frac, "kept": keep,
                                               "whole_reps": kept, "got": got})
            rows.append(row)
            print(f"{row['clip'][:40]:40s} {side[0]} reps {row['reps']:2d}  cuts {row['cuts']:3d}"
                  f"  as expected {row['as_expected']:3d}"
                  + "".join(f"  [rep {o['rep']} at {o['at']:g}, {o['kept']}: {o['got']} for "
                            f"{o['whole_reps']}]" for o in row["off"]), flush=True)
    n, ok = sum(r["cuts"] for r in rows), sum(r["as_expected"] for r in rows)
    diffs = dict(sorted(Counter(cuts).items()))
    summary = {"cases": len(rows), "cuts": n, "as_expected": ok, "min_s": args.min_s,
               "difference_counts": {str(k): v for k, v in diffs.items()},
               "seconds": round(time.time() - started)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%Y-%m-%d %H:%M")
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": run, "summary": summary, "rows": rows}, indent=1))
    lines = ["# Real clips started or stopped mid-rep", "",
             f"Run {run} by `benchmarks/trimmed.py`: each real clip analysed whole, then its "
             "poses cut a quarter, half and three quarters of the way through each completed "
             "rep, as the recording's start and as its end, and analysed again (cuts leaving "
             f"under {args.min_s:g} s skipped). Expected: the whole recording's reps on the "
             "kept side, plus at most the rep cut in two.", "",
             f"**{ok}/{n} cuts counted as expected** over {len(rows)} cases.", "",
             "| got − whole reps kept | cuts |", "|---|---|"]
    lines += [f"| {k:+d} | {v} |" for k, v in diffs.items()]
    lines += ["", "| clip | side | exercise | reps | cuts | as expected | other counts |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['clip']} | {r['side']} | {r['exercise']} | {r['reps']} | {r['cuts']} | "
              f"{r['as_expected']} | " + ("; ".join(
                  f"rep {o['rep']} at {o['at']:g}, {o['kept']} kept: {o['got']} for "
                  f"{o['whole_reps']}" for o in r["off"]) or "–") + " |" for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print(f"as expected {ok}/{n}; got − kept: {diffs}")
    print(f"written: benchmarks/results/{args.name}.json, {args.name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
