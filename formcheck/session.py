"""The engine: repetitions, holds, tempo, faults and sets from a measure stream.

Small state machines composed by :class:`ExerciseSession`:

* :class:`RepCounter` — hysteresis on the movement signal (start → target →
  return), counting on the return;
* :class:`HoldTimer` — seconds the signal stays in its hold range;
* :class:`FaultTracker` — how long each limit was crossed during a rep.

Recorded and live video both feed :meth:`ExerciseSession.update` one frame at a
time and get the same :class:`Event` stream; :meth:`ExerciseSession.finish`
returns the per-rep record.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .protocol import ExerciseSpec, FaultRule, PatientSettings, Programme, default_programme


@dataclass
class Rep:
    """One movement cycle of the operated leg.

    ``completed`` is False for an attempt that never reached the target range
    (it then carries ``incomplete_range``). ``peak_deg`` is the signal's extreme.
    """

    index: int
    start_s: float
    end_s: float
    peak_deg: float
    hold_s: float
    completed: bool
    faults: list[str] = field(default_factory=list)
    set: int = 1
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (rounded)."""
        return {
            "index": self.index, "set": self.set,
            "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
            "peak_deg": round(self.peak_deg, 1), "hold_s": round(self.hold_s, 2),
            "completed": self.completed, "faults": list(self.faults),
            "metrics": {k: round(v, 2) for k, v in self.metrics.items() if math.isfinite(v)},
        }


@dataclass(frozen=True)
class Event:
    """Something that happened at time ``t``: ``kind`` plus details for a live UI.

    Kinds: ``rep_started``, ``rep_completed``, ``attempt_incomplete``, ``hold``
    (``seconds``, ``required``), ``hold_reached``, ``fault`` (``code``),
    ``set_ended`` (``set``, ``reps``), ``wrong_leg``.
    """

    t: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class RepCounter:
    """Hysteresis rep counter on one signal: start → (target) → return.

    ``update`` returns ``"started"``, ``"ended"`` or None. After ``"ended"`` the
    finished cycle is in :attr:`last`: ``(start_s, end_s, peak, reached_target)``.
    """

    def __init__(self, start: float, target: float, ret: float) -> None:
        self.start, self.target, self.ret = start, target, ret
        self.active = False
        self.onset = math.nan
        self.peak = -math.inf
        self.reached = False
        self.last: tuple[float, float, float, bool] | None = None
        self._last_rest_t = math.nan

    def update(self, t: float, v: float) -> str | None:
        """Feed one sample; NaN samples are ignored."""
        if not math.isfinite(v):
            return None
        if not self.active:
            if v <= self.ret or not math.isfinite(self._last_rest_t):
                self._last_rest_t = t
            if v >= self.start:
                self.active, self.onset = True, self._last_rest_t
                self.peak, self.reached = v, v >= self.target
                return "started"
            return None
        self.peak = max(self.peak, v)
        self.reached |= v >= self.target
        if v <= self.ret:
            self.active = False
            self.last = (self.onset, t, self.peak, self.reached)
            self._last_rest_t = t
            return "ended"
        return None


class HoldTimer:
    """Longest unbroken time the signal is held still at or beyond ``level``.

    Held means staying within ``band`` degrees of where the hold began: a slow
    ramp through the range is movement, not a hold.
    """

    def __init__(self, level: float, band: float) -> None:
        self.level, self.band = level, band
        self.reset()

    def reset(self) -> None:
        """Start a new rep."""
        self.current = 0.0
        self.longest = 0.0
        self.total = 0.0
        self._prev_t: float | None = None
        self._anchor = math.nan

    def update(self, t: float, v: float) -> float:
        """Feed one sample; returns the current unbroken hold in seconds.

        An interval counts when both its ends are in range and within the band
        of the hold's start; NaN samples neither count nor break the hold.
        """
        if not math.isfinite(v):
            return self.current
        if v < self.level:
            self.current, self._anchor = 0.0, math.nan
        elif not math.isfinite(self._anchor) or abs(v - self._anchor) > self.band:
            self.current, self._anchor = 0.0, v
        elif self._prev_t is not None:
            self.current += t - self._prev_t
            self.total += t - self._prev_t
        self._prev_t = t
        self.longest = max(self.longest, self.current)
        return self.current


