"""Messages in Dutch and English from ``messages.toml``."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("nl", "en")
MESSAGES_FILE = Path(__file__).with_name("messages.toml")


@cache
def _messages() -> dict[str, Any]:
    return tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def text(key: str, lang: str = "nl", **values: Any) -> str:
    """The message ``section.name`` in ``lang``, with ``values`` filled in.

    >>> text("faults.too_fast", "en")
    'Do the exercise calmly and slowly.'
    """
    node: Any = _messages()
    for part in key.split("."):
        node = node[part]
    template = node[lang if lang in LANGUAGES else "nl"]
    return template.format(**values) if values else template


def has(key: str) -> bool:
    """Whether a message exists for ``key``."""
    node: Any = _messages()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def fault_text(code: str, spec: Any, lang: str) -> str:
    """A fault code as the sentence the patient reads, for the exercise ``spec``.

    The exercise's own wording where ``messages.toml`` has one
    (``exercise_faults.<exercise>.<code>``: a bridge short of its top is told to lift the
    buttocks further), else the code's.
    """
    own = f"exercise_faults.{spec.id}.{code}"
    return text(own if has(own) else f"faults.{code}", lang, hold_s=spec.hold_s)


def measure_name(name: str, lang: str) -> str:
    """A measure's name for people (falls back to the code)."""
    key = f"app.measures.{name}"
    return text(key, lang) if has(key) else name


def peak_measure_name(spec: Any, lang: str) -> str:
    """The measure a rep's peak is given in (a squat's knee, not its hip).

    That is the measure shown for the exercise's signal (:data:`~formcheck.measures.SHOWN_AS`).
    """
    from .measures import SHOWN_AS

    return measure_name(SHOWN_AS.get(spec.signal, spec.signal), lang)
