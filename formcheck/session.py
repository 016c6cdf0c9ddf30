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
import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .filters import noise_beyond
from .kinematics import knee_flexion_from_hip_drop
from .measures import KNEE_TEMPO, SHOWN_AS, SLIDE_SIGNAL, quality_key
from .protocol import (
    ExerciseSpec,
    FaultRule,
    PatientSettings,
    Programme,
    Tracking,
    default_programme,
)


@dataclass
class Rep:
    """One movement cycle of the operated leg.

    ``completed`` is False for an attempt that never reached the target range
    (it then carries ``incomplete_range``). ``peak_deg`` is the signal's extreme (of the
    measure shown for it where the signal stands in for one:
    :data:`~formcheck.measures.SHOWN_AS`).
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
    ``set_ended`` (``set``, ``reps``), ``wrong_leg``, ``not_exercise`` (a
    movement that was not the exercise: ``why`` is ``posture`` or ``travel``).
    """

    t: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class SeenRun:
    """A run of samples in one state (a signal back, or under a level).

    When it began (:attr:`since`, NaN while not in it), its samples (:attr:`n`) and the
    time seen in it (:attr:`s`), counted only between samples in it in a row: samples
    not seen (NaN) between them tell nothing of the state.
    """

    def __init__(self) -> None:
        self.since, self.n, self.s = math.nan, 0, 0.0
        self._t = math.nan  # the run's last sample
        self._gap = False  # a sample not seen since the last one seen

    def missing(self) -> None:
        """A sample not seen."""
        self._gap = True

    def update(self, t: float, inside: bool) -> None:
        """A sample seen at ``t``, in the state or not (which ends the run)."""
        gap, self._gap = self._gap, False
        if not inside:
            self.since = math.nan
            return
        if not math.isfinite(self.since):
            self.since, self.n, self.s = t, 0, 0.0
        elif not gap:
            self.s += t - self._t
        self._t = t
        self.n += 1


class RepCounter:
    """Hysteresis rep counter on one signal: start → (target) → return.

    ``update`` returns ``"started"``, ``"ended"`` or None. After ``"ended"`` the
    finished cycle is in :attr:`last`: ``(start_s, end_s, peak, reached_target)``.
    With ``min_return_s``, once a rep has been at its target for twice that
    long (a held pose, up to the last sample at the target) the signal must
    stay back that long before the cycle ends (at the moment it came back; only time
    between samples seen back in a row counts, not unseen ones): a
    held pose misread low for a frame or two is not the end of the rep, while
    quick reps end at once. So does an attempt held short of the target (up from
    rest for twice ``min_return_s``): a hold near ``start`` dips under the return
    level on noise. The time at the target is one stretch across dips under it
    shorter than ``min_return_s``, and across those up to ``sag_s`` that stay above
    the return level. Any other cycle (with ``min_return_s``) ends at its second
    sample back unless the other leg is up at the first, at the target (alternating
    lifts): one sample back with both legs down is a frame the pose model drew wrong,
    and so are those, up to ``min_return_s``, with the other leg read up only part of
    the way (the legs' labels mixed).
    The return level rises with the cycle's peak (``return_fraction`` of the
    excursion beyond the target): a deep rep whose next one starts before the
    person is fully back up still ends. :attr:`first` is the cycle's first
    value, :attr:`from_rest` tells whether the
    signal was seen under ``start`` before the cycle began (before the first cycle, in
    :attr:`REST_N` samples in a row) and :attr:`rise` how
    far it rose within it: a recording that starts in the bottom position and
    only comes back up has not shown a rep.
    :attr:`margin` (degrees, set between cycles) raises the start and the target
    for a signal noisier than the thresholds were set for: a rep must rise clear
    of the noise.
    """

    REST_N = 2
    """Samples in a row under ``start`` that show a recording starting at rest: one is a
    frame misread (the pose model's first frame reads a knee held bent ~85° as 35°)."""

    def __init__(self, start: float, target: float, ret: float,
                 return_fraction: float = 0.0, min_return_s: float = 0.0,
                 sag_s: float = 0.0) -> None:
        self.start, self.target, self.ret = start, target, ret
        self._below_n = 0  # samples in a row under start, before the first cycle
        self.return_fraction = return_fraction
        self.min_return_s = min_return_s
        self.sag_s = sag_s
        self.margin = 0.0
        self._back = SeenRun()  # back under the return level since it came back
        self._stretch_t = math.nan
        self._at_target_t = math.nan
        self._came_down = False  # back under the return level since last at the target
        self._up_stretch_t = math.nan
        self._up_t = math.nan
        self.active = False
        self.onset = math.nan
        self.peak = -math.inf
        self.reached = False
        self.from_rest = False
        self.rise = 0.0
        self.last: tuple[float, float, float, bool] | None = None
        self._last_rest_t = math.nan
        self._seen_below_start = False
        self.first = math.nan
        self._trough = math.inf

    def update(self, t: float, v: float, also: float = math.nan,
               other: float = math.nan) -> str | None:
        """Feed one sample; NaN samples are ignored.

        ``also``: a second reading of the same movement (NaN: none) that starts an
        attempt and keeps it going as the signal does, where the model reads the
        signal short near its rest (a squat's knees) and this one true; whether the
        target was reached, and the peak, stay the signal's, and a rep that reached
        its target ends on the signal alone. ``other``: the other leg's reading (NaN:
        none), which tells a sample back from a frame misread (see the class).
        """
        if not math.isfinite(v):
            self._back.missing()
            return None
        both = max(v, also) if math.isfinite(also) else v
        a = v if self.active and self.reached else both
        if not self.active:
            if a <= self.ret or not math.isfinite(self._last_rest_t):
                self._last_rest_t = t
            # After a rep that ended early (return_fraction) the signal may still
            # be falling: while it has not come back to the return level, a new one
            # starts only once it rises again by as much as from the return level to
            # the target (a wobble on the way down is not a new rep).
            self._trough = min(self._trough, a)
            start, target = self.start + self.margin, self.target + self.margin
            rise = target if self.last is not None and self._trough > self.ret else start
            if a >= start and a >= self._trough + rise - self.ret:
                self.active, self.onset = True, self._last_rest_t
                self.peak, self.reached = v, v >= target
                self._stretch_t = self._at_target_t = t
                self._came_down = False
                self._up_stretch_t = self._up_t = t
                self.from_rest, self.first = self._seen_below_start, v
                return "started"
            self._below_n = self._below_n + 1 if a < self.start else 0
            self._seen_below_start |= self._below_n >= self.REST_N
            return None
        self.peak = max(self.peak, v)
        if v >= self.target + self.margin and not self.reached:
            self.reached, self._stretch_t = True, t
        if v >= self.target:
            dip = t - self._at_target_t
            sag = max(self.sag_s, self.min_return_s) if self.min_return_s > 0 else 0.0
            if dip >= sag or (self._came_down and dip >= self.min_return_s):
                self._stretch_t = t  # back at the target after a real dip: a new stretch
            self._at_target_t, self._came_down = t, False
        self.rise = self.peak - self.first
        if a > self.ret + self.return_fraction * max(self.peak - self.target, 0.0):
            if t - self._up_t >= self.min_return_s:
                self._up_stretch_t = t
            self._up_t = t
            self._back.update(t, False)
            return None
        back = self._back
        back.update(t, True)
        self._came_down = True
        # Held: at the target (an attempt short of it: up from rest) for a while, up to
        # the moment it left it (a quick rep's way down, sampled sparsely, is no hold
        # however long it took), in one stretch (dips under the target shorter than
        # min_return_s do not break it, nor ones up to sag_s that stay above the return
        # level: the pose model draws a held knee part-way down for a few frames at a
        # time; after longer ones a pose merged from two quick lifts is no hold).
        stretch = (self._at_target_t - self._stretch_t if self.reached
                   else self._up_t - self._up_stretch_t)
        held = stretch >= self.min_return_s * 2
        if held and back.s < self.min_return_s:
            # A held pose back only for a moment: a frame or two misread. Only the time it
            # was seen back counts: frames in which the leg was not seen (live, a held
            # stretch side-on: its back knee drawn bent for a frame, then two unseen, then
            # one more bent) tell nothing of a return.
            return None
        # The other leg read part-way up (from its start to short of the target) while this
        # one reads back: their labels mixed, for up to min_return_s (slow knee lifts, 23°
        # behind side-on: on the way up the model drew the raised leg low and the standing
        # one 19-30° up for four frames, and one rep read as an attempt and a rep).
        mixed = self.start <= other < self.target and t - back.since < self.min_return_s
        if self.min_return_s > 0 and (back.n < 2 or mixed) and not other >= self.target:
            # One sample back, the other leg not up either: a frame the model drew wrong
            # (side-on, a leg held back drawn with its knee in front of the hip, or both
            # legs together). Alternating quick lifts raise the other leg meanwhile, to a
            # lift of its own (its target; real high knees: 47-110° for a 40° target). One
            # read up short of that in the frame this one dropped is the legs' labels
            # mixed for a frame (a render from 35° behind: a leg being stepped back read
            # 3.6° then -3.3°, the other leg 6° in that frame only, target 10°: an attempt
            # split off the rep it began).
            return None
        end = back.since
        back.update(t, False)  # the cycle ends here: its next run of samples back is new
        self.active = False
        self.last = (self.onset, end, self.peak, self.reached)
        self._last_rest_t = t
        # Where only the signal came back (a slow squat's 3-D knee straightens long before
        # the hips are back up), the way on up is that rep's, not a new one's start.
        self._trough = both
        self._seen_below_start = True
        return "ended"


