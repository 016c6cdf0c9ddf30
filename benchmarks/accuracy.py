"""Accuracy of the real pipeline (video → MediaPipe → engine) against known truth.

Rendered clips (``*.mp4`` with ``*.truth.json``; default: ``sample_videos/`` and
any in ``$FORMCHECK_BENCH_DIR``) give, per exercise and view: detection rate,
angle bias and MAE against the true angles before and after calibration,
rep-count exactness, and per-rep fault precision / recall / F1 per fault code.
The real clips in ``../shared/clips`` (when present) give rep counts only.

Writes ``benchmarks/results/accuracy.json`` and ``benchmarks/results/accuracy.md``.

Usage: python benchmarks/accuracy.py [CLIP_DIR ...] [--no-real]
"""

from __future__ import annotations

import json
import os
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path

import numpy as np

from formcheck.analysis import analyze_track, smoothed_measures, track_video
from formcheck.measures import calibrated
from formcheck.protocol import FAULT_CODES, PatientSettings, default_programme

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
REAL = REPO.parent / "shared" / "clips"
REAL_CASES = REPO / "tests" / "data" / "real_clips.toml"
ANGLES = ("hip_flexion", "knee_flexion", "hip_abduction")


def rendered_clips(dirs: list[Path]) -> list[Path]:
    out = []
    for d in dirs:
        out += [p for p in sorted(d.glob("*.mp4")) if p.with_suffix(".truth.json").is_file()]
    return out


