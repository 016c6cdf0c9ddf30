"""Recorded video → pose track → measures → session → result.

The offline path: the whole track is known, so gaps are filled and angles
smoothed without lag before the same :class:`~formcheck.session.ExerciseSession`
the live path uses counts and judges the reps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .filters import (
    fill_gaps,
    length_jitter,
    noise_cutoff_hz,
    noise_gain,
    robust_sd,
    runs,
    smooth_zero_lag,
)
from .i18n import text
from .kinematics import (
    LEGS_UPRIGHT_DEG,
    LOWER_LEGS,
    camera_roll_deg,
    camera_turn_deg,
    knee_flexion_from_slide,
    leg_label_swaps,
    moving_side,
    other_person,
    other_side,
    planted_leg_swaps,
    quarter_turn_deg,
    snapped_legs,
    stance_misdrawn,
    swap_leg_labels,
    to_isotropic,
    turned_upright,
    view_segments,
)
from .measures import (
    SLIDE_SIGNAL,
    VIEWS_3D,
    VIEWS_TURNED,
    Calibration,
    calibrate,
    calibrated,
    compute_measures,
    front_sign_of,
    fuse_legs,
    standing_hip_ankle,
    straight_reach,
    turned_camera,
)
from .pose import (
    SKELETON_EDGES,
    PoseEstimator,
    PoseFrame,
    PoseTrack,
    in_frame,
    legs_hidden,
    side_landmark,
)
from .protocol import (
    ExerciseSpec,
    PatientSettings,
    Programme,
    Tracking,
    default_programme,
)
from .session import Event, ExerciseSession, Rep
from .video import Pace, VideoError, prefetched, probe, read_frames

Progress = Callable[[float], None]
"""Called with the fraction done, 0–1."""

DEFAULT_ANALYSIS_FPS = 10.0
POSE_MAX_SIDE = 640
ZOOM_BELOW = 0.9
"""A recording whose person the pose model finds in fewer of its frames than this share is
searched for zoomed in (:func:`zoom_window`): the model's person detector sees the whole
frame at 224 pixels, where a body small in the picture (lying on a bed across a room: a
body 300 pixels long in 1280) is not found at all, and found in every frame zoomed in 2x.
Real clips shrunk to 0.3 of the frame were found in 66-81 % of their frames where not in
all (3 lost a rep: 2 for 3, 4 for 5), and in 93-100 % zoomed in (every count right). The
zoomed track is kept only where it finds the person more often."""
ZOOM = 2.0
ZOOM_SAMPLES = 8


@dataclass
class Warning_:
    """Something the user should know or change; ``message`` in the user's language."""

    code: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"code": self.code, "message": self.message, **self.data}


@dataclass
class FrameState:
    """What the overlay shows at one analysed frame, ``(T,)`` arrays."""

    count: np.ndarray
    hold_s: np.ndarray
    fault: list[str | None]


@dataclass
class AnalysisResult:
    """Everything one analysis found. ``measures`` hold ``(T,)`` calibrated series."""

    exercise: str
    settings: PatientSettings
    lang: str
    reps: list[Rep]
    view: str
    detection_rate: float
    duration_s: float
    warnings: list[Warning_]
    track: PoseTrack
    measures: dict[str, np.ndarray]
    calibration: Calibration
    events: list[Event]
    frames: FrameState
    spec: ExerciseSpec
    sets: list[dict[str, Any]]
    source: str = ""
    views: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rep_count(self) -> int:
        """Completed reps of the operated leg."""
        return sum(r.completed for r in self.reps)

    def to_dict(self, series: bool = True) -> dict[str, Any]:
        """The JSON result (the contract documented in the README)."""
        s = self.spec
        out: dict[str, Any] = {
            "formcheck_version": __version__,
            "source": self.source,
            "exercise": self.exercise,
            "side": self.settings.side,
            "approach": self.settings.approach,
            "lang": self.lang,
            "rep_count": self.rep_count,
            "attempts": len(self.reps),
            "reps": [r.to_dict() for r in self.reps],
            "sets": self.sets,
            "detection_rate": round(self.detection_rate, 4),
            "view": self.view,
            "views": self.views,
            "duration_s": round(self.duration_s, 3),
            "warnings": [w.to_dict() for w in self.warnings],
            "signal": s.signal,
            "limits": {"start_deg": s.start_deg, "target_deg": s.target_deg,
                       "return_deg": s.return_deg, "hold_s": s.hold_s,
                       "min_move_s": s.min_move_s,
                       "faults": [{"code": r.code, "measure": r.measure, "max": r.max,
                                   "min": r.min} for r in s.faults]},
            "calibration": {"applied": self.calibration.applied,
                            "method": self.calibration.method,
                            "offsets_deg": {k: round(v, 2) for k, v in
                                            self.calibration.offsets.items() if k in KEY_SERIES}},
            "wrong_leg_reps": [{"start_s": a, "end_s": b} for w in self.warnings
                               if w.code == "wrong_leg" for a, b in w.data["movements"]],
        }
        if series:
            out["series"] = {"t": _rounded(self.track.t, 3)}
            for name in (s.signal, *KEY_SERIES):
                if name in self.measures and name not in out["series"]:
                    out["series"][name] = _rounded(self.measures[name], 1)
        return out


