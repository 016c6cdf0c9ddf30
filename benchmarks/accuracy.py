"""Accuracy of the real pipeline (video → MediaPipe → engine) against known truth.

Rendered clips (``*.mp4`` with ``*.truth.json``; default: ``sample_videos/`` and
any in ``$FORMCHECK_BENCH_DIR``) give, per exercise and view: detection rate,
angle bias and MAE against the true angles before and after calibration,
rep-count exactness, and per-rep fault precision / recall / F1 per fault code.
The real clips in ``../shared/clips`` (when present) give rep counts only.

Writes ``benchmarks/results/accuracy.json`` and ``benchmarks/results/accuracy.md``
(``--out NAME``: ``accuracy_NAME.json`` / ``.md``). ``--noise PCT`` shakes every
rendered clip's landmarks by that much (% of the frame; the real clips' stillest
second spreads ~0.3 %, ``jitter.md``): do faults and counts hold under real jitter?
``--wander S``: that noise as a slow wander over ~S seconds, not frame to frame.
Each clip's pose track is cached in ``~/.cache/formcheck/tracks``
(``$FORMCHECK_TRACK_CACHE``), keyed by the clip's path, size, modification time and
the analysis frame rate, so re-running after an engine change costs seconds, not the
pose model's minutes (``--no-cache`` re-tracks).

Usage: python benchmarks/accuracy.py [CLIP_DIR ...] [--no-real] [--out NAME] [--no-cache]
       [--noise PCT [--wander S]]
e.g.   python benchmarks/accuracy.py ~/.cache/formcheck/bench-random --no-real --out random
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import tomllib
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

from formcheck.analysis import (
    DEFAULT_ANALYSIS_FPS,
    analyze_tracked,
    smoothed_measures,
    track_video,
)
from formcheck.measures import SLIDE_SIGNAL, calibrated
from formcheck.protocol import FAULT_CODES, PatientSettings, default_programme
from formcheck.synth.capture import jittered
from formcheck.track_io import TrackFileError, load_track, save_track

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
REAL = REPO.parent / "shared" / "clips"
REAL_CASES = REPO / "tests" / "data" / "real_clips.toml"
ANGLES = ("hip_flexion", "knee_flexion", "hip_abduction")
TRACK_CACHE = Path(os.environ.get("FORMCHECK_TRACK_CACHE",
                                  Path.home() / ".cache" / "formcheck" / "tracks"))
MOVING_DEG = 5.0
"""Frames whose true angle is this far from its start value count as 'moving'."""


def cached_track(path: Path, use_cache: bool = True,
                 analysis_fps: float = DEFAULT_ANALYSIS_FPS):
    """Return ``(track, truncated)`` of ``path``, from the track cache when it is current."""
    st = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{analysis_fps}"
                       .encode()).hexdigest()[:16]
    npz = TRACK_CACHE / f"{path.stem}-{key}.npz"
    meta = npz.with_suffix(".json")
    if use_cache and npz.is_file() and meta.is_file():
        try:
            track = load_track(npz)
            info = json.loads(meta.read_text())
            track.source, track.meta = str(path), info.get("meta", {})
            return track, bool(info["truncated"])
        except (TrackFileError, OSError, ValueError, KeyError):
            pass  # re-track below
    track, truncated = track_video(path, analysis_fps=analysis_fps)
    TRACK_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = npz.with_name(f"{npz.stem}.{os.getpid()}.partial.npz")  # two runs at once
    save_track(track, tmp)
    tmp.replace(npz)
    meta.write_text(json.dumps({"clip": str(path), "truncated": truncated,
                                "analysis_fps": analysis_fps, "meta": track.meta},
                               default=float))
    return track, truncated


def clip_cases(renders: Path | None = None) -> tuple[list[dict], Path] | None:
    """``(cases, folder)``: the real clips' expectations (``tests/data/real_clips.toml``),
    or with ``renders`` each rendered clip there with its truth as a case (exact count);
    ``None`` when the real clips are not present."""
    if renders is not None:
        cases = []
        for truth_file in sorted(renders.glob("*.truth.json")):
            truth = json.loads(truth_file.read_text())
            cases.append({"clip": truth_file.name.replace(".truth.json", ".mp4"),
                          "exercise": truth["exercise"], "sides": [truth["side"]],
                          "reps": truth["rep_count"], "tolerance": 0})
        return cases, renders
    if not (REAL / "clips.json").is_file():
        return None
    return tomllib.loads(REAL_CASES.read_text())["case"], REAL


def view_label(truth: dict) -> str:
    """The truth view, ``side (far leg)`` when a two-legged exercise is filmed from the
    non-operated flank (operated leg hidden behind the other)."""
    if truth.get("variation", {}).get("far_leg_occluded"):
        return f"{truth['view']} (far leg)"
    return truth["view"]


def faces_camera(truth: dict) -> bool:
    """Whether the camera is within 30° of the person's front or back (abduction shows)."""
    az = abs((truth["camera"]["azimuth_deg"] + 180.0) % 360.0 - 180.0)
    return truth["view"] == "front" or 60.0 <= az <= 120.0


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
        if name == "hip_abduction" and not faces_camera(truth):
            continue  # a frontal-plane angle: not measurable from the side
        series = truth["angles"].get(f"{name}_deg", {})
        if side not in series:
            continue
        true_full = np.asarray(series[side], float)
        true = np.interp(track.t, t_true, true_full)
        moving = np.abs(true - true_full[0]) > MOVING_DEG
        for label, meas in (("raw", raw), ("calibrated", cal)):
            err = meas[name] - true
            ok = np.isfinite(err)
            if ok.any():
                out.setdefault(name, {})[f"bias_{label}"] = float(np.mean(err[ok]))
                out.setdefault(name, {})[f"mae_{label}"] = float(np.mean(np.abs(err[ok])))
            if label == "calibrated" and (ok & moving).any():
                out[name]["mae_moving"] = float(np.mean(np.abs(err[ok & moving])))
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


