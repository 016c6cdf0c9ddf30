"""The live path: webcam frames in, overlay and events out, one frame at a time.

Same measures and the same :class:`~formcheck.session.ExerciseSession` as
recorded video; only the smoothing is causal and the calibration happens in
front of the camera: placement check → countdown → still neutral pose →
counting.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .analysis import (
    NOISE_OF,
    hip_height_noise,
    noise_in_degrees,
    signal_noise_deg,
    turned_landmarks,
)
from .filters import CausalSmoother, noise_cutoff_hz, noise_gain
from .i18n import fault_text, text
from .kinematics import (
    HIPS_ORDER_FRAMES,
    LOWER_LEGS,
    KneesDrawnTogether,
    LegLabels,
    PlantedLegs,
    SnappedLegs,
    SplitStance,
    StanceMisdrawn,
    anterior_sign,
    camera_roll_deg,
    camera_turn_deg,
    estimate_view,
    hip_abduction_deg,
    hip_order,
    knee_past_midline,
    other_side,
    swap_leg_labels,
    to_isotropic,
)
from .measures import (
    STILL_SD_DEG,
    VIEWS_3D,
    VIEWS_TURNED,
    Calibration,
    StandingReach,
    calibrate,
    calibrated,
    compute_measures,
    fuse_legs,
    turned_camera,
)
from .overlay import OverlayState, angle_anchors, annotate
from .pose import N_LANDMARKS, PoseEstimator, PoseFrame, legs_hidden, side_landmark
from .protocol import PatientSettings, Programme, apply_overrides, default_programme
from .session import Event, ExerciseSession, noise_margin

PLACEMENT_S = 1.0       # the view must look right this long before the countdown
COUNTDOWN_S = 3.0
MAX_FPS = 120.0         # frame intervals shorter than this rate's are taken as this rate's
# All measures are smoothed (at smoothing_cutoff_hz) only from this many times the cut-off
# in frames a second: slower, that filter lets most of the noise through (4 Hz at 10 frames
# a second: 89 %) and mostly delays and smears a one-frame misreading (a leg label traded
# for a frame) into the frames after it. (It was 2.5: 10 frames a second, the browsers'
# slow rate and the benchmarks', sat on the limit, and its measured rate, 9.99 or 10.01,
# switched the smoothing, and the noise adaptation with it, on and off from frame to frame.)
# The movement signal's own smoothing for a noisy pose model (_read_noise) works at any
# rate its cut-off is under half of.
SMOOTH_RATE_PER_CUTOFF = 3.0
# The start pose is measured on a still window of ``calibration_s``; while the patient
# moves the window slides on, up to this many seconds more, then the resting level of
# what was seen is taken. (Calibrating on a movement left the 3-D knee's ~20° resting
# reading uncorrected: "keep the leg straight" on every clean rep, and counting began
# with the leg up.)
CALIBRATION_WAIT_S = 5.0
CALIBRATION_RETRY_S = 0.2   # while waiting, measured again this often (not every frame)
MESSAGE_HOLD_S = 2.5    # a fault message stays at least this long
# The pose model's noise is read again this often from the frames of the last
# NOISE_WINDOW_S seconds (at least NOISE_MIN_FRAMES, at most the last NOISE_MAX_FRAMES of
# them): the movement signal's smoothing and the rise a rep needs follow it, as for
# recorded video.
NOISE_EVERY_S = 1.0
NOISE_WINDOW_S = 6.0
NOISE_MIN_FRAMES = 15
NOISE_MAX_FRAMES = 60
FULL_BODY = ("shoulder", "hip", "knee", "ankle")


@dataclass(frozen=True)
class _Raw:
    """One frame's raw measures (``(n_measures,)``) and what they were computed with."""

    values: np.ndarray
    front_sign: float
    view: str
    turn_deg: float | None


def _same(pre: _Raw, front_sign: float, view: str, turn: float | None) -> bool:
    def eq(a: float | None, b: float | None) -> bool:
        return a == b or (a is not None and b is not None and a != a and b != b)

    return pre.view == view and eq(pre.front_sign, front_sign) and eq(pre.turn_deg, turn)


MeasureKey = tuple[str, float, float | None, bool, float | None, tuple[str, ...]]
"""(side, least visibility, facing sign or None: per frame, 3-D view, camera turn or None,
measure names)."""


@dataclass(frozen=True)
class Measured:
    """One session's frames' raw measures and what they were computed with.

    ``rows``: per frame ``(n_measures,)`` in the session's measure order, None: no person.
    ``signs``: per frame the facing sign used (None: the key's). ``key``: the
    :meth:`LiveSession.measure_key` used.
    """

    key: MeasureKey
    rows: list[np.ndarray | None]
    signs: list[float | None]


