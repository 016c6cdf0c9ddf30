"""An analysis as a table, a CSV, a plot of the key angle and a one-page PDF.

Everything here reads an :class:`~formcheck.analysis.AnalysisResult`; nothing is measured.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .. import __version__  # noqa: E402
from ..analysis import AnalysisResult  # noqa: E402
from ..i18n import fault_text as i18n_fault_text  # noqa: E402
from ..i18n import measure_name, peak_measure_name, text  # noqa: E402
from ..measures import DEGREES, SHOWN_AS  # noqa: E402
from ..protocol import FaultRule, apply_overrides, default_programme  # noqa: E402
from ..session import checkable_rules  # noqa: E402

FAULT_RED = "#c62828"
OK_GREEN = "#2e7d32"
FAULT_ANGLES = ("#e65100", "#6a1b9a", "#00838f")
"""Colours of the flagged faults' angles and limits (:func:`flagged_angles`), in turn."""
PRECAUTION_MEASURE = "hip_flexion"
"""The angle the leaflet's hip precaution limits (trunk to thigh), drawn with its limit."""


def _t(key: str, lang: str, **values: Any) -> str:
    return text(f"app.{key}", lang, **values)


def fault_text(result: AnalysisResult, code: str) -> str:
    """A fault code as the sentence the patient reads."""
    return i18n_fault_text(code, result.spec, result.lang)


def peak_heading(result: AnalysisResult) -> str:
    """The heading of a rep's peak: which measure it is (a squat's knee, not its hip)."""
    return _t("col_peak_of", result.lang, measure=peak_measure_name(result.spec, result.lang))


def rep_rows(result: AnalysisResult) -> list[dict[str, Any]]:
    """One row per rep with translated column names and faults."""
    lang = result.lang
    rows = []
    for r in result.reps:
        rows.append({
            _t("col_rep", lang): r.index, _t("col_set", lang): r.set,
            _t("col_start", lang): round(r.start_s, 1), _t("col_end", lang): round(r.end_s, 1),
            peak_heading(result): round(r.peak_deg, 1), _t("col_hold", lang): round(r.hold_s, 1),
            _t("col_completed", lang): _t("yes" if r.completed else "no", lang),
            _t("col_faults", lang): " ".join(fault_text(result, c) for c in r.faults)
            or _t("none", lang),
        })
    return rows


def reps_csv(result: AnalysisResult) -> str:
    """The reps as CSV: machine-readable codes plus the translated faults."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["rep", "set", "start_s", "end_s", "peak_deg", "hold_s", "completed",
                "faults", "faults_text"])
    for r in result.reps:
        w.writerow([r.index, r.set, f"{r.start_s:.3f}", f"{r.end_s:.3f}", f"{r.peak_deg:.1f}",
                    f"{r.hold_s:.2f}", int(r.completed), ";".join(r.faults),
                    " ".join(fault_text(result, c) for c in r.faults)])
    return buf.getvalue()


def angle_figure(result: AnalysisResult, width_in: float = 9.0, height_in: float = 3.4
                 ) -> Figure:
    """The key angle over time with the start/target thresholds; reps shaded, faulty in red.

    Where the view counts on a stand-in signal (:data:`~formcheck.measures.SHOWN_AS`: a
    squat from the front, counted on the model's 3-D knee), the measure shown for it is
    drawn, with the exercise's own start and target, on that measure's scale.
    """
    lang, spec = result.lang, result.spec
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=110)
    t = result.track.t
    name = SHOWN_AS.get(spec.signal, spec.signal)
    lines = spec if name == spec.signal else apply_overrides(
        default_programme().exercise(result.exercise),
        result.settings.overrides.get(result.exercise))
    y = result.measures.get(name)
    if y is not None and len(t):
        ax.plot(t, y, color="#1f4e79", lw=1.6, label=measure_name(name, lang))
    ax.axhline(lines.start_deg, color="#888888", ls="--", lw=1,
               label=_t("start_line", lang, deg=lines.start_deg))
    ax.axhline(lines.target_deg, color=OK_GREEN, ls="--", lw=1,
               label=_t("target_line", lang, deg=lines.target_deg))
    for rule in precautions(result):
        if rule.measure != name:
            # the precaution's own measure (a knee lift is counted on the thigh's rise
            # and a squat on the knee; the 90° precaution is the trunk-thigh angle)
            angle = result.measures.get(rule.measure)
            if angle is None or not len(t):
                continue
            ax.plot(t, angle, color=FAULT_RED, lw=1.0, alpha=0.7,
                    label=_t("precaution_measure", lang))
        ax.axhline(rule.max, color=FAULT_RED, ls=":", lw=1.2,
                   label=_t("limit_line", lang, deg=rule.max))
    for rule, colour in zip(flagged_angles(result), FAULT_ANGLES, strict=False):
        measure = measure_name(rule.measure, lang)
        if rule.measure != name:
            ax.plot(t, result.measures[rule.measure], color=colour, lw=1.0, alpha=0.8,
                    label=measure)
        ax.axhline(rule.max, color=colour, ls=":", lw=1.2,
                   label=_t("fault_limit_line", lang, measure=measure[:1].lower() + measure[1:],
                            deg=rule.max))
    shown: set[str] = set()
    for r in result.reps:
        faulty = bool(r.faults)
        label = _t("rep_faulty" if faulty else "rep_ok", lang)
        ax.axvspan(r.start_s, r.end_s, color=FAULT_RED if faulty else OK_GREEN, alpha=0.13,
                   label=None if label in shown else label)
        shown.add(label)
        ax.annotate(str(r.index), (r.start_s + (r.end_s - r.start_s) / 2, r.peak_deg),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize=9,
                    color=FAULT_RED if faulty else "#333333",
                    fontweight="bold" if faulty else "normal")
        if faulty:
            ax.plot([(r.start_s + r.end_s) / 2], [r.peak_deg], marker="x", color=FAULT_RED,
                    ms=8, mew=2)
    ax.set_xlabel(_t("time_s", lang))
    ax.set_ylabel(_t("degrees", lang, measure=measure_name(name, lang)))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def precautions(result: AnalysisResult) -> list[FaultRule]:
    """The hip flexion precautions (a ``max`` on ``hip_flexion``) checked in the result's view.

    ``result.spec`` is the view's own (its rules' view limits applied).
    """
    return [r for r in _checked(result) if r.measure == PRECAUTION_MEASURE and r.max is not None]


def _checked(result: AnalysisResult) -> tuple[FaultRule, ...]:
    """The fault rules checked in the result's view for its patient."""
    return checkable_rules(result.spec, result.view, result.settings, default_programme())[0]