def true_peak(truth: dict, rep: dict) -> float:
    """The rep's true value of what the engine reports as its peak (the exercise's signal).

    Knee (squat, heel slide), the thigh's abduction from the vertical (the hip's plus the
    trunk's side lean), the thigh's elevation (hip flexion less the trunk's forward lean:
    knee lifts), the hip's lift from the rep's start (bridge) and its extension (stretch),
    as the rendered body's joints give them over the rep.
    """
    side, a, exercise = truth["side"], truth["angles"], truth["exercise"]
    t = np.asarray(a["t"])
    inside = (t >= rep["start_s"]) & (t <= rep["end_s"])
    if not inside.any():
        return float("nan")
    hip = np.asarray(a["hip_flexion_deg"][side], float)[inside]
    if exercise in ("mini_squat", "heel_slide"):
        return float(np.max(np.asarray(a["knee_flexion_deg"][side], float)[inside]))
    if exercise == "hip_abduction":
        # Against gravity, as the engine measures it: the pelvis tilts with a side lean.
        return float(np.max(np.asarray(a["hip_abduction_deg"][side], float)[inside]
                            + np.asarray(a["trunk_lean_side_deg"], float)[inside]))
    if exercise == "hip_flexion":
        return float(np.max(hip - np.asarray(a["trunk_lean_forward_deg"], float)[inside]))
    if exercise == "bridge":
        return float(hip[0] - np.min(hip))
    if exercise == "hip_extension_stretch":
        return float(-np.min(hip))
    return float("nan")


def peak_errors(truth: dict, pairs: list[tuple[dict | None, dict | None]]) -> list[float]:
    """Reported minus true peak (degrees) for each rep completed in both truth and result."""
    out = []
    for tr, g in pairs:
        if tr and g and tr.get("completed") and g.get("completed"):
            true = true_peak(truth, tr)
            if np.isfinite(true):
                out.append(float(g["peak_deg"]) - true)
    return out