def measure_together(jobs: Sequence[tuple[MeasureKey | None, Sequence[PoseFrame | None]]]
                     ) -> list[Measured | None]:
    """Raw measures of several sessions' frames: one vectorised call per key and facing.

    ``jobs``: each session's :meth:`LiveSession.measure_key` and frames. The measures are a
    pure function of the frames, the key and the facing sign (the key's, or found per frame
    when the key has none), so frames alike share one call: most of a frame's cost,
    whatever the number of frames. None for a job whose key is None or with nobody in view.
    """
    out: list[Measured | None] = [None] * len(jobs)
    frames_of: dict[tuple, list[tuple[int, int, PoseFrame]]] = {}
    signs: dict[int, list[float | None]] = {}
    xys: dict[int, np.ndarray] = {}
    for j, (key, frames) in enumerate(jobs):
        found = [(i, f) for i, f in enumerate(frames) if f is not None]
        if key is None or not found or (key[3] and any(f.world_xyz is None for _, f in found)):
            continue
        xys[j] = np.stack([to_isotropic(f.image_xyz, f.image_wh) for _, f in found])
        found_signs = [float(s) for s in anterior_sign(xys[j])] if key[2] is None \
            else [key[2]] * len(found)
        signs[j] = [None] * len(frames)
        for n, ((i, f), sign) in enumerate(zip(found, found_signs, strict=True)):
            signs[j][i] = sign if key[2] is None else None
            group = (key[:2] + (sign if sign == sign else "nan",) + key[3:])
            frames_of.setdefault(group, []).append((j, n, f))
    rows: dict[int, dict[int, np.ndarray]] = {j: {} for j in xys}
    for group, members in frames_of.items():
        side, min_vis, sign, view_3d, turn, names = group
        xy = np.stack([xys[j][n] for j, n, _ in members])
        world = np.stack([f.world_xyz for _, _, f in members]) if view_3d else None
        raw = compute_measures(xy, np.stack([f.visibility for _, _, f in members]), side,
                               min_vis, math.nan if sign == "nan" else sign, world, turn)
        for (j, n, _), row in zip(members, np.array([raw[m] for m in names]).T, strict=True):
            rows[j][n] = row
    for j, found_rows in rows.items():
        it = iter(found_rows[n] for n in range(len(found_rows)))
        out[j] = Measured(jobs[j][0], [None if f is None else next(it) for f in jobs[j][1]],
                          signs[j])
    return out


@dataclass
class LiveState:
    """What the UI shows next to the video: phase, counts, the current message."""

    phase: str = "placement"          # placement | countdown | calibrating | counting
    rep_count: int = 0
    attempts: int = 0
    set_index: int = 1
    hold_s: float = 0.0
    message: str | None = None
    message_is_fault: bool = False
    view: str = "unknown"
    fps: float = 0.0
    latency_ms: float = 0.0
    events: list[Event] = field(default_factory=list)


