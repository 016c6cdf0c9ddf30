"""A patient's progress (plots, sessions per day, dosage suggestion) and reports/exports."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import streamlit as st  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..clinic import export, records, reports  # noqa: E402
from ..clinic.models import Patient  # noqa: E402
from ..clinic.progress import (  # noqa: E402
    DailyExerciseProgress,
    DailySessions,
    adherence,
    daily_pain,
    daily_progress,
    day_of,
    pain_trend,
    sessions_per_day,
    suggest_dosage,
)
from ..clinic.protocol import SESSIONS_PER_DAY_MAX, SESSIONS_PER_DAY_MIN, Dosage  # noqa: E402
from ..clinic.texts import label  # noqa: E402
from .clinic_common import ClinicContext, dosage_text, flash  # noqa: E402

PEAK_BLUE = "#1f4e79"
FAULT_RED = "#c62828"
OK_GREEN = "#2e7d32"


def exercise_figure(ctx: ClinicContext, days: Sequence[DailyExerciseProgress]) -> Figure:
    """Peak range of motion (line, left axis) and fault rate (bars, right axis) per day."""
    fig, ax = plt.subplots(figsize=(6.0, 2.8), dpi=100)
    x = [d.day for d in days]
    peaks = [d.peak_rom_deg for d in days]
    rates = [100 * (d.fault_rate or 0) for d in days]
    right = ax.twinx()
    right.bar(x, rates, width=0.5, color=FAULT_RED, alpha=0.25, label=ctx.t("chart_fault_rate"))
    right.set_ylim(0, 100)
    right.set_ylabel(ctx.t("chart_fault_rate"), color=FAULT_RED, fontsize=8)
    right.tick_params(labelsize=7, colors=FAULT_RED)
    ax.plot(x, peaks, marker="o", color=PEAK_BLUE, lw=1.8, label=ctx.t("chart_peak"))
    ax.set_ylabel(ctx.t("chart_peak"), color=PEAK_BLUE, fontsize=8)
    shown = [p for p in peaks if p is not None]
    ax.set_ylim(0, max(shown + [10]) * 1.2)
    ax.set_zorder(right.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.set_title(ctx.exercise(days[0].exercise), fontsize=10)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    reports.day_axis(ax, x)
    fig.tight_layout()
    return fig


def sessions_figure(ctx: ClinicContext, days: Sequence[DailySessions]) -> Figure:
    """Sessions per day as bars against the leaflet's band of 2 to 3."""
    fig, ax = plt.subplots(figsize=(6.0, 2.4), dpi=100)
    ax.axhspan(SESSIONS_PER_DAY_MIN - 0.5, SESSIONS_PER_DAY_MAX + 0.5, color=OK_GREEN, alpha=0.12,
               label=ctx.t("chart_band"))
    colours = [OK_GREEN if d.status == "ok" else FAULT_RED for d in days]
    ax.bar([d.day for d in days], [d.sessions for d in days], width=0.5, color=colours)
    if any(d.home_sessions for d in days):
        ax.bar([d.day for d in days], [d.home_sessions for d in days], width=0.5,
               color="none", edgecolor="black", hatch="//", lw=0.6, label=ctx.t("chart_home"))
    ax.set_ylim(0, max([d.sessions for d in days] + [SESSIONS_PER_DAY_MAX]) + 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(ctx.t("chart_sessions"), fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    reports.day_axis(ax, [d.day for d in days])
    fig.tight_layout()
    return fig


def _confirm(ctx: ClinicContext, code: str, stage: Dosage) -> None:
    records.apply_dosage(ctx.db, ctx.clinician, code, stage)
    flash("success", ctx.t("confirmed", dosage=dosage_text(stage)))


def adherence_line(ctx: ClinicContext, days: Sequence[DailySessions],
                   today: dt.date | None = None) -> str:
    """Today's sessions (and how many at home) and the days within 2-3 of the last 7."""
    seen = adherence(days, today or dt.date.today())
    return ctx.t("adherence", today=seen.today, home=seen.home, ok=seen.days_ok)


def render_progress(ctx: ClinicContext, patient: Patient) -> None:
    """Per exercise: peak ROM and fault rate per day; sessions per day; dosage suggestion."""
    st.subheader(ctx.t("progress_title", code=patient.code))
    sets = records.set_records(ctx.db, ctx.clinician, patient.code)
    if not sets:
        st.info(ctx.t("no_sets"))
        return
    daily = daily_progress(sets)
    order = [e for e in patient.enabled_exercises if any(d.exercise == e for d in daily)]
    order += sorted({d.exercise for d in daily} - set(order))
    cols = st.columns(2)
    for i, exercise in enumerate(order):
        with cols[i % 2]:
            st.pyplot(exercise_figure(ctx, [d for d in daily if d.exercise == exercise]),
                      clear_figure=True)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{ctx.t('sessions_title')}**")
        per_day = sessions_per_day(sets)
        st.markdown(adherence_line(ctx, per_day))
        st.pyplot(sessions_figure(ctx, per_day), clear_figure=True)
        trend = pain_trend(daily_pain(sets))
        st.markdown(ctx.t("pain_trend", trend=label(ctx.lang, trend)))
    with right:
        st.markdown(f"**{ctx.t('dosage_title')}**")
        suggestion = suggest_dosage(sets, records.dosage_of(patient))
        st.markdown(ctx.t("dosage_now", dosage=dosage_text(suggestion.current)))
        if suggestion.proposed is not None:
            st.success(ctx.t("suggest_next", dosage=dosage_text(suggestion.proposed)))
            st.button(ctx.t("confirm", dosage=dosage_text(suggestion.proposed)), type="primary",
                      key=f"confirm_{patient.code}", on_click=_confirm,
                      args=(ctx, patient.code, suggestion.proposed))
        else:
            st.info(ctx.t("suggest_stay", reason=label(ctx.lang, f"reason_{suggestion.reason}")))
    st.markdown(f"**{ctx.t('recent_sets')}**")
    st.dataframe([{
        ctx.t("col_time"): f"{r.performed_at.astimezone():%Y-%m-%d %H:%M}",
        ctx.t("col_source"): ctx.t(f"source_{r.source}"),
        label(ctx.lang, "exercise"): ctx.exercise(r.exercise),
        ctx.t("col_reps"): f"{r.rep_count}/{r.target_reps}",
        ctx.t("col_pain"): "-" if r.pain is None else f"{r.pain}/10",
    } for r in reversed(sets[-12:])], hide_index=True)
    st.markdown(f"**{ctx.t('daily_table')}**")
    st.dataframe([{
        label(ctx.lang, "day"): d.day.isoformat(), label(ctx.lang, "exercise"): ctx.exercise(
            d.exercise), label(ctx.lang, "sets"): d.sets, label(ctx.lang, "reps"): d.reps,
        label(ctx.lang, "fault_rate"): "-" if d.fault_rate is None else f"{d.fault_rate:.0%}",
        label(ctx.lang, "peak"): "-" if d.peak_rom_deg is None else f"{d.peak_rom_deg:.0f}°",
        label(ctx.lang, "pain"): "-" if d.mean_pain is None else f"{d.mean_pain:.1f}",
    } for d in daily], hide_index=True)


# -- reports and exports ---------------------------------------------------------------------

def _file_bytes(write: Callable[[Path], object], suffix: str) -> Callable[[], bytes]:
    """A deferred download: ``write(path)`` into a temporary file when the button is clicked."""
    def make() -> bytes:
        with tempfile.TemporaryDirectory(prefix="formcheck-report-") as tmp:
            path = Path(tmp) / f"out{suffix}"
            write(path)
            return path.read_bytes()
    return make


def _local(iso: str) -> str:
    return f"{dt.datetime.fromisoformat(iso).astimezone():%Y-%m-%d %H:%M}"


def _delete(ctx: ClinicContext, patient: Patient) -> None:
    with st.expander(ctx.t("delete_title")):
        st.warning(ctx.t("delete_warning", code=patient.code))
        typed = st.text_input(ctx.t("delete_type", code=patient.code),
                              key=f"delete_{patient.code}")
        if st.button(ctx.t("delete_button"), type="primary", disabled=typed != patient.code,
                     key=f"delete_button_{patient.code}"):
            videos = records.delete_patient(ctx.db, ctx.clinician, patient.code)
            for key in ("clinic_patient", "clinic_session", "clinic_analysis"):
                st.session_state.pop(key, None)
            flash("success", ctx.t("deleted", code=patient.code, videos=videos))
            st.rerun()


def render_reports(ctx: ClinicContext, patient: Patient) -> None:
    """Session PDF, progress PDF over a period, CSV/JSON export, delete the patient."""
    db, who, code, lang = ctx.db, ctx.clinician, patient.code, ctx.lang
    st.subheader(ctx.t("reports_title", code=code))
    data = export.patient_export(db, who, code)
    sessions = [s for s in data["patient"]["sessions"] if s["sets"]]
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{ctx.t('session_pdf')}**")
        if sessions:
            names = {s["id"]: ctx.t("session_label", id=s["id"], sets=len(s["sets"]),
                                    time=_local(s["started_at"])) for s in reversed(sessions)}
            chosen = st.selectbox(ctx.t("pick_session"), list(names), key="report_session",
                                  format_func=names.get)
            st.download_button(
                ctx.t("download_pdf"), key="session_pdf", mime="application/pdf",
                file_name=f"{code}_session_{chosen}.pdf", on_click="ignore",
                data=_file_bytes(lambda p: reports.session_report(db, who, chosen, p, lang),
                                 ".pdf"))
        else:
            st.caption(ctx.t("no_sessions"))
    with right:
        st.markdown(f"**{ctx.t('progress_pdf')}**")
        days = [day_of(r.performed_at) for r in records.set_records(db, who, code)]
        today = dt.date.today()
        period = st.date_input(ctx.t("period"), value=(min(days, default=today), today),
                               key="report_period")
        if isinstance(period, tuple) and len(period) == 2:
            first, last = period
            st.download_button(
                ctx.t("download_pdf"), key="progress_pdf", mime="application/pdf",
                file_name=f"{code}_progress_{first}_{last}.pdf", on_click="ignore",
                data=_file_bytes(
                    lambda p: reports.progress_report(db, who, code, first, last, p, lang),
                    ".pdf"))
    st.markdown(f"**{ctx.t('exports')}**")
    c = st.columns(4)
    c[0].download_button(ctx.t("export_csv"), key="export_csv", mime="text/csv",
                         file_name=f"{code}.csv", on_click="ignore",
                         data=_file_bytes(lambda p: export.write_csv(db, who, code, p), ".csv"))
    c[1].download_button(ctx.t("export_json"), key="export_json", mime="application/json",
                         file_name=f"{code}.json", on_click="ignore",
                         data=json.dumps(data, indent=2, ensure_ascii=False))
    _delete(ctx, patient)
