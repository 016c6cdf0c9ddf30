"""Every committed render set's accuracy results together: the issue's goals over all of them.

Reads the ``benchmarks/results/accuracy_*.json`` files that hold rendered clips (the
domain-randomised sets, `render_set.py`, each measured by ``accuracy.py --out NAME``) and
sums them: reps exact per set and per exercise; per fault code TP, FP, FN (and FN the
result warned ``fault_not_checked`` about), precision, recall and F1, with how many sets
reach the issue's 0.9 for each; and per exercise and view the clips' median angle error
(calibrated MAE, over all frames and while moving), against the issue's 4°. Each set was
measured on the engine of its day (its run date is listed; the git history holds the
engine); re-run a set to measure today's.
Needs no clips, only the results files.

Writes ``benchmarks/results/all_sets.json`` / ``.md`` (``--name``: another name).

Usage: python benchmarks/all_sets.py [--name NAME]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import fault_totals, fmt, prf  # noqa: E402  (the per-set page's own sums)

RESULTS = Path(__file__).resolve().parent / "results"
GOAL = 0.9
ANGLE_GOAL_DEG = 4.0
ANGLES = ("hip_flexion", "knee_flexion", "hip_abduction")


def run_date(md: Path) -> str:
    """The ``Run YYYY-MM-DD HH:MM`` line of a results page, or ''."""
    if not md.is_file():
        return ""
    m = re.search(r"Run (\d{4}-\d\d-\d\d \d\d:\d\d)", md.read_text())
    return m.group(1) if m else ""


def load_sets() -> list[dict]:
    """Each render set's name, run date and clips."""
    sets = []
    for path in sorted(RESULTS.glob("accuracy_*.json")):
        data = json.loads(path.read_text())
        clips = [c for c in data.get("rendered", []) if "variation" in c]
        if not clips or data.get("noise"):
            continue  # (accuracy.py --noise: the sets' clips shaken, not another set)
        name = path.stem.removeprefix("accuracy_")
        sets.append({"name": name, "run": run_date(path.with_suffix(".md")), "clips": clips})
    return sets


def fault_rows(clips: list[dict]) -> dict[str, dict]:
    """Per fault code over ``clips``: counts, precision, recall, F1 (None where undefined)."""
    rows = {}
    for code, t in fault_totals(clips).items():
        p, r, f1 = (None if math.isnan(x) else x for x in prf(t))
        rows[code] = {**t, "precision": p, "recall": r, "f1": f1}
    return rows


def summarise(sets: list[dict]) -> dict:
    """The whole: per set, per exercise and per fault code."""
    per_ex: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    angles: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    meeting: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # sets at the goal, sets judged
    per_set = []
    for s in sets:
        exact = sum(bool(c["exact"]) for c in s["clips"])
        per_set.append({"name": s["name"], "run": s["run"], "clips": len(s["clips"]),
                        "exact": exact,
                        "misses": [c["clip"] for c in s["clips"] if not c["exact"]]})
        for c in s["clips"]:
            per_ex[c["exercise"]][0] += bool(c["exact"])
            per_ex[c["exercise"]][1] += 1
            for name, e in c.get("angles", {}).items():
                for key in ("mae_calibrated", "mae_moving"):
                    if e.get(key) is not None and e[key] == e[key]:  # not NaN
                        angles[(c["exercise"], c["view"])][f"{name}.{key}"].append(e[key])
        for code, row in fault_rows(s["clips"]).items():
            if row["precision"] is not None or row["recall"] is not None:
                meeting[code][1] += 1
                meeting[code][0] += all(v is None or v >= GOAL
                                        for v in (row["precision"], row["recall"]))
    faults = fault_rows([c for s in sets for c in s["clips"]])
    for code, row in faults.items():
        row["sets_at_goal"], row["sets_judged"] = meeting[code]
    clips = sum(p["clips"] for p in per_set)
    return {"sets": per_set, "clips": clips, "exact": sum(p["exact"] for p in per_set),
            "per_exercise": {k: {"exact": v[0], "clips": v[1]} for k, v in sorted(per_ex.items())},
            "faults": faults, "goal": GOAL,
            "angles": [{"exercise": ex, "view": view, "clips": max(map(len, v.values())),
                        **{k: float(statistics.median(x)) for k, x in sorted(v.items())}}
                       for (ex, view), v in sorted(angles.items())],
            "angle_goal_deg": ANGLE_GOAL_DEG}


