"""Is a second person noticed, and at what cost? Real clips with and without a bystander.

Two sets, each analysed through the real pipeline (``track_video`` at the default rate,
then ``analyze_track``):

* composites (:mod:`formcheck.synth.bystander`): the first 12 s of a real clip with a
  smaller real person beside it; the ``multiple_people`` warning must come;
* every real clip in ``../shared/clips`` and every bundled sample as it is; the warning
  must not come; for the clips where someone else really is in view (listed in
  :data:`BYSTANDERS`, each checked by looking at its frames) either answer is right.

Prints and writes, per video, the share of analysed frames counted with two or more
people, whether the warning came, the CPU seconds (the process's, all threads) spent
searching the strips beside the person (:meth:`PoseEstimator._people_beside`) and
tracking in all, to
``benchmarks/results/people_count.json`` / ``people_count.md``.
``--whole-only`` counts in the whole frame only (the counting before the strips).
``--conditions far,overlay,…`` runs only the real clips, each re-encoded under those
capture conditions (:data:`formcheck.synth.capture.CONDITIONS`): a person far away in
a padded frame, a burned-in overlay, a shaking camera must not make a second person.

Usage: python benchmarks/people_count.py [--whole-only] [--conditions C,C,…] [--name NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from formcheck import pose
from formcheck.analysis import analyze_track, track_video
from formcheck.pose import PoseEstimator
from formcheck.protocol import PatientSettings
from formcheck.synth.bystander import with_bystander
from formcheck.synth.capture import degrade_video
from formcheck.video import VideoError

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
SAMPLES = REPO / "sample_videos"
RESULTS = REPO / "benchmarks" / "results"
COMPOSITES = [  # patient, bystander, bystander's height / patient frame's, bystander's side
    ("kratika_squat_front", "kanat_squat_front_two_variants", 0.5, "left"),
    ("kratika_squat_front", "kanat_squat_front_two_variants", 0.7, "right"),
    ("kratika_squat_front", "be23_squat", 0.5, "right"),
    ("kratika_squat_front", "venkat_lunges", 0.7, "right"),
    ("kratika_squat_front", "nmbl_sit_to_stand_side", 0.7, "left"),
    ("be23_squat", "kanat_squat_front_two_variants", 0.6, "right"),
    ("venkat_lunges", "kratika_squat_front", 0.7, "left"),
    ("belivan_older_box_squat_sit_to_stand_front_oblique", "nmbl_sit_to_stand_side", 0.6,
     "right"),
    ("ndnam_banded_knee_drives_oblique", "be23_standing_side_leg_raise", 0.5, "left"),
    ("frailty_sit_to_stand", "kratika_squat_front", 0.5, "right"),
]
BYSTANDERS = {
    "belivan_older_wall_supported_squat_side": "a therapist stands behind him, in full view",
    "renyun_wall_sit_knee_brace": "a clinician holding a laptop, cut by the right edge",
    "renyun_single_leg_stance_brace": "the same clinician at the right edge, at the end",
}
"""Real clips with someone else in view (seen in their frames)."""


class StripClock:
    """Adds up the CPU seconds :meth:`PoseEstimator._people_beside` takes (:meth:`install`)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def install(self) -> None:
        inner = PoseEstimator._people_beside

        def timed(est: PoseEstimator, *args: object) -> int:
            t0 = time.process_time()
            try:
                return inner(est, *args)
            finally:
                self.seconds += time.process_time() - t0
                self.calls += 1

        PoseEstimator._people_beside = timed  # type: ignore[method-assign]


