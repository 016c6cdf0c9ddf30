"""The exercise programme (``exercises.toml``) as typed, overridable specs."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

EXERCISES_FILE = Path(__file__).with_name("exercises.toml")
APPROACHES = ("posterolateral", "anterior")
FAULT_CODES = (
    "hip_flexion_limit", "trunk_lean", "knee_not_straight", "knee_valgus", "hold_too_short",
    "too_fast", "heel_lift", "incomplete_range", "adduction_past_midline",
)


class UnknownExercise(KeyError):
    """An exercise id that is not in the programme."""


@dataclass(frozen=True)
class FaultRule:
    """A limit on one measure during a rep; crossing it flags ``code``."""

    code: str
    measure: str
    max: float | None = None
    min: float | None = None
    views: tuple[str, ...] = ()
    approaches: tuple[str, ...] = ()
    only_when_signal_above: float | None = None
    unreliable_when: dict[str, float] = field(default_factory=dict)
    view_limits: dict[str, dict[str, Any]] = field(default_factory=dict)
    also_beyond: dict[str, float] = field(default_factory=dict)
    also_together: dict[str, float] = field(default_factory=dict)
    """Other readings of the fault that flag it when all are beyond their limits at once
    (each alone within what the fault-free movement reads)."""
    min_duration_s: float | None = None
    """How long the limit must stay crossed to flag (default: ``Tracking.fault_min_duration_s``)."""

    def for_view(self, view: str) -> FaultRule:
        """Return the rule with the limits the file sets for ``view`` (if any)."""
        extra = self.view_limits.get(view)
        return dataclasses.replace(self, **extra) if extra else self

    def applies(self, approach: str, enabled_checks: tuple[str, ...]) -> bool:
        """Whether this rule is checked for a patient with ``approach``."""
        if not self.approaches:
            return True
        return approach in self.approaches and self.code in enabled_checks

    def judgeable(self, values: dict[str, float]) -> bool:
        """Whether the measure can be trusted in this frame.

        ``unreliable_when`` maps a measure to the value beyond which this rule's
        measure is not what it seems (e.g. a 3-D knee angle while the trunk leans
        sideways): such frames are not judged.
        """
        for name, limit in self.unreliable_when.items():
            v = values.get(name, float("nan"))
            if v == v and v > limit:
                return False
        return True

    def violated(self, value: float, values: dict[str, float] | None = None) -> bool:
        """Whether ``value`` is beyond the limit (or the other readings beyond theirs).

        An ``also_beyond`` measure beyond its own limit, or every ``also_together``
        measure beyond its own at once, flags it too. ``values``: the frame's measures;
        ``also_beyond``: another reading of the fault on its own scale (e.g. a knee's
        bend from its shank's length in the picture, where the model's 3-D knee angle
        reads a fraction of it).
        """
        if (self.max is not None and value > self.max) or (
                self.min is not None and value < self.min):
            return True
        if not values:
            return False
        return any(values.get(name, float("nan")) > limit
                   for name, limit in self.also_beyond.items()) or (
            bool(self.also_together) and all(values.get(name, float("nan")) > limit
                                             for name, limit in self.also_together.items()))


@dataclass(frozen=True)
class ExerciseSpec:
    """One exercise: its movement signal, rep thresholds, hold, tempo and faults."""

    id: str
    number: int
    title_nl: str
    title_en: str
    steps_nl: tuple[str, ...]
    steps_en: tuple[str, ...]
    posture: str
    views: tuple[str, ...]
    best_view: str
    signal: str
    legs: str
    calibrate: bool
    start_deg: float
    target_deg: float
    return_deg: float
    hold_s: float
    min_move_s: float
    faults: tuple[FaultRule, ...]
    start_knee_flexion_deg: tuple[float, float] | None = None
    min_legs_together: float = 0.0
    hip_drop_target: float = 0.0
    hip_drop_min: float = 0.0
    """A movement cycle whose hips went down less than this share of their standing height
    is not the exercise (set per view in ``view_thresholds``)."""
    knee_from_hip_drop: bool = False
    """Knee (and hip) flexion read from how far the hips went down (set per view in
    ``view_thresholds``; see :func:`~formcheck.measures.calibrated`)."""
    knee_from_slide: bool = False
    """Lying with the heel on the surface (a heel slide): the knee read from the landmarks
    and from the heel's slide towards the hip together (see
    :func:`~formcheck.kinematics.knee_from_slide_and_landmarks`)."""
    thigh_from_leg_lengths: bool = False
    """Standing, the leg moving in its own plane (a knee lift): side-on, where the model
    draws the raised thigh short, hip and knee are read from the hip–ankle line and the
    start's segment lengths (see :func:`~formcheck.measures.with_leg_lengths`)."""
    start_also: str = ""
    """A measure that also starts an attempt (and keeps it going) once past ``start_deg``,
    as far as it lies within ``start_also_within_deg`` of the signal; "" = none."""
    start_also_within_deg: float = 0.0
    start_also_from_deg: float = 0.0
    """The ``start_also`` reading is taken only from this level up (0: from any)."""
    start_also_legs_together: float = 0.0
    """A cycle only the ``start_also`` reading showed (the signal stayed under
    ``start_deg``) is one leg's movement, not the exercise, where at its top the less
    bent leg shows under this share of the more bent one's angle (0: not judged)."""
    target_also: str = ""
    """A measure that must also come to ``target_also_max_deg`` or under (two samples in a
    row) for a rep to reach its target, where the signal alone can read a partial movement
    as full (a bridge's lift from some views: its hips must also come near in line);
    "" = none. A rep in which it was seen in under half the samples is judged on the
    signal alone."""
    target_also_max_deg: float = 0.0
    hold_envelope_s: float = 0.0
    """Seen where the legs overlap, a held raised leg reads the highest of its readings over
    the last this long (0 = its reading as it is)."""
    foot_off_floor: bool = False
    """The moving leg is raised with its foot off the floor (a knee lift): live, seen
    side-on or obliquely, the leg that rose keeps its label until its foot is back on the
    floor (:class:`~formcheck.kinematics.PlantedLegs`). Not for a leg stretched back with
    its foot on the floor, whose ankle also comes nearer the hips' height."""
    split_stance: bool = False
    """The movement is held in a split stance, both feet on the floor apart (the stretch):
    live, seen side-on or obliquely, the legs keep the labels of the places their feet
    stand on (:class:`~formcheck.kinematics.SplitStance`)."""
    tempo_signal: str = ""
    """The measure a rep's tempo (``too_fast``) is timed on, where the pose model reads
    the signal itself unevenly over the movement; "" = the signal. A rep it was not seen
    through is not timed (reported as not checked)."""
    support: bool = False
    """The patient holds on to a table or chair (the leaflet's support): the camera hint
    asks for it not between them and the camera."""
    enabled: bool = True
    view_thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_judged: tuple[str, ...] = ()
    """Fault codes not judged (set per view in ``view_thresholds``): the view cannot show
    them; a result then carries ``fault_not_checked`` for them instead of a guess."""
    not_judged_from_behind: tuple[str, ...] = ()
    """Fault codes not judged from the front views when the camera sees the body's back
    (:func:`~formcheck.measures.turned_camera`): the model cannot show them from there."""

    def __post_init__(self) -> None:
        if not self.return_deg < self.start_deg < self.target_deg:
            raise ValueError(f"{self.id}: need return_deg < start_deg < target_deg")

    def for_view(self, view: str, behind: bool = False,
                 overrides: dict[str, Any] | None = None) -> ExerciseSpec:
        """Return the spec with the thresholds and limits the file sets for ``view``.

        ``behind``: the camera sees the body's back (from a front view, the
        ``not_judged_from_behind`` codes are not judged either). ``overrides``: a
        patient's own limits (:func:`apply_overrides`), given on the exercise's scale:
        where the view sets a limit again, on its own measure's scale, the patient's
        value is moved onto that scale (:func:`onto_view`).
        """
        extra = dict(self.view_thresholds.get(view, {}))
        if behind and view == "front" and self.not_judged_from_behind:
            extra["not_judged"] = tuple(dict.fromkeys(
                (*extra.get("not_judged", self.not_judged), *self.not_judged_from_behind)))
        faults = tuple(r.for_view(view) for r in self.faults)
        viewed = dataclasses.replace(self, faults=faults, **extra)
        return onto_view(self, viewed, overrides) if overrides else viewed

    def title(self, lang: str) -> str:
        """Title in ``lang`` (``nl`` or ``en``)."""
        return self.title_nl if lang == "nl" else self.title_en

    def steps(self, lang: str) -> tuple[str, ...]:
        """Instruction steps in ``lang``."""
        return self.steps_nl if lang == "nl" else self.steps_en