KEY_SERIES = ("hip_flexion", "knee_flexion", "hip_abduction", "trunk_lean_forward",
              "trunk_lean_side", "hip_lift", "heel_rise")


def _rounded(x: np.ndarray, nd: int) -> list[float | None]:
    return [round(float(v), nd) if math.isfinite(v) else None for v in x]


def track_video(path: str | Path, estimator: PoseEstimator | None = None,
                progress: Progress | None = None,
                analysis_fps: float = DEFAULT_ANALYSIS_FPS) -> tuple[PoseTrack, bool]:
    """Run the pose model over a video file.

    Frames are taken at about ``analysis_fps`` (every frame if the video is
    slower), using the container's timestamps. Returns the track and whether
    the video broke off early (truncated). Raises :class:`VideoError` when the
    file cannot be read at all. A person found in fewer than :data:`ZOOM_BELOW` of
    the frames is searched for zoomed in (:func:`zoom_window`); where found there, the
    video is tracked again in that window (the progress runs a second time).
    """
    info = probe(path)
    track, truncated = _tracked(path, info, estimator, progress, analysis_fps)
    if len(track) and track.detected.mean() < ZOOM_BELOW:
        window = zoom_window(path, info)
        if window is not None:
            if estimator is not None:
                estimator.reset()  # a new pass over the video: its clock starts again
            zoomed, cut = _tracked(path, info, estimator, progress, analysis_fps, window)
            if zoomed.detected.mean() > track.detected.mean():
                track, truncated = zoomed, cut
    return track, truncated


def _tracked(path: str | Path, info: Any, estimator: PoseEstimator | None,
             progress: Progress | None, analysis_fps: float,
             window: tuple[float, float, float, float] | None = None
             ) -> tuple[PoseTrack, bool]:
    """:func:`track_video`'s pass over the frames, or over a ``window`` of each.

    ``window``: a crop (shares of the frame), decoded at :data:`ZOOM` times the resolution.
    """
    own = estimator is None
    est = estimator or PoseEstimator()
    frames: list[PoseFrame | None] = []
    times: list[float] = []
    wh = (info.width, info.height)
    truncated = False
    side = POSE_MAX_SIDE if window is None else int(POSE_MAX_SIDE * ZOOM)
    try:
        for t, rgb in prefetched(read_frames(path, max_side=side, max_fps=analysis_fps)):
            if window is None:
                frames.append(est.detect(rgb, t))
            else:
                found = est.detect(_crop(rgb, window), t)
                frames.append(None if found is None else in_frame(found, window, wh))
            times.append(t)
            if progress and info.duration_s > 0:
                progress(min(t / info.duration_s, 1.0))
    except VideoError as exc:
        if exc.code != "truncated" or not times:
            raise
        truncated = True
    finally:
        if own:
            est.close()
    if progress:
        progress(1.0)
    track = PoseTrack.from_frames(frames, times, wh)
    track.source = str(path)
    track.meta = {"fps": info.fps, "rotation_deg": info.rotation_deg,
                  "duration_s": info.duration_s}
    if window is not None:
        track.meta["zoom_window"] = [round(v, 3) for v in window]
    return track, truncated


def _crop(rgb: np.ndarray, window: tuple[float, float, float, float]) -> np.ndarray:
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = window
    return np.ascontiguousarray(rgb[round(y0 * h):round(y1 * h), round(x0 * w):round(x1 * w)])