def match_reps(truth: list[dict], got: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair truth and detected reps by the largest time overlap (one-to-one)."""
    pairs, used = [], set()
    for tr in truth:
        best, best_ov = None, 0.0
        for j, g in enumerate(got):
            ov = min(tr["end_s"], g["end_s"]) - max(tr["start_s"], g["start_s"])
            if j not in used and ov > best_ov:
                best, best_ov = j, ov
        if best is None:
            pairs.append((tr, None))
        else:
            used.add(best)
            pairs.append((tr, got[best]))
    pairs += [(None, g) for j, g in enumerate(got) if j not in used]
    return pairs


def angle_errors(track, truth: dict, raw: dict, cal: dict) -> dict[str, dict[str, float]]:
    """Bias and MAE of the operated side's angles vs truth, raw and calibrated."""
    side = truth["side"]
    t_true = np.asarray(truth["angles"]["t"])
    out = {}
    for name in ANGLES:
        if name == "hip_abduction" and truth["view"] != "front":
            continue  # a frontal-plane angle: not measurable from the side
        series = truth["angles"].get(f"{name}_deg", {})
        if side not in series:
            continue
        true = np.interp(track.t, t_true, np.asarray(series[side], float))
        for label, meas in (("raw", raw), ("calibrated", cal)):
            err = meas[name] - true
            err = err[np.isfinite(err)]
            if err.size:
                out.setdefault(name, {})[f"bias_{label}"] = float(np.mean(err))
                out.setdefault(name, {})[f"mae_{label}"] = float(np.mean(np.abs(err)))
    return out


def leg_swap_rate(track, truth: dict, cal: dict) -> float:
    """Share of frames, where the true hip angles of the legs differ by > 20°, in which
    the measured operated hip is nearer the other leg's truth (the model swapped legs)."""
    side = truth["side"]
    other = "right" if side == "left" else "left"
    series = truth["angles"].get("hip_flexion_deg", {})
    if side not in series or other not in series:
        return float("nan")
    t_true = np.asarray(truth["angles"]["t"])
    own = np.interp(track.t, t_true, np.asarray(series[side], float))
    theirs = np.interp(track.t, t_true, np.asarray(series[other], float))
    measured = cal["hip_flexion"]
    apart = (np.abs(own - theirs) > 20) & np.isfinite(measured)
    if not apart.any():
        return float("nan")
    swapped = np.abs(measured - theirs) < np.abs(measured - own)
    return float(np.mean(swapped[apart]))


def evaluate_rendered(path: Path) -> dict:
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    started = time.perf_counter()
    track, _ = track_video(path)
    res = analyze_track(track, truth["exercise"], PatientSettings(truth["side"]), "en")
    got = [r.to_dict() for r in res.reps]
    raw = smoothed_measures(track, truth["side"], default_programme(), res.view)
    cal = calibrated(raw, res.calibration)
    faults = {c: {"tp": 0, "fp": 0, "fn": 0} for c in FAULT_CODES}
    for tr, g in match_reps(truth["reps"], got):
        t_f = set(tr["faults"]) if tr else set()
        g_f = set(g["faults"]) if g else set()
        for c in t_f & g_f:
            faults[c]["tp"] += 1
        for c in g_f - t_f:
            faults[c]["fp"] += 1
        for c in t_f - g_f:
            faults[c]["fn"] += 1
    return {
        "clip": path.name, "exercise": truth["exercise"], "view": truth["view"],
        "view_seen": res.view, "detection_rate": res.detection_rate,
        "rep_count_true": truth["rep_count"], "rep_count": res.rep_count,
        "exact": res.rep_count == truth["rep_count"],
        "angles": angle_errors(track, truth, raw, cal), "faults": faults,
        "leg_swap_rate": leg_swap_rate(track, truth, cal),
        "warnings": [w.code for w in res.warnings], "seconds": time.perf_counter() - started,
        "reps_true": [r["faults"] for r in truth["reps"]], "reps_got": [r["faults"] for r in got],
    }


def prf(c: dict[str, int]) -> tuple[float, float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
    f = 2 * p * r / (p + r) if p + r and np.isfinite(p) and np.isfinite(r) else float("nan")
    return p, r, f


def evaluate_real() -> list[dict]:
    if not REAL_CASES.is_file() or not (REAL / "clips.json").is_file():
        return []
    spec = tomllib.loads(REAL_CASES.read_text())
    out, tracks = [], {}
    for case in spec["case"] + spec.get("extra", []):
        path = REAL / case["clip"]
        if not path.is_file():
            continue
        if case["clip"] not in tracks:
            tracks[case["clip"]] = track_video(path)
        track, truncated = tracks[case["clip"]]
        res = analyze_track(track, case["exercise"], PatientSettings(case["side"]), "en",
                            truncated=truncated)
        out.append({**case, "rep_count": res.rep_count, "view_seen": res.view,
                    "within_tolerance": abs(res.rep_count - case["reps"]) <= case["tolerance"],
                    "detection_rate": res.detection_rate})
    return out


def fmt(v: float, nd: int = 1) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.{nd}f}"


def markdown(rendered: list[dict], totals: dict, real: list[dict]) -> str:
    lines = ["# Accuracy benchmark", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M')} by `benchmarks/accuracy.py`: the real "
             "pipeline (video → MediaPipe → engine) on rendered clips with known angles, reps "
             "and faults, and on real clips (rep counts only).", "",
             "## Rendered clips, per exercise and view", "",
             "| exercise | view (seen) | clips | detection | reps exact | leg swaps | hip flex "
             "bias/MAE raw → cal | knee flex bias/MAE raw → cal | abduction bias/MAE raw → cal |",
             "|---|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rendered:
        groups[(r["exercise"], r["view"])].append(r)
    for (ex, view), rs in sorted(groups.items()):
        cells = []
        for name in ANGLES:
            vals = [r["angles"][name] for r in rs if name in r["angles"]]
            if not vals:
                cells.append("–")
                continue
            m = {k: float(np.mean([v[k] for v in vals])) for k in vals[0]}
            cells.append(f"{fmt(m['bias_raw'])}/{fmt(m['mae_raw'])} → "
                         f"{fmt(m['bias_calibrated'])}/{fmt(m['mae_calibrated'])}")
        seen = ",".join(sorted({r["view_seen"] for r in rs}))
        det = np.mean([r["detection_rate"] for r in rs])
        exact = sum(r["exact"] for r in rs)
        swaps = [r["leg_swap_rate"] for r in rs if np.isfinite(r["leg_swap_rate"])]
        swap = f"{np.mean(swaps):.0%}" if swaps else "–"
        lines.append(f"| {ex} | {view} ({seen}) | {len(rs)} | {det:.0%} | {exact}/{len(rs)} | "
                     f"{swap} | " + " | ".join(cells) + " |")
    lines += ["", "Angles in degrees, operated side; bias = mean(measured − true), MAE = mean "
              "|measured − true|, raw = before and cal = after the start-pose calibration. "
              "Leg swaps: share of frames (where the legs' true hip angles differ by > 20°) in "
              "which the measured operated hip follows the other leg.", "",
              "## Per-rep faults", "", "| fault | TP | FP | FN | precision | recall | F1 |",
              "|---|---|---|---|---|---|---|"]
    for code, c in totals.items():
        if c["tp"] + c["fp"] + c["fn"] == 0:
            continue
        p, r, f = prf(c)
        lines.append(f"| {code} | {c['tp']} | {c['fp']} | {c['fn']} | {fmt(p, 2)} | "
                     f"{fmt(r, 2)} | {fmt(f, 2)} |")
    lines += ["", "## Each rendered clip", "", "| clip | reps true → got | faults true | "
              "faults got | warnings |", "|---|---|---|---|---|"]
    for r in rendered:
        lines.append(f"| {r['clip']} | {r['rep_count_true']} → {r['rep_count']} | "
                     f"{r['reps_true']} | {r['reps_got']} | {', '.join(r['warnings'])} |")
    if real:
        lines += ["", "## Real clips (rep counts)", "", "| clip | exercise | side | expected | "
                  "got | within tolerance | note |", "|---|---|---|---|---|---|---|"]
        for r in real:
            lines.append(f"| {r['clip']} | {r['exercise']} | {r['side']} | {r['reps']}"
                         f"±{r['tolerance']} | {r['rep_count']} | "
                         f"{'yes' if r['within_tolerance'] else 'NO'} | {r.get('why', '')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dirs = [Path(a) for a in args] or [REPO / "sample_videos"]
    if not args and os.environ.get("FORMCHECK_BENCH_DIR"):
        dirs.append(Path(os.environ["FORMCHECK_BENCH_DIR"]))
    rendered = []
    for path in rendered_clips(dirs):
        r = evaluate_rendered(path)
        rendered.append(r)
        ang = r["angles"]
        print(f"{r['clip']:45s} reps {r['rep_count_true']}→{r['rep_count']} "
              f"det {r['detection_rate']:.0%} view {r['view']}→{r['view_seen']} "
              + " ".join(f"{n}: {v.get('mae_raw', np.nan):.1f}→"
                         f"{v.get('mae_calibrated', np.nan):.1f}" for n, v in ang.items()),
              flush=True)
    totals = {c: {"tp": 0, "fp": 0, "fn": 0} for c in FAULT_CODES}
    for r in rendered:
        for c, v in r["faults"].items():
            for k in v:
                totals[c][k] += v[k]
    print("\nfault        TP  FP  FN   P     R     F1")
    for c, v in totals.items():
        if sum(v.values()):
            p, rr, f = prf(v)
            print(f"{c:24s} {v['tp']:3d} {v['fp']:3d} {v['fn']:3d}  {fmt(p, 2):5s} "
                  f"{fmt(rr, 2):5s} {fmt(f, 2)}")
    exact = sum(r["exact"] for r in rendered)
    print(f"rep count exact on {exact}/{len(rendered)} rendered clips")
    real = [] if "--no-real" in sys.argv else evaluate_real()
    for r in real:
        print(f"real {r['clip']:40s} {r['exercise']:22s} {r['side']:5s} expected "
              f"{r['reps']}±{r['tolerance']} got {r['rep_count']}"
              f"{'' if r['within_tolerance'] else '  (outside)'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "accuracy.json").write_text(json.dumps(
        {"rendered": rendered, "fault_totals": totals, "real": real}, indent=1, default=float))
    (RESULTS / "accuracy.md").write_text(markdown(rendered, totals, real))
    print(f"written: {RESULTS.relative_to(REPO)}/accuracy.json, accuracy.md")


if __name__ == "__main__":
    main()