@dataclass(frozen=True)
class Tracking:
    """Measuring defaults (not clinical facts)."""

    min_visibility: float
    min_visibility_count: float
    max_gap_s: float
    smoothing_cutoff_hz: float
    calibration_s: float
    max_calibration_offset_deg: float
    min_detection_rate: float
    fault_min_duration_s: float
    hold_margin_deg: float
    tail_s: float
    return_fraction: float
    max_posture_tilt_deg: float
    max_travel_trunks: float
    hold_average_s: float = 0.0
    hold_still_deg_s: float = 0.0
    hold_still_share: float = 0.0
    hold_still_s: float = 0.5
    settle_s: float = 0.0
    hold_min_return_s: float = 0.0
    bleed_ratio: float = float("inf")
    end_position_s: float = 0.0
    opening_rise_fraction: float = 0.0
    end_moving_s: float = 0.0
    lying_straight_knee_deg: float = 0.0
    lying_max_hip_shift: float = 0.0
    lying_width_ratio: float = 0.0
    standing_hip_below: float = 0.0
    standing_hip_below_front: float = 0.0
    standing_max_hip_shift: float = 0.0
    standing_thigh_shrink_low: float = 0.0
    standing_thigh_shrink_high: float = 0.0
    legs_hidden_share: float = 0.0
    world_pitch_gain: float = 0.0
    world_pitch_offset_deg: float = 0.0
    camera_toe_level: float = 0.0
    camera_toe_per_tan: float = 0.0
    camera_toe_margin_deg: float = 0.0
    smoothing_noise_deg: float = 0.0
    smoothing_min_cutoff_hz: float = 0.0
    noise_margin_sd: float = 0.0
    attempt_noise_sd: float = 0.0
    shank_noise_sd: float = 0.0
    hip_drop_noise: float = 0.0
    min_rep_frames: float = 0.0
    camera_roll_min_deg: float = 0.0


