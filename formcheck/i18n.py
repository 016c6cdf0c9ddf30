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