def markdown(s: dict) -> str:
    """The results page."""
    lines = ["# Every render set together", "",
             f"Written by `benchmarks/all_sets.py` from the {len(s['sets'])} render sets' "
             "`accuracy_*.json` in this folder, each measured on the engine of its run date "
             "(below). Renders only: the real clips are in `accuracy.md`.", "",
             f"**Reps exact: {s['exact']} of {s['clips']} clips "
             f"({s['exact'] / max(s['clips'], 1):.1%}).**", "",
             "## Per fault code, all sets", "",
             "FN (warned): misses the result warned `fault_not_checked` about (counted in FN). "
             f"Sets at goal: sets where the code's precision and recall (where defined) are "
             f"both ≥ {s['goal']}.", "",
             "| fault | TP | FP | FN | FN (warned) | precision | recall | F1 | sets at goal |",
             "|---|---|---|---|---|---|---|---|---|"]
    for code, r in s["faults"].items():
        lines.append(f"| {code} | {r['tp']} | {r['fp']} | {r['fn']} | {r['nc']} | "
                     f"{fmt(r['precision'], 2)} | {fmt(r['recall'], 2)} | {fmt(r['f1'], 2)} | "
                     f"{r['sets_at_goal']}/{r['sets_judged']} |")
    lines += ["", "## Reps exact per exercise", "", "| exercise | exact | clips |", "|---|---|---|"]
    lines += [f"| {k} | {v['exact']} | {v['clips']} |" for k, v in s["per_exercise"].items()]
    lines += ["", "## Angles per exercise and view", "",
              "Median over the clips of each clip's calibrated MAE (°), over all frames / while "
              f"moving (true angle > 5° from its start); **bold**: over the issue's "
              f"{s['angle_goal_deg']:.0f}°.", "",
              "| exercise | view | clips | hip flexion | knee flexion | abduction |",
              "|---|---|---|---|---|---|"]

    def cell(row: dict, name: str) -> str:
        vals = [row.get(f"{name}.{k}") for k in ("mae_calibrated", "mae_moving")]
        return " / ".join("–" if v is None else (f"**{v:.1f}**" if v > s["angle_goal_deg"]
                                                 else f"{v:.1f}") for v in vals)
    lines += [f"| {r['exercise']} | {r['view']} | {r['clips']} | "
              + " | ".join(cell(r, n) for n in ANGLES) + " |" for r in s["angles"]]
    lines += ["", "## Per set", "", "| set | run | exact | clips | not exact |",
              "|---|---|---|---|---|"]
    lines += [f"| {p['name']} | {p['run']} | {p['exact']} | {p['clips']} | "
              f"{', '.join(m.split('_')[0] for m in p['misses']) or '–'} |" for p in s["sets"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", default="all_sets", help="results file name (without suffix)")
    args = ap.parse_args()
    summary = summarise(load_sets())
    (RESULTS / f"{args.name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(markdown(summary))
    print(f"{len(summary['sets'])} sets, reps exact {summary['exact']}/{summary['clips']}")
    for code, r in summary["faults"].items():
        print(f"{code:24s} P {fmt(r['precision'], 2)} R {fmt(r['recall'], 2)} F1 {fmt(r['f1'], 2)} "
              f"at goal in {r['sets_at_goal']}/{r['sets_judged']} sets")
    print(f"written: {RESULTS / args.name}.json, .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