def evaluate_rendered(path: Path, use_cache: bool = True, noise: float = 0.0,
                      wander_s: float = 0.0) -> dict:
    """One rendered clip through the recorded-video analysis, scored against its truth.

    ``noise`` (fraction of the frame's longer side): every landmark of every frame
    shaken that much (:func:`~formcheck.synth.capture.jittered`; each clip its own
    noise, seeded by its name), at every rate tracked; with ``wander_s``, a slow wander
    of that spread instead of independent noise.
    """
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    started = time.perf_counter()

    def shaken(tracked: tuple) -> tuple:
        seed = zlib.crc32(path.name.encode())
        return (jittered(tracked[0], noise, seed, wander_s), tracked[1]) if noise else tracked

    tracked = [shaken(cached_track(path, use_cache))]  # the last one analysed

    def track_at(fps: float):  # noqa: ANN202
        tracked.append(shaken(cached_track(path, use_cache, fps)))
        return tracked[-1]

    res = analyze_tracked(tracked[0], track_at, truth["exercise"],
                          PatientSettings(truth["side"]), "en")
    track = tracked[-1][0]
    got = [r.to_dict() for r in res.reps]
    # res.track: the track as the engine measured it (legs' labels made consistent)
    raw = smoothed_measures(res.track, truth["side"], default_programme(), res.view)
    cal = calibrated(raw, res.calibration)
    signal = res.spec.signal
    if signal == SLIDE_SIGNAL and signal in cal:
        # The knee as the view reads it (from the foot end: from the heel's slide).
        raw, cal = {**raw, "knee_flexion": cal[signal]}, {**cal, "knee_flexion": cal[signal]}
    faults = {c: {"tp": 0, "fp": 0, "fn": 0, "nc": 0} for c in FAULT_CODES}
    unchecked = {c for w in res.warnings if w.code == "fault_not_checked"
                 for c in w.data.get("codes", [])}
    errors = []
    pairs = match_reps(truth["reps"], got)
    for tr, g in pairs:
        t_f = set(tr["faults"]) if tr else set()
        g_f = set(g["faults"]) if g else set()
        at = f"{(tr or g)['start_s']:.1f}s"
        for c in t_f & g_f:
            faults[c]["tp"] += 1
        for c in sorted(g_f - t_f):
            faults[c]["fp"] += 1
            errors.append(f"FP {c} @{at}" + ("" if tr else " (no true rep)"))
        for c in sorted(t_f - g_f):
            faults[c]["fn"] += 1
            faults[c]["nc"] += c in unchecked  # a miss the user was told of
            errors.append(f"FN {c} @{at}" + ("" if g else " (rep not seen)")
                          + (" (warned: not checkable in this view)" if c in unchecked else ""))
    return {
        "clip": path.name, "exercise": truth["exercise"], "view": view_label(truth),
        "azimuth_deg": truth["camera"]["azimuth_deg"],
        "variation": truth.get("variation", {}),
        "view_seen": res.view, "detection_rate": res.detection_rate,
        "rep_count_true": truth["rep_count"], "rep_count": res.rep_count,
        "exact": res.rep_count == truth["rep_count"],
        "angles": angle_errors(track, truth, raw, cal), "faults": faults,
        "leg_swap_rate": leg_swap_rate(track, truth, cal),
        "peak_errors": peak_errors(truth, pairs),
        "fault_errors": errors,
        "warnings": [w.code for w in res.warnings], "seconds": time.perf_counter() - started,
        "reps_true": [r["faults"] for r in truth["reps"]], "reps_got": [r["faults"] for r in got],
    }


def prf(c: dict[str, int]) -> tuple[float, float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
    f = 2 * p * r / (p + r) if p + r and np.isfinite(p) and np.isfinite(r) else float("nan")
    return p, r, f


def evaluate_real(use_cache: bool = True) -> list[dict]:
    """Every real-clip expectation (both sides of two-legged exercises) through the engine."""
    if not REAL_CASES.is_file() or not (REAL / "clips.json").is_file():
        return []
    spec = tomllib.loads(REAL_CASES.read_text())
    out = []
    for kind in ("case", "extra"):
        for case in spec.get(kind, []):
            path = REAL / case["clip"]
            if not path.is_file():
                continue
            tracked = cached_track(path, use_cache)
            for side in case["sides"]:
                res = analyze_tracked(tracked, lambda fps, p=path: cached_track(p, use_cache, fps),
                                      case["exercise"], PatientSettings(side), "en")
                codes = {w.code for w in res.warnings}
                flagged = {f for r in res.reps for f in r.faults}
                said = case.get("or_warning") in codes and res.rep_count == 0
                ok = (abs(res.rep_count - case["reps"]) <= case["tolerance"] or said) and \
                    set(case.get("faults", [])) <= flagged and \
                    not set(case.get("clean", [])) & flagged
                out.append({**case, "kind": kind, "side": side, "rep_count": res.rep_count,
                            "view_seen": res.view, "exact": res.rep_count == case["reps"],
                            "within_tolerance": ok, "warned_instead": said,
                            "faults_got": sorted(flagged), "detection_rate": res.detection_rate})
    return out


def fmt(v: float, nd: int = 1) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.{nd}f}"


def _mean_of(rs: list[dict], name: str, key: str) -> float:
    vals = [r["angles"][name][key] for r in rs if key in r["angles"].get(name, {})]
    return float(np.mean(vals)) if vals else float("nan")


