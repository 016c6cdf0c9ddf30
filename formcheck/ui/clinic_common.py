"""What the clinic pages share: the store, the logged-in clinician, texts and messages."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy.engine import make_url

from ..clinic.db import Database, default_db_path, default_db_url, init_db
from ..clinic.models import Clinician, Patient
from ..clinic.protocol import Dosage
from ..clinic.texts import exercise_name, fault_name
from ..i18n import text

FLASH_KEY = "clinic_flash"
VIDEO_DIR_ENV = "FORMCHECK_VIDEO_DIR"


@st.cache_resource(show_spinner=False)
def database(url: str) -> Database:
    """The store at ``url``, migrated to the current schema (one per server process)."""
    return init_db(url)


def db_url() -> str:
    """``$FORMCHECK_DB_URL``, else the clinic layer's default SQLite file."""
    return default_db_url()


def shown_url(url: str) -> str:
    """The URL with any password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def video_dir(url: str) -> Path:
    """Where stored session videos go: ``$FORMCHECK_VIDEO_DIR``, else next to the SQLite file."""
    if os.environ.get(VIDEO_DIR_ENV):
        return Path(os.environ[VIDEO_DIR_ENV])
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database).expanduser().parent / "videos"
    return default_db_path().parent / "videos"


@dataclass(frozen=True)
class ClinicContext:
    """The store, the logged-in clinician and the language, for one page run."""

    db: Database
    url: str
    clinician: Clinician
    lang: str

    def t(self, key: str, **values: Any) -> str:
        """The text ``clinic_ui.<key>`` in the page's language."""
        return text(f"clinic_ui.{key}", self.lang, **values)

    def exercise(self, exercise: str) -> str:
        """An exercise's short numbered name."""
        return exercise_name(self.lang, exercise)

    def fault(self, code: str) -> str:
        """A fault code's short name."""
        return fault_name(self.lang, code)

    def side(self, side: str) -> str:
        """``left``/``right`` in words."""
        return text(f"app.side_{side}", self.lang)

    def approach(self, approach: str) -> str:
        """The surgical approach in words."""
        return text(f"app.approach_{approach}", self.lang)


def dosage_text(dosage: Dosage | Patient) -> str:
    """``3 × 5`` for a dosage or a patient's current dosage."""
    if isinstance(dosage, Patient):
        return f"{dosage.dosage_sets} × {dosage.dosage_reps}"
    return f"{dosage.sets} × {dosage.reps}"


def flash(kind: str, message: str) -> None:
    """Queue a message (``success``, ``info``, ``warning``, ``error``) for the next run."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flashes() -> None:
    """Show and clear the queued messages."""
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(message)
