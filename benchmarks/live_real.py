"""The live engine on real clips: does the home self-check count what the recording does?

Each real clip (``../shared/clips``, expectations from ``tests/data/real_clips.toml``)
is fed pose by pose to :class:`formcheck.live.LiveSession`, the engine behind the live
page, as a patient in front of a webcam would give it: first the clip's most start-like
picture (the movement signal at its resting level and still) held still for ``--lead``
seconds (the live page asks for placement, a countdown and a still start pose), then
the clip at the analysis rate, then the end of the stream (:meth:`LiveSession.finish`:
a last rep cut off more than half-way back and still coming back counts, as in the
recorded analysis; live the patient is still there and comes back up). The live count
(causal, calibrated on that still start) is set against the clip's expectation and
against the recorded-video analysis of the same poses.

Prints a line per clip and side and writes ``benchmarks/results/live_real.json`` / ``.md``.

Usage: python benchmarks/live_real.py [--lead S] [--renders DIR --name NAME] [--noise PCT
       [--shake-lead]]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import cached_track, clip_cases  # noqa: E402  (the shared track cache)

from formcheck.analysis import analyze_track  # noqa: E402
from formcheck.kinematics import estimate_view  # noqa: E402
from formcheck.live import LiveSession  # noqa: E402
from formcheck.protocol import PatientSettings  # noqa: E402
from formcheck.session import ExerciseSession  # noqa: E402
from formcheck.synth.capture import jittered  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
RESULTS = REPO / "benchmarks" / "results"


STILL_DEG_S = 10.0
"""A start picture's signal changes slower than this (degrees a second)."""


def start_picture(track, result) -> int | None:
    """The frame most like the start pose: the (calibrated) movement signal nearest 0 and
    still, in a frame seen from the recording's main view (placed as for the set).

    At rest means under the exercise's start level and still (:data:`STILL_DEG_S`): a slow
    lift's way down passes under the start level, and a knee lift filmed obliquely may read
    side-on (the main view) only with the knee up. When the main view never shows the
    person at rest (a sit-to-stand seen side-on standing and obliquely seated), a frame at
    rest from another view the exercise is filmed from is taken (the patient is placed
    that way live); only when there is none, the least raised frame of the main view.
    """
    signal = result.measures[result.spec.signal]
    score = np.abs(signal) + np.abs(np.gradient(signal)) if len(signal) > 1 else np.abs(signal)
    ok = np.isfinite(signal) & np.array([track.frame(i) is not None for i in range(len(track))])
    views = [None if f is None else estimate_view(f.pixel_xy()[None])
             for f in map(track.frame, range(len(track)))]
    main = np.array([v == result.view for v in views])
    accepted = np.array([v in result.spec.views for v in views])
    rate = np.abs(np.gradient(signal, track.t)) if len(signal) > 1 else np.zeros(len(signal))
    rest = ok & (np.abs(np.nan_to_num(signal, nan=np.inf)) < result.spec.start_deg) \
        & (np.nan_to_num(rate, nan=np.inf) < STILL_DEG_S)
    for where in (rest & main, rest & accepted, ok & main, ok):
        if where.any():
            return int(np.flatnonzero(where)[np.argmin(score[where])])
    return None


