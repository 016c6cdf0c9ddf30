"""Progress over stored sets, as pure functions (no database access here).

Per exercise per day: peak range of motion, fault rate, pain; sessions per day against the
leaflet's "2 tot 3 keer"; the pain trend; the leaflet's pain rule ("plotselinge toename van
pijn of zwelling": reduce intensity for a while); and a dosage suggestion one step from 3x5
towards 3x10, which a clinician must confirm (:func:`formcheck.clinic.records.apply_dosage`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from formcheck.clinic.protocol import SESSIONS_PER_DAY_MAX, SESSIONS_PER_DAY_MIN, Dosage

#: Pain advice codes returned by :func:`pain_advice`.
ADVICE_PAIN_INCREASE = "pain_increase"
ADVICE_NEW_SWELLING = "new_swelling"


@dataclass(frozen=True)
class RepRecord:
    """One stored repetition: peak angle (degrees), hold (s), completed flag, fault codes."""

    index: int
    peak_deg: float | None
    hold_s: float | None
    completed: bool
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetRecord:
    """One stored set, with the dosage it was done under and the patient's pain report."""

    set_id: int
    session_id: int
    exercise: str
    performed_at: dt.datetime
    rep_count: int
    target_reps: int
    pain: int | None
    swelling: bool
    reps: tuple[RepRecord, ...] = ()
    source: str = "clinic"  # "clinic" or "home" (done through the patient's link)

    @property
    def faulty_reps(self) -> int:
        """Repetitions with at least one fault."""
        return sum(1 for rep in self.reps if rep.faults)

    @property
    def complete(self) -> bool:
        """Whether the set reached its prescribed repetitions."""
        return self.rep_count >= self.target_reps


@dataclass(frozen=True)
class PainReport:
    """Pain on a 0-10 scale (``None``: not asked) and whether there was swelling."""

    pain: int | None
    swelling: bool = False


@dataclass(frozen=True)
class DailyExerciseProgress:
    """One exercise on one day."""

    day: dt.date
    exercise: str
    sets: int
    reps: int
    faulty_reps: int
    peak_rom_deg: float | None
    mean_pain: float | None
    max_pain: int | None

    @property
    def fault_rate(self) -> float | None:
        """Faulty repetitions / repetitions (``None`` without repetitions)."""
        return self.faulty_reps / self.reps if self.reps else None


@dataclass(frozen=True)
class DailySessions:
    """Sessions on one day versus the leaflet's 2 to 3: ``below``, ``ok`` or ``above``."""

    day: dt.date
    sessions: int
    home_sessions: int = 0

    @property
    def status(self) -> str:
        """``below``, ``ok`` or ``above`` the leaflet's range."""
        if self.sessions < SESSIONS_PER_DAY_MIN:
            return "below"
        return "above" if self.sessions > SESSIONS_PER_DAY_MAX else "ok"


@dataclass(frozen=True)
class DosageRule:
    """When to suggest the next dosage stage.

    The last ``window_sets`` sets must all be complete, their fault rate at most
    ``max_fault_rate``, without new swelling and without a pain rise of ``pain_jump`` points.
    """

    window_sets: int = 6
    max_fault_rate: float = 0.10
    pain_jump: int = 2


@dataclass(frozen=True)
class DosageSuggestion:
    """A suggestion only: ``proposed`` is ``None`` when staying put, with ``reason`` why."""

    current: Dosage
    proposed: Dosage | None
    reason: str