class FaultTracker:
    """Per rule, the longest unbroken time its limit was crossed, and its worst value."""

    def __init__(self, rules: tuple[FaultRule, ...], min_duration_s: float) -> None:
        self.rules = rules
        self.min_duration_s = min_duration_s
        self.reset()

    def reset(self) -> None:
        """Start a new rep."""
        self.run = {r.code: 0.0 for r in self.rules}
        self.flagged: list[str] = []
        self.worst: dict[str, float] = {}
        self._prev_t: float | None = None

    def update(self, t: float, values: dict[str, float], signal: float) -> list[str]:
        """Feed one frame; returns fault codes that just became flagged."""
        dt = 0.0 if self._prev_t is None else t - self._prev_t
        self._prev_t = t
        new = []
        for rule in self.rules:
            v = values.get(rule.measure, math.nan)
            if not math.isfinite(v):
                continue
            key = f"{rule.measure}_{'max' if rule.max is not None else 'min'}"
            prev = self.worst.get(key)
            self.worst[key] = v if prev is None else (
                max(prev, v) if rule.max is not None else min(prev, v))
            gated = rule.only_when_signal_above is not None and not (
                math.isfinite(signal) and signal > rule.only_when_signal_above)
            if rule.violated(v) and not gated:
                self.run[rule.code] += dt
                if self.run[rule.code] >= self.min_duration_s and rule.code not in self.flagged:
                    self.flagged.append(rule.code)
                    new.append(rule.code)
            else:
                self.run[rule.code] = 0.0
        return new


def full_range_seconds(t: list[float], v: list[float]) -> float:
    """Time the movement of one rep would take over its full range, up and down.

    ``t``, ``v``: the rep's samples, starting at rest (the lowest value before
    the peak is the baseline). Each phase is timed
    between 10 % and 90 % of the excursion (or from the last sample of the rep
    when the signal has not yet come that far back) and scaled to the whole
    range, so the estimate does not depend on the rep thresholds.
    """
    if len(v) < 3:
        return math.inf
    base, peak = min(v[: v.index(max(v)) + 1]), max(v)
    span = peak - base
    if span <= 0:
        return math.inf
    f = [(x - base) / span for x in v]
    i90 = next(i for i, x in enumerate(f) if x >= 0.9)
    i10 = max((i for i in range(i90) if f[i] <= 0.1), default=0)
    j90 = max(i for i, x in enumerate(f) if x >= 0.9)
    j10 = next((i for i in range(j90, len(f)) if f[i] <= 0.1), len(f) - 1)
    up = (t[i90] - t[i10]) / max(0.9 - f[i10], 0.1)
    down = (t[j10] - t[j90]) / max(0.9 - f[j10], 0.1)
    return up + down


def checkable_rules(spec: ExerciseSpec, view: str, settings: PatientSettings,
                    programme: Programme) -> tuple[tuple[FaultRule, ...], tuple[str, ...]]:
    """Rules to check in ``view`` for this patient, and the codes the view can't check."""
    checks = programme.approaches[settings.approach].checks
    rules = [r for r in spec.faults if r.applies(settings.approach, checks)]
    ok = tuple(r for r in rules if not r.views or view in r.views or view == "unknown")
    skipped = tuple(sorted({r.code for r in rules} - {r.code for r in ok}))
    return ok, skipped