def per_view_lines(rendered: list[dict]) -> list[str]:
    """Markdown table: rep exactness and angle MAE (calibrated; while moving) per view."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rendered:
        groups[r["view"]].append(r)
    lines = ["| view | clips | reps exact | hip flex MAE (moving) | knee flex MAE (moving) | "
             "abduction MAE (moving) |", "|---|---|---|---|---|---|"]
    for view, rs in sorted(groups.items()):
        cells = [f"{fmt(_mean_of(rs, n, 'mae_calibrated'))} ({fmt(_mean_of(rs, n, 'mae_moving'))})"
                 for n in ANGLES]
        lines.append(f"| {view} | {len(rs)} | {sum(r['exact'] for r in rs)}/{len(rs)} | "
                     + " | ".join(cells) + " |")
    rs = rendered
    cells = [f"{fmt(_mean_of(rs, n, 'mae_calibrated'))} ({fmt(_mean_of(rs, n, 'mae_moving'))})"
             for n in ANGLES]
    lines.append(f"| **all** | {len(rs)} | {sum(r['exact'] for r in rs)}/{len(rs)} | "
                 + " | ".join(cells) + " |")
    return lines


def peak_lines(rendered: list[dict]) -> list[str]:
    """Markdown table: the reported peak's error per exercise and view (completed reps)."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rendered:
        groups[(r["exercise"], r["view"])] += r.get("peak_errors", [])
    lines = ["| exercise | view | reps | bias | median abs | 90th pct abs | largest abs |",
             "|---|---|---|---|---|---|---|"]
    for (ex, view), errs in sorted(groups.items()):
        if errs:
            e = np.abs(errs)
            lines.append(f"| {ex} | {view} | {len(e)} | {fmt(float(np.mean(errs)))} | "
                         f"{fmt(float(np.median(e)))} | {fmt(float(np.percentile(e, 90)))} | "
                         f"{fmt(float(e.max()))} |")
    return lines


CONDITIONS: list[tuple[str, object]] = [
    ("camera below (elevation < 0°)", lambda v: v.get("camera_elevation_deg", 0) < 0),
    ("elevation 0–15°", lambda v: 0 <= v.get("camera_elevation_deg", 0) < 15),
    ("camera above (elevation ≥ 15°)", lambda v: v.get("camera_elevation_deg", 0) >= 15),
    ("portrait frame", lambda v: "frame_wh" in v and v["frame_wh"][1] > v["frame_wh"][0]),
    ("landscape frame", lambda v: not ("frame_wh" in v and v["frame_wh"][1] > v["frame_wh"][0])),
    ("body sway", lambda v: v.get("sway_deg", 0) > 0),
    ("tremor in holds", lambda v: v.get("tremor_deg", 0) > 0),
    ("faster tempo (< 1)", lambda v: v.get("tempo", 1) < 1),
    ("slower tempo (≥ 1.2)", lambda v: v.get("tempo", 1) >= 1.2),
    ("far leg hidden", lambda v: bool(v.get("far_leg_occluded"))),
]
"""Randomised conditions to break the results down by (from the truth's ``variation``)."""


def condition_lines(rendered: list[dict]) -> list[str]:
    """Markdown table: clips, exact counts and clips with fault errors per condition."""
    rs = [r for r in rendered if r.get("variation")]
    if not rs:
        return []
    lines = ["| condition | clips | reps exact | clips with a fault error | fault errors / rep |",
             "|---|---|---|---|---|"]
    for label, test in CONDITIONS:
        sel = [r for r in rs if test(r["variation"])]
        if not sel:
            continue
        errs = sum(len(r["fault_errors"]) for r in sel)
        reps = sum(len(r["reps_true"]) for r in sel)
        lines.append(f"| {label} | {len(sel)} | {sum(r['exact'] for r in sel)}/{len(sel)} | "
                     f"{sum(bool(r['fault_errors']) for r in sel)} | {errs / max(reps, 1):.2f} |")
    return lines


def fault_totals(rendered: list[dict]) -> dict[str, dict[str, int]]:
    """TP/FP/FN per code; ``nc``: of the FN, those in a ``fault_not_checked`` warning."""
    totals = {c: {"tp": 0, "fp": 0, "fn": 0, "nc": 0} for c in FAULT_CODES}
    for r in rendered:
        for c, v in r["faults"].items():
            for k in v:
                totals[c][k] += v[k]
    return totals


def recall_where_checked(c: dict[str, int]) -> float:
    """Recall leaving out the misses the user was warned could not be checked."""
    n = c["tp"] + c["fn"] - c.get("nc", 0)
    return c["tp"] / n if n else float("nan")