class HoldTimer:
    """Longest unbroken time the signal is held still at or beyond ``level``.

    Held means the samples of the last stretch stay within a ``band``-degree
    range (max − min): small jitter and sway of a held pose stay a hold, while a
    ramp through the range is movement. The range is taken over the signal
    averaged over the last ``average_s`` seconds: the pose model's reading of a
    still limb wobbles by more than the band from frame to frame, while the
    average of a ramp ramps all the same. NaN samples neither count nor break
    it, nor do samples under ``level`` for less than ``tolerate_s`` (of time seen under it:
    between such samples in a row).

    A sample may be a range, ``v`` to ``upper``, where the reading is known only
    that far (a raised leg whose tilt the pose model split between both legs:
    :func:`raised_leg_deg`): it is at ``level`` when its top is, and the stretch
    is still while one ``band`` overlaps every (averaged) range.

    With ``still_deg_s``, the ends of that stretch where the (averaged) signal still
    moves, on its way to the top or away from it, are not held: a slow way up spends
    seconds within the band below the top. Moving is changing, over the last
    ``still_s``, faster than ``still_share`` of the fastest it changed since it reached
    ``level`` (how quickly this person moves), and than ``still_deg_s`` (a range's change:
    the least its ranges then and now allow). The hold runs from the first slower
    sample, less the ``average_s`` its average looked back over (a hold reached at once
    is timed from about its start) but not before the stretch, to the last one; samples
    between them need not be slow (sway and jitter of a held pose).
    """

    def __init__(self, level: float, band: float, average_s: float = 0.0,
                 tolerate_s: float = 0.0, still_deg_s: float = 0.0,
                 still_share: float = 0.0, still_s: float = 0.5) -> None:
        self.level, self.band, self.average_s = level, band, average_s
        self.tolerate_s, self.still_deg_s, self.still_s = tolerate_s, still_deg_s, still_s
        self.still_share = still_share
        self.reset()

    def blank(self) -> HoldTimer:
        """A new timer with these settings."""
        return HoldTimer(self.level, self.band, self.average_s, self.tolerate_s,
                         self.still_deg_s, self.still_share, self.still_s)

    def reset(self) -> None:
        """Start a new rep."""
        self.current = 0.0
        self.longest = 0.0
        self.total = 0.0
        self._window: deque[tuple[float, float, float, bool]] = deque()
        self._recent: deque[tuple[float, float, float]] = deque()
        self._past: deque[tuple[float, float, float]] = deque()
        self._fastest = 0.0
        self._below = SeenRun()  # under the level

    def update(self, t: float, v: float, upper: float = math.nan) -> float:
        """Feed one sample (``v`` to ``upper`` if higher); returns the unbroken hold (s)."""
        if not math.isfinite(v):
            self._below.missing()
            return self.current
        upper = max(v, upper) if math.isfinite(upper) else v
        self._below.update(t, upper < self.level)
        if upper < self.level:
            if self._below.s < self.tolerate_s and self._window:
                return self.current  # a moment's misreading, like a missing sample
            self._window.clear()
            self._recent.clear()
            self._past.clear()
            self._fastest = 0.0
            self.current = 0.0
            return self.current
        r = self._recent
        r.append((t, v, upper))
        while r[0][0] < t - self.average_s:
            r.popleft()
        lo, hi = sum(x for _, x, _ in r) / len(r), sum(x for _, _, x in r) / len(r)
        w = self._window
        if w:
            self.total += t - w[-1][0]
        w.append((t, lo, hi, self._still(t, lo, hi)))
        while len(w) > 1 and max(x[1] for x in w) - min(x[2] for x in w) > self.band:
            w.popleft()
        first = next((x[0] for x in w if x[3]), None)
        if first is None:
            self.current = 0.0
        else:
            last = next(x[0] for x in reversed(w) if x[3])
            self.current = last - max(first - self.average_s, w[0][0])
        self.longest = max(self.longest, self.current)
        return self.current

    def _still(self, t: float, lo: float, hi: float) -> bool:
        """Whether the averaged signal (``lo`` to ``hi``) changed slowly over ``still_s``.

        Its change is the least its ranges then and now allow.
        """
        if self.still_deg_s <= 0:
            return True
        p = self._past
        p.append((t, lo, hi))
        while len(p) > 1 and p[1][0] <= t - self.still_s:
            p.popleft()
        t0, lo0, hi0 = p[0]
        if t - t0 < 0.8 * self.still_s:
            return False  # not seen long enough to tell
        speed = max(lo - hi0, lo0 - hi, 0.0) / (t - t0)
        self._fastest = max(self._fastest, speed)
        return speed < max(self.still_deg_s, self.still_share * self._fastest)


ALONG_BODY_VIEWS = ("lying_front",)
"""Views looking along a lying body (from its feet or head): lying or sitting up with the
legs out, its trunk is seen upright in the picture either way, so its tilt there does not
tell the posture."""


def _upper(values: Iterable[float]) -> float:
    """The 90th percentile of ``values`` (NaN: none): a rest's standing height."""
    v = sorted(values)
    return v[int(0.9 * (len(v) - 1))] if v else math.nan


