"""Command line: ``python -m formcheck.synth render ...`` and ``... samples``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from formcheck.synth.body import BODY_PRESETS, BodyDataError, ensure_body_data
from formcheck.synth.clip import ClipSpec, render_clip
from formcheck.synth.exercises import EXERCISES, SPECS


def _view_of(azimuth: float | None, default: str) -> str:
    """Name the view of a camera azimuth (None: the exercise's best view)."""
    if azimuth is None:
        return default
    a = abs((azimuth + 180.0) % 360.0 - 180.0)
    if a <= 15.0 or a >= 165.0:
        return "side"
    if 75.0 <= a <= 105.0:
        return "front" if azimuth % 360.0 < 180.0 else "back"
    return "oblique"


def main(argv: list[str] | None = None) -> int:
    """Run the synth command line; return the exit code."""
    ap = argparse.ArgumentParser(prog="python -m formcheck.synth",
                                 description="Render synthetic exercise clips with ground truth.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="render one clip (+ <name>.truth.json beside it)")
    r.add_argument("--exercise", required=True, choices=EXERCISES)
    r.add_argument("--side", default="left", choices=("left", "right"), help="operated side")
    r.add_argument("--view", default=None, choices=("side", "front", "oblique"),
                   help="default: the exercise's best view")
    r.add_argument("--faults", default="", help='per-rep faults, e.g. "2:trunk_lean,4:too_fast"')
    r.add_argument("--reps", type=int, default=5, help="movements performed (incl. faulty ones)")
    r.add_argument("--out", required=True, type=Path)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--body", default="female", choices=sorted(BODY_PRESETS))
    r.add_argument("--azimuth", type=float, default=None,
                   help="degrees from the operated flank: 0 side, 90 front, 30 oblique")
    r.add_argument("--distance", type=float, default=None, help="metres (horizontal)")
    r.add_argument("--height", type=float, default=None, help="camera height, metres")
    r.add_argument("--crf", type=int, default=23)
    r.add_argument("--backend", default="auto", choices=("auto", "gl", "cv"))
    s = sub.add_parser("samples", help="(re)generate sample_videos/ deterministically")
    s.add_argument("--out-dir", type=Path, default=Path("sample_videos"))
    s.add_argument("--only", default="", help="comma-separated clip names to render")
    s.add_argument("--check", action="store_true",
                   help="run MediaPipe on each clip and put detection rates in the README")
    sub.add_parser("fetch", help="download the body data into the cache")
    c = sub.add_parser("check", help="MediaPipe pose detection rate of rendered clips")
    c.add_argument("videos", nargs="+", type=Path)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "fetch":
            print(ensure_body_data())
        elif args.cmd == "check":
            from formcheck.synth.check import detection_rate

            for video in args.videos:
                print(detection_rate(video), flush=True)
        elif args.cmd == "render":
            spec = ClipSpec(
                exercise=args.exercise, side=args.side,
                view=args.view or _view_of(args.azimuth, SPECS[args.exercise].best_view),
                reps=args.reps,
                faults=args.faults, seed=args.seed, body=args.body, azimuth_deg=args.azimuth,
                distance_m=args.distance, height_m=args.height, crf=args.crf,
                backend=args.backend,
            )
            render_clip(spec, args.out)
        else:
            from formcheck.synth.samples import render_samples

            only = [n for n in args.only.split(",") if n]
            render_samples(args.out_dir, only=only or None, check=args.check)
    except (BodyDataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