@dataclass(frozen=True)
class Dosage:
    """Sets × reps per session and sessions per day (leaflet: 3×5 → 3×10, 2–3 a day)."""

    sets: int
    reps_start: int
    reps_goal: int
    sessions_per_day_min: int
    sessions_per_day_max: int
    new_set_after_rest_s: float

    def stages(self) -> list[tuple[int, int]]:
        """The dosage steps from the start to the goal, e.g. ``[(3, 5), …, (3, 10)]``."""
        return [(self.sets, r) for r in range(self.reps_start, self.reps_goal + 1)]


@dataclass(frozen=True)
class Approach:
    """A surgical approach and the precaution checks it switches on."""

    id: str
    precautions_nl: str
    precautions_en: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Programme:
    """Everything in ``exercises.toml``."""

    exercises: dict[str, ExerciseSpec]
    approaches: dict[str, Approach]
    dosage: Dosage
    tracking: Tracking
    source: str = ""

    def exercise(self, exercise_id: str) -> ExerciseSpec:
        """The spec for ``exercise_id``; raises :class:`UnknownExercise`."""
        try:
            return self.exercises[exercise_id]
        except KeyError:
            raise UnknownExercise(exercise_id) from None


def _exercise(eid: str, raw: dict[str, Any]) -> ExerciseSpec:
    raw = dict(raw)
    faults = tuple(
        FaultRule(**{**f, "views": tuple(f.get("views", ())),
                     "unreliable_when": dict(f.get("unreliable_when", {})),
                     "approaches": tuple(f.get("approaches", ())),
                     "also_beyond": dict(f.get("also_beyond", {})),
                     "also_together": dict(f.get("also_together", {})),
                     "view_limits": {v: dict(x) for v, x in f.get("view_limits", {}).items()}})
        for f in raw.pop("faults", [])
    )
    for key in ("steps_nl", "steps_en", "views"):
        raw[key] = tuple(raw[key])
    if "start_knee_flexion_deg" in raw:
        raw["start_knee_flexion_deg"] = tuple(raw["start_knee_flexion_deg"])
    raw["view_thresholds"] = {
        v: {k: tuple(x) if isinstance(x, list) else x for k, x in t.items()}
        for v, t in raw.get("view_thresholds", {}).items()}
    for key in ("not_judged", "not_judged_from_behind"):
        if key in raw:
            raw[key] = tuple(raw[key])
    return ExerciseSpec(id=eid, faults=faults, **raw)


