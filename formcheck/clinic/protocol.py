"""Vocabulary of the clinic records: exercises, approaches, sides, faults and dosage stages.

The leaflet ("Oefenschema voor de heup") prescribes starting at 3 sets of 5 repetitions and
building up slowly to 3 sets of 10, two to three times a day.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

EXERCISE_IDS: tuple[str, ...] = (
    "hip_abduction",
    "mini_squat",
    "hip_flexion",
    "hip_extension_stretch",
    "heel_slide",
    "bridge",
)
APPROACHES: tuple[str, ...] = ("posterolateral", "anterior")
SIDES: tuple[str, ...] = ("left", "right")
FAULT_CODES: tuple[str, ...] = (
    "hip_flexion_limit",
    "trunk_lean",
    "knee_not_straight",
    "knee_valgus",
    "hold_too_short",
    "too_fast",
    "heel_lift",
    "incomplete_range",
    "adduction_past_midline",
)

#: Sessions (programme repetitions) per day the leaflet asks for: "2 tot 3 keer".
SESSIONS_PER_DAY_MIN = 2
SESSIONS_PER_DAY_MAX = 3
#: Dosage stages: 3 sets, repetitions from 5 up to 10.
STAGE_SETS = 3
MIN_REPS = 5
MAX_REPS = 10


class ProtocolError(ValueError):
    """A protocol value outside the vocabulary above."""


@dataclass(frozen=True, order=True)
class Dosage:
    """A dosage stage: ``sets`` sets of ``reps`` repetitions (leaflet: 3x5 up to 3x10)."""

    sets: int = 3
    reps: int = 5

    def __post_init__(self) -> None:
        if self.sets != STAGE_SETS or not MIN_REPS <= self.reps <= MAX_REPS:
            raise ProtocolError(f"dosage {self.sets}x{self.reps} is not a stage from 3x5 to 3x10")

    def __str__(self) -> str:
        return f"{self.sets}x{self.reps}"

    @classmethod
    def parse(cls, text: str) -> Dosage:
        """Parse ``"3x6"`` (also ``"3×6"``, ``"3*6"``) into a :class:`Dosage`."""
        match = re.fullmatch(r"\s*(\d+)\s*[x×*]\s*(\d+)\s*", text)
        if not match:
            raise ProtocolError(f"dosage {text!r} is not of the form 3x5")
        return cls(int(match.group(1)), int(match.group(2)))

    def next_stage(self) -> Dosage | None:
        """One step towards 3x10, or ``None`` at the top stage."""
        index = DOSAGE_STAGES.index(self)
        return DOSAGE_STAGES[index + 1] if index + 1 < len(DOSAGE_STAGES) else None


DOSAGE_STAGES: tuple[Dosage, ...] = tuple(
    Dosage(STAGE_SETS, reps) for reps in range(MIN_REPS, MAX_REPS + 1)
)
START_DOSAGE = DOSAGE_STAGES[0]
TARGET_DOSAGE = DOSAGE_STAGES[-1]


def check_choice(value: str, allowed: Iterable[str], what: str) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ProtocolError`."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ProtocolError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return value


def check_exercises(exercises: Iterable[str]) -> list[str]:
    """Validate and order (leaflet order) a set of enabled exercise ids."""
    chosen = set(exercises)
    for exercise in chosen:
        check_choice(exercise, EXERCISE_IDS, "exercise")
    if not chosen:
        raise ProtocolError("a protocol needs at least one exercise")
    return [e for e in EXERCISE_IDS if e in chosen]


def check_limit_overrides(overrides: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Validate ``{exercise_id: {limit_name: number}}``; limit names belong to the engine."""
    if not isinstance(overrides, Mapping):
        raise ProtocolError("limit overrides must be a JSON object")
    clean: dict[str, dict[str, float]] = {}
    for exercise, limits in overrides.items():
        check_choice(exercise, EXERCISE_IDS, "exercise")
        if not isinstance(limits, Mapping):
            raise ProtocolError(f"limits for {exercise} must be an object of name: number")
        clean[exercise] = {}
        for name, value in limits.items():
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not isinstance(name, str) or not name or not ok or not math.isfinite(value):
                raise ProtocolError(f"limit {exercise}.{name} must be a finite number")
            clean[exercise][name] = value
    return clean