def day_of(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    """Return the calendar day of ``moment`` in ``tz`` (default: the machine's local zone)."""
    return moment.astimezone(tz).date()


def in_range(
    records: Iterable[SetRecord],
    first: dt.date | None = None,
    last: dt.date | None = None,
    tz: dt.tzinfo | None = None,
) -> list[SetRecord]:
    """Return the records whose day lies in ``[first, last]`` (open ends allowed), by time."""
    chosen = [
        r
        for r in records
        if (first is None or day_of(r.performed_at, tz) >= first)
        and (last is None or day_of(r.performed_at, tz) <= last)
    ]
    return sorted(chosen, key=lambda r: r.performed_at)


def daily_progress(
    records: Iterable[SetRecord], tz: dt.tzinfo | None = None
) -> list[DailyExerciseProgress]:
    """Per exercise per day: sets, repetitions, faulty ones, peak ROM (max peak_deg), pain."""
    groups: dict[tuple[dt.date, str], list[SetRecord]] = defaultdict(list)
    for record in records:
        groups[(day_of(record.performed_at, tz), record.exercise)].append(record)
    result = []
    for (day, exercise), sets in sorted(groups.items()):
        peaks = [rep.peak_deg for s in sets for rep in s.reps if rep.peak_deg is not None]
        pains = [s.pain for s in sets if s.pain is not None]
        result.append(
            DailyExerciseProgress(
                day=day,
                exercise=exercise,
                sets=len(sets),
                reps=sum(len(s.reps) for s in sets),
                faulty_reps=sum(s.faulty_reps for s in sets),
                peak_rom_deg=max(peaks) if peaks else None,
                mean_pain=sum(pains) / len(pains) if pains else None,
                max_pain=max(pains) if pains else None,
            )
        )
    return result


def sessions_per_day(
    records: Iterable[SetRecord], tz: dt.tzinfo | None = None
) -> list[DailySessions]:
    """Distinct sessions (clinic and home) with at least one set, per day; how many at home."""
    sessions: dict[dt.date, set[int]] = defaultdict(set)
    home: dict[dt.date, set[int]] = defaultdict(set)
    for record in records:
        sessions[day_of(record.performed_at, tz)].add(record.session_id)
        if record.source == "home":
            home[day_of(record.performed_at, tz)].add(record.session_id)
    return [DailySessions(day, len(ids), len(home[day])) for day, ids in sorted(sessions.items())]


@dataclass(frozen=True)
class Adherence:
    """Sessions today (``home`` of them via the link); days of the last ``window`` within 2-3."""

    today: int
    home: int
    days_ok: int
    window: int


def adherence(days: Sequence[DailySessions], today: dt.date, window: int = 7) -> Adherence:
    """Today's sessions and how many of the last ``window`` days (today included) were 2-3."""
    by_day = {d.day: d for d in days}
    now = by_day.get(today)
    recent = [by_day.get(today - dt.timedelta(days=i)) for i in range(window)]
    return Adherence(now.sessions if now else 0, now.home_sessions if now else 0,
                     sum(1 for d in recent if d is not None and d.status == "ok"), window)


def daily_pain(
    records: Iterable[SetRecord], tz: dt.tzinfo | None = None
) -> list[tuple[dt.date, float]]:
    """Mean reported pain per day (days without a pain report are left out)."""
    pains: dict[dt.date, list[int]] = defaultdict(list)
    for record in records:
        if record.pain is not None:
            pains[day_of(record.performed_at, tz)].append(record.pain)
    return [(day, sum(v) / len(v)) for day, v in sorted(pains.items())]


def pain_trend(daily: Sequence[tuple[dt.date, float]], threshold_per_day: float = 0.25) -> str:
    """``rising``, ``falling``, ``stable`` (least-squares slope of daily pain) or ``unknown``."""
    if len(daily) < 2:
        return "unknown"
    x = [(day - daily[0][0]).days for day, _ in daily]
    y = [pain for _, pain in daily]
    mean_x, mean_y = sum(x) / len(x), sum(y) / len(y)
    var_x = sum((xi - mean_x) ** 2 for xi in x)
    if var_x == 0:
        return "unknown"
    slope = sum((xi - mean_x) * (yi - mean_y) for xi, yi in zip(x, y, strict=True)) / var_x
    if slope >= threshold_per_day:
        return "rising"
    return "falling" if slope <= -threshold_per_day else "stable"


def pain_advice(previous: PainReport | None, current: PainReport, pain_jump: int = 2) -> str | None:
    """Apply the leaflet's pain rule: a code advising to reduce intensity for a while, or None.

    Returns :data:`ADVICE_PAIN_INCREASE` when pain rose by ``pain_jump`` points or more since
    the previous report, :data:`ADVICE_NEW_SWELLING` when swelling appeared.
    """
    if previous is not None and previous.pain is not None and current.pain is not None:
        if current.pain - previous.pain >= pain_jump:
            return ADVICE_PAIN_INCREASE
    if current.swelling and (previous is None or not previous.swelling):
        return ADVICE_NEW_SWELLING
    return None


def suggest_dosage(
    records: Sequence[SetRecord], current: Dosage, rule: DosageRule | None = None
) -> DosageSuggestion:
    """Suggest the next stage (3x5 -> 3x6 ... -> 3x10) when the recent sets allow it."""
    rule = rule or DosageRule()
    following = current.next_stage()
    if following is None:
        return DosageSuggestion(current, None, "at_target")
    ordered = sorted(records, key=lambda r: r.performed_at)
    window = ordered[-rule.window_sets :]
    if len(window) < rule.window_sets:
        return DosageSuggestion(current, None, "not_enough_sets")
    if not all(r.complete and r.rep_count >= current.reps for r in window):
        return DosageSuggestion(current, None, "incomplete_sets")
    reps = sum(len(r.reps) for r in window)
    faulty = sum(r.faulty_reps for r in window)
    if reps == 0 or faulty / reps > rule.max_fault_rate:
        return DosageSuggestion(current, None, "too_many_faults")
    start = len(ordered) - len(window)
    previous = ordered[start - 1] if start > 0 else None
    for record in window:
        before = PainReport(previous.pain, previous.swelling) if previous else None
        if record.swelling or pain_advice(
            before, PainReport(record.pain, record.swelling), rule.pain_jump
        ):
            return DosageSuggestion(current, None, "pain_not_stable")
        previous = record
    return DosageSuggestion(current, following, "ready")