def load_programme(path: str | Path = EXERCISES_FILE) -> Programme:
    """Parse a programme file (the bundled ``exercises.toml`` by default)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return Programme(
        exercises={k: _exercise(k, v) for k, v in data["exercises"].items()},
        approaches={
            k: Approach(id=k, **{**v, "checks": tuple(v.get("checks", ()))})
            for k, v in data["approaches"].items()
        },
        dosage=Dosage(**data["dosage"]),
        tracking=Tracking(**data["tracking"]),
        source=str(path),
    )


@cache
def default_programme() -> Programme:
    """The bundled programme, parsed once."""
    return load_programme()


def apply_overrides(spec: ExerciseSpec, overrides: dict[str, Any] | None) -> ExerciseSpec:
    """A copy of ``spec`` with a patient's overrides.

    Keys are field names (``target_deg``, ``hold_s``, ``enabled`` …) or
    ``"<fault code>.<max|min>"`` for a fault limit; a fault code set to
    ``false`` switches that check off.

    >>> s = default_programme().exercise("mini_squat")
    >>> apply_overrides(s, {"hip_flexion_limit.max": 80}).faults[0].max
    80
    """
    if not overrides:
        return spec
    fields = {f.name for f in dataclasses.fields(ExerciseSpec)} - {"id", "faults",
                                                                     "view_thresholds"}
    plain: dict[str, Any] = {}
    faults = {f.code: f for f in spec.faults}
    for key, value in overrides.items():
        code, _, attr = key.partition(".")
        if key in fields:
            plain[key] = value
        elif code in faults and attr in ("max", "min"):
            faults[code] = dataclasses.replace(faults[code], **{attr: value})
        elif code in faults and not attr and value is False:
            del faults[code]
        else:
            raise ValueError(f"unknown override for {spec.id}: {key}")
    return dataclasses.replace(spec, faults=tuple(faults.values()), **plain)


REP_THRESHOLDS = ("return_deg", "start_deg", "target_deg")
"""A rep's thresholds on its signal, lowest first."""


def _view_scale(base: tuple[float, ...], view: tuple[float, ...], value: float) -> float:
    """``value`` on the exercise's scale moved onto a view's.

    Through the points where the exercise's thresholds ``base`` (ascending) meet the
    view's ``view``: straight between them, in proportion past the last (0 stays 0).
    """
    xs, ys = (0.0, *base), (0.0, *view)
    if value > xs[-1]:
        return value * ys[-1] / xs[-1]
    return float(np.interp(value, xs, ys))


def onto_view(base: ExerciseSpec, viewed: ExerciseSpec,
              overrides: dict[str, Any]) -> ExerciseSpec:
    """``viewed`` (``base.for_view(...)``) with a patient's ``overrides`` of ``base``.

    A view may read the movement on another measure and set the rep's thresholds and
    fault limits again on that measure's scale (from the front a squat's 3-D knee reads
    ~40 % of the bend: its target is 14° where the exercise's is 35°). A patient's limit
    is given on the exercise's scale: where the view sets that limit again, it is moved
    onto the view's scale, keeping its place among the exercise's thresholds (a target
    set to 45° of a 35° one becomes 18° there) or, for a fault's limit, its share of
    the exercise's (a bent knee's limit of 30° for 25° is 12° for the front's 10°, a
    reading on the true scale 30° for 25°). A view's ``hip_drop_target`` (the drop of
    the hips a knee bend of the target gives, ``1 - cos(knee / 2)``) follows the
    target as that knee would. Limits the view does not set again apply as given.
    """
    over = apply_overrides(base, overrides)  # the patient's limits, checked as given
    fields = {f.name for f in dataclasses.fields(ExerciseSpec)}
    plain = {k: getattr(over, k) for k in overrides if k in fields}
    anchors = [(getattr(base, n), getattr(viewed, n)) for n in REP_THRESHOLDS]
    if any(b != v for b, v in anchors):
        for name in REP_THRESHOLDS:
            if name in overrides:
                plain[name] = _view_scale(*zip(*anchors, strict=True), getattr(over, name))
    if "target_deg" in overrides and viewed.hip_drop_target > 0 \
            and "hip_drop_target" not in overrides:
        knee = 2.0 * math.acos(1.0 - viewed.hip_drop_target)
        plain["hip_drop_target"] = 1.0 - math.cos(knee * over.target_deg / base.target_deg / 2)
    faults = []
    for rule in viewed.faults:
        mine = next((r for r in over.faults if r.code == rule.code), None)
        if mine is None:
            continue  # switched off
        own = next(r for r in base.faults if r.code == rule.code)
        changes: dict[str, Any] = {}
        for kind in ("max", "min"):
            if f"{rule.code}.{kind}" not in overrides:
                continue
            given, default, there = getattr(mine, kind), getattr(own, kind), getattr(rule, kind)
            share = given / default if default else None
            changes[kind] = given if there == default or share is None or there is None \
                else there * share
            for extra in ("also_beyond", "also_together"):
                if getattr(rule, extra) and share is not None:
                    changes[extra] = {n: v * share for n, v in getattr(rule, extra).items()}
        faults.append(dataclasses.replace(rule, **changes))
    return dataclasses.replace(viewed, faults=tuple(faults), **plain)


@dataclass(frozen=True)
class PatientSettings:
    """Who is exercising: operated side, approach and per-patient limits."""

    side: str = "left"
    approach: str = "posterolateral"
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.side not in ("left", "right"):
            raise ValueError(f"side must be left or right, got {self.side!r}")
        if self.approach not in APPROACHES:
            raise ValueError(f"approach must be one of {APPROACHES}, got {self.approach!r}")