def zoom_window(path: str | Path, info: Any) -> tuple[float, float, float, float] | None:
    """Where in the picture the pose model finds the person zoomed in :data:`ZOOM` times.

    Windows of ``1 / ZOOM`` of the frame's width and height, centred at a quarter, half
    and three quarters of each, are searched on :data:`ZOOM_SAMPLES` frames spread over
    the video; the one the person is found in most often (in at least half of them),
    grown to hold every landmark found there with a margin, is returned as ``(x0, y0,
    x1, y1)`` shares of the frame. None when the person is not found zoomed in either.
    """
    rate = ZOOM_SAMPLES / info.duration_s if info.duration_s > 0 else None
    try:
        samples = list(read_frames(path, max_side=int(POSE_MAX_SIDE * ZOOM), max_fps=rate))
    except VideoError:
        return None
    samples = samples[:: max(1, len(samples) // ZOOM_SAMPLES)][:ZOOM_SAMPLES]
    half = 1.0 / ZOOM
    best: tuple[int, list[np.ndarray], tuple[float, float, float, float]] | None = None
    with PoseEstimator(count_people_every_s=None) as est:
        for cy in (0.25, 0.5, 0.75):
            for cx in (0.25, 0.5, 0.75):
                x0, y0 = (max(0.0, min(c - half / 2, 1 - half)) for c in (cx, cy))
                window = (x0, y0, x0 + half, y0 + half)
                est.reset()  # each window is a video of its own
                found = [est.detect(_crop(rgb, window), t) for t, rgb in samples]
                xy = [in_frame(f, window, (info.width, info.height)).image_xyz[:, :2]
                      for f in found if f is not None]
                if len(xy) * 2 >= len(samples) and (best is None or len(xy) > best[0]):
                    best = (len(xy), xy, window)
    if best is None:
        return None
    pts = np.concatenate(best[1])
    lo, hi = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
    margin = 0.5 * (hi - lo)
    x0, y0 = np.clip(lo - margin, 0.0, 1.0)
    x1, y1 = np.clip(hi + margin, 0.0, 1.0)
    w0, h0, w1, h1 = best[2]
    return (float(min(x0, w0)), float(min(y0, h0)), float(max(x1, w1)), float(max(y1, h1)))


SEGMENTS = tuple(e for e in SKELETON_EDGES if 0 not in e and e not in ((27, 31), (28, 32)))
"""Body segments (landmark index pairs) whose lengths show the pose model's noise: the
skeleton's shoulders, hips, trunk sides, arms, thighs, shanks and feet (heel to ankle and to
toe), not the face (a head turning changes them quickly)."""
NOISE_OF = {"hip_lift": "hip_flexion", SLIDE_SIGNAL: "hip_ankle"}
"""Signals derived after calibration, and the raw measure whose noise they carry (read in
the signal's degrees by :func:`noise_in_degrees`)."""


def noise_in_degrees(signal: str | None, reference: np.ndarray
                     ) -> Callable[[np.ndarray], np.ndarray]:
    """How readings of the measure behind ``signal`` (:data:`NOISE_OF`) read in its degrees.

    The heel slide's knee (:data:`~formcheck.measures.SLIDE_SIGNAL`) comes from the
    hip–ankle distance against the straight leg's (:func:`~formcheck.measures.straight_reach`
    of ``reference``, that distance's readings ``(T,)``), so its noise in degrees is the
    distance's jitter read through that (near straight, a 1 % shorter reach is a 16°
    bend). Every other measure is in degrees already.
    """
    if signal != SLIDE_SIGNAL:
        return lambda v: v
    straight = straight_reach(reference)
    return lambda v: knee_flexion_from_slide(v, straight)


def smoothed_measures(track: PoseTrack, side: str, programme: Programme, view: str,
                      signal: str | None = None, hip_noise: bool = False
                      ) -> dict[str, np.ndarray]:
    """Raw measures of a whole track, gaps filled and smoothed without lag.

    With ``signal`` (the movement signal) and ``smoothing_noise_deg`` set, the
    smoothing of the signal (both legs' readings; for a signal derived after
    calibration, the measure it comes from: :data:`NOISE_OF`) follows the
    recording's own noise (:func:`signal_noise_deg`): its cut-off is lowered, down
    to ``smoothing_min_cutoff_hz``, until that noise is smoothed to
    ``smoothing_noise_deg``. A steady pose model keeps the default cut-off, and
    the other measures (faults) keep it always. ``signal_noise`` ``(T,)`` holds the
    noise left in the signal after that smoothing (degrees; NaN when not measured),
    which the rep counter must rise clear of. With ``hip_noise``, ``hip_height_noise``
    ``(T,)`` holds the noise left in ``hip_height`` after its smoothing, as a share of
    it (:func:`hip_height_noise`), which a squat's hip drop must go clear of.
    """
    tr = programme.tracking
    xy = to_isotropic(track.image_xyz, track.image_wh)
    front = front_sign_of(xy[track.detected]) if track.detected.any() else 1.0
    world = track.world_xyz if view in VIEWS_3D and has_world(track) else None
    turn, elevation = camera_turn(track, view, tr)

    def measures(xy: np.ndarray, world: np.ndarray | None) -> dict[str, np.ndarray]:
        return compute_measures(xy, track.visibility, side, tr.min_visibility_count, front, world,
                                turn, elevation)

    raw = measures(xy, world)
    fs = 1.0 / float(np.median(np.diff(track.t))) if len(track) > 2 else 30.0
    cutoff = tr.smoothing_cutoff_hz
    name = NOISE_OF.get(signal or "", signal)
    cutoffs, residual = {}, float("nan")
    if tr.smoothing_noise_deg > 0 and name in raw:
        deg = noise_in_degrees(signal, raw[name])
        noise = signal_noise_deg(deg(raw[name]), lambda x, w: deg(measures(x, w)[name]), xy, world)
        fc = noise_cutoff_hz(noise, fs, cutoff, tr.smoothing_min_cutoff_hz, tr.smoothing_noise_deg)
        cutoffs = {name: fc, name + "_other": fc}
        residual = noise * noise_gain(fs, fc)
    out = {}
    for key, v in raw.items():
        v = fill_gaps(v, track.t, tr.max_gap_s)
        out[key] = smooth_zero_lag(v, fs, cutoffs.get(key, cutoff))
    out["signal_noise"] = np.full(len(track), residual)
    if hip_noise:
        share = hip_height_noise(raw["hip_height"], lambda x: measures(x, None)["hip_height"], xy)
        out["hip_height_noise"] = np.full(len(track), share * noise_gain(fs, cutoff))
    for suffix in ("", "_other"):
        # Each leg's hip–ankle distance standing up, around each frame (a squat read
        # from the hips' drop is measured against it: measures.with_knee_from_hip_drop).
        out["hip_ankle_standing" + suffix] = standing_hip_ankle(out["hip_ankle" + suffix],
                                                                track.t)
    return out


LEG_LANDMARKS = [side_landmark(leg, joint) for leg in ("left", "right")
                 for joint in ("hip", "knee", "ankle")]
WORLD_SEEN = 0.5
"""Share of the frames with a person that must carry world landmarks (the legs' joints) for
a view measured in 3-D to use them: a landmark file may hold only the picture's."""


def has_world(track: PoseTrack) -> bool:
    """Whether ``track`` carries world landmarks of the legs (:data:`WORLD_SEEN`).

    Without them (a landmark file of the picture's landmarks only) the views measured in
    3-D are measured in the picture, as the others are.
    """
    legs = track.world_xyz[track.detected][:, LEG_LANDMARKS]
    return bool(len(legs)) and float(np.mean(np.isfinite(legs).all(axis=(1, 2)))) >= WORLD_SEEN


def camera_turn(track: PoseTrack, view: str, tracking: Tracking
                ) -> tuple[float | None, float]:
    """``(turn °, elevation °)`` of the camera in a turned view (:data:`VIEWS_TURNED`).

    The turn from side-on from the body's width (> 0 towards its front, the side from the
    world landmarks: :func:`measures.turned_camera`); ``(None, 0)`` in other views.
    """
    if view not in VIEWS_TURNED:
        return None, 0.0
    sign, elevation = turned_camera(track.world_xyz[track.detected], tracking)
    xy = to_isotropic(track.image_xyz, track.image_wh)
    return sign * camera_turn_deg(xy[track.detected]), elevation


def signal_noise_deg(signal: np.ndarray,
                     measure: Callable[[np.ndarray, np.ndarray | None], np.ndarray],
                     xy: np.ndarray, world: np.ndarray | None) -> float:
    """Frame-to-frame noise of a measure ``(T,)`` that the landmarks' own noise gives it.

    The landmarks' noise is read from the jitter of body segment lengths
    (:func:`~formcheck.filters.length_jitter`; the movement does not change
    them), in the picture and, when the measure uses them, in the world
    landmarks; the measure is taken again (``measure(xy, world)``) on landmarks
    shaken by that much (fixed seed), and the robust spread of the change is its
    noise. Not read from the measure itself: a quick movement's change from
    frame to frame looks like noise there.
    """
    rng = np.random.default_rng(0)
    jitter = lambda p: np.nan_to_num(length_jitter(p, SEGMENTS))  # noqa: E731
    shaken_xy = xy + rng.normal(0.0, jitter(xy), xy.shape)
    shaken_world = None if world is None else world + rng.normal(0.0, jitter(world), world.shape)
    change = measure(shaken_xy, shaken_world) - signal
    change = change[np.isfinite(change)]
    if change.size < 10:
        return float("nan")
    return robust_sd(change)


def hip_height_noise(hips: np.ndarray, measure: Callable[[np.ndarray], np.ndarray],
                     xy: np.ndarray) -> float:
    """Frame-to-frame noise of ``hip_height`` ``(T,)`` as a share of its median height.

    Read as :func:`signal_noise_deg` reads a signal's (``measure(xy)`` gives the hip
    height of landmarks ``xy``); NaN where the hips' height is not seen.
    """
    seen = hips[np.isfinite(hips)]
    if not seen.size:
        return float("nan")
    return signal_noise_deg(hips, lambda x, _: measure(x), xy, None) / float(np.median(seen))


def analyze_track(track: PoseTrack, exercise: str, settings: PatientSettings,
                  lang: str = "nl", programme: Programme | None = None,
                  truncated: bool = False) -> AnalysisResult:
    """Count and judge ``exercise`` in a pose track.

    The camera view is estimated per segment (:func:`~formcheck.kinematics.view_segments`):
    each segment is measured, calibrated and judged with its own view's method,
    thresholds and checkable faults. Movements in a segment filmed from a view
    the exercise cannot be judged from are not counted.
    """
    programme = programme or default_programme()
    base = programme.exercise(exercise)
    overrides = settings.overrides.get(exercise)
    track, shown = as_measured(track, base.posture, programme.tracking)
    xy = to_isotropic(track.image_xyz, track.image_wh)
    n = len(track)
    lying = base.posture == "lying"
    if base.posture == "standing" and (snapped := snapped_legs(xy, track.t)).any():
        # Legs the model drew snapped together are unseen there: the measures' gap
        # filling carries the pose across them as across any short gap.
        track = track.unseen(snapped, LOWER_LEGS)
        xy = to_isotropic(track.image_xyz, track.image_wh)
    if base.split_stance and (between := stance_misdrawn(xy, track.t)).any():
        # A held split stance drawn with the feet between their places: unseen, as above.
        track = track.unseen(between, LOWER_LEGS)
        xy = to_isotropic(track.image_xyz, track.image_wh)
    segments = view_segments(xy, track.t, lying=lying) if track.detected.any() \
        else [(0, n, "unknown")]
    track = consistent_legs(track, xy, segments, planted=base.legs == "operated",
                            max_gap_s=programme.tracking.max_gap_s, side=settings.side)
    seconds: dict[str, float] = {}
    for a, b, v in segments:
        seconds[v] = seconds.get(v, 0.0) + float(track.t[b - 1] - track.t[a]) + 1e-6
    view = max(seconds, key=seconds.__getitem__) if seconds else "unknown"
    behind = bool(base.not_judged_from_behind) and track.detected.any() and turned_camera(
        track.world_xyz[track.detected], programme.tracking)[0] < 0
    specs = {v: base.for_view(v, behind, overrides) for v in seconds}
    spec = specs.get(view) or base.for_view(view, behind, overrides)
    judged = {v for v in specs if v in base.views or v == "unknown"}
    raw, meas, cal = _segment_measures(track, settings.side, programme, segments, specs)
    session = ExerciseSession(specs[segments[0][2]] if segments else spec, settings,
                              segments[0][2] if segments else view, programme)
    names = list(meas)
    columns = np.stack([meas[n_] for n_ in names], axis=1) if n else np.zeros((0, 0))
    frame_view = np.empty(n, dtype=object)
    for a, b, v in segments:
        frame_view[a:b] = v
    mixed = len(seconds) > 1 and bool(judged)
    events: list[Event] = []
    count, hold = np.zeros(n, int), np.zeros(n)
    fault: list[str | None] = [None] * n
    last_fault: tuple[float, str] | None = None
    for i in range(n):
        values = dict(zip(names, columns[i].tolist(), strict=True))
        if frame_view[i] != session.view:
            session.set_view(specs[frame_view[i]], frame_view[i])
        if mixed and frame_view[i] not in judged:
            values = {}  # seen from a view that cannot show it: not counted
        ev = session.update(float(track.t[i]), values)
        events.extend(ev)
        for e in ev:
            if e.kind == "fault":
                last_fault = (e.t, e.data["code"])
            elif e.kind == "rep_completed" and e.data["rep"]["faults"]:
                last_fault = (e.t, e.data["rep"]["faults"][-1])
            elif e.kind == "attempt_incomplete":  # as live says it (LiveSession._count)
                last_fault = (e.t, "incomplete_range")
        count[i] = session.rep_count
        hold[i] = session.held_s
        if last_fault and track.t[i] - last_fault[0] < 3.0:
            fault[i] = last_fault[1]
    reps = session.finish()
    if not judged and view != "unknown":
        # Measured from the wrong side the angles are not what they seem:
        # report what was seen and what to change, count nothing.
        wrong_view_movements, reps = len(reps), []
        count[:] = 0
    else:
        wrong_view_movements = 0
    result = AnalysisResult(
        exercise=exercise, settings=settings, lang=lang, reps=reps, view=view,
        detection_rate=float(track.detected.mean()) if n else 0.0,
        duration_s=float(track.t[-1]) if n else 0.0, warnings=[],
        track=turned(track, -shown) if shown else track,
        measures=meas, calibration=cal, events=events, frames=FrameState(count, hold, fault),
        spec=spec, sets=session.sets(), source=track.source,
        views=[{"start_s": round(float(track.t[a]), 3), "end_s": round(float(track.t[b - 1]), 3),
                "view": v} for a, b, v in segments],
    )
    result.warnings = collect_warnings(result, session, raw, programme, truncated,
                                       wrong_view_movements)
    return result


def as_measured(track: PoseTrack, posture: str, tracking: Tracking) -> tuple[PoseTrack, float]:
    """``track`` as the engine measures it, and the turn (°) that gives back the picture.

    Frames in which someone else stood in the person's place hold nobody
    (:func:`~formcheck.kinematics.other_person`, ``meta["other_person"]``: their spans).
    A standing body is stood upright when the picture lies on its side or upside down
    (:func:`~formcheck.kinematics.quarter_turn_deg`, ``meta["turned_deg"]``) and seen as
    from a level camera when one filmed from the front is tilted by
    ``tracking.camera_roll_min_deg`` or more (:func:`front_camera_roll`,
    ``meta["camera_roll_deg"]``).
    """
    xy = to_isotropic(track.image_xyz, track.image_wh)
    others = track.detected & other_person(xy, track.t)
    if others.any():
        track = track.without(others)
        track.meta = {**track.meta, "other_person": [
            [round(float(track.t[a]), 2), round(float(track.t[b - 1]), 2)]
            for a, b in runs(others)]}
        xy = to_isotropic(track.image_xyz, track.image_wh)
    if posture != "standing" or not track.detected.any():
        return track, 0.0
    quarter = quarter_turn_deg(xy)
    if quarter:
        track = turned(track, quarter)
        track.meta = {**track.meta, "turned_deg": quarter}
        xy = to_isotropic(track.image_xyz, track.image_wh)
    roll = front_camera_roll(xy, view_segments(xy, track.t))
    if not abs(roll) >= tracking.camera_roll_min_deg > 0:
        return track, float(quarter)
    track = turned(track, roll)
    track.meta = {**track.meta, "camera_roll_deg": round(roll, 1)}
    return track, quarter + roll


def front_camera_roll(xy: np.ndarray, segments: list[tuple[int, int, str]]) -> float:
    """The camera's roll over the frames of ``xy`` ``(T, 33, 2)`` filmed from the front.

    :func:`~formcheck.kinematics.camera_roll_deg`; NaN without enough of them. Only
    from the front is a body standing on both feet symmetric about the plumb line
    through them; from the side its weight lies ahead of the ankles and a stance may be
    split (renders from the side: up to 8°).
    """
    front = np.zeros(len(xy), bool)
    for a, b, v in segments:
        front[a:b] = v == "front"
    return camera_roll_deg(xy[front]) if front.any() else float("nan")


def turned_landmarks(image_xyz: np.ndarray, world_xyz: np.ndarray | None,
                     image_wh: tuple[int, int], roll_deg: float
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """Landmarks ``(..., 33, 3)`` as a camera turned back by ``roll_deg`` would see them.

    Turned about the camera's axis (:func:`~formcheck.kinematics.turned_upright`): the
    picture's landmarks about its centre, the world landmarks (None: none) about their
    origin between the hips.
    """
    wh = np.asarray(image_wh, float)
    image = image_xyz.copy()
    image[..., :2] = turned_upright(image[..., :2] * wh, roll_deg, wh / 2.0) / wh
    if world_xyz is None:
        return image, None
    world = world_xyz.copy()
    world[..., :2] = turned_upright(world[..., :2], roll_deg, np.zeros(2))
    return image, world


def turned(track: PoseTrack, roll_deg: float) -> PoseTrack:
    """``track`` as a camera turned back by ``roll_deg`` would see it (:func:`turned_landmarks`)."""
    image, world = turned_landmarks(track.image_xyz, track.world_xyz, track.image_wh,
                                    roll_deg)
    return dataclasses.replace(track, image_xyz=image, world_xyz=world)


def consistent_legs(track: PoseTrack, xy: np.ndarray, segments: list[tuple[int, int, str]],
                    planted: bool = False, max_gap_s: float = math.inf,
                    side: str | None = None) -> PoseTrack:
    """``track`` with the legs' left/right labels made consistent over time.

    Where the camera sees the body from the side or obliquely (see
    :func:`~formcheck.kinematics.leg_label_swaps`); from the front the legs are
    apart and the model's labels stand, except in an exercise in which one leg moves
    and the other stays put (``planted``, standing; also
    :func:`~formcheck.kinematics.planted_leg_swaps`): a body leaning sideways over its
    standing leg, the leg raised with it, the model may take for seen from behind and
    trade the labels of both legs for a frame or a few (a render, front view, 22° lean:
    4 frames of 1.9 s, the raised leg read as the standing one, and its rep cut in three).
    ``max_gap_s``: the longest run of frames without a person that one leg's movement
    runs on through (the measures' own gap filling, ``tracking.max_gap_s``); ``side``: the
    operated leg, the one a movement nothing else tells is given to.
    """
    swaps = np.zeros(len(track), bool)
    for a, b, v in segments:
        if "front" not in v or (planted and not v.startswith("lying")):
            swaps[a:b] = leg_label_swaps(xy[a:b], track.t[a:b])
            if planted:
                fixed = swap_leg_labels(xy[a:b], swaps[a:b])
                # From the front a body leaning over its standing leg moves the hips
                # sideways over that foot: only its nearness to rest tells it planted.
                near = {"settled": 0.0} if "front" in v else {}
                if not v.startswith("lying"):
                    near["upright"] = LEGS_UPRIGHT_DEG
                swaps[a:b] ^= planted_leg_swaps(
                    fixed, track.t[a:b], max_gap_s=max_gap_s,
                    operated=None if side is None else int(side == "right"), **near)
    if not swaps.any():
        return track
    return dataclasses.replace(
        track, image_xyz=swap_leg_labels(track.image_xyz, swaps),
        visibility=swap_leg_labels(track.visibility, swaps),
        world_xyz=swap_leg_labels(track.world_xyz, swaps))


def _segment_measures(track: PoseTrack, side: str, programme: Programme,
                      segments: list[tuple[int, int, str]], specs: dict[str, ExerciseSpec]
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Calibration]:
    """Raw and calibrated measures, each segment measured the way its view needs.

    Returns ``(raw, measures, calibration)``; the calibration is the first
    segment's (each view is calibrated on its own frames).
    """
    raw: dict[str, np.ndarray] = {}
    meas: dict[str, np.ndarray] = {}
    first: Calibration | None = None
    for v in dict.fromkeys(s[2] for s in segments):
        raw_v = smoothed_measures(track, side, programme, v, specs[v].signal,
                                  specs[v].hip_drop_target > 0)
        mask = np.zeros(len(track), bool)
        for a, b, sv in segments:
            mask[a:b] |= sv == v
        own = {k: np.where(mask, x, np.nan) for k, x in raw_v.items()}
        cal_v = calibrate(own, track.t, specs[v], programme.tracking,
                          rest_reference=raw_v if len(segments) > 1 else None,
                          turn_deg=camera_turn(track, v, programme.tracking)[0] or 0.0)
        meas_v = calibrated(raw_v, cal_v)
        if specs[v].legs == "both":
            meas_v = fuse_legs(meas_v, programme.tracking.min_visibility_count)
        for src, dst in ((raw_v, raw), (meas_v, meas)):
            for k, x in src.items():
                dst.setdefault(k, np.full(len(track), np.nan))[mask] = x[mask]
        if v == segments[0][2]:
            first = cal_v
    return raw, meas, first or Calibration()


def warning(code: str, lang: str, **data: Any) -> Warning_:
    """A warning with its message in ``lang`` (``warnings.<code>`` in messages.toml)."""
    return Warning_(code, text(f"warnings.{code}", lang, **data), data)


def session_warnings(lang: str, side: str, detection_rate: float, min_detection_rate: float,
                     unchecked: tuple[str, ...] | list[str],
                     wrong_leg: list[tuple[float, float]], hold_s: float = 0.0,
                     camera_roll_deg: float | None = None) -> list[Warning_]:
    """Warnings any recording or live set can earn.

    Too little seen, limits the view cannot check, the wrong leg moving
    (``wrong_leg``: ``(start_s, end_s)`` each), a camera measured as if level
    (``camera_roll_deg``: its roll). ``hold_s``: the exercise's hold, named in its
    fault's message.
    """
    out = []
    if camera_roll_deg is not None:
        out.append(warning("camera_tilted", lang, degrees=abs(camera_roll_deg)))
    if detection_rate < min_detection_rate:
        out.append(warning("low_detection", lang, rate=detection_rate))
    if unchecked:
        names = ", ".join(text(f"faults.{c}", lang, hold_s=hold_s).rstrip(".")
                          for c in unchecked)
        out.append(warning("fault_not_checked", lang, faults=names, codes=list(unchecked)))
    if wrong_leg:
        out.append(warning("wrong_leg", lang, count=len(wrong_leg),
                           other=text(f"sides.{other_side(side)}", lang),
                           side=text(f"sides.{side}", lang),
                           movements=[[round(a, 2), round(b, 2)] for a, b in wrong_leg]))
    return out


def collect_warnings(res: AnalysisResult, session: ExerciseSession,
                     raw: dict[str, np.ndarray], programme: Programme,
                     truncated: bool, wrong_view_movements: int = 0) -> list[Warning_]:
    """What was seen that the user should know or change."""
    lang, spec, track = res.lang, res.spec, res.track
    out: list[Warning_] = []

    def add(code: str, **data: Any) -> None:
        out.append(warning(code, lang, **data))

    if truncated:
        add("truncated", seconds=res.duration_s)
    if track.meta.get("rotation_deg") == 180:
        add("upside_down")
    if track.meta.get("turned_deg"):
        add("turned_upright", degrees=abs(track.meta["turned_deg"]))
    if not track.detected.any():
        add("no_person")
        return out
    other = track.meta.get("other_person", [])
    if other:
        add("other_person", count=len(other), seconds=sum(b - a for a, b in other),
            spans=other)
    # Not where someone else stood in the person's place (said above).
    gaps = [(a, b) for a, b in _absences(track)
            if not any(a <= y and x <= b for x, y in other)]
    if gaps:
        add("left_frame", count=len(gaps), seconds=sum(b - a for a, b in gaps))
    multi = float(np.mean(track.n_people >= 2))
    if multi > 0.05:
        add("multiple_people", share=multi)
    hidden = float(np.mean(legs_hidden(track.image_xyz, track.visibility,
                                       programme.tracking.min_visibility)[track.detected]))
    if hidden >= programme.tracking.legs_hidden_share > 0:
        add("legs_hidden", share=hidden)
    wanted = text(f"views.{spec.best_view}", lang)
    if res.view not in spec.views and res.view != "unknown":
        add("wrong_view", seen=text(f"views.{res.view}", lang), wanted=wanted, view=res.view,
            movements_not_counted=wrong_view_movements)
    else:
        for seg in res.views:
            if seg["view"] not in spec.views and seg["view"] != "unknown":
                # Part of the recording from a view that cannot show the exercise.
                add("wrong_view", seen=text(f"views.{seg['view']}", lang), wanted=wanted,
                    view=seg["view"], start_s=seg["start_s"], end_s=seg["end_s"])
    if spec.id == "hip_flexion" and res.view == "side":
        add("view_swap_risk")
    if res.view in VIEWS_3D and not has_world(track):
        add("picture_only")
    if track.meta.get("visibility_unknown"):
        add("visibility_unknown")
    out += session_warnings(lang, res.settings.side, res.detection_rate,
                            programme.tracking.min_detection_rate, session.unchecked,
                            [(a, b) for a, b, _ in session.wrong_leg], spec.hold_s,
                            track.meta.get("camera_roll_deg"))
    if spec.calibrate and not res.calibration.applied:
        add("calibration_skipped", method=res.calibration.method)
    if spec.legs == "operated" and res.view in spec.views:
        # Which leg moved is read on the exercise's signal: not in a view that cannot show it.
        moving = moving_side(raw.get(spec.signal, np.array([])),
                             raw.get(spec.signal + "_other", np.array([])))
        if moving and moving != res.settings.side and not session.wrong_leg \
                and res.rep_count == 0:
            add("side_mismatch", moving=text(f"sides.{moving}", lang),
                side=text(f"sides.{res.settings.side}", lang))
    knee0 = res.calibration.knee_flexion_start
    if spec.start_knee_flexion_deg and math.isfinite(knee0):
        lo, hi = spec.start_knee_flexion_deg
        if not lo <= knee0 <= hi:
            add("start_knees_not_90", knee=knee0)
    if session.ignored:
        add("not_exercise", count=len(session.ignored),
            movements=[[round(a, 2), round(b, 2), why] for a, b, why in session.ignored])
    if not res.reps and not wrong_view_movements:
        add("no_reps")
    return out


def _absences(track: PoseTrack, min_s: float = 0.5) -> list[tuple[float, float]]:
    """Spans where the person was lost after being seen and came back or not."""
    det = track.detected
    seen = np.flatnonzero(det)
    if not seen.size:
        return []
    spans, start = [], None
    for i in range(seen[0], len(det)):
        if not det[i] and start is None:
            start = i
        elif det[i] and start is not None:
            spans.append((track.t[start], track.t[i]))
            start = None
    if start is not None:
        spans.append((track.t[start], track.t[-1]))
    return [(float(a), float(b)) for a, b in spans if b - a >= min_s]


def finer_rate(result: AnalysisResult, tracking: Tracking) -> float:
    """A higher frame rate the recording's reps need, or 0 when the track's own will do.

    Completed reps (median, start to end) sampled by fewer than
    ``tracking.min_rep_frames`` frames of the track need twice its rate, up to the
    video's own (``track.meta``).
    """
    t, reps = result.track.t, [r for r in result.reps if r.completed]
    if tracking.min_rep_frames <= 0 or len(reps) < 2 or len(t) < 3:
        return 0.0
    fps = 1.0 / float(np.median(np.diff(t)))
    if float(np.median([r.end_s - r.start_s for r in reps])) * fps >= tracking.min_rep_frames:
        return 0.0
    rate = min(2.0 * fps, float(result.track.meta.get("fps") or 0.0))
    return rate if rate >= 1.5 * fps else 0.0


def analyze_tracked(tracked: tuple[PoseTrack, bool],
                    track_at: Callable[[float], tuple[PoseTrack, bool]],
                    exercise: str, settings: PatientSettings, lang: str = "nl",
                    programme: Programme | None = None) -> AnalysisResult:
    """:func:`analyze_track` on a ``(track, truncated)`` pair, at the rate its reps need.

    When they were sampled too sparsely (:func:`finer_rate`) the video is tracked again
    by ``track_at(fps)`` and that track is analysed instead.
    """
    programme = programme or default_programme()
    result = analyze_track(tracked[0], exercise, settings, lang, programme, tracked[1])
    rate = finer_rate(result, programme.tracking)
    if rate:
        track, truncated = track_at(rate)
        result = analyze_track(track, exercise, settings, lang, programme, truncated)
    return result


def at_rate(track: PoseTrack, fps: float) -> PoseTrack:
    """``track``'s frames kept as a video's are at ``fps`` (:func:`~formcheck.video.read_frames`).

    Its own rate (the median step between its frames) goes into ``meta["fps"]``, so that
    a finer rate is sought only up to it (:func:`finer_rate`).
    """
    step = float(np.median(np.diff(track.t))) if len(track) > 1 else 0.0
    own = 1.0 / step if step > 0 else float(track.meta.get("fps") or 0.0)
    pace, t0 = Pace(fps), float(track.t[0]) if len(track) else 0.0
    keep = [i for i, t in enumerate(track.t) if pace.keep(float(t) - t0)]
    return dataclasses.replace(track.take(keep), meta={**track.meta, "fps": own})


def analyze_landmarks(track: PoseTrack, exercise: str, settings: PatientSettings,
                      lang: str = "nl", programme: Programme | None = None,
                      truncated: bool = False,
                      analysis_fps: float = DEFAULT_ANALYSIS_FPS) -> AnalysisResult:
    """Analyse a saved pose track (a landmark file) as a video of it would be.

    Its frames are taken at about ``analysis_fps`` (:func:`at_rate`), and again at the
    finer rate quick reps need (:func:`analyze_tracked`): the engine sees a file of 30
    rows a second as it sees a 30 fps video of the same poses (read at 30 rows a second
    the model's noise and the opening of a heel slide held bent read otherwise: a real
    heel slide counted 3 for 2).
    """
    return analyze_tracked((at_rate(track, analysis_fps), truncated),
                           lambda fps: (at_rate(track, fps), truncated),
                           exercise, settings, lang, programme)


def analyze_video(path: str | Path, exercise: str, settings: PatientSettings, lang: str = "nl",
                  progress: Progress | None = None, estimator: PoseEstimator | None = None,
                  programme: Programme | None = None,
                  analysis_fps: float = DEFAULT_ANALYSIS_FPS) -> AnalysisResult:
    """Analyse a recorded video file (see :func:`track_video`, :func:`analyze_tracked`).

    A recording of quick reps is tracked twice, the second time at the finer rate; the
    progress then runs a second time.
    """
    programme = programme or default_programme()
    programme.exercise(exercise)  # fail fast on an unknown id

    def again(fps: float) -> tuple[PoseTrack, bool]:
        if estimator is not None:
            estimator.reset()  # a new pass over the video: its clock starts again
        return track_video(path, estimator, progress, fps)

    result = analyze_tracked(track_video(path, estimator, progress, analysis_fps), again,
                             exercise, settings, lang, programme)
    result.source = str(path)
    return result


__all__ = ["AnalysisResult", "VideoError", "analyze_track", "analyze_tracked", "analyze_video",
           "finer_rate", "track_video"]