class BoutCheck:
    """Whether a movement cycle was the exercise: the body in its posture, not travelling.

    Walking into the picture, turning, bending down to the floor or getting up
    from a chair also bend knees and hips; they are told apart by the trunk
    leaving the exercise's posture (upright or lying) and by the hips
    travelling sideways in the picture (measured in trunk lengths, so handheld
    zoom or distance does not matter). For an exercise of both legs together
    (``legs_together`` > 0, e.g. a squat), a cycle that reached its target with
    one leg at a time (a step, a knee curl, a knee lift) is not the exercise
    either: at its top (where the more bent leg is within 80 % of its peak) the
    less bent leg shows, in the median, under ``legs_together`` of its angle.
    That is judged only when both legs are seen with at least ``min_quality`` in
    most of those frames (a far leg hidden behind the near one cannot show it).
    :meth:`drop` tells how far the hips went down in the cycle, against the rest
    before it (:meth:`rest`). :attr:`tilt_shows_posture` is False in a view whose
    picture cannot show the posture by the trunk's tilt (:data:`ALONG_BODY_VIEWS`).
    Where the knee is read from the heel's slide towards the hip (:attr:`slide`, the
    signal :data:`~formcheck.measures.SLIDE_SIGNAL`), the heel must move and the hips
    stay: a cycle that reached its target with the hips moving more in the picture than
    the heel (a bridge: the hips lift off the surface, the feet stay) is not the exercise.
    """

    LOW_N = 3
    """Readings of the hips' height a cycle's low is the mean of (:meth:`drop`)."""
    REST_S = 3.0
    """The rest before a cycle, the last this many seconds: its hip drop is measured from
    it, and its tempo from the rest's lowest value (an older dip is another movement)."""

    def __init__(self, posture: str, max_tilt_deg: float, max_travel: float,
                 signal: str = "", legs_together: float = 0.0, min_quality: float = 0.0,
                 max_gap_s: float = math.inf) -> None:
        self.posture, self.max_tilt_deg, self.max_travel = posture, max_tilt_deg, max_travel
        self.signal, self.legs_together, self.min_quality = signal, legs_together, min_quality
        self.max_gap_s = max_gap_s
        # (t, hip height, the same in metres: hip_height_scaled)
        self._rest: deque[tuple[float, float, float]] = deque(maxlen=300)
        self.tilt_shows_posture = True
        self.reset()

    @property
    def slide(self) -> bool:
        """Whether the signal is the knee read from the heel's slide."""
        return self.signal == SLIDE_SIGNAL

    def for_view(self, signal: str, view: str) -> None:
        """Judge cycles of ``signal`` as filmed from ``view``."""
        self.signal = signal
        self.tilt_shows_posture = view not in ALONG_BODY_VIEWS

    def reset(self) -> None:
        """Start a new movement cycle."""
        self.tilt = 0.0
        self.lo, self.hi = math.inf, -math.inf
        self.length = 0.0
        self.legs: list[tuple[float, float, bool]] = []  # (more bent, less bent, seen)
        self.heights: list[float] = []   # hip heights of frames with the signal seen
        self.scaled: list[float] = []    # their hip_height_scaled, where given
        self.boxes = {"hip": [math.inf, -math.inf, math.inf, -math.inf],
                      "ankle": [math.inf, -math.inf, math.inf, -math.inf]}  # x, y ranges
        last = self._rest[-1][0] if self._rest else math.nan
        recent = [(h, m) for t, h, m in self._rest if t >= last - self.REST_S]
        # Standing: the upper end of the rest (which may end on the last rep's way up).
        self.rest_height = _upper(h for h, _ in recent)
        self.rest_scaled = _upper(m for _, m in recent if math.isfinite(m))

    def rest(self, t: float, values: dict[str, float]) -> None:
        """Feed one frame between cycles (its ``hip_height``).

        Hips unseen between cycles for longer than ``max_gap_s`` (turned away from the
        camera, or out of the picture) end the rest: standing after a turn is another
        height in the picture (turning, the hips read higher; a step changes the
        distance), so it is learnt again.
        """
        h = values.get("hip_height", math.nan)
        if not math.isfinite(h) and self._rest and t - self._rest[-1][0] > self.max_gap_s:
            self._rest.clear()
        if math.isfinite(h):
            self._rest.append((t, h, values.get("hip_height_scaled", math.nan)))

    def drop(self, scaled: bool = False) -> float:
        """Share of the rest's hip height the hips went down in the cycle (NaN: unseen).

        The cycle's low: the mean of its :attr:`LOW_N` lowest readings (one misread
        frame is not a squat); with fewer readings (the hips seen square to the camera
        for a moment, e.g. turning to sit down) it is unseen. ``scaled``: of the hips'
        height in metres (``hip_height_scaled``), which a camera's zoom leaves alone.
        """
        heights, rest = (self.scaled, self.rest_scaled) if scaled else \
            (self.heights, self.rest_height)
        if not (rest > 0) or len(heights) < self.LOW_N:
            return math.nan
        low = sorted(heights)[: self.LOW_N]
        return 1.0 - sum(low) / len(low) / rest

    def fell(self) -> float:
        """Share of the rest's hip height the hips went down after the cycle's first reading.

        A cycle that began with the hips already down and only saw them rise (the way up
        of a squat whose 3-D knee dipped under its return for a moment) did not go down.
        """
        drop = self.drop()   # the low's, less the first reading's
        return drop - (1.0 - self.heights[0] / self.rest_height) if math.isfinite(drop) \
            else math.nan

    def update(self, values: dict[str, float]) -> None:
        """Feed one frame's ``trunk_tilt``, ``hip_x``, ``trunk_length`` (and each leg's signal)."""
        tilt = values.get("trunk_tilt", math.nan)
        if math.isfinite(tilt) and self.tilt_shows_posture:
            off = abs(tilt - 90.0) if self.posture == "lying" else tilt
            self.tilt = max(self.tilt, off)
        x, length = values.get("hip_x", math.nan), values.get("trunk_length", math.nan)
        if math.isfinite(x) and math.isfinite(length):
            self.lo, self.hi = min(self.lo, x), max(self.hi, x)
            self.length = max(self.length, length)
        if self.slide:
            for part, box in self.boxes.items():
                px, py = values.get(f"{part}_x", math.nan), values.get(f"{part}_y", math.nan)
                if math.isfinite(px) and math.isfinite(py):
                    box[:] = min(box[0], px), max(box[1], px), min(box[2], py), max(box[3], py)
        if self.legs_together > 0:
            legs = SHOWN_AS.get(self.signal, self.signal)
            a = values.get(legs + "_operated", math.nan)
            b = values.get(legs + "_other", math.nan)
            q = min(values.get("quality_operated", math.nan),
                    values.get("quality_other", math.nan))
            if math.isfinite(a) and math.isfinite(b):
                self.legs.append((max(a, b), min(a, b), q >= self.min_quality))
        s, h = values.get(self.signal, math.nan), values.get("hip_height", math.nan)
        if math.isfinite(s) and math.isfinite(h):
            self.heights.append(h)
            m = values.get("hip_height_scaled", math.nan)
            if math.isfinite(m):
                self.scaled.append(m)

    def problem(self, reached: bool = True, by_signal: bool = True,
                legs_together: float = 0.0) -> str | None:
        """``posture``, ``travel`` or ``one_leg`` when the cycle was not the exercise, else None.

        ``one_leg`` is judged on a cycle that ``reached`` its target on the signal
        (``by_signal``; a squat seen reaching it by the hips going down has both legs bent,
        however low the model reads the knees), and on any cycle by ``legs_together``
        where that is given.
        """
        if self.tilt > self.max_tilt_deg:
            return "posture"
        if self.length > 0 and self.hi - self.lo > self.max_travel * self.length:
            return "travel"
        if reached and self.slide:
            moved = {p: math.hypot(b[1] - b[0], b[3] - b[2]) for p, b in self.boxes.items()}
            if moved["hip"] > moved["ankle"]:
                return "posture"
        need = max(self.legs_together if reached and by_signal else 0.0, legs_together)
        if need > 0 and self.legs:
            peak = max(hi for hi, _, _ in self.legs)
            top = [(lo / hi, seen) for hi, lo, seen in self.legs if peak > 0 and hi >= 0.8 * peak]
            seen = [x for x, ok in top if ok]
            if 2 * len(seen) >= len(top) > 0 and statistics.median(seen) < need:
                return "one_leg"
        return None