class LiveSession:
    """Runs one exercise on a live stream. Thread-safe :meth:`process` and :meth:`snapshot`."""

    def __init__(self, exercise: str, settings: PatientSettings, lang: str = "nl",
                 programme: Programme | None = None, estimator: PoseEstimator | None = None,
                 fs_hz: float = 30.0, goal: int | None = None) -> None:
        self.programme = programme or default_programme()
        self.spec = apply_overrides(self.programme.exercise(exercise),
                                    settings.overrides.get(exercise))
        self.settings, self.lang, self.goal = settings, lang, goal
        self._estimator = estimator
        self.tr = self.programme.tracking
        self.fs = fs_hz
        self.state = LiveState()
        self.session: ExerciseSession | None = None
        self.calibration = Calibration()
        self._standing = StandingReach()    # a squat from the front: its standing reach
        self._lock = threading.Lock()
        self._smoother: CausalSmoother | None = None
        self._smoother_fs = fs_hz
        self._names: list[str] = []
        # Recent frames (t, isotropic xy, visibility, world) for the noise estimate, and
        # what it gave: the movement signal's cut-off, its smoother, the noise left.
        self._noise_frames: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray | None]] = \
            deque(maxlen=NOISE_MAX_FRAMES)
        self._noise_t = -math.inf
        self._signal_cutoff = self.tr.smoothing_cutoff_hz
        self._signal_smoother: CausalSmoother | None = None
        self._signal_fs = fs_hz
        self._signal_noise = math.nan
        self._hip_noise = math.nan          # hip_height's, a share of it (a front squat's drop)
        self._phase_since = math.nan
        self._cal_t: list[float] = []
        self._legs = LegLabels()           # the legs' labels kept consistent frame to frame
        self._planted = PlantedLegs()      # ... and through a held one-legged lift
        self._stance = SplitStance()       # ... and through a held split stance
        self._snaps = SnappedLegs()        # frames drawn with the legs snapped together
        self._between = StanceMisdrawn()   # ... or a split stance's feet between their places
        self._together = KneesDrawnTogether()  # lying: frames drawn with the knees at one place
        self._legs_xy: np.ndarray | None = None  # the last frame LegLabels was given
        # The operated hip's side of the other in the last frames (kinematics.hips_apart).
        self._hips: deque[float] = deque(maxlen=HIPS_ORDER_FRAMES)
        self._cal_rows: list[dict[str, float]] = []
        self._views: list[np.ndarray] = []
        self._worlds: list[np.ndarray] = []
        self._elevation_deg = 0.0
        self._signal_seen: list[float] = []   # the movement signal's readings so far
        self._cal_tried = -math.inf
        self._message_until = -math.inf
        self._last_t: float | None = None
        self._dt_avg = 0.0
        self.all_events: list[Event] = []
        self._undrained: list[Event] = []
        self._last_values: dict[str, float] = {}
        self._last_raw: dict[str, float] = {}   # the last frame's measures, unsmoothed
        self._last_raw_t: float | None = None
        self.front_sign = 1.0
        self._turn_deg = 0.0
        # The camera's roll read from the front at placement (kinematics.camera_roll_deg),
        # when it reads ``camera_roll_min_deg`` or more: every frame after is turned back.
        self.camera_roll_deg: float | None = None
        # What the overlay shows as (count, set number); by default the engine's own. A page
        # that closes sets itself (at the goal, by a button) passes its numbers here.
        self.shown_counts: Callable[[], tuple[int, int]] | None = None

    # -- per frame -----------------------------------------------------------------
    def process(self, rgb: np.ndarray, t: float) -> np.ndarray:
        """Analyse one RGB frame taken at ``t`` seconds; returns it annotated."""
        started = time.perf_counter()
        if self._estimator is None:   # loaded on the first image: never for browser poses
            self._estimator = PoseEstimator(count_people_every_s=None)
        found = self._estimator.detect(rgb, t)
        with self._lock:
            roll = self.camera_roll_deg
            frame, _ = self._consistent(self._upright(found), t)
            self._step(frame, t)
            if frame is not None and roll is not None:
                # Drawn where the picture shows it, with the legs' labels as measured.
                frame = dataclasses.replace(frame, image_xyz=turned_landmarks(
                    frame.image_xyz, None, frame.image_wh, -roll)[0])
            overlay = self._overlay(frame.pixel_xy() if frame is not None else None)
        out = annotate(rgb, overlay)
        with self._lock:
            self.state.latency_ms = (time.perf_counter() - started) * 1000
        return out

    def process_pose(self, frame: PoseFrame | None, t: float) -> LiveState:
        """Advance on a pose found elsewhere (e.g. in the patient's browser) at ``t`` seconds.

        ``frame`` is None when no person was found. Same engine as :meth:`process`,
        without the model and the drawing; returns a snapshot of the state after it.
        """
        started = time.perf_counter()
        with self._lock:
            frame, _ = self._consistent(self._upright(frame), t)
            self._step(frame, t)
            self.state.latency_ms = (time.perf_counter() - started) * 1000
        return self.snapshot()

    def process_poses(self, frames: Sequence[tuple[PoseFrame | None, float]],
                      measured: Measured | None = None) -> LiveState:
        """:meth:`process_pose` on each ``(frame, t)`` in turn (frames that arrived together).

        The same result, cheaper: the measures of all the frames come from one vectorised
        call, which is most of a frame's cost when frames come one at a time. ``measured``:
        those measures already taken together with other sessions' frames
        (:func:`measure_together`); used only if made with this session's :meth:`measure_key`.
        """
        started = time.perf_counter()
        with self._lock:
            fixed = [(*self._consistent(self._upright(f), t), t) for f, t in frames]
            if any(swapped for _, swapped, _ in fixed) or self.camera_roll_deg is not None:
                # Measured on the frames as labelled and as filmed: measure them again.
                measured = None
            frames = [(f, t) for f, _, t in fixed]
            if measured is not None and measured.key == self._measure_key_locked():
                view, turn = self.state.view, measured.key[4]
                raw = [None if r is None else _Raw(r, self.front_sign if sign is None else sign,
                                                   view, turn)
                       for r, sign in zip(measured.rows, measured.signs, strict=True)]
            else:
                raw = self._raw_values([f for f, _ in frames])
            for (frame, t), pre in zip(frames, raw, strict=True):
                self._step(frame, t, pre)
            self.state.latency_ms = (time.perf_counter() - started) * 1000
        return self.snapshot()

    def _upright(self, frame: PoseFrame | None) -> PoseFrame | None:
        """``frame`` as a level camera would see it (:attr:`camera_roll_deg`)."""
        if frame is None or self.camera_roll_deg is None:
            return frame
        image, world = turned_landmarks(frame.image_xyz, frame.world_xyz, frame.image_wh,
                                        self.camera_roll_deg)
        return dataclasses.replace(frame, image_xyz=image, world_xyz=world)

    def _consistent(self, frame: PoseFrame | None, t: float) -> tuple[PoseFrame | None, bool]:
        """``(frame, swapped)``: the legs' labels made consistent with the frames before.

        Side-on or obliquely the model may trade the legs' labels (see
        :class:`~formcheck.kinematics.LegLabels`); from the front its labels stand, except
        in a standing exercise in which one leg moves (as the recorded path does:
        :func:`~formcheck.analysis.consistent_legs`). Standing, a frame drawn with the
        legs snapped together first loses its legs (:class:`~formcheck.kinematics.SnappedLegs`),
        and so does one drawing a held split stance's feet between their places
        (:class:`~formcheck.kinematics.StanceMisdrawn`).
        """
        if frame is not None and self.spec.posture == "standing":
            xy = to_isotropic(frame.image_xyz[None], frame.image_wh)[0]
            if self._snaps.update(xy, t) or (self.spec.split_stance
                                             and self._between.update(xy, t)):
                frame = frame.unseen(LOWER_LEGS)  # as the recorded path (analyze_track)
        planted = self.spec.legs == "operated" and self.spec.posture == "standing"
        if frame is None or ("front" in self.state.view and not planted):
            self._legs.reset()  # from the front the labels stand: a fresh path after
            self._planted.reset()
            self._stance.reset()
            self._together.reset()
            self._legs_xy = None
            return frame, False
        xy = to_isotropic(frame.image_xyz[None], frame.image_wh)[0]
        if self.spec.posture == "lying" and self._together.update(xy, t) \
                and self._legs_xy is not None:
            # Both knees drawn at one place mid-movement: the frame tells nothing of the legs
            # (unseen), and their labels' path goes on as if they had stood still.
            self._legs.update(self._legs_xy, t)
            return frame.unseen(LOWER_LEGS), False
        self._legs_xy = xy
        one = np.ones(1, bool)

        def traded(a: np.ndarray) -> np.ndarray:
            return swap_leg_labels(a[None], one)[0]

        swap = self._legs.update(xy, t)
        if planted and self.spec.foot_off_floor and "front" not in self.state.view:
            # Side-on or obliquely, one leg held raised: the leg that rose stays raised
            # until its foot is back on the floor (the recorded path:
            # :func:`~formcheck.kinematics.planted_leg_swaps`).
            swap ^= self._planted.update(traded(xy) if swap else xy, t)
        else:
            self._planted.reset()
        if self.spec.split_stance:
            # Both feet held planted apart: each leg keeps the place its foot stands on.
            swap ^= self._stance.update(traded(xy) if swap else xy, t)
        if not swap:
            return frame, False
        world = frame.world_xyz
        return dataclasses.replace(
            frame, image_xyz=traded(frame.image_xyz), visibility=traded(frame.visibility),
            world_xyz=None if world is None else traded(world)), True

    def measure_key(self) -> MeasureKey | None:
        """What this session's raw measures depend on besides the frames; None while unsettled.

        Until calibration the view and the facing are still being found, so None.
        """
        with self._lock:
            return self._measure_key_locked()

    def _measure_key_locked(self) -> MeasureKey | None:
        if not self._names:
            return None
        view = self.state.view
        # Before calibration the facing is found anew on every frame: sign None.
        sign = None if self.state.phase in ("placement", "countdown") else self.front_sign
        return (self.settings.side, self.tr.min_visibility_count, sign, view in VIEWS_3D,
                self._turn_deg if view in VIEWS_TURNED else None, tuple(self._names))

    def _step(self, frame: PoseFrame | None, t: float, pre: _Raw | None = None) -> None:
        if self._last_t is not None and t > self._last_t:
            # The frame interval, averaged: two frames stamped a microsecond apart (sent
            # together after a stall) must not make the rate look like a million a second.
            dt = min(max(t - self._last_t, 1.0 / MAX_FPS), 2.0)
            self._dt_avg = 0.9 * self._dt_avg + 0.1 * dt if self._dt_avg else dt
            self.state.fps = 1.0 / self._dt_avg
        self._last_t = t
        values = self._measure(frame, t, pre) if frame is not None else None
        self._advance(t, frame, values)

    def _raw_values(self, frames: Sequence[PoseFrame | None]) -> list[_Raw | None]:
        """Raw measures of frames that came together, in one call per facing sign.

        Each is computed with the view, facing sign and camera turn as they stand now;
        :meth:`_measure` uses it only if that is still what the frame's turn sees.
        """
        found = [f for f in frames if f is not None]
        view = self.state.view
        if not found or (view in VIEWS_3D and any(f.world_xyz is None for f in found)):
            return [None] * len(frames)
        xy = np.stack([to_isotropic(f.image_xyz, f.image_wh) for f in found])
        vis = np.stack([f.visibility for f in found])
        world = np.stack([f.world_xyz for f in found]) if view in VIEWS_3D else None
        turn = self._turn_deg if view in VIEWS_TURNED else None
        if self.state.phase in ("placement", "countdown"):
            signs = [float(s) for s in anterior_sign(xy)]
        else:
            signs = [self.front_sign] * len(found)
        rows: list[_Raw] = [None] * len(found)  # type: ignore[list-item]
        for sign in dict.fromkeys(s if s == s else math.nan for s in signs):
            idx = [i for i, s in enumerate(signs) if s == sign or (s != s and sign != sign)]
            raw = compute_measures(xy[idx], vis[idx], self.settings.side,
                                   self.tr.min_visibility_count, sign,
                                   None if world is None else world[idx], turn,
                                   self._elevation_deg)
            if not self._names:
                self._names = list(raw)
            table = np.array([raw[n] for n in self._names]).T
            for j, i in enumerate(idx):
                rows[i] = _Raw(table[j], signs[i], view, turn)
        it = iter(rows)
        return [None if f is None else next(it) for f in frames]

    def _read_noise(self, frame: PoseFrame, t: float) -> None:
        """Keep ``frame`` for the noise estimate; every NOISE_EVERY_S, read the noise again.

        The movement signal's noise (:func:`~formcheck.analysis.signal_noise_deg`, from
        the jitter of body segment lengths over the recent frames) sets its cut-off
        (lowered until that noise is smoothed to ``smoothing_noise_deg``, not below
        ``smoothing_min_cutoff_hz``) and the noise left, which a rep must rise clear of
        (the session takes that in only between reps). Read during a rep too: a signal
        noisier than its smoothing keeps a rep from ever coming back under its return
        level, and a rep that never ends would never let the noise be read.
        """
        tr = self.tr
        name = NOISE_OF.get(self.spec.signal, self.spec.signal)
        if tr.smoothing_noise_deg <= 0:
            return
        xy = to_isotropic(frame.image_xyz[None], frame.image_wh)[0]
        self._noise_frames.append((t, xy, frame.visibility, frame.world_xyz))
        while self._noise_frames and self._noise_frames[0][0] < t - NOISE_WINDOW_S:
            self._noise_frames.popleft()
        if t - self._noise_t < NOISE_EVERY_S or len(self._noise_frames) < NOISE_MIN_FRAMES:
            return
        self._noise_t = t
        view = self.state.view
        frames = list(self._noise_frames)
        xys = np.stack([f[1] for f in frames])
        vis = np.stack([f[2] for f in frames])
        world = None
        if view in VIEWS_3D:
            if any(f[3] is None for f in frames):
                return
            world = np.stack([f[3] for f in frames])
        turn = self._turn_deg if view in VIEWS_TURNED else None

        def measured(x: np.ndarray, w: np.ndarray | None) -> dict[str, np.ndarray]:
            return compute_measures(x, vis, self.settings.side, tr.min_visibility_count,
                                    self.front_sign, w, turn, self._elevation_deg)

        def measure(x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
            # A signal derived after calibration from no one measure has no noise read.
            return measured(x, w).get(name, np.full(len(x), np.nan))

        values = measure(xys, world)
        deg = noise_in_degrees(self.spec.signal, values)
        noise = signal_noise_deg(deg(values), lambda x, w: deg(measure(x, w)), xys, world)
        fs = self.state.fps or self.fs
        if self.spec.hip_drop_target > 0:
            # The hips' height as the session sees it: smoothed with the other measures
            # (at smoothing_cutoff_hz) only from SMOOTH_RATE_PER_CUTOFF times it.
            def hips(x: np.ndarray) -> np.ndarray:
                return measured(x, None)["hip_height"]

            share = hip_height_noise(hips(xys), hips, xys)
            if math.isfinite(share):
                smoothed = fs >= SMOOTH_RATE_PER_CUTOFF * tr.smoothing_cutoff_hz
                self._hip_noise = share * (noise_gain(fs, tr.smoothing_cutoff_hz, causal=True)
                                           if smoothed else 1.0)
        if not math.isfinite(noise):
            return
        if fs <= 2 * tr.smoothing_min_cutoff_hz:   # too few frames for any cut-off
            self._signal_cutoff, self._signal_noise = tr.smoothing_cutoff_hz, noise
            return
        self._signal_cutoff = noise_cutoff_hz(noise, fs, tr.smoothing_cutoff_hz,
                                              tr.smoothing_min_cutoff_hz,
                                              tr.smoothing_noise_deg, causal=True)
        smoothed = (self._signal_cutoff < tr.smoothing_cutoff_hz and fs > 2 * self._signal_cutoff
                    ) or fs >= SMOOTH_RATE_PER_CUTOFF * tr.smoothing_cutoff_hz
        self._signal_noise = noise * noise_gain(fs, self._signal_cutoff, causal=True) \
            if smoothed else noise

    def _measure(self, frame: PoseFrame, t: float, pre: _Raw | None = None
                 ) -> dict[str, float]:
        if self.state.phase in ("placement", "countdown"):
            self.front_sign = pre.front_sign if pre is not None else float(
                anterior_sign(to_isotropic(frame.image_xyz[None], frame.image_wh))[0])
        turn = self._turn_deg if self.state.view in VIEWS_TURNED else None
        if pre is not None and _same(pre, self.front_sign, self.state.view, turn):
            values = pre.values
        else:
            xy = to_isotropic(frame.image_xyz[None], frame.image_wh)
            world = frame.world_xyz[None] if self.state.view in VIEWS_3D else None
            raw = compute_measures(xy, frame.visibility[None], self.settings.side,
                                   self.tr.min_visibility_count, self.front_sign, world, turn,
                                   self._elevation_deg)
            if not self._names:
                self._names = list(raw)
            values = np.array([raw[n][0] for n in self._names])
        values = self._with_hips_held(frame, values)
        # The filter is designed for the frame rate actually processed: a slow
        # device or a loaded server may deliver 3 frames a second, where a filter
        # made for 30 would flatten every movement below its target.
        fs = self.state.fps or self.fs
        cutoff = self.tr.smoothing_cutoff_hz
        if fs < SMOOTH_RATE_PER_CUTOFF * cutoff:
            self._smoother = None  # too few frames to smooth: the frame rate limits it
            smooth = values
        else:
            if self._smoother is None or abs(fs - self._smoother_fs) > 0.3 * self._smoother_fs:
                self._smoother = CausalSmoother(len(self._names), fs, cutoff)
                self._smoother_fs = fs
            smooth = self._smoother(values)
        out = dict(zip(self._names, smooth.tolist(), strict=True))
        self._last_raw = dict(zip(self._names, values.tolist(), strict=True))
        self._last_raw_t = t
        # The movement signal (both legs' readings) smoothed as its noise needs.
        self._read_noise(frame, t)
        name = NOISE_OF.get(self.spec.signal, self.spec.signal)
        pair = [k for k in (name, name + "_other") if k in out]
        if self._signal_cutoff < cutoff and pair and fs > 2 * self._signal_cutoff:
            s = self._signal_smoother
            if s is None or s.cutoff_hz != self._signal_cutoff \
                    or abs(fs - self._signal_fs) > 0.3 * self._signal_fs:
                s = self._signal_smoother = CausalSmoother(len(pair), fs, self._signal_cutoff)
                self._signal_fs = fs
            idx = [self._names.index(k) for k in pair]
            out.update(zip(pair, s(values[idx]).tolist(), strict=True))
        else:
            self._signal_smoother = None
        out["signal_noise"] = self._signal_noise
        out["hip_height_noise"] = self._hip_noise
        return out

    def _with_hips_held(self, frame: PoseFrame, values: np.ndarray) -> np.ndarray:
        """``values`` with the hips' order and width read from the frames before too.

        As the recorded path reads them (:func:`~formcheck.kinematics.hips_apart`), from
        the last :data:`~formcheck.kinematics.HIPS_ORDER_FRAMES` frames: a frame whose hips
        the model drew together or crossed does not turn a raised leg into an adducted one.
        """
        xy = to_isotropic(frame.image_xyz[None], frame.image_wh)
        side = self.settings.side
        self._hips.append(float(hip_order(xy, side)[0]))
        around = np.array(self._hips)
        out = values.copy()
        for suffix, leg in (("", side), ("_other", other_side(side))):
            ahead = around if leg == side else -around
            for name, measure in (("hip_abduction", hip_abduction_deg),
                                  ("knee_past_midline", knee_past_midline)):
                if name + suffix in self._names:
                    i = self._names.index(name + suffix)
                    if math.isfinite(out[i]):
                        out[i] = float(measure(xy, leg, ahead)[0])
        return out

    def _placement_problem(self, frame: PoseFrame | None) -> str | None:
        if frame is None:
            return text("ui.no_person", self.lang)
        # One whole side, head to feet, in the picture (the far side may be hidden).
        def whole(side: str) -> bool:
            idx = [side_landmark(side, n) for n in FULL_BODY]
            xy = frame.image_xyz[idx, :2]
            return bool(np.all(frame.visibility[idx] >= self.tr.min_visibility)
                        and np.all((xy >= 0) & (xy <= 1)))

        if not (whole("left") or whole("right")):
            hidden = legs_hidden(frame.image_xyz, frame.visibility, self.tr.min_visibility)
            return text("live.legs_hidden" if hidden else "live.step_back", self.lang)
        view = estimate_view(frame.pixel_xy(), lying=self.spec.posture == "lying")
        if view not in self.spec.views:
            return text("warnings.wrong_view", self.lang, seen=text(f"views.{view}", self.lang),
                        wanted=text(f"views.{self.spec.best_view}", self.lang))
        return None

    def _advance(self, t: float, frame: PoseFrame | None,
                 values: dict[str, float] | None) -> None:
        st = self.state
        if not math.isfinite(self._phase_since):
            self._phase_since = t
        if st.phase == "placement":
            problem = self._placement_problem(frame)
            if problem:
                self._phase_since = t
                st.message, st.message_is_fault = problem, True
                self._views.clear()
                self._worlds.clear()
            else:
                self._views.append(frame.pixel_xy())  # type: ignore[union-attr]
                if frame.world_xyz is not None:  # type: ignore[union-attr]
                    self._worlds.append(frame.world_xyz)  # type: ignore[union-attr]
                st.message, st.message_is_fault = text("live.hold_position", self.lang), False
                if t - self._phase_since >= PLACEMENT_S:
                    st.view = estimate_view(np.stack(self._views),
                                            lying=self.spec.posture == "lying")
                    sign, self._elevation_deg = turned_camera(
                        np.array(self._worlds).reshape(-1, N_LANDMARKS, 3), self.tr)
                    self._turn_deg = sign * camera_turn_deg(np.stack(self._views))
                    roll = camera_roll_deg(np.stack(self._views)) \
                        if st.view == "front" and self.spec.posture == "standing" else math.nan
                    if abs(roll) >= self.tr.camera_roll_min_deg > 0:
                        # Measured from here on as if level (the recorded path: analysis.turned).
                        self.camera_roll_deg = round(roll, 1)
                        self._legs.reset()
                        self._planted.reset()
                        self._snaps.reset()
                        self._between.reset()
                    self.spec = self.programme.exercise(self.spec.id).for_view(
                        st.view, sign < 0, self.settings.overrides.get(self.spec.id))
                    self._set_phase("countdown", t)
        elif st.phase == "countdown":
            self._note_signal(values)
            left = COUNTDOWN_S - (t - self._phase_since)
            st.message, st.message_is_fault = f"{max(math.ceil(left), 1)}", False
            if left <= 0:
                self._set_phase("calibrating", t)
        elif st.phase == "calibrating":
            st.message, st.message_is_fault = text("ui.calibrating", self.lang), False
            self._note_signal(values)
            if values is not None:
                self._cal_t.append(t)
                self._cal_rows.append(values)
            if t - self._phase_since >= self.tr.calibration_s and self._cal_rows \
                    and t - self._cal_tried >= CALIBRATION_RETRY_S:
                self._cal_tried = t
                self._try_calibration(t)
        elif st.phase == "counting" and self.session is not None:
            self._count(t, values)

    def _note_signal(self, values: dict[str, float] | None) -> None:
        v = values.get(self.spec.signal, math.nan) if values else math.nan
        if math.isfinite(v):
            self._signal_seen.append(v)

    def _try_calibration(self, t: float) -> None:
        """Calibrate on the last ``calibration_s`` if still there; else wait (up to a limit)."""
        # The rows from the one just before the window on: ``calibrate`` takes its window
        # from the first of them, so the first attempt sees what it always saw.
        start = t - self.tr.calibration_s
        first = next((i for i, ti in enumerate(self._cal_t) if ti >= start), len(self._cal_t))
        waited = t - self._phase_since >= self.tr.calibration_s + CALIBRATION_WAIT_S
        rows = range(0 if waited else max(first - 1, 0), len(self._cal_t))
        raw = {k: np.array([self._cal_rows[i][k] for i in rows]) for k in self._names}
        # A noisy pose model's readings of a still start spread wider and dip lower: both
        # are judged beyond its noise, as the rep counter's start and target are.
        margin = noise_margin(self._signal_noise, self.tr)  # as the rep counter's
        turn = self._turn_deg if self.state.view in VIEWS_TURNED else 0.0
        cal = calibrate(raw, np.array([self._cal_t[i] for i in rows]), self.spec, self.tr,
                        still_sd_deg=STILL_SD_DEG + margin, turn_deg=turn)
        # Still, but the movement signal a repetition's start above the low of the readings
        # since the countdown (their 5th percentile: the lowest of many noisy readings lies
        # far under the pose): a held leg, not the start pose.
        low = float(np.percentile(self._signal_seen, 5)) if self._signal_seen else math.inf
        raised = cal.offsets.get(self.spec.signal, math.nan) - low > self.spec.start_deg + margin
        if self.spec.calibrate and (cal.method != "start" or raised) and not waited:
            return          # moving, or not in the start pose: measure again next frame
        self.calibration = cal
        self.session = ExerciseSession(self.spec, self.settings, self.state.view,
                                       self.programme)
        self._set_phase("counting", t)
        self.state.message = None
        if waited:
            # No neutral still start came: what was seen while waiting for one is counted
            # now, on the resting level it showed (a patient standing still, filmed from
            # above, whose straight knee reads past the limit, and who starts when the
            # countdown ends: the first squats fell in the wait).
            for i in rows:
                self._count(self._cal_t[i], self._cal_rows[i])

    def _calibrated(self, t: float, values: dict[str, float]) -> dict[str, float]:
        if self.calibration.knee_from_hip_drop:
            values = {**values, **self._standing.update(t, values)}
        arrays = calibrated({k: np.array([v]) for k, v in values.items()}, self.calibration)
        if self.spec.legs == "both":
            arrays = fuse_legs(arrays, self.tr.min_visibility_count)
        return {k: float(v[0]) for k, v in arrays.items()}

    def _count(self, t: float, values: dict[str, float] | None) -> None:
        st, session = self.state, self.session
        assert session is not None
        cal = {} if values is None else self._calibrated(t, values)
        self._last_values = cal
        events = session.update(t, cal)
        self.all_events.extend(events)
        self._undrained.extend(events)
        st.events = (st.events + events)[-50:]
        for e in events:
            if e.kind == "fault":
                self._show(fault_text(e.data["code"], self.spec, self.lang), True, t)
            elif e.kind == "rep_completed":
                faults = e.data["rep"]["faults"]
                if faults:
                    self._show(fault_text(faults[-1], self.spec, self.lang), True, t)
                else:
                    self._show(text("ui.good", self.lang), False, t)
            elif e.kind == "attempt_incomplete":
                self._show(fault_text("incomplete_range", self.spec, self.lang), True, t)
            elif e.kind == "wrong_leg":
                self._show(text("live.wrong_leg", self.lang), True, t)
        if t > self._message_until:
            st.message = None
        st.rep_count, st.attempts = session.rep_count, len(session.reps)
        st.set_index = session.set_index
        st.hold_s = session.held_s

    def _show(self, message: str, is_fault: bool, t: float) -> None:
        # One message at a time; a fault is not replaced by praise while it shows.
        if self.state.message_is_fault and t < self._message_until and not is_fault:
            return
        self.state.message, self.state.message_is_fault = message, is_fault
        self._message_until = t + MESSAGE_HOLD_S

    def _set_phase(self, phase: str, t: float) -> None:
        self.state.phase = phase
        self._phase_since = t

    def _overlay(self, xy: np.ndarray | None) -> OverlayState:
        st = self.state
        anchors = angle_anchors(self.spec, self.settings.side) if st.phase == "counting" else {}
        count, set_index = self.shown_counts() if self.shown_counts else (st.rep_count,
                                                                            st.set_index)
        angles = {n: self._last_values.get(n, math.nan) for n in anchors}
        return OverlayState(
            xy=xy, side=self.settings.side, title=self.spec.title(self.lang),
            count=count, goal=self.goal, hold_s=st.hold_s,
            hold_required=self.spec.hold_s, message=st.message,
            message_is_fault=st.message_is_fault, angles=angles, anchors=anchors,
            set_index=set_index, lang=self.lang,
        )

    # -- for the UI thread -------------------------------------------------------------
    def snapshot(self) -> LiveState:
        """A copy of the current state, safe to read from another thread."""
        with self._lock:
            st = self.state
            return LiveState(st.phase, st.rep_count, st.attempts, st.set_index, st.hold_s,
                             st.message, st.message_is_fault, st.view, st.fps, st.latency_ms,
                             list(st.events))

    def drain_events(self) -> list[Event]:
        """Events since the last call (rep completed, set ended, fault …), oldest first."""
        with self._lock:
            out, self._undrained = self._undrained, []
            return out

    def finish(self) -> LiveState:
        """The stream ended: close the set as a recording's end closes it; the state after.

        A rep more than half-way back from its peak and still on its way back when the
        frames stop counts (:meth:`~formcheck.session.ExerciseSession.finish`, the rule
        recorded video uses at its last frame): the patient was coming back up when the
        camera stopped. Any other movement in progress is dropped.
        """
        with self._lock:
            session = self.session
            if session is not None:
                events = []
                if session.counter.active and self._last_raw_t == self._last_t:
                    # No frame comes after: the last one is read as it is, without the
                    # causal smoothing's delay (at 1 % landmark noise, a squat's last frame
                    # on the way up read 63 deg smoothed, 45 deg as recorded video reads it).
                    raw = {**self._last_raw, "signal_noise": self._signal_noise,
                           "hip_height_noise": self._hip_noise}
                    events += session.update(self._last_raw_t,
                                             self._calibrated(self._last_raw_t, raw))
                before = len(session.reps)
                session.finish()
                events += [Event(r.end_s, "rep_completed" if r.completed
                                 else "attempt_incomplete",
                                 {"rep": r.to_dict(), "count": session.rep_count})
                           for r in session.reps[before:]]
                self.all_events.extend(events)
                self._undrained.extend(events)
                st = self.state
                st.events = (st.events + events)[-50:]
                st.rep_count, st.attempts = session.rep_count, len(session.reps)
                st.hold_s = 0.0
        return self.snapshot()

    def reps(self) -> list[dict]:
        """The reps counted so far, JSON-ready (kept if the camera is lost)."""
        with self._lock:
            return [r.to_dict() for r in self.session.reps] if self.session else []

    def close(self) -> None:
        """Release the pose model (if one was loaded)."""
        if self._estimator is not None:
            self._estimator.close()