def live_count(track, exercise: str, side: str, lead_s: float, start: int | None,
               noise: float = 0.0, clean=None) -> tuple[int, str, str]:
    """Live rep count on ``track`` after a still lead-in; also the last phase and view.

    ``noise`` (fraction of the frame): ``track`` is ``clean`` shaken by that much, and so is
    every frame of the lead-in, each on its own (a held pose shows the model's noise too).
    """
    first = next((i for i in range(len(track)) if track.frame(i) is not None), None)
    live = LiveSession(exercise, PatientSettings(side), "en", fs_hz=10.0)
    if first is None:
        return 0, live.state.phase, live.state.view
    dt = float(track.t[1] - track.t[0]) if len(track) > 1 else 0.1
    n = int(round(lead_s / dt))
    source = clean if noise and clean is not None else track
    held = [first if start is None else start] * n
    lead = dataclasses.replace(source, t=np.arange(n) * dt, **{
        k: getattr(source, k)[held] for k in ("image_xyz", "visibility", "world_xyz",
                                               "n_people")})
    if noise and clean is not None:
        lead = jittered(lead, noise, seed=1)
    for k in range(n):
        live.process_pose(lead.frame(k), k * dt)
    if live.session is not None:
        # Counting starts with the clip's first frame, as the recording's analysis does:
        # the held picture is not what the patient did just before the clip (a clip that
        # opens on the way back of an unfilmed rep would jump there from it, in one frame,
        # and that jump would count as the rep's way up).
        live.session = ExerciseSession(live.spec, live.settings, live.state.view,
                                       live.programme)
    for i in range(first, len(track)):
        live.process_pose(track.frame(i), lead_s + float(track.t[i] - track.t[first]))
    # The patient is still there when the clip ends: a last rep on its way back is
    # finished, as the live page closes a stream (LiveSession.finish).
    st = live.finish()
    return st.rep_count, st.phase, st.view


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lead", type=float, default=7.0,
                    help="seconds the first picture is held still before the clip plays")
    ap.add_argument("--renders", type=Path, default=None,
                    help="instead of the real clips: rendered clips (*.mp4 with *.truth.json)")
    ap.add_argument("--name", default="live_real", help="results file name (without suffix)")
    ap.add_argument("--noise", type=float, default=0.0,
                    help="landmark noise, %% of the frame (as benchmarks/perturbed.py), on "
                         "the poses given to both the live and the recorded analysis")
    ap.add_argument("--shake-lead", action="store_true",
                    help="with --noise, shake every frame of the lead-in too, each on its own "
                         "(by default the lead-in holds one shaken frame: no noise to read)")
    args = ap.parse_args()
    found = clip_cases(args.renders)
    if found is None:
        print(f"real clips not present at {CLIPS}")
        return 1
    cases, folder = found
    rows = []
    started = time.time()
    for case in cases:
        clean, truncated = cached_track(folder / case["clip"])
        track = jittered(clean, args.noise / 100) if args.noise else clean
        for side in case["sides"]:
            offline = analyze_track(track, case["exercise"], PatientSettings(side), "en",
                                    truncated=truncated)
            codes = [w.code for w in offline.warnings]
            start = start_picture(track, offline)
            reps, phase, view = live_count(track, case["exercise"], side, args.lead, start,
                                           args.noise / 100 if args.shake_lead else 0.0,
                                           clean)
            ok = abs(reps - case["reps"]) <= case["tolerance"]
            warned = case.get("or_warning") in codes
            row = {"clip": Path(case["clip"]).stem, "exercise": case["exercise"],
                   "side": side, "expected": case["reps"], "tolerance": case["tolerance"],
                   "offline": offline.rep_count, "live": reps, "live_phase": phase,
                   "live_view": view, "as_expected": ok or (warned and reps == 0),
                   "same_as_offline": reps == offline.rep_count}
            rows.append(row)
            print(f"{row['clip'][:36]:36s} {side[0]} {case['exercise'][:12]:12s} "
                  f"expected {case['reps']}±{case['tolerance']}  offline {offline.rep_count:2d}"
                  f"  live {reps:2d} ({phase}, {view})  "
                  f"{'ok' if row['as_expected'] else 'MISS'}", flush=True)
    n = len(rows)
    summary = {"cases": n, "as_expected": sum(r["as_expected"] for r in rows),
               "same_as_offline": sum(r["same_as_offline"] for r in rows),
               "lead_s": args.lead, "seconds": round(time.time() - started)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": time.strftime("%Y-%m-%d %H:%M"), "summary": summary, "rows": rows}, indent=1))
    lines = [f"# The live engine on {'rendered' if args.renders else 'real'} clips", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M')} by `benchmarks/live_real.py`: each clip's "
             "poses fed one by one to the live engine after its most start-like picture "
             f"held still for {args.lead:g} s; expectations from "
             f"{args.renders or 'tests/data/real_clips.toml'}.", "",
             f"As expected: {summary['as_expected']}/{n}; same count as the recorded-video "
             f"analysis: {summary['same_as_offline']}/{n}.", "",
             "| clip | side | exercise | expected | offline | live | live phase, view |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['clip']} | {r['side']} | {r['exercise']} | {r['expected']}±"
              f"{r['tolerance']} | {r['offline']} | {r['live']}"
              f"{'' if r['as_expected'] else ' (miss)'} | {r['live_phase']}, {r['live_view']} |"
              for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print(f"as expected {summary['as_expected']}/{n}, same as offline "
          f"{summary['same_as_offline']}/{n}")
    print(f"written: benchmarks/results/{args.name}.json, {args.name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