def measure(est: PoseEstimator, clock: StripClock, path: Path) -> dict:
    est.reset()
    clock.seconds, clock.calls = 0.0, 0
    t0 = time.process_time()
    track, truncated = track_video(path, estimator=est)
    seconds = time.process_time() - t0
    res = analyze_track(track, "mini_squat", PatientSettings("left"), "en", truncated=truncated)
    return {"share_two": round(float(np.mean(track.n_people >= 2)), 3),
            "warned": "multiple_people" in {w.code for w in res.warnings},
            "strip_s": round(clock.seconds, 3), "strip_searches": clock.calls,
            "track_s": round(seconds, 2), "video_s": round(float(track.t[-1]), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--whole-only", action="store_true",
                    help="count in the whole frame only (no strips beside the person)")
    ap.add_argument("--conditions", default="",
                    help="only the real clips, under these capture conditions")
    ap.add_argument("--name", default=None, help="results file name (without suffix)")
    args = ap.parse_args()
    if not (CLIPS / "clips.json").is_file():
        print(f"real clips not present at {CLIPS}")
        return 1
    conditions = [c for c in args.conditions.split(",") if c]
    name = args.name or ("people_count_whole_only" if args.whole_only else "people_count")
    if conditions and not args.name:
        name = "people_count_" + "_".join(conditions)
    if args.whole_only:
        pose.strips_beside = lambda *a, **k: []
    clock = StripClock()
    clock.install()
    est = PoseEstimator()
    rows = []
    t_start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for condition in conditions:
            for src in sorted(CLIPS.glob("*.mp4")):
                path = Path(tmp) / src.name
                try:
                    degrade_video(src, path, condition, max_side=640)
                except VideoError as exc:  # a clip that breaks off: the frames before it
                    if exc.code != "truncated" or not path.is_file():
                        raise
                want = "either" if src.stem in BYSTANDERS else False
                rows.append({"video": f"{src.stem} ({condition})", "set": condition,
                             "want": want, "why": BYSTANDERS.get(src.stem, ""),
                             **measure(est, clock, path)})
                print(rows[-1], flush=True)
        for patient, other, scale, side in [] if conditions else COMPOSITES:
            label = f"{patient} + {other} ×{scale} {side}"
            path = with_bystander(CLIPS / f"{patient}.mp4", CLIPS / f"{other}.mp4",
                                  Path(tmp) / "two.mp4", scale, side, max_s=12.0, fps=10.0)
            rows.append({"video": label, "set": "composite", "want": True,
                         **measure(est, clock, path)})
            print(rows[-1], flush=True)
        singles = [] if conditions else sorted(CLIPS.glob("*.mp4")) + sorted(SAMPLES.glob("*.mp4"))
        for path in singles:
            want = "either" if path.stem in BYSTANDERS else False
            rows.append({"video": path.stem, "set": "real" if path.parent == CLIPS else "sample",
                         "want": want, "why": BYSTANDERS.get(path.stem, ""),
                         **measure(est, clock, path)})
            print(rows[-1], flush=True)
    est.close()
    summary = {}
    for s in conditions or ["composite", "real", "sample"]:
        sel = [r for r in rows if r["set"] == s]
        summary[s] = {"videos": len(sel), "warned": sum(r["warned"] for r in sel),
                      "as_wanted": sum(r["want"] in (r["warned"], "either") for r in sel),
                      "video_s": round(sum(r["video_s"] for r in sel), 1),
                      "strip_s": round(sum(r["strip_s"] for r in sel), 2),
                      "track_s": round(sum(r["track_s"] for r in sel), 2)}
        v = summary[s]
        v["strip_ms_per_video_s"] = round(1000 * v["strip_s"] / max(v["video_s"], 1e-9), 1)
        v["strip_share_of_tracking"] = round(v["strip_s"] / max(v["track_s"], 1e-9), 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    when = time.strftime("%Y-%m-%d %H:%M")
    (RESULTS / f"{name}.json").write_text(json.dumps(
        {"run": when, "whole_only": args.whole_only, "conditions": conditions,
         "seconds": round(time.time() - t_start),
         "summary": summary, "rows": rows}, indent=1))
    lines = [f"# People count{' (whole frame only)' if args.whole_only else ''}", "",
             f"Run {when} by `benchmarks/people_count.py`: composites (a real clip with a "
             "smaller real person beside it) must warn `multiple_people`; real clips and "
             "samples must not, except those with a real bystander. strip s: CPU seconds "
             "spent searching the strips beside the person; track s: CPU seconds of the "
             "whole tracking (decoding included).", "",
             "| set | videos | warned | as wanted | video s | strip s | track s | strip ms per "
             "video s |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {s} | {v['videos']} | {v['warned']} | {v['as_wanted']} | {v['video_s']} | "
              f"{v['strip_s']} | {v['track_s']} | {v['strip_ms_per_video_s']} |"
              for s, v in summary.items()]
    lines += ["", "| video | want | warned | share ≥2 | strip s | track s |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r['video']} | {r['want']} | {r['warned']} | {r['share_two']} | {r['strip_s']} "
              f"| {r['track_s']} |" for r in rows]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    for s, v in summary.items():
        print(f"{s:9s} warned {v['warned']}/{v['videos']}, as wanted {v['as_wanted']}/"
              f"{v['videos']}, strips {v['strip_s']} CPU-s of {v['track_s']} tracking "
              f"({v['strip_ms_per_video_s']} ms per video second)")
    print(f"written: benchmarks/results/{name}.json, {name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
