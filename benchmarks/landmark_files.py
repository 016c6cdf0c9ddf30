"""Landmark files as other tools export them: does the count survive what they leave out?

Public pose data and other apps' exports often carry MediaPipe's landmarks without all
of what formcheck's own files hold: no world landmarks (only the picture's), no
visibility, or neither; or the picture's x and y in pixels without z. Each real clip
(``../shared/clips``, expectations from ``tests/data/real_clips.toml``; or, with
``--renders DIR``, rendered clips and their truth) is tracked once (the track cache of
``benchmarks/accuracy.py``), written as a landmark CSV in each of those forms, read back
with :func:`formcheck.track_io.load_track` and analysed as ``formcheck analyze
--landmarks`` would. The count of each form is set against the clip's expectation.

Prints a line per clip and side and writes ``benchmarks/results/landmark_files.json`` /
``.md`` (``--name``).

Usage: python benchmarks/landmark_files.py [--renders DIR] [--name NAME]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import cached_track, clip_cases  # noqa: E402  (the shared track cache)

from formcheck.analysis import DEFAULT_ANALYSIS_FPS, analyze_landmarks  # noqa: E402
from formcheck.pose import PoseTrack  # noqa: E402
from formcheck.protocol import PatientSettings  # noqa: E402
from formcheck.track_io import load_track, save_track  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
RESULTS = REPO / "benchmarks" / "results"


def _no_world(track: PoseTrack) -> PoseTrack:
    return dataclasses.replace(track, world_xyz=np.full_like(track.world_xyz, np.nan))


def _no_visibility(track: PoseTrack) -> PoseTrack:
    return dataclasses.replace(track, visibility=np.full_like(track.visibility, np.nan))


def _pixels_no_z(track: PoseTrack) -> PoseTrack:
    image = track.image_xyz.copy()
    image[..., :2] *= track.image_wh
    image[..., 2] = np.nan
    return dataclasses.replace(track, image_xyz=image)


FORMS = {
    "full": lambda tr: tr,
    "no world": _no_world,
    "no visibility": _no_visibility,
    "picture only": lambda tr: _no_visibility(_no_world(tr)),
    "pixels, no z": _pixels_no_z,
}
"""What a file holds: everything; no world landmarks; no visibility; neither; image x and
y in pixels without z."""


def through_a_file(track: PoseTrack, folder: Path) -> PoseTrack:
    """``track`` written as a landmark CSV and read back (empty cells where it has NaN)."""
    path = save_track(track, folder / "track.csv")
    path.write_text(path.read_text().replace(",nan", ","))
    return load_track(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--renders", type=Path, default=None,
                    help="instead of the real clips: rendered clips (*.mp4 with *.truth.json)")
    ap.add_argument("--name", default="landmark_files", help="results file name (no suffix)")
    ap.add_argument("--fps", type=float, default=DEFAULT_ANALYSIS_FPS,
                    help="rows a second in the files (the clip tracked at this rate)")
    args = ap.parse_args()
    found = clip_cases(args.renders)
    if found is None:
        print(f"real clips not present at {CLIPS}")
        return 1
    cases, folder = found
    rows, started = [], time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            track, truncated = cached_track(folder / case["clip"], analysis_fps=args.fps)
            files = {form: through_a_file(change(track), Path(tmp))
                     for form, change in FORMS.items()}
            for side in case["sides"]:
                row = {"clip": Path(case["clip"]).stem, "exercise": case["exercise"],
                       "side": side, "expected": case["reps"], "tolerance": case["tolerance"]}
                for form, loaded in files.items():
                    res = analyze_landmarks(loaded, case["exercise"], PatientSettings(side),
                                            "en", truncated=truncated)
                    warned = case.get("or_warning") in {w.code for w in res.warnings}
                    row[form] = res.rep_count
                    row[form + " ok"] = abs(res.rep_count - case["reps"]) <= case["tolerance"] \
                        or (warned and res.rep_count == 0)
                rows.append(row)
                print(f"{row['clip'][:36]:36s} {side[0]} {case['exercise'][:12]:12s} "
                      f"expected {case['reps']}±{case['tolerance']}  "
                      + "  ".join(f"{form} {row[form]:2d}{'' if row[form + ' ok'] else '!'}"
                                  for form in FORMS), flush=True)
    n = len(rows)
    summary = {form: {"as_expected": sum(r[form + " ok"] for r in rows),
                      "exact": sum(r[form] == r["expected"] for r in rows)} for form in FORMS}
    summary_line = ", ".join(f"{form} {s['as_expected']}/{n} ({s['exact']} exact)"
                             for form, s in summary.items())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(
        {"run": time.strftime("%Y-%m-%d %H:%M"), "cases": n, "summary": summary,
         "seconds": round(time.time() - started), "rows": rows}, indent=1))
    lines = [f"# Landmark files without world landmarks or visibility "
             f"({'rendered' if args.renders else 'real'} clips)", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M')} by `benchmarks/landmark_files.py`: each "
             "clip's track written as a landmark CSV in five forms (everything; world cells "
             "empty; visibility cells empty; both empty; image x and y in pixels, z empty) at "
             f"{args.fps:g} rows a second, read "
             "back and analysed as `formcheck analyze --landmarks` does (its rows taken at "
             "the analysis rate, and again at a finer one for quick reps, up to the file's); "
             f"expectations from {args.renders or 'tests/data/real_clips.toml'}.", "",
             f"Within expectation: {summary_line}.", "",
             "| clip | side | exercise | expected | " + " | ".join(FORMS) + " |",
             "|---|---|---|---|" + "---|" * len(FORMS)]
    lines += [f"| {r['clip']} | {r['side']} | {r['exercise']} | {r['expected']}±{r['tolerance']}"
              " | " + " | ".join(f"{r[f]}{'' if r[f + ' ok'] else ' (miss)'}" for f in FORMS)
              + " |" for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print(f"within expectation: {summary_line}")
    print(f"written: benchmarks/results/{args.name}.json, {args.name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