def flagged_angles(result: AnalysisResult) -> list[FaultRule]:
    """The rules, other than the hip precaution, whose limit on an angle some rep crossed.

    One per measure (the first rule on it), each measured in the result (the view's own
    rules: ``result.spec``), so the plot shows how far past its limit the rep went. Not a
    rule that also flags on another reading (``also_beyond``): its own need not cross.
    """
    flagged = {c for r in result.reps for c in r.faults}
    out: dict[str, FaultRule] = {}
    for r in _checked(result):
        if (r.code in flagged and r.max is not None and not r.also_beyond
                and r.measure in DEGREES and r.measure != PRECAUTION_MEASURE
                and r.measure in result.measures):
            out.setdefault(r.measure, r)
    return list(out.values())


def figure_png(fig: Figure) -> bytes:
    """A figure as PNG bytes (and closes it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


_LATIN1 = str.maketrans({"–": "-", "—": "-", "…": "...", "’": "'", "‘": "'", "“": '"',
                         "”": '"', "≤": "<=", "≥": ">=", "−": "-"})


def _latin1(s: str) -> str:
    """The PDF core fonts are latin-1: map the few other characters we use."""
    return s.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def summary_pdf(result: AnalysisResult, pain: dict[str, Any] | None = None,
                goal: int | None = None) -> bytes:
    """A one-page A4 summary: counts, the angle plot, the reps, the notes and the pain answer."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    lang, spec, s = result.lang, result.spec, result.settings
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=26)  # a long table goes on; the footer stays clear
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    w = pdf.w - 30

    def line(txt: str, size: float = 10, style: str = "", h: float = 5.5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(w, h, _latin1(txt), new_x="LMARGIN", new_y="NEXT")

    line(_t("report_title", lang), 16, "B", 8)
    line(spec.title(lang), 12, "B", 7)
    line(_t("report_patient", lang, side=_t(f"side_{s.side}", lang),
            approach=_t(f"approach_{s.approach}", lang)), 9)
    line(_t("report_source", lang, name=Path(result.source).name or "-",
            seconds=result.duration_s, view=text(f"views.{result.view}", lang)), 9)
    pdf.ln(2)
    faulty = sum(bool(r.faults) for r in result.reps)
    count = _t("result_reps", lang, count=result.rep_count)
    if goal:
        count += f" / {goal}"
    line(count, 13, "B", 7)
    line(_t("result_attempts", lang, attempts=len(result.reps), faulty=faulty), 10)
    pdf.ln(1)
    png = figure_png(angle_figure(result, 9.0, 3.3))
    pdf.image(io.BytesIO(png), x=15, w=w)
    pdf.ln(2)
    rows = result.reps[:18]
    if rows:
        red = FontFace(color=(198, 40, 40))
        pdf.set_font("Helvetica", "", 8.5)
        with pdf.table(col_widths=(18, 30, 28, 18, w - 94), line_height=4.4, text_align="LEFT",
                       borders_layout="HORIZONTAL_LINES", first_row_as_headings=True,
                       headings_style=FontFace(emphasis="BOLD")) as table:
            row = table.row()
            for heading in (_t("col_rep", lang), peak_heading(result), _t("col_hold", lang),
                            _t("col_completed", lang), _t("col_faults", lang)):
                row.cell(_latin1(heading))
            for r in rows:
                faults = " ".join(fault_text(result, c) for c in r.faults) or _t("none", lang)
                row = table.row()
                for v in (str(r.index), f"{r.peak_deg:.0f}°", f"{r.hold_s:.1f}",
                          _t("yes" if r.completed else "no", lang)):
                    row.cell(_latin1(v))
                row.cell(_latin1(faults), style=red if r.faults else None)
        if len(result.reps) > len(rows):
            line(f"... (+{len(result.reps) - len(rows)})", 8.5)
    pdf.ln(2)
    if result.warnings:
        line(_t("report_warnings", lang), 10, "B", 6)
        for wn in result.warnings[:6]:
            line(f"- {wn.message}", 8.5, "", 4.6)
    if pain:
        pdf.ln(1)
        line(_t("report_pain", lang, pain=pain["pain"],
                swelling=_t("yes" if pain["swelling"] else "no", lang)), 9.5, "B")
    pdf.set_auto_page_break(False)
    pdf.set_y(pdf.h - 22)
    line(_t("calm", lang) + " " + _t("reduce", lang), 7.5, "I", 3.8)
    line(_t("report_made", lang, version=__version__, date=date.today().isoformat()), 7.5, "",
         3.8)
    return bytes(pdf.output())