class ExerciseSession:
    """Counts and judges one exercise for one patient, frame by frame.

    Feed :meth:`update` with the time and the calibrated measures of each frame
    (NaN where not measurable); it returns the events of that frame.
    """

    def __init__(self, spec: ExerciseSpec, settings: PatientSettings, view: str = "unknown",
                 programme: Programme | None = None) -> None:
        self.spec, self.settings = spec, settings
        self.programme = programme or default_programme()
        self.tracking = self.programme.tracking
        self.view = view
        self.rules, self.unchecked = checkable_rules(spec, view, settings, self.programme)
        self.counter = RepCounter(spec.start_deg, spec.target_deg, spec.return_deg)
        self.other = RepCounter(spec.start_deg, spec.target_deg, spec.return_deg)
        self.hold = HoldTimer(spec.target_deg - self.tracking.hold_margin_deg,
                              self.tracking.hold_margin_deg)
        self.faults = FaultTracker(self.rules, self.tracking.fault_min_duration_s)
        self.reps: list[Rep] = []
        self.wrong_leg: list[tuple[float, float, float]] = []
        self.set_index = 1
        self._set_reps = 0
        self._last_end = -math.inf
        self._tail_rep: Rep | None = None
        self._hold_announced = False
        self.t = 0.0
        self._last_v = math.nan
        self._rep_t: list[float] = []
        self._rep_v: list[float] = []
        self._recent: deque[tuple[float, float]] = deque(maxlen=90)

    @property
    def rep_count(self) -> int:
        """Completed reps so far."""
        return sum(r.completed for r in self.reps)

    @property
    def in_rep(self) -> bool:
        """Whether a movement is in progress."""
        return self.counter.active

    def update(self, t: float, values: dict[str, float]) -> list[Event]:
        """Process one frame's measures; returns what happened."""
        self.t = t
        events: list[Event] = []
        v = values.get(self.spec.signal, math.nan)
        if math.isfinite(v):
            self._last_v = v
        if self._tail_rep is not None:
            if t - self._tail_rep.end_s > self.tracking.tail_s or self.counter.active:
                self._tail_rep = None
            else:
                for code in self.faults.update(t, values, v):
                    rep = self._tail_rep
                    if code not in rep.faults:
                        rep.faults.append(code)
                        events.append(Event(t, "fault", {"code": code, "rep": rep.index}))
        if (self._set_reps and not self.counter.active
                and t - self._last_end >= self.programme.dosage.new_set_after_rest_s):
            events.append(Event(t, "set_ended", {"set": self.set_index, "reps": self._set_reps}))
            self.set_index += 1
            self._set_reps = 0
        state = self.counter.update(t, v)
        if state == "started":
            # The rep's samples start with the rest before it.
            self._rep_t = [a for a, _ in self._recent]
            self._rep_v = [b for _, b in self._recent]
            self.hold.reset()
            self.faults.reset()
            self._tail_rep = None
            self._hold_announced = False
            events.append(Event(t, "rep_started", {"index": len(self.reps) + 1}))
        if math.isfinite(v):
            if self.counter.active or state == "ended":
                self._rep_t.append(t)
                self._rep_v.append(v)
            else:
                self._recent.append((t, v))
        if self.counter.active or state == "ended":
            held = self.hold.update(t, v) if self.counter.reached else 0.0
            if self.spec.hold_s > 0 and self.counter.active and self.counter.reached:
                events.append(Event(t, "hold", {"seconds": held, "required": self.spec.hold_s}))
                if held >= self.spec.hold_s and not self._hold_announced:
                    self._hold_announced = True
                    events.append(Event(t, "hold_reached", {"seconds": held}))
            for code in self.faults.update(t, values, v):
                events.append(Event(t, "fault", {"code": code, "rep": len(self.reps) + 1}))
        if state == "ended":
            events.append(self._finish_rep())
        if self.spec.legs == "operated":
            self._watch_other_leg(t, values, events)
        return events

    def _finish_rep(self) -> Event:
        start, end, peak, reached = self.counter.last  # type: ignore[misc]
        faults = list(self.faults.flagged)
        hold = self.hold.longest
        if not reached:
            faults.append("incomplete_range")
        else:
            if self.spec.hold_s > 0 and hold < self.spec.hold_s:
                faults.append("hold_too_short")
            if full_range_seconds(self._rep_t, self._rep_v) < self.spec.min_move_s:
                faults.append("too_fast")
        rep = Rep(len(self.reps) + 1, start, end, peak, hold, reached, faults, self.set_index,
                  dict(self.faults.worst))
        self.reps.append(rep)
        self._set_reps += 1
        self._last_end = end
        self._tail_rep = rep
        kind = "rep_completed" if reached else "attempt_incomplete"
        return Event(end, kind, {"rep": rep.to_dict(), "count": self.rep_count})

    def _watch_other_leg(self, t: float, values: dict[str, float], events: list[Event]) -> None:
        state = self.other.update(t, values.get(self.spec.signal + "_other", math.nan))
        if state == "ended":
            start, end, peak, reached = self.other.last  # type: ignore[misc]
            overlaps = any(r.start_s < end and start < r.end_s for r in self.reps[-2:])
            if reached and not overlaps and not self.counter.active:
                self.wrong_leg.append((start, end, peak))
                events.append(Event(t, "wrong_leg", {"start_s": start, "end_s": end}))

    def sets(self) -> list[dict[str, Any]]:
        """Sets so far: index, start, end, completed reps."""
        out: dict[int, dict[str, Any]] = {}
        for r in self.reps:
            s = out.setdefault(r.set, {"index": r.set, "start_s": r.start_s, "reps": 0,
                                       "attempts": 0})
            s["end_s"] = r.end_s
            s["attempts"] += 1
            s["reps"] += int(r.completed)
        return list(out.values())

    def finish(self) -> list[Rep]:
        """Close the stream and return the reps.

        A full-range rep already on its way back (under the start threshold)
        when the recording ends is counted; any other movement in progress is
        dropped.
        """
        c = self.counter
        if c.active and c.reached and math.isfinite(self._last_v) \
                and self._last_v < self.spec.start_deg:
            c.active = False
            c.last = (c.onset, self.t, c.peak, c.reached)
            self._finish_rep()
        self._tail_rep = None
        return self.reps
