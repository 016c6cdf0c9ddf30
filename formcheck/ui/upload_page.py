"""Uploaded video (or a sample clip): queue its analysis, follow it, show, explain, download."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import streamlit as st

from ..analysis import AnalysisResult
from ..i18n import text
from ..jobs import uploads
from ..jobs.store import DONE, FAILED, RUNNING
from ..video import VideoError
from . import report, safety
from .common import Choices, sample_clips, sample_truth, video_error_message

log = logging.getLogger(__name__)
MAX_UPLOAD_MB = 200  # keep in step with server.maxUploadSize in .streamlit/config.toml
KEEP_ANALYSES = 3


def _preset_from_demo() -> None:
    """Selecting a sample clip sets the exercise and side it shows (a widget callback)."""
    clip = st.session_state.get("demo")
    if clip:
        truth = sample_truth(clip)
        st.session_state["exercise"] = truth["exercise"]
        st.session_state["side"] = truth["side"]


def _source(ch: Choices) -> tuple[str, str, bytes | None] | None:
    """``(key, display name, uploaded bytes or None)`` of the video to analyse, or None."""
    clips = sample_clips()
    options = [""] + [str(p) for p in clips]
    st.selectbox(ch.t("demo"), options, key="demo", on_change=_preset_from_demo,
                 format_func=lambda p: Path(p).stem if p else ch.t("demo_none"))
    upload = st.file_uploader(ch.t("upload", mb=MAX_UPLOAD_MB), key="upload")
    if upload is not None:
        data = upload.getvalue()
        return hashlib.sha1(data).hexdigest(), upload.name, data
    demo = st.session_state.get("demo")
    if demo:
        truth = sample_truth(demo)
        st.caption(ch.t("demo_preset",
                        exercise=ch.programme.exercise(truth["exercise"]).title(ch.lang),
                        side=text(f"sides.{truth['side']}", ch.lang)))
        return demo, Path(demo).name, None
    return None


def _analyse(ch: Choices, akey: str, key: str, name: str, data: bytes | None
             ) -> dict[str, Any] | None:
    """Queue the video once (a bad one fails here), then follow its job; None until done."""
    queued: dict[str, str] = st.session_state.setdefault("upload_jobs", {})
    if akey not in queued:
        try:
            job = uploads.submit(name, data, None if data is not None else key, ch.exercise,
                                 ch.settings, ch.lang)
        except VideoError as exc:
            st.error(video_error_message(exc, ch.lang, name))
            return None
        except Exception:  # noqa: BLE001 - the page must keep working; details go to the log
            log.exception("queueing %s failed", name)
            st.error(ch.t("unexpected"))
            return None
        queued[akey] = job.key
        # The link to come back to, with the choices it was made with.
        st.query_params.update(job=job.key, exercise=ch.exercise, side=ch.settings.side,
                               approach=ch.settings.approach)
    return _follow(ch, queued[akey])


def _follow(ch: Choices, job_key: str) -> dict[str, Any] | None:
    """The finished job's record for :func:`_show`; progress (or its failure) meanwhile."""
    job = uploads.state(job_key)
    if job is None:
        return None
    if job.status == FAILED:
        st.error(job.error or ch.t("unexpected"))
        return None
    if job.status != DONE:
        _progress(ch, job_key)
        return None
    try:
        result, video = uploads.result(job)
    except Exception:  # noqa: BLE001 - e.g. its files were removed
        log.exception("job %s: result unreadable", job.id)
        st.error(ch.t("unexpected"))
        return None
    return {"result": result, "video": video, "name": job.source}


@st.fragment(run_every=1.0)
def _progress(ch: Choices, job_key: str) -> None:
    job = uploads.state(job_key)
    if job is None or job.finished:
        st.rerun()
    st.progress(job.progress, text=ch.t("analysing" if job.status == RUNNING else "queued"))
    st.caption(ch.t("job_leave"))


def _show(ch: Choices, rec: dict[str, Any], key: str) -> None:
    result: AnalysisResult = rec["result"]
    faulty = sum(bool(r.faults) for r in result.reps)
    c = st.columns(3)
    c[0].metric(ch.t("rep_counter"), result.rep_count)
    c[1].metric(ch.t("attempts"), len(result.reps))
    c[2].metric(ch.t("faulty_reps"), faulty)
    for w in result.warnings:
        st.warning(w.message)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(ch.t("annotated_video"))
        st.video(rec["video"], format="video/mp4")
    with right:
        st.subheader(ch.t("per_rep"))
        for r in result.reps:
            if r.faults:
                st.markdown(f"**{ch.t('col_rep')} {r.index}:** "
                            + " ".join(report.fault_text(result, c) for c in r.faults))
        st.divider()
        pain = safety.pain_form(ch, f"video-{key}")
    st.subheader(ch.t("plot"))
    st.pyplot(report.angle_figure(result), clear_figure=True)
    st.dataframe(report.rep_rows(result), hide_index=True)
    st.subheader(ch.t("downloads"))
    stem = Path(rec["name"]).stem or "formcheck"
    pain_dict = None if pain is None else {"pain": pain.pain, "swelling": pain.swelling}
    pdf_key = json.dumps(pain_dict)
    if rec.get("pdf_key") != pdf_key:
        rec["pdf"], rec["pdf_key"] = report.summary_pdf(result, pain_dict, ch.reps_per_set), pdf_key
    d = st.columns(4)
    d[0].download_button(ch.t("download_video"), rec["video"], f"{stem}_formcheck.mp4",
                         "video/mp4")
    payload = result.to_dict()
    if pain_dict:
        payload["pain_after_set"] = pain_dict
    d[1].download_button(ch.t("download_json"), json.dumps(payload, ensure_ascii=False, indent=1),
                         f"{stem}_formcheck.json", "application/json")
    d[2].download_button(ch.t("download_csv"), report.reps_csv(result), f"{stem}_reps.csv",
                         "text/csv")
    d[3].download_button(ch.t("download_pdf"), rec["pdf"], f"{stem}_formcheck.pdf",
                         "application/pdf")


def render(ch: Choices) -> None:
    """The upload page."""
    st.header(ch.t("page_video"))
    spec = ch.programme.exercise(ch.exercise)
    st.caption(spec.title(ch.lang) + " · "
               + ch.camera_hint(spec))
    src = _source(ch)
    if src is None:
        linked = st.query_params.get("job")  # back to an earlier upload by its link
        rec = _follow(ch, linked) if linked else None
        if rec is not None:
            _show(ch, rec, linked[:12])
        return
    key, name, data = src
    s = ch.settings
    akey = hashlib.sha1(f"{key}|{ch.exercise}|{s.side}|{s.approach}|{ch.lang}".encode()
                        ).hexdigest()[:16]
    store: dict[str, dict[str, Any]] = st.session_state.setdefault("analyses", {})
    if akey not in store:
        rec = _analyse(ch, akey, key, name, data)
        if rec is None:
            return
        store[akey] = rec
        for old in list(store)[:-KEEP_ANALYSES]:
            del store[old]
    _show(ch, store[akey], hashlib.sha1(f"{key}|{ch.exercise}".encode()).hexdigest()[:12])
