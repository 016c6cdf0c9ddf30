"""PDF reports with fpdf2: a one-page session report and a progress report over a period.

Texts in Dutch or English (``lang="nl"|"en"``), printed with the Latin-1 core font Helvetica.
The progress report embeds a small matplotlib chart of peak angle per exercise per day.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formcheck.clinic.db import Database
from formcheck.clinic.models import Clinician, ExerciseSet, Patient
from formcheck.clinic.progress import (
    DailyExerciseProgress,
    DosageRule,
    daily_pain,
    daily_progress,
    day_of,
    in_range,
    pain_trend,
    sessions_per_day,
    suggest_dosage,
)
from formcheck.clinic.protocol import EXERCISE_IDS
from formcheck.clinic.records import (
    dosage_of,
    patient_in_clinic,
    session_in_clinic,
    set_records,
)
from formcheck.clinic.texts import (
    advice_text,
    check_lang,
    exercise_name,
    fault_name,
    label,
)

HEADING = FontFace(emphasis="BOLD", fill_color=(225, 232, 240))


def _latin1(text: str) -> str:
    """Replace what the core fonts cannot print."""
    return text.encode("latin-1", "replace").decode("latin-1")


class _ReportPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_title(_latin1(title))
        self.set_creator("formcheck")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)
        self.add_page()
        self.set_font("helvetica", "B", 16)
        self.cell(0, 9, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font("helvetica", "", 10)

    def line_text(self, text: str, bold: bool = False, size: float = 10) -> None:
        self.set_font("helvetica", "B" if bold else "", size)
        self.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("helvetica", "", 10)

    def grid(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]
    ) -> None:
        self.set_font("helvetica", "", 9)
        with self.table(
            col_widths=tuple(widths), headings_style=HEADING, line_height=5, text_align="LEFT"
        ) as table:
            for values in (header, *rows):
                row = table.row()
                for value in values:
                    row.cell(_latin1(value))
        self.set_font("helvetica", "", 10)
        self.ln(2)


def _patient_lines(patient: Patient, lang: str) -> list[str]:
    lines = [
        f"{label(lang, 'patient')}: {patient.code}",
        f"{label(lang, 'approach')}: {label(lang, patient.approach)}; "
        f"{label(lang, 'side')}: {label(lang, patient.operated_side)}",
        f"{label(lang, 'dosage')}: "
        + label(lang, "dosage_value", sets=patient.dosage_sets, reps=patient.dosage_reps),
    ]
    return lines


def _order(exercise: str) -> int:
    return EXERCISE_IDS.index(exercise) if exercise in EXERCISE_IDS else len(EXERCISE_IDS)


def _fmt_deg(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}°"


def _fault_summary(faults: Counter[str], lang: str) -> str:
    if not faults:
        return label(lang, "none")
    return ", ".join(f"{fault_name(lang, code)} ×{n}" for code, n in faults.most_common())


def session_report(
    db: Database, clinician: Clinician, session_id: int, path: str | Path, lang: str = "nl"
) -> Path:
    """Write a session PDF: per exercise sets, reps, faults, peak angle, pain.

    Then, where reps had faults, which: each such rep's set, number, peak angle, hold
    and faults (a clinician sees which rep went past the 90° limit, not only how many).
    """
    check_lang(lang)
    with db.transaction() as s:
        screening = session_in_clinic(s, session_id, clinician)
        s.refresh(screening, ["patient", "clinician"])
        patient = screening.patient
        sets = s.scalars(
            select(ExerciseSet)
            .where(ExerciseSet.session_id == screening.id)
            .options(selectinload(ExerciseSet.reps))
            .order_by(ExerciseSet.set_number)
        ).all()
        by_exercise: dict[str, list[ExerciseSet]] = {}
        for exercise_set in sets:
            by_exercise.setdefault(exercise_set.exercise, []).append(exercise_set)
        rows = []
        advice = []
        faulty_reps = []
        for exercise, group in sorted(by_exercise.items(), key=lambda kv: _order(kv[0])):
            faulty_reps += [
                [
                    exercise_name(lang, exercise),
                    str(x.set_number),
                    str(r.index),
                    _fmt_deg(r.peak_deg),
                    "-" if r.hold_s is None else f"{r.hold_s:.1f}",
                    ", ".join(fault_name(lang, f) for f in r.faults),
                ]
                for x in group
                for r in sorted(x.reps, key=lambda r: r.index)
                if r.faults
            ]
            faults: Counter[str] = Counter(f for x in group for r in x.reps for f in r.faults)
            peaks = [r.peak_deg for x in group for r in x.reps if r.peak_deg is not None]
            pains = [
                ("-" if x.pain is None else str(x.pain))
                + (f" ({label(lang, 'swelling')})" if x.swelling else "")
                for x in group
            ]
            rows.append(
                [
                    exercise_name(lang, exercise),
                    str(len(group)),
                    ", ".join(str(x.rep_count) for x in group),
                    _fault_summary(faults, lang),
                    _fmt_deg(max(peaks) if peaks else None),
                    ", ".join(pains),
                ]
            )
            advice += [x.pain_advice for x in group if x.pain_advice]
        who = screening.clinician.username if screening.clinician else "-"
        started = screening.started_at.astimezone()
        lines = _patient_lines(patient, lang)

    title = label(lang, "session_title")
    pdf = _ReportPDF(title)
    for text in lines:
        pdf.line_text(text)
    pdf.line_text(
        f"{label(lang, 'date')}: {started:%Y-%m-%d %H:%M}; {label(lang, 'clinician')}: {who}"
    )
    pdf.ln(3)
    if rows:
        header = [label(lang, k) for k in ("exercise", "sets", "reps", "faults", "peak", "pain")]
        pdf.grid(header, rows, widths=(48, 12, 26, 54, 18, 22))
    else:
        pdf.line_text(label(lang, "no_sets"))
    for code in dict.fromkeys(advice):
        pdf.line_text(advice_text(lang, code), bold=True)
    if faulty_reps:
        pdf.ln(2)
        pdf.line_text(label(lang, "faulty_reps"), bold=True)
        header = [label(lang, k) for k in ("exercise", "set", "rep", "peak", "held", "faults")]
        pdf.grid(header, faulty_reps, widths=(48, 12, 16, 18, 18, 68))
    path = Path(path)
    pdf.output(str(path))
    return path


def day_axis(axes, days: Sequence[dt.date]) -> None:
    """Put whole days (day-month) on the x axis of ``axes``, about 8 labels at most.

    Padded by a day either side, so a single day shows as a point in the middle.
    """
    from matplotlib.dates import DateFormatter, DayLocator

    first, last = min(days), max(days)
    axes.set_xlim(first - dt.timedelta(days=1), last + dt.timedelta(days=1))
    shown = (last - first).days + 2  # days on the axis, the padding included
    axes.xaxis.set_major_locator(DayLocator(interval=max(1, math.ceil(shown / 8))))
    axes.xaxis.set_major_formatter(DateFormatter("%d-%m"))


def _chart_png(progress: Sequence[DailyExerciseProgress], lang: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 2.8), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    exercises = list(dict.fromkeys(p.exercise for p in progress))
    for exercise in exercises:
        points = [(p.day, p.peak_rom_deg) for p in progress if p.exercise == exercise]
        points = [(d, v) for d, v in points if v is not None]
        if points:
            days, values = zip(*points, strict=True)
            axes.plot(days, values, marker="o", label=exercise_name(lang, exercise))
    axes.set_title(label(lang, "chart_title"), fontsize=9)
    axes.set_ylabel(label(lang, "degrees"), fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    if progress:
        day_axis(axes, [p.day for p in progress])
    if axes.lines:
        axes.legend(fontsize=6, loc="best")
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def progress_report(
    db: Database,
    clinician: Clinician,
    code: str,
    first: dt.date,
    last: dt.date,
    path: str | Path,
    lang: str = "nl",
    rule: DosageRule | None = None,
) -> Path:
    """Write a progress PDF for ``[first, last]``: daily table, sessions, pain, dosage, chart."""
    check_lang(lang)
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        lines = _patient_lines(patient, lang)
        dosage = dosage_of(patient)
    records = set_records(db, clinician, code)
    chosen = in_range(records, first, last)
    progress = daily_progress(chosen)
    sessions = sessions_per_day(chosen)
    trend = pain_trend(daily_pain(chosen))
    until_last = [r for r in records if day_of(r.performed_at) <= last]
    suggestion = suggest_dosage(until_last, dosage, rule)

    pdf = _ReportPDF(f"{label(lang, 'progress_title')} {code}")
    for text in lines:
        pdf.line_text(text)
    pdf.line_text(f"{label(lang, 'period')}: {first.isoformat()} - {last.isoformat()}")
    pdf.ln(3)
    if progress:
        header = [
            label(lang, k)
            for k in ("day", "exercise", "sets", "reps", "fault_rate", "peak", "pain")
        ]
        rows = [
            [
                p.day.isoformat(),
                exercise_name(lang, p.exercise),
                str(p.sets),
                str(p.reps),
                "-" if p.fault_rate is None else f"{p.fault_rate:.0%}",
                _fmt_deg(p.peak_rom_deg),
                "-" if p.max_pain is None else f"{p.mean_pain:.1f} (max {p.max_pain})",
            ]
            for p in progress
        ]
        pdf.grid(header, rows, widths=(20, 50, 12, 20, 26, 18, 34))
        pdf.image(io.BytesIO(_chart_png(progress, lang)), w=170)
        pdf.ln(2)
    else:
        pdf.line_text(label(lang, "no_sets"))
    day_counts = "; ".join(
        f"{d.day:%m-%d}: {d.sessions} ({label(lang, d.status)})" for d in sessions
    )
    pdf.line_text(f"{label(lang, 'sessions_per_day')}: {day_counts or '-'}", bold=True)
    pdf.line_text(label(lang, "sessions_note"), size=8)
    pdf.line_text(f"{label(lang, 'pain_trend')}: {label(lang, trend)}", bold=True)
    pdf.line_text(f"{label(lang, 'suggestion')}:", bold=True)
    if suggestion.proposed is not None:
        pdf.line_text(
            label(
                lang, "suggest_next", sets=suggestion.proposed.sets, reps=suggestion.proposed.reps
            )
        )
    else:
        reason = label(lang, f"reason_{suggestion.reason}")
        pdf.line_text(label(lang, "suggest_stay", reason=reason))
    path = Path(path)
    pdf.output(str(path))
    return path