ALSO_REPORTED = {"knee_bend": ("knee_flexion",), "knee_flexion_image": ("knee_flexion",),
                 "knee_flexion_landmarks": ("knee_flexion",)}
"""Fault measures whose rep metrics also carry the measure they grew from (the JSON
result keeps the key it had before, e.g. ``knee_flexion_max`` beside ``knee_bend_max``)."""


class FaultTracker:
    """Per rule, the longest unbroken time its limit was crossed, and its worst value.

    Frames whose measure is not seen well enough (its quality, see
    :func:`~formcheck.measures.quality_key`, under ``min_quality``) are skipped.
    A rule with its own, longer ``min_duration_s`` (a held posture judged over a stretch
    of the hold, not a frame or two the model misdraws) is flagged in a rep whose top
    (the signal at ``top_level`` or beyond) lasted under twice that, too, if its limit
    stayed crossed for half that top: :meth:`on_short_top`, at the rep's end.
    """

    SHORT_TOP_SHARE = 0.5

    def __init__(self, rules: tuple[FaultRule, ...], min_duration_s: float,
                 min_quality: float = 0.0, top_level: float = math.inf) -> None:
        self.rules = rules
        self.min_duration_s = min_duration_s
        self.min_quality = min_quality
        self.top_level = top_level
        self.reset()

    def reset(self) -> None:
        """Start a new rep."""
        self.run = {r.code: 0.0 for r in self.rules}
        self.longest = dict(self.run)
        self.top_s = 0.0
        self.flagged: list[str] = []
        self.worst: dict[str, float] = {}
        self._prev_t: float | None = None

    def _need(self, rule: FaultRule) -> float:
        return self.min_duration_s if rule.min_duration_s is None else rule.min_duration_s

    def on_short_top(self) -> list[str]:
        """Codes of rules with a longer ``min_duration_s`` crossed for half a short top.

        Adds them to :attr:`flagged`; call once the rep has ended.
        """
        new = []
        for rule in self.rules:
            need = max(self.min_duration_s,
                       min(self._need(rule), self.SHORT_TOP_SHARE * self.top_s))
            if rule.code not in self.flagged and self.longest.get(rule.code, 0.0) >= need:
                self.flagged.append(rule.code)
                new.append(rule.code)
        return new

    def update(self, t: float, values: dict[str, float], signal: float,
               down: bool = False) -> list[str]:
        """Feed one frame; returns fault codes that just became flagged.

        ``down``: the body is seen part-way into the movement otherwise than by the
        signal (a front-view squat's hips gone down), which opens a rule gated on the
        signal (``only_when_signal_above``) as well.
        """
        dt = 0.0 if self._prev_t is None else t - self._prev_t
        self._prev_t = t
        if signal >= self.top_level:
            self.top_s += dt
        new = []
        for rule in self.rules:
            v = values.get(rule.measure, math.nan)
            q = values.get(quality_key(rule.measure), 1.0)
            if not math.isfinite(v) or not q >= self.min_quality:
                continue  # not seen well enough to judge
            for name in (rule.measure, *ALSO_REPORTED.get(rule.measure, ()), *rule.also_beyond,
                         *rule.also_together):
                x = v if name == rule.measure else values.get(name, math.nan)
                key = f"{name}_{'max' if rule.max is not None else 'min'}"
                prev = self.worst.get(key, math.nan)
                self.worst[key] = x if not math.isfinite(prev) else (
                    max(prev, x) if rule.max is not None else min(prev, x))
            gated = (rule.only_when_signal_above is not None and not down and not (
                math.isfinite(signal) and signal > rule.only_when_signal_above)
                ) or not rule.judgeable(values)
            if rule.violated(v, values) and not gated:
                self.run[rule.code] += dt
                self.longest[rule.code] = max(self.longest.get(rule.code, 0.0),
                                              self.run[rule.code])
                if self.run[rule.code] >= self._need(rule) and rule.code not in self.flagged:
                    self.flagged.append(rule.code)
                    new.append(rule.code)
            else:
                self.run[rule.code] = 0.0
        return new


TEMPO_SEEN = 0.9
"""Share of a rep's samples its tempo signal must be seen in for the rep to be timed on it."""


def noise_margin(noise: float, tracking: Tracking, nominal: float | None = None) -> float:
    """How much farther a reading must go to be told from the pose model's ``noise`` (°).

    ``noise_margin_sd`` times the noise beyond ``nominal`` (default
    ``smoothing_noise_deg``), the noise the thresholds were set for; 0 where the noise
    is not measured (NaN).
    """
    nominal = tracking.smoothing_noise_deg if nominal is None else nominal
    return tracking.noise_margin_sd * noise_beyond(noise, nominal)


def raised_leg_deg(v: float, other: float, rest: float = 0.0,
                   limit: float = math.inf) -> tuple[float, float]:
    """The raised leg's reading in a one-legged exercise, as a range ``(low, high)``.

    ``v``: the operated leg's reading, ``other``: the other leg's (both 0 at rest).
    Seen from the side the legs overlap, and the pose model may trade a raised leg's
    label with the planted one's for a few frames of a held pose or of the way up and
    down, draw both knees between the legs (the raised one low by about as much as
    the planted one reads raised), or draw only the planted knee forward. Whichever
    label carries it, the raised leg reads at least the higher of the two readings
    (``low``) and at most the two together (``high``: the model split its tilt
    between them). A planted leg read at its rest (``other`` up to ``rest``: the rep's
    return level) makes the range ``v`` alone, and so does an ``other`` beyond
    ``limit`` (the operated leg never went that far: the other leg's own movement, a
    step or a lunge) or NaN.

    >>> raised_leg_deg(5.0, 70.0), raised_leg_deg(40.0, 30.0), raised_leg_deg(70.0, 4.0, 10.0)
    ((70.0, 75.0), (40.0, 70.0), (70.0, 70.0))
    >>> raised_leg_deg(5.0, 150.0, limit=90.0)
    (5.0, 5.0)
    """
    if not (math.isfinite(v) and math.isfinite(other)) or not rest < other <= limit:
        return v, v
    hi, lo = max(v, other), min(v, other)
    return hi, max(min(hi + lo, limit), hi)


TEMPO_REST_S = 1.0
"""How far back before a rep's first own sample its tempo's baseline is looked for (s)."""