def markdown(rendered: list[dict], totals: dict, real: list[dict], noise: float = 0.0,
             wander_s: float = 0.0) -> str:
    kind = (f"a slow Gaussian wander (noise smoothed over ~{wander_s:g} s, `--wander`)"
            if wander_s else "independent Gaussian noise")
    shaken = (f" Every rendered clip's landmarks shaken by {kind} of "
              f"{noise:.2%} of the frame's longer side (`--noise`)." if noise else "")
    lines = ["# Accuracy benchmark", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M')} by `benchmarks/accuracy.py`: the real "
             "pipeline (video → MediaPipe → engine) on rendered clips with known angles, reps "
             "and faults, and on real clips (rep counts only)." + shaken, "",
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
            if not any(name in r["angles"] for r in rs):
                cells.append("–")
                continue
            m = {k: _mean_of(rs, name, k) for k in ("bias_raw", "mae_raw", "bias_calibrated",
                                                   "mae_calibrated")}
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
              "which the measured operated hip follows the other leg. Abduction is scored "
              "where the camera is within 30° of the front. "
              "`side (far leg)`: a two-legged exercise filmed exactly side-on from the "
              "non-operated flank, so the operated leg is hidden behind the other.", "",
              "## Per view, all exercises", ""]
    lines += per_view_lines(rendered)
    lines += ["", "Calibrated MAE over all frames (in brackets: over frames where the true "
              f"angle is > {MOVING_DEG:g}° from its start value), mean over clips.", "",
              "## Each rep's largest angle, as reported", "",
              "Reported `peak_deg` minus the true value of the exercise's signal over the "
              "rep (knee: squat, heel slide; the thigh's abduction from the vertical; the "
              "thigh's elevation: knee lift; the hip's lift from its start: bridge; hip "
              "extension: stretch), reps completed in both, degrees.", ""]
    lines += peak_lines(rendered)
    lines += ["", "## Per-rep faults", "",
              "FN (warned): misses of a fault the view could not show, for which the "
              "result carried a `fault_not_checked` warning; *recall where checked* "
              "leaves those out. Recall and F1 count every miss.", "",
              "| fault | TP | FP | FN | FN (warned) | precision | recall | F1 | "
              "recall where checked |",
              "|---|---|---|---|---|---|---|---|---|"]
    for code, c in totals.items():
        if c["tp"] + c["fp"] + c["fn"] == 0:
            continue
        p, r, f = prf(c)
        lines.append(f"| {code} | {c['tp']} | {c['fp']} | {c['fn']} | {c.get('nc', 0)} | "
                     f"{fmt(p, 2)} | {fmt(r, 2)} | {fmt(f, 2)} | "
                     f"{fmt(recall_where_checked(c), 2)} |")
    by_ex: dict[str, list[dict]] = defaultdict(list)
    for r in rendered:
        by_ex[r["exercise"]].append(r)
    lines += ["", "## Per-rep faults per exercise", "",
              "| exercise | fault | TP | FP | FN | precision | recall |",
              "|---|---|---|---|---|---|---|"]
    for ex, rs in sorted(by_ex.items()):
        for code, c in fault_totals(rs).items():
            if c["tp"] + c["fp"] + c["fn"]:
                p, rc, _ = prf(c)
                lines.append(f"| {ex} | {code} | {c['tp']} | {c['fp']} | {c['fn']} | "
                             f"{fmt(p, 2)} | {fmt(rc, 2)} |")
    cond = condition_lines(rendered)
    if cond:
        lines += ["", "## By randomised condition", ""] + cond
    misses = [r for r in rendered if not r["exact"] or r["fault_errors"]]
    lines += ["", f"## Clips with a wrong count or a fault error ({len(misses)} of "
              f"{len(rendered)})", "", "| clip | view seen | reps true → got | fault errors "
              "(time = rep start) | warnings |", "|---|---|---|---|---|"]
    for r in misses:
        lines.append(f"| {r['clip']} | {r['view_seen']} | {r['rep_count_true']} → "
                     f"{r['rep_count']}{'' if r['exact'] else ' ✗'} | "
                     f"{'; '.join(r['fault_errors'])} | {', '.join(r['warnings'])} |")
    lines += ["", "## Each rendered clip", "", "| clip | reps true → got | faults true | "
              "faults got | warnings |", "|---|---|---|---|---|"]
    for r in rendered:
        lines.append(f"| {r['clip']} | {r['rep_count_true']} → {r['rep_count']} | "
                     f"{r['reps_true']} | {r['reps_got']} | {', '.join(r['warnings'])} |")
    if real:
        cases = [r for r in real if r["kind"] == "case"]
        exact = sum(r["exact"] or r["warned_instead"] for r in cases)
        ok = sum(r["within_tolerance"] for r in cases)
        lines += ["", "## Real clips", "",
                  "Expectations in `tests/data/real_clips.toml` (asserted by "
                  f"`tests/test_clips.py`): "
                  f"{ok}/{len(cases)} as expected (count within its tolerance, or the warning it "
                  f"allows, and the named faults), {exact}/{len(cases)} counts exact. Two-legged "
                  "exercises are run with each side named. `extra`: reported only.", "",
                  "| clip | exercise | side | expected | got | as expected | faults got | note |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in real:
            why = " ".join(str(r.get("why", "")).split())
            mark = "yes" if r["within_tolerance"] else "NO"
            lines.append(f"| {r['clip']}{' (extra)' if r['kind'] == 'extra' else ''} | "
                         f"{r['exercise']} | {r['side']} | {r['reps']}±{r['tolerance']} | "
                         f"{r['rep_count']} | {mark} | {', '.join(r['faults_got'])} | {why} |")
    return "\n".join(lines) + "\n"


def _option(argv: list[str], name: str, needs: str) -> str | None:
    """The value after ``name`` in ``argv`` (both taken out of it), or None if absent."""
    if name not in argv:
        return None
    i = argv.index(name)
    if i + 1 >= len(argv):
        sys.exit(f"{name} needs {needs}")
    value = argv[i + 1]
    del argv[i:i + 2]
    return value


def main() -> None:
    argv = sys.argv[1:]
    out_name = _option(argv, "--out", "a name, e.g. --out random") or ""
    noise = float(_option(argv, "--noise", "a percentage of the frame, e.g. --noise 0.3")
                  or 0.0) / 100
    wander_s = float(_option(argv, "--wander", "seconds, e.g. --noise 0.3 --wander 0.5")
                     or 0.0)
    use_cache = "--no-cache" not in argv
    args = [a for a in argv if not a.startswith("--")]
    dirs = [Path(a) for a in args] or [REPO / "sample_videos"]
    if not args and os.environ.get("FORMCHECK_BENCH_DIR"):
        dirs.append(Path(os.environ["FORMCHECK_BENCH_DIR"]))
    rendered = []
    for path in rendered_clips(dirs):
        r = evaluate_rendered(path, use_cache, noise, wander_s)
        rendered.append(r)
        ang = r["angles"]
        print(f"{r['clip']:45s} reps {r['rep_count_true']}→{r['rep_count']} "
              f"det {r['detection_rate']:.0%} view {r['view']}→{r['view_seen']} "
              + " ".join(f"{n}: {v.get('mae_raw', np.nan):.1f}→"
                         f"{v.get('mae_calibrated', np.nan):.1f}" for n, v in ang.items()),
              flush=True)
    totals = fault_totals(rendered)
    print("\n" + "\n".join(per_view_lines(rendered)))
    print("\nfault        TP  FP  FN   P     R     F1")
    for c, v in totals.items():
        if sum(v.values()):
            p, rr, f = prf(v)
            print(f"{c:24s} {v['tp']:3d} {v['fp']:3d} {v['fn']:3d}  {fmt(p, 2):5s} "
                  f"{fmt(rr, 2):5s} {fmt(f, 2)}   (FN warned {v['nc']}, recall where "
                  f"checked {fmt(recall_where_checked(v), 2)})")
    exact = sum(r["exact"] for r in rendered)
    print(f"rep count exact on {exact}/{len(rendered)} rendered clips")
    real = [] if "--no-real" in argv else evaluate_real(use_cache)
    for r in real:
        print(f"real {r['clip']:40s} {r['exercise']:22s} {r['side']:5s} expected "
              f"{r['reps']}±{r['tolerance']} got {r['rep_count']}"
              f"{'' if r['within_tolerance'] else '  (outside)'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"accuracy_{out_name}" if out_name else "accuracy"
    (RESULTS / f"{stem}.json").write_text(json.dumps(
        {"rendered": rendered, "fault_totals": totals, "real": real, "noise": noise,
         "wander_s": wander_s},
        indent=1, default=float))
    (RESULTS / f"{stem}.md").write_text(markdown(rendered, totals, real, noise, wander_s))
    print(f"written: {RESULTS.relative_to(REPO)}/{stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
