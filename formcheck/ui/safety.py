"""The leaflet's safety rule: after each set ask pain and swelling; advise less intensity.

"Mocht er tijdens het oefenen plotselinge toename van pijn of zwelling ontstaan,
verminder dan tijdelijk de oefeningsintensiteit."
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import streamlit as st

from .common import Choices

PAIN_RISE = 2  # points on 0-10 compared with the previous set


@dataclass(frozen=True)
class PainEntry:
    """What the patient reported after one set."""

    pain: int
    swelling: bool
    context: str = ""
    at: str = ""


def reduce_reasons(previous: PainEntry | None, current: PainEntry) -> dict[str, int | bool]:
    """Why to reduce the intensity: ``{"pain": rise}`` and/or ``{"swelling": True}``; empty if fine.

    >>> reduce_reasons(PainEntry(2, False), PainEntry(4, False))
    {'pain': 2}
    >>> reduce_reasons(None, PainEntry(5, True))
    {'swelling': True}
    """
    reasons: dict[str, int | bool] = {}
    if previous is not None and current.pain - previous.pain >= PAIN_RISE:
        reasons["pain"] = current.pain - previous.pain
    if current.swelling and not (previous is not None and previous.swelling):
        reasons["swelling"] = True
    return reasons


def _log() -> list[PainEntry]:
    return st.session_state.setdefault("pain_log", [])


def entry_for(key: str) -> PainEntry | None:
    """The answer saved for the set ``key``, if any."""
    return next((e for e in _log() if e.context == key), None)


def pain_form(ch: Choices, key: str) -> PainEntry | None:
    """Ask pain and swelling for the set ``key``; show the advice. Returns the saved answer."""
    log = _log()
    saved = entry_for(key)
    if saved is None:
        with st.form(f"pain_{key}"):
            st.markdown(f"**{ch.t('pain_title')}**")
            pain = st.slider(ch.t("pain"), 0, 10, 0, key=f"pain_value_{key}")
            swelling = st.radio(ch.t("swelling"), [False, True], horizontal=True,
                                key=f"swelling_{key}",
                                format_func=lambda v: ch.t("yes" if v else "no"))
            if not st.form_submit_button(ch.t("save")):
                return None
        saved = PainEntry(int(pain), bool(swelling), key,
                          datetime.now().isoformat(timespec="seconds"))
        log.append(saved)
    i = log.index(saved)
    reasons = reduce_reasons(log[i - 1] if i else None, saved)
    yes_no = ch.t("yes" if saved.swelling else "no")
    st.caption(ch.t("pain_saved", pain=saved.pain, swelling=yes_no))
    if reasons:
        why = []
        if "pain" in reasons:
            why.append(ch.t("reduce_why_pain", delta=reasons["pain"]))
        if "swelling" in reasons:
            why.append(ch.t("reduce_why_swelling"))
        st.error(ch.t("reduce") + "\n\n" + " ".join(why), icon=":material/warning:")
    return saved


def as_dicts() -> list[dict]:
    """The pain log, JSON-ready."""
    return [asdict(e) for e in _log()]