def full_range_seconds(t: list[float], v: list[float], floor: float = -math.inf,
                       start: int | None = None, rest: float | None = None) -> float:
    """Time the movement of one rep would take over its full range, up and down.

    ``t``, ``v``: the rep's samples, starting at rest (the lowest value before
    the peak is the baseline). With ``start``, the index of the rep's first own sample
    (the rest before it comes first), the baseline is the lowest value the signal rose
    from into it: walking back from there for up to :data:`TEMPO_REST_S`, and not past
    where the rest rose again by a tenth of the rep's span (an earlier movement in that
    rest, a leg brought across the midline, is not this rep's start). Each phase is timed
    between 10 % and 90 % of the excursion (or from the last sample of the rep
    when the signal has not yet come that far back) and scaled to the whole
    range, so the estimate does not depend on the rep thresholds. ``floor``: a
    reading up to which the signal shows no movement (a stand-in's wander at rest);
    a phase is then timed from that reading, where it is above 10 %, not from 10 %.
    ``rest``: the reading at rest where it is known (a knee read from the hips' drop:
    0°), the baseline under the lowest reading (a standing wander read 11° would
    otherwise start the range there, and the part of the way timed be taken for more
    of it than it was).
    """
    if len(v) < 3:
        return math.inf
    first = 0 if start is None else min(start, len(v) - 1)
    top = max(range(first, len(v)), key=v.__getitem__)  # the rep's own top
    peak = v[top]
    if start is None:
        low_at = min(range(top + 1), key=v.__getitem__)
    else:
        low_at = first
        for k in range(first - 1, -1, -1):
            if t[first] - t[k] > TEMPO_REST_S:
                break
            if v[k] < v[low_at]:
                low_at = k
            elif v[k] > v[low_at] + 0.1 * (peak - v[low_at]):
                break
    base = v[low_at] if rest is None else min(v[low_at], rest)
    span = peak - base
    if span <= 0:
        return math.inf
    f = [(x - base) / span for x in v]
    low = min(max(0.1, (floor - base) / span), 0.5)
    i90 = next(i for i in range(low_at, top + 1) if f[i] >= 0.9)
    i10 = max((i for i in range(low_at, i90) if f[i] <= low), default=low_at)
    j90 = max(i for i, x in enumerate(f) if x >= 0.9)
    j10 = next((i for i in range(j90, len(f)) if f[i] <= low), len(f) - 1)
    up = (t[i90] - t[i10]) / max(0.9 - f[i10], 0.1)
    down = (t[j10] - t[j90]) / max(0.9 - f[j10], 0.1)
    return up + down


def checkable_rules(spec: ExerciseSpec, view: str, settings: PatientSettings,
                    programme: Programme) -> tuple[tuple[FaultRule, ...], tuple[str, ...]]:
    """Rules to check in ``view`` for this patient, and the codes the view can't check."""
    checks = programme.approaches[settings.approach].checks
    rules = [r for r in spec.faults if r.applies(settings.approach, checks)]
    ok = tuple(r for r in rules if (not r.views or view in r.views or view == "unknown")
               and r.code not in spec.not_judged)
    skipped = tuple(sorted(({r.code for r in rules} - {r.code for r in ok})
                           | set(spec.not_judged)))
    return ok, skipped


class LowestHeld:
    """A measure's lowest reading held two samples in a row (``low``).

    Over ``n`` samples, ``seen`` of them finite.
    """

    def __init__(self) -> None:
        self.low, self.last, self.seen, self.n = math.inf, math.nan, 0, 0

    def update(self, v: float) -> None:
        """Feed one sample (NaN: not seen)."""
        if math.isfinite(v) and math.isfinite(self.last):
            self.low = min(self.low, max(v, self.last))
        self.last, self.seen, self.n = v, self.seen + math.isfinite(v), self.n + 1

    def came_to(self, level: float) -> bool:
        """Whether it came to ``level`` or under.

        True where it was seen in under half the samples (not judged).
        """
        return 2 * self.seen < self.n or self.low <= level


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
        frac = self.tracking.return_fraction
        dwell = self.tracking.hold_min_return_s if spec.hold_s > 0 else 0.0
        self.counter = RepCounter(spec.start_deg, spec.target_deg, spec.return_deg, frac, dwell,
                                  spec.hold_envelope_s)
        self.other = RepCounter(spec.start_deg, spec.target_deg, spec.return_deg, frac)
        self.hold = HoldTimer(spec.target_deg - self.tracking.hold_margin_deg,
                              2 * self.tracking.hold_margin_deg, self.tracking.hold_average_s,
                              self.tracking.hold_min_return_s, self.tracking.hold_still_deg_s,
                              self.tracking.hold_still_share, self.tracking.hold_still_s)
        self.faults = FaultTracker(self.rules, self.tracking.fault_min_duration_s,
                                   self.tracking.min_visibility, spec.target_deg)
        self.precautions = FaultTracker(tuple(r for r in self.rules if r.approaches),
                                        self.tracking.fault_min_duration_s,
                                        self.tracking.min_visibility)
        self._pending: list[str] = []
        self.bout = BoutCheck(spec.posture, self.tracking.max_posture_tilt_deg,
                              self.tracking.max_travel_trunks, spec.signal,
                              spec.min_legs_together if spec.legs == "both" else 0.0,
                              self.tracking.min_visibility, self.tracking.max_gap_s)
        self.bout.for_view(spec.signal, view)
        self.ignored: list[tuple[float, float, str]] = []
        self._next_view: tuple[ExerciseSpec, str] | None = None
        self.reps: list[Rep] = []
        self.wrong_leg: list[tuple[float, float, float]] = []
        self.set_index = 1
        self._set_reps = 0
        self._last_end = -math.inf
        self._tail_rep: Rep | None = None
        self._hold_announced = False
        self.t = 0.0
        self._last_v = math.nan
        self._last_v_t = math.nan
        self._rep_t: list[float] = []
        self._rep_v: list[float] = []
        self._rep_from = 0  # index in them of the rep's first own sample
        self._rep_tempo: list[float] = []  # the tempo signal (NaN where not seen)
        self._recent: deque[tuple[float, float, float]] = deque()  # the rest before a rep
        self._envelope: deque[tuple[float, float]] = deque()  # (t, raised leg's top)
        self._other_peak = -math.inf
        self._other_moves: deque[tuple[float, float, float]] = deque(maxlen=3)  # full ones
        self._other_at_peak = -math.inf    # the other leg when this one was at its top
        self._other_above = [0, 0]         # the rep's frames with the other leg higher, all
        self._shown_peak = -math.inf       # the measure shown for the signal (SHOWN_AS)
        self._opening: list[tuple[float, float]] | None = []
        self._top = LowestHeld()  # the rep's target_also reading
        self._drop_margin = 0.0   # noise_margin of the hips' height (share), between reps
        self._attempt_margin = 0.0  # how far past its start the noise lets the signal wander
        self._lead: list[tuple[float, float]] | None = None

    def set_view(self, spec: ExerciseSpec, view: str) -> None:
        """Switch to another camera view's thresholds and checks (``spec`` for that view).

        Takes effect between reps: a rep in progress finishes under the old view.
        The codes no view of the recording could check accumulate in
        :attr:`unchecked`.
        """
        self._next_view = (spec, view)
        if not self.counter.active:
            self._apply_view()

    def _apply_view(self) -> None:
        if self._next_view is None:
            return
        spec, view = self._next_view
        self._next_view = None
        self.spec, self.view = spec, view
        self.rules, unchecked = checkable_rules(spec, view, self.settings, self.programme)
        self.unchecked = tuple(sorted(set(self.unchecked) | set(unchecked)))
        for c in (self.counter, self.other):
            c.start, c.target, c.ret = spec.start_deg, spec.target_deg, spec.return_deg
        self.counter.sag_s = spec.hold_envelope_s
        self.hold.level = spec.target_deg - self.tracking.hold_margin_deg
        self.faults.rules, self.faults.top_level = self.rules, spec.target_deg
        self.precautions.rules = tuple(r for r in self.rules if r.approaches)
        self.bout.for_view(spec.signal, view)

    @property
    def rep_count(self) -> int:
        """Completed reps so far."""
        return sum(r.completed for r in self.reps)

    @property
    def in_rep(self) -> bool:
        """Whether a movement is in progress."""
        return self.counter.active

    @property
    def held_s(self) -> float:
        """How long the movement in progress has been held at its target (0: not at it)."""
        at = self.counter.active and self.counter.reached and self._top_reached()
        return self.hold.current if at else 0.0

    def update(self, t: float, values: dict[str, float]) -> list[Event]:
        """Process one frame's measures; returns what happened."""
        self.t = t
        events: list[Event] = []
        v = values.get(self.spec.signal, math.nan)
        if math.isfinite(v):
            self._last_v, self._last_v_t = v, t
        # One leg moves, the other stands: seen where the legs overlap (not from the
        # front), how long a pose is held is judged on the leg that is up, whichever
        # label the pose model gave it (raised_leg_deg), as far as it reads within the
        # hold's range of the highest the operated leg went. Not whether the rep goes on:
        # live, in quick alternating knee lifts the other leg is up as this one comes
        # down, and a rep carried on by it never ended (real high knees: 1 of 9).
        other_leg = values.get(self.spec.signal + "_other", math.nan) \
            if self.spec.legs == "operated" and "front" not in self.view else math.nan
        up, up_high = raised_leg_deg(v, other_leg, self.spec.return_deg,
                                     self.counter.peak + self.hold.band) \
            if self.counter.active else (v, v)
        if math.isfinite(other_leg) and self.counter.active and self.spec.hold_envelope_s > 0:
            up_high = self._held_envelope(t, up, up_high)
        if self._tail_rep is not None:
            if t - self._tail_rep.end_s > self.tracking.tail_s or self.counter.active:
                self._tail_rep = None
            else:
                for code in self.faults.update(t, values, v, self._hips_down(values)):
                    rep = self._tail_rep
                    if code not in rep.faults:
                        rep.faults.append(code)
                        events.append(Event(t, "fault", {"code": code, "rep": rep.index}))
        if (self._set_reps and not self.counter.active
                and t - self._last_end >= self.programme.dosage.new_set_after_rest_s):
            events.append(Event(t, "set_ended", {"set": self.set_index, "reps": self._set_reps}))
            self.set_index += 1
            self._set_reps = 0
        if self._next_view is not None and not self.counter.active:
            self._apply_view()
        noise = values.get("signal_noise", math.nan)
        if math.isfinite(noise):
            # Noise beyond what the thresholds were set for: a rep must rise and
            # reach its target by that much more to be told from the noise.
            margin = noise_margin(noise, self.tracking)
            for c in (self.counter, self.other):
                if not c.active:
                    c.margin = margin
            if not self.counter.active:
                self._attempt_margin = self.tracking.attempt_noise_sd * noise
        hip_noise = values.get("hip_height_noise", math.nan)
        if math.isfinite(hip_noise) and not self.counter.active:
            # The same for the hips' drop (a front squat's): the rest's top and the
            # cycle's lowest readings of a noisy hip height lie apart by the noise alone.
            self._drop_margin = noise_margin(hip_noise, self.tracking,
                                             self.tracking.hip_drop_noise)
        # The other leg tells alternating lifts (standing: marching, high knees) from a
        # frame misread; lying, a leg read up as the operated one drops is their labels
        # traded (side-on the legs overlap), not a movement of its own.
        other = values.get(self.spec.signal + "_other", math.nan) \
            if self.spec.legs == "operated" and self.spec.posture == "standing" else math.nan
        state = self.counter.update(t, v, self._start_also(v, values), other)
        if state == "started":
            # The rep's samples start with the rest before it.
            self._rep_t = [a for a, _, _ in self._recent]
            self._rep_from = len(self._rep_t)  # the rep's own samples from here
            self._rep_v = [b for _, b, _ in self._recent]
            self._rep_tempo = [c for _, _, c in self._recent]
            self.hold.reset()
            self._envelope.clear()
            self.faults.reset()
            self.bout.reset()
            self._tail_rep = None
            self._hold_announced = False
            self._other_peak = self._other_at_peak = self._shown_peak = -math.inf
            self._other_above = [0, 0]
            self._top = LowestHeld()
            events.append(Event(t, "rep_started", {"index": len(self.reps) + 1}))
        if math.isfinite(v):
            tempo = values.get(self.spec.tempo_signal, math.nan) if self.spec.tempo_signal \
                else v
            if self.counter.active or state == "ended":
                self._rep_t.append(t)
                self._rep_v.append(v)
                self._rep_tempo.append(tempo)
            else:
                self._recent.append((t, v, tempo))
                while self._recent[0][0] < t - BoutCheck.REST_S:
                    self._recent.popleft()
        if not self.counter.active and state != "ended":
            self.bout.rest(t, values)
        if self.counter.active or state == "ended":
            self.bout.update(values)
            if self.spec.target_also:
                self._top.update(values.get(self.spec.target_also, math.nan))
            other = values.get(self.spec.signal + "_other", math.nan)
            if math.isfinite(other):
                self._other_peak = max(self._other_peak, other)
            if math.isfinite(v) and v >= self.counter.peak:
                self._other_at_peak = other if math.isfinite(other) else -math.inf
            if math.isfinite(v) and math.isfinite(other):
                self._other_above[0] += other > v
                self._other_above[1] += 1
            shown = values.get(SHOWN_AS.get(self.spec.signal, ""), math.nan)
            if math.isfinite(shown):
                self._shown_peak = max(self._shown_peak, shown)
            held = self.hold.update(t, up, up_high) if self.counter.reached else 0.0
            if self.spec.hold_s > 0 and self.counter.active and self.counter.reached \
                    and self._top_reached():
                events.append(Event(t, "hold", {"seconds": held, "required": self.spec.hold_s}))
                if held >= self.spec.hold_s and not self._hold_announced:
                    self._hold_announced = True
                    events.append(Event(t, "hold_reached", {"seconds": held}))
            for code in self.faults.update(t, values, v, self._hips_down(values)):
                events.append(Event(t, "fault", {"code": code, "rep": len(self.reps) + 1}))
        elif self.precautions.rules:
            # Precautions hold all the time: a crossing between reps (the leg
            # brought across the midline on the way back) belongs to the last rep.
            for code in self.precautions.update(t, values, v):
                rep = self.reps[-1] if self.reps else None
                if rep is None:
                    self._pending.append(code)
                elif code not in rep.faults:
                    rep.faults.append(code)
                    events.append(Event(t, "fault", {"code": code, "rep": rep.index}))
        if state == "ended":
            ev = self._finish_rep()
            if ev is not None:
                events.append(ev)
            self.precautions.reset()
        if self._opening is not None and math.isfinite(v):
            # Until first back at rest: did the recording start in the position
            # a rep goes to (seated, for a sit-to-stand)? Then this is the way
            # back of a cycle whose way down was not filmed.
            self._opening.append((t, v))
            if self._opening[0][1] < self.spec.target_deg:
                self._opening = None  # it did not
            elif v <= self.spec.return_deg:
                there = [a for a, b in self._opening if b >= self.spec.target_deg]
                if not self.reps and there[-1] - there[0] >= self.tracking.end_position_s:
                    self._lead = self._opening
                self._opening = None
        if self.spec.legs == "operated":
            self._watch_other_leg(t, values, events)
        return events

    def _top_reached(self) -> bool:
        """Whether the rep's ``target_also`` reading came to its limit.

        True where the spec sets none (see :meth:`LowestHeld.came_to`).
        """
        return not self.spec.target_also or self._top.came_to(self.spec.target_also_max_deg)

    def _start_also(self, v: float, values: dict[str, float]) -> float:
        """The spec's ``start_also`` measure, a second reading that starts and keeps an attempt.

        Taken (see :meth:`RepCounter.update`) as far as it lies within
        ``start_also_within_deg`` of the signal (the signal's known under-read: a bend
        far beyond it is another movement, e.g. a bend at the hips over straight knees),
        and only while the signal reads short of the target: past it the signal's own
        reading decides (seated, the trunk leaning forward to stand up is no new
        attempt). NaN otherwise, and for a pose model noisier than the thresholds were
        set for (a noise margin): only the signal is smoothed to that noise.
        """
        if not self.spec.start_also or self.counter.margin > 0 or not (
                math.isfinite(v) and v < self.spec.target_deg):
            return math.nan
        also = values.get(self.spec.start_also, math.nan)
        if self.spec.knee_from_hip_drop and self._drop_margin > 0 and math.isfinite(also) \
                and not self.counter.active:
            # A knee read from the hips' drop (cos(knee / 2) = reach / standing) starts an
            # attempt as if the hips had dropped the noise margin less: under 0.3 % landmark
            # noise a standing person's hip-ankle distance jitters ~2 % at 10 frames a
            # second, read as 10-30° squats, and wobbles past the start as attempts. (It
            # keeps one going as read: a squat's way down is not split where the 3-D knee
            # dips.)
            also = float(knee_flexion_from_hip_drop(math.cos(math.radians(also) / 2), 1.0,
                                                    self._drop_margin))
        if not also >= self.spec.start_also_from_deg:
            return math.nan
        return min(also, v + self.spec.start_also_within_deg)

    def _opening_rise(self) -> float:
        """How far a cycle the recording opened in was seen rising to its peak (degrees).

        From its first sample (:attr:`RepCounter.rise`), or less: where the recording
        opens in a position held still (the signal within twice ``hold_margin_deg`` for
        ``end_position_s``, from its first readings: the pose model's first frame or two
        may be read elsewhere) more than that band under the peak, from that position's
        lowest reading. Going further from it was no rep seen being made (a heel slide
        from the foot end, opening held at 80-90°, first frames read 57° and 67°, then
        bent to 95-107°).
        """
        t, v = self._rep_t[self._rep_from:], self._rep_v[self._rep_from:]
        if not v:
            return self.counter.rise
        top, band = v.index(max(v)), 2 * self.tracking.hold_margin_deg
        hold = self.tracking.end_position_s
        for s in range(top):
            if t[s] - t[0] > hold:
                break
            k = s
            while k + 1 < top and max(v[s:k + 2]) - min(v[s:k + 2]) <= band:
                k += 1
            if t[k] - t[s] >= hold and max(v[s:k + 1]) < v[top] - band:
                return min(self.counter.rise, v[top] - min(v[s:k + 1]))
        return self.counter.rise

    def _hips_down(self, values: dict[str, float]) -> bool:
        """Whether the hips are half-way to ``hip_drop_target`` below the rest before the rep."""
        target, rest = self.spec.hip_drop_target, self.bout.rest_height
        return target > 0 and rest > 0 and \
            1.0 - values.get("hip_height", math.nan) / rest >= target / 2

    def _finish_rep(self) -> Event | None:
        start, end, peak, reached = self.counter.last  # type: ignore[misc]
        c = self.counter
        reached = reached and self._top_reached()
        by_signal = reached
        need = self.spec.hip_drop_target + self._drop_margin
        if not reached and self.spec.hip_drop_target > 0 and self.bout.drop() >= need \
                and not self.bout.drop(scaled=True) < need \
                and not (start - self._last_end < self.tracking.settle_s
                         and self.bout.fell() < self.spec.hip_drop_min):
            # From the front the 3-D knee reads a squat low; the hips going down show it,
            # in the picture and in metres (where known): a camera zooming out lowers the
            # picture's hips alone (a handheld phone: a standing person's 11-16 %). A
            # cycle begun just after a rep ended must see the hips go down: one that saw
            # them only rise is the way up of the squat before (the 3-D knee dipped under
            # its return for a moment), not another squat.
            reached = True
        if self.spec.hip_drop_min > 0 and abs(self.bout.drop()) < self.spec.hip_drop_min:
            # The model's knee angle moved and the hips stayed at standing height: the
            # 3-D knee seen from the front wobbling on a standing person, not a squat.
            # (Hips read higher than standing show a change of the picture's scale, a
            # person walking nearer: the drop then tells nothing.)
            return None
        if self.spec.hip_drop_min > 0 and self.spec.signal in SHOWN_AS \
                and math.isfinite(self._shown_peak) and self._shown_peak < float(
                    knee_flexion_from_hip_drop(1.0 - self.spec.hip_drop_min, 1.0,
                                               self.tracking.hip_drop_noise)):
            # The same told by the knee as reported: each leg's hip-ankle distance
            # against its own standing length never came down by hip_drop_min, where
            # the hips' height was read higher (the picture's scale changed) or not at
            # all (hips not square to the camera).
            return None
        rise = c.rise if c.from_rest else self._opening_rise()
        if not c.from_rest and (
                rise < self.spec.target_deg - self.spec.start_deg
                or rise < self.tracking.opening_rise_fraction * (peak - self.spec.return_deg)):
            # Seen only coming back from a position held when the recording
            # started (or first seen near its top): not a movement the patient
            # was seen to make.
            return None
        if not reached and start - self._last_end < self.tracking.settle_s:
            # A partial rise just after a rep ended is that rep's way down read
            # unevenly (a frame or two dipping under the return level), not a try.
            return None
        if not reached and c.start + c.margin <= peak < c.start + self._attempt_margin:
            # A partial rise the signal started (not start_also) and took no further past
            # its start than its noise lets it wander at rest (attempt_noise_sd times the
            # noise left after smoothing, all of it: the start was set on steady renders):
            # the noise, not a try (renders with 0.3 % landmark noise: the rest between
            # reps read as 2-4 incomplete attempts a clip).
            return None
        above, seen = self._other_above
        if self.spec.legs == "operated" and self._other_peak >= self.spec.target_deg and (
                not reached or ((self._other_at_peak >= peak or 2 * above > seen)
                                and self._other_peak >= self.tracking.bleed_ratio * peak)):
            # The other leg made the full movement (higher than this one at its top, or
            # in most of its frames: the top may be one frame the model drew the legs
            # mixed, a heel slide of the other leg read 20-36° into this one's landmarks
            # and 58° for a frame on the way back; and a much larger one); what the
            # operated leg showed was that movement bleeding into its landmarks, not one
            # of its own (warned as ``wrong_leg``).
            return None
        if self.spec.legs == "operated" and not reached and self._bled(start, end, peak):
            return None
        # A cycle only the start_also reading showed (the signal never reached its start).
        also_only = self.spec.start_also_legs_together > 0 and peak < c.start + c.margin
        problem = self.bout.problem(reached, by_signal,
                                    self.spec.start_also_legs_together if also_only else 0.0)
        if problem:
            self.ignored.append((start, end, problem))
            return Event(end, "not_exercise", {"start_s": start, "end_s": end, "why": problem})
        faults = list(dict.fromkeys(self._pending + self.faults.flagged
                                    + self.faults.on_short_top()))
        self._pending = []
        hold = self.hold.longest if reached else 0.0  # none held at a top short of the target
        if not reached:
            faults.append("incomplete_range")
        else:
            if self.spec.hold_s > 0 and hold < self.spec.hold_s:
                faults.append("hold_too_short")
            seconds = self._full_range_seconds()
            if not math.isfinite(seconds):
                # Not seen through the movement: its tempo is not judged, and said so.
                self.unchecked = tuple(sorted(set(self.unchecked) | {"too_fast"}))
            elif seconds < self.spec.min_move_s:
                faults.append("too_fast")
        faults = [f for f in faults if f not in self.spec.not_judged]
        if self.spec.signal in SHOWN_AS and math.isfinite(self._shown_peak):
            peak = self._shown_peak
        rep = Rep(len(self.reps) + 1, start, end, peak, hold, reached, faults, self.set_index,
                  dict(self.faults.worst))
        self.reps.append(rep)
        self._set_reps += 1
        self._last_end = end
        self._tail_rep = rep
        kind = "rep_completed" if reached else "attempt_incomplete"
        return Event(end, kind, {"rep": rep.to_dict(), "count": self.rep_count})

    def _held_envelope(self, t: float, up: float, up_high: float) -> float:
        """The top of the raised leg's range: its highest over the spec's ``hold_envelope_s``.

        Side-on the pose model collapses a knee held high towards the other leg for a
        few frames at a time, never lifting a held one: a hold's reading is its top.
        """
        top = max(up, up_high) if math.isfinite(up_high) else up
        env = self._envelope
        if math.isfinite(top):
            env.append((t, top))
        while env and env[0][0] < t - self.spec.hold_envelope_s:
            env.popleft()
        return max((x for _, x in env), default=top)

    def _full_range_seconds(self) -> float:
        """The rep's :func:`full_range_seconds`, timed on the spec's ``tempo_signal``.

        NaN when that signal was not seen in at least :data:`TEMPO_SEEN` of the rep's
        samples (the rep cannot be timed on it).
        """
        if not self.spec.tempo_signal:
            return full_range_seconds(self._rep_t, self._rep_v, start=self._rep_from)
        seen = [(t, c) for t, c in zip(self._rep_t, self._rep_tempo, strict=True)
                if math.isfinite(c)]
        if not seen or len(seen) < TEMPO_SEEN * len(self._rep_t):
            return math.nan
        start = sum(math.isfinite(c) for c in self._rep_tempo[: self._rep_from])
        t, c = (list(x) for x in zip(*seen, strict=True))
        if self.spec.knee_from_hip_drop and self.spec.hip_drop_min > 0 \
                and self.spec.tempo_signal == KNEE_TEMPO:
            # The knee read from the hips' drop: a drop under hip_drop_min is a standing
            # person's wander (~1 %, read ~10°, rising for a second before a squat at
            # times), which timed from 10 % of the range made a quick squat look slow.
            # The knee straight reads 0° (the standing reach's own), whatever it wanders.
            floor = float(knee_flexion_from_hip_drop(1.0 - self.spec.hip_drop_min, 1.0))
            return full_range_seconds(t, c, floor, start, rest=0.0)
        return full_range_seconds(t, c, start=start)

    def _watch_other_leg(self, t: float, values: dict[str, float], events: list[Event]) -> None:
        state = self.other.update(t, values.get(self.spec.signal + "_other", math.nan))
        if state == "ended":
            start, end, peak, reached = self.other.last  # type: ignore[misc]
            if reached:
                self._other_moves.append((start, end, peak))
                self._withdraw_bled()
            overlaps = any(r.start_s < end and start < r.end_s for r in self.reps[-2:])
            if reached and not overlaps and not (self.counter.active and self.counter.reached):
                self.wrong_leg.append((start, end, peak))
                events.append(Event(t, "wrong_leg", {"start_s": start, "end_s": end}))

    def _bled(self, start: float, end: float, peak: float) -> bool:
        """Whether a partial rise (``start``–``end``, up to ``peak``) was the other leg's.

        It overlaps a full movement of the other leg ``bleed_ratio`` times larger (ended,
        or going on at its target): that movement bleeding into the operated leg's
        landmarks, which the model reads jumping with a far leg's bend, now high, now
        low, so the other leg's reading during the rise itself need not show it.
        """
        moves = list(self._other_moves)
        if self.other.active and self.other.reached:
            moves.append((self.other.onset, math.inf, self.other.peak))
        ratio = self.tracking.bleed_ratio
        return any(a < end and start < b and peak * ratio <= p for a, b, p in moves)

    def _withdraw_bled(self) -> None:
        """Withdraw the partial rises counted before the other leg's full movement ended.

        Those that turn out to have been it (:meth:`_bled`); the reps left keep their
        order and are numbered again from 1.
        """
        bled = [r for r in self.reps
                if not r.completed and self._bled(r.start_s, r.end_s, r.peak_deg)]
        if not bled:
            return
        self.reps = [r for r in self.reps if r not in bled]
        for i, rep in enumerate(self.reps, 1):
            rep.index = i
        self._set_reps = max(self._set_reps - len(bled), 0)
        if self._tail_rep in bled:
            self._tail_rep = None

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

        A full-range rep already more than half-way back from its peak to the
        return level when the recording ends is counted if it was still on its
        way back (``end_moving_s``) or had come back near the return level: one
        at rest in a position then (sitting down at the end) is no rep. So is one the recording
        ends in (target reached, not back) when it also started in that
        position and the first thing seen was the way back from it (a
        sit-to-stand filmed from seated to seated): the unseen halves of the
        first and the last cycle make one whole cycle, so the count does not
        depend on where in the cycle the recording starts. Its hold is judged on
        the two halves joined: the end of the recording shows the hold's start,
        the start of the recording its end. Any other movement in progress is
        dropped.
        """
        c = self.counter
        halfway = (c.peak + self.spec.return_deg) / 2
        window = self.tracking.end_moving_s
        recent = [v for t, v in zip(self._rep_t, self._rep_v, strict=True)
                  if t >= self.t - window] if window > 0 else []
        margin = self.tracking.hold_margin_deg
        top = max(range(len(self._rep_v)), key=self._rep_v.__getitem__, default=0)
        back = min(self._rep_v[top:], default=math.inf) <= self.spec.return_deg + margin
        moving = not recent or back or max(recent) - self._last_v > margin
        if c.active and c.reached and math.isfinite(self._last_v) \
                and self._last_v < halfway and moving:
            c.active = False
            c.last = (c.onset, self.t, c.peak, c.reached)
            self._finish_rep()
        elif c.active and c.reached and self._lead is not None \
                and self.t - self._last_v_t <= self.tracking.end_position_s \
                and min(self._rep_v[-3:], default=-math.inf) >= self.spec.target_deg:
            lead_t, lead_v = (list(x) for x in zip(*self._lead, strict=True))
            # The way down seen at the end, then the way back seen at the start.
            step = lead_t[1] - lead_t[0] if len(lead_t) > 1 else 0.1
            shift = self._rep_t[-1] - lead_t[0] + step if self._rep_t else 0.0
            self._rep_t += [x + shift for x in lead_t]
            self._rep_v += lead_v
            # (The tempo signal of that way back was not kept: a rep timed on its own
            # tempo signal is then not timed.)
            self._rep_tempo += [math.nan] * len(lead_v) if self.spec.tempo_signal else lead_v
            if self.spec.hold_s > 0:
                joined = self.hold.blank()
                for x, y in zip(self._rep_t, self._rep_v, strict=True):
                    joined.update(x, y)
                self.hold.longest = max(self.hold.longest, joined.longest)
            c.active = False
            c.last = (c.onset, self.t, max([c.peak, *lead_v]), True)
            self._finish_rep()
        self._tail_rep = None
        return self.reps
