"""Pose containers and the MediaPipe adapter.

Everything past this module sees only :class:`PoseFrame` and :class:`PoseTrack`;
MediaPipe objects never leave :class:`PoseEstimator`.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401 - its exit handler first (see below)
import dataclasses
import enum
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._quiet import native_stderr_silenced

N_LANDMARKS = 33
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "pose_landmarker_full.task"
UNDEREXPOSED_BELOW = 150
"""A frame whose bright end (99th percentile) is under this grey level is underexposed."""
COUNT_PEOPLE_EVERY_S = 2.0
"""How often :class:`PoseEstimator` looks for other people by default (a count costs
~2 tracked frames: at 1 s it was a tenth of a worker's CPU at 10 frames a second)."""
BESIDE_MIN_WIDTH = 0.25
"""A strip of the frame beside the tracked person is searched for another person when it
is at least this wide, as a fraction of the frame height (room for a person standing)."""
BESIDE_MARGIN = 0.08
"""The strips keep this far (a fraction of the tracked person's landmark box height) from
that box, which leaves out hair, hands and feet reaching past the landmarks."""
SAME_PERSON_OVERLAP = 0.3
"""A pose found in a strip is the tracked person itself (cut by the strip's edge) when
this share of its box lies inside the tracked person's box."""


SAME_POSE = 0.2
"""Two poses the counter returns are one person found twice when their landmarks lie, in
the median, within this share of the taller one's height of each other (either way round:
the left/right labels may differ). Seen: 0.05-0.06 for a lying body found twice; 0.5-0.9
for a therapist beside or behind a patient."""
MIRROR = np.array([0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, *[i + (1 if i % 2 else -1)
                                                      for i in range(11, 33)]])
"""Landmark indices with left and right exchanged."""


def distinct_poses(poses: list[np.ndarray], same: float = SAME_POSE) -> int:
    """How many different people ``poses`` (each ``(33, 2+)`` normalised) are.

    >>> a = np.random.default_rng(0).random((33, 2))
    >>> distinct_poses([a, a + 0.01, a + 0.5])
    2
    """
    kept: list[np.ndarray] = []
    for pose in poses:
        xy = np.asarray(pose, float)[:, :2]
        if not any(_same_person(xy, k, same) for k in kept):
            kept.append(xy)
    return len(kept)


def _same_person(a: np.ndarray, b: np.ndarray, same: float) -> bool:
    height = max(np.ptp(a[:, 1]), np.ptp(b[:, 1]), 1e-9)
    gap = min(np.median(np.linalg.norm(a - b, axis=1)),
              np.median(np.linalg.norm(a - b[MIRROR], axis=1)))
    return bool(gap < same * height)


def landmark_box(xy: np.ndarray) -> np.ndarray:
    """``(4,)`` box ``x0, y0, x1, y1`` around ``(N, 2+)`` normalised points, clipped to [0, 1]."""
    xy = np.clip(np.asarray(xy, float)[:, :2], 0.0, 1.0)
    return np.concatenate([xy.min(axis=0), xy.max(axis=0)])


def strips_beside(box: np.ndarray, image_wh: tuple[int, int],
                  min_width: float = BESIDE_MIN_WIDTH,
                  margin: float = BESIDE_MARGIN) -> list[tuple[int, int]]:
    """Pixel column spans ``(x0, x1)`` left and right of a person, wide enough for another.

    ``box`` is the person's normalised ``x0, y0, x1, y1`` (:func:`landmark_box`); the
    spans keep ``margin`` × the box height (in pixels) away from it and are at least
    ``min_width`` × the frame height wide.

    >>> strips_beside(np.array([0.4, 0.1, 0.6, 0.9]), (1280, 480))
    [(0, 481), (799, 1280)]
    """
    w, h = image_wh
    pad = margin * (box[3] - box[1]) * h
    spans = [(0, int(round(box[0] * w - pad))), (int(round(box[2] * w + pad)), w)]
    return [(a, b) for a, b in spans if b - a >= min_width * h]


def share_inside(a: np.ndarray, b: np.ndarray) -> float:
    """The share of box ``a``'s area (``x0, y0, x1, y1``) inside box ``b``, 0 to 1."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1])
    return float(iw * ih / area) if area > 0 else 1.0


def well_exposed(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` with its levels stretched to the full range if it is underexposed.

    In dim light (a room lit by one lamp, a phone in the evening) the pose model
    finds no one in a frame whose brightest parts are mid-grey; stretched from
    its 1st to its 99th percentile it finds the person again. Frames with a
    normal bright end are returned as they are (the same object).
    """
    import cv2

    sample = rgb[::8, ::8]
    # Most frames are bright, which a count tells at a tenth of the percentiles' cost: the
    # 99th lies between the sorted values at k = floor((n - 1) 0.99) and k + 1, so it is
    # at the level if the one at k is, i.e. if n - k values are.
    k = int((sample.size - 1) * 0.99)
    if np.count_nonzero(sample >= UNDEREXPOSED_BELOW) >= sample.size - k:
        return rgb
    lo, hi = np.percentile(sample, (1, 99))
    if hi >= UNDEREXPOSED_BELOW or hi - lo < 8:
        return rgb
    gain = 255.0 / (hi - lo)
    return cv2.convertScaleAbs(rgb, alpha=gain, beta=-lo * gain)


class Landmark(enum.IntEnum):
    """BlazePose landmark indices used by formcheck."""

    NOSE = 0
    LEFT_EAR = 7
    RIGHT_EAR = 8
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


def side_landmark(side: str, name: str) -> int:
    """Index of a sided landmark, e.g. ``side_landmark("left", "knee")``."""
    return int(Landmark[f"{side.upper()}_{name.upper()}"])


#: Landmarks this far (share of the picture) inside its edges lie in it: a leg cut off by
#: the edge is placed at or beyond it.
IN_PICTURE_MARGIN = 0.03


def legs_hidden(image_xyz: np.ndarray, visibility: np.ndarray, min_visibility: float
                ) -> np.ndarray:
    """Whether something may stand between the camera and the legs: ``(...)`` bool.

    ``image_xyz`` ``(..., 33, 3)``, ``visibility`` ``(..., 33)``. One side's shoulder and
    hip are seen (``min_visibility``), both sides' shoulders, hips, knees and ankles lie
    well inside the picture, but neither leg's knee and ankle are seen: a chair or a table
    in front of the legs (renders side-on, a chair between camera and person: knees and
    ankles drawn at 0.1-0.5). (A real bridge filmed from so near that the head is out of
    the picture read so too, in 19 of its 328 frames: the model drew its shoulders on the
    knees.)
    """
    def seen(side: str, names: tuple[str, ...]) -> np.ndarray:
        idx = [side_landmark(side, n) for n in names]
        return np.all(visibility[..., idx] >= min_visibility, axis=-1)

    body = [side_landmark(s, n) for s in ("left", "right")
            for n in ("shoulder", "hip", "knee", "ankle")]
    xy = image_xyz[..., body, :2]
    inside = np.all((xy >= IN_PICTURE_MARGIN) & (xy <= 1 - IN_PICTURE_MARGIN), axis=(-2, -1))
    trunk = seen("left", ("shoulder", "hip")) | seen("right", ("shoulder", "hip"))
    legs = seen("left", ("knee", "ankle")) | seen("right", ("knee", "ankle"))
    return trunk & inside & ~legs


SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24),
    (11, 13), (13, 15), (12, 14), (14, 16),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (0, 7), (0, 8),
)


@dataclass(frozen=True)
class PoseFrame:
    """One person's pose in one video frame.

    Attributes:
        t: Presentation time of the frame in seconds, from the video container.
        image_xyz: ``(33, 3)`` image landmarks: x, y normalised to [0, 1] by the
            image width and height (y down), z relative depth (MediaPipe scale).
        visibility: ``(33,)`` landmark visibility in [0, 1].
        world_xyz: ``(33, 3)`` world landmarks in metres, hip-centred, y down.
        image_wh: ``(width, height)`` of the frame in pixels.
        n_people: How many people the model found (the most prominent is used);
            :class:`PoseEstimator` counts them now and then (``count_people_every_s``).

    """

    t: float
    image_xyz: np.ndarray
    visibility: np.ndarray
    world_xyz: np.ndarray
    image_wh: tuple[int, int]
    n_people: int = 1

    def __post_init__(self) -> None:
        if self.image_xyz.shape != (N_LANDMARKS, 3):
            raise ValueError(f"image_xyz must be (33, 3), got {self.image_xyz.shape}")
        if self.visibility.shape != (N_LANDMARKS,):
            raise ValueError(f"visibility must be (33,), got {self.visibility.shape}")
        if self.world_xyz.shape != (N_LANDMARKS, 3):
            raise ValueError(f"world_xyz must be (33, 3), got {self.world_xyz.shape}")

    def pixel_xy(self) -> np.ndarray:
        """``(33, 2)`` landmark positions in pixels."""
        return self.image_xyz[:, :2] * np.asarray(self.image_wh, dtype=float)

    def unseen(self, landmarks: np.ndarray) -> PoseFrame:
        """The frame with ``landmarks`` (indices) unseen: NaN, visibility 0."""
        image, world, vis = self.image_xyz.copy(), self.world_xyz.copy(), self.visibility.copy()
        image[landmarks], world[landmarks], vis[landmarks] = np.nan, np.nan, 0.0
        return dataclasses.replace(self, image_xyz=image, world_xyz=world, visibility=vis)


@dataclass
class PoseTrack:
    """A pose sequence of ``T`` frames; frames without a person hold NaN.

    Attributes:
        t: ``(T,)`` frame times in seconds.
        image_xyz: ``(T, 33, 3)`` normalised image landmarks (NaN where no person).
        visibility: ``(T, 33)`` visibility (0 where no person).
        world_xyz: ``(T, 33, 3)`` world landmarks in metres (NaN where no person).
        n_people: ``(T,)`` number of people the model found in each frame.
        image_wh: ``(width, height)`` of the (upright) frames in pixels.

    """

    t: np.ndarray
    image_xyz: np.ndarray
    visibility: np.ndarray
    world_xyz: np.ndarray
    n_people: np.ndarray
    image_wh: tuple[int, int]
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.t)
        shapes = {
            "image_xyz": (self.image_xyz.shape, (n, N_LANDMARKS, 3)),
            "visibility": (self.visibility.shape, (n, N_LANDMARKS)),
            "world_xyz": (self.world_xyz.shape, (n, N_LANDMARKS, 3)),
            "n_people": (self.n_people.shape, (n,)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise ValueError(f"{name} must be {want}, got {got}")

    def __len__(self) -> int:
        return len(self.t)

    @property
    def detected(self) -> np.ndarray:
        """``(T,)`` bool, True where a person was found."""
        return self.n_people > 0

    @property
    def aspect(self) -> float:
        """Width / height of the frames."""
        return self.image_wh[0] / self.image_wh[1]

    @classmethod
    def from_frames(
        cls, frames: list[PoseFrame | None], times: list[float], image_wh: tuple[int, int]
    ) -> PoseTrack:
        """Stack per-frame results (None = no person) into a track."""
        n = len(frames)
        image = np.full((n, N_LANDMARKS, 3), np.nan)
        world = np.full((n, N_LANDMARKS, 3), np.nan)
        vis = np.zeros((n, N_LANDMARKS))
        people = np.zeros(n, dtype=int)
        for i, f in enumerate(frames):
            if f is None:
                continue
            image[i], world[i], vis[i] = f.image_xyz, f.world_xyz, f.visibility
            people[i] = f.n_people
        return cls(np.asarray(times, float), image, vis, world, people, image_wh)

    def take(self, index: slice | np.ndarray | list[int]) -> PoseTrack:
        """The frames at ``index`` (a slice or frame numbers), with their own times."""
        return dataclasses.replace(self, **{k: getattr(self, k)[index] for k in (
            "t", "image_xyz", "visibility", "world_xyz", "n_people")})

    def without(self, lost: np.ndarray) -> PoseTrack:
        """The track with nobody found where ``lost`` ``(T,)`` is True."""
        image, world = self.image_xyz.copy(), self.world_xyz.copy()
        image[lost], world[lost] = np.nan, np.nan
        return dataclasses.replace(self, image_xyz=image, world_xyz=world,
                                   visibility=np.where(lost[:, None], 0.0, self.visibility),
                                   n_people=np.where(lost, 0, self.n_people))

    def unseen(self, frames: np.ndarray, landmarks: np.ndarray) -> PoseTrack:
        """The track with ``landmarks`` (indices) unseen where ``frames`` ``(T,)`` is True.

        The person is still found there (:meth:`without` loses the whole frame).
        """
        cells = np.ix_(frames, landmarks)
        image, world, vis = self.image_xyz.copy(), self.world_xyz.copy(), self.visibility.copy()
        image[cells], world[cells], vis[cells] = np.nan, np.nan, 0.0
        return dataclasses.replace(self, image_xyz=image, world_xyz=world, visibility=vis)

    def part(self, start: int, stop: int, restart: bool = False) -> PoseTrack:
        """Frames ``start:stop``, a recording started or stopped there.

        With ``restart`` their times start again at 0.
        """
        out = self.take(slice(start, stop))
        return dataclasses.replace(out, t=out.t - out.t[0]) if restart and len(out) else out

    def frame(self, i: int) -> PoseFrame | None:
        """The ``i``-th frame, or None where no person was found."""
        if not self.detected[i]:
            return None
        return PoseFrame(
            float(self.t[i]), self.image_xyz[i], self.visibility[i], self.world_xyz[i],
            self.image_wh, int(self.n_people[i]),
        )


_OPEN: weakref.WeakSet = weakref.WeakSet()


def _close_open_estimators() -> None:
    """Close the models still open when the interpreter exits, while MediaPipe still can.

    MediaPipe calls its library through a thread pool, which refuses work once the
    interpreter begins to exit (before the ``atexit`` handlers run): a model closed from
    ``atexit`` printed a traceback, and so did each one left to be collected at teardown.
    So this runs in the exit step that comes before the thread pools stop (the one
    ``concurrent.futures`` itself uses); without it (another Python), from ``atexit``.
    """
    for est in list(_OPEN):
        try:
            est.close()
        except RuntimeError:  # too late for MediaPipe (the atexit fallback)
            pass


# Registered after concurrent.futures' own handler (imported above), so run before it.
_at_exit = getattr(threading, "_register_atexit", atexit.register)
_at_exit(_close_open_estimators)


class PoseEstimator:
    """MediaPipe PoseLandmarker (Tasks API) in VIDEO mode, returning :class:`PoseFrame`.

    Create once and reuse: building a landmarker costs ~170 ms. Frames must be
    fed in increasing time order; call :meth:`reset` before the next video so
    the tracker does not carry the last video's pose into it.

    People are counted every ``count_people_every_s``: the whole frame, and, when that
    shows only one person, the strips beside the tracked one (:func:`strips_beside`).
    The detector sees the frame shrunk to 224 × 224, where a smaller person beside a
    larger one (further back, or in a wide frame) is easily missed; in a strip without
    the larger one it is found. A person found only in the strips counts once found
    at two counts in a row, so one false find in the background is not a second person.
    """

    def __init__(
        self,
        model_path: str | Path = DEFAULT_MODEL,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        count_people_every_s: float | None = COUNT_PEOPLE_EVERY_S,
    ) -> None:
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import (
            PoseLandmarker,
            PoseLandmarkerOptions,
            RunningMode,
        )

        model_path = Path(model_path)
        if not model_path.is_file():
            raise FileNotFoundError(f"pose model not found: {model_path}")

        def make(mode: RunningMode, num_poses: int) -> PoseLandmarker:
            return PoseLandmarker.create_from_options(PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(model_path)),
                running_mode=mode,
                num_poses=num_poses,
                min_pose_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            ))

        # One person tracked in VIDEO mode (fast); a second, IMAGE-mode model
        # looks for other people every count_people_every_s.
        self._make_tracker = lambda: make(RunningMode.VIDEO, 1)
        with native_stderr_silenced():
            self._landmarker = self._make_tracker()
            self._counter = make(RunningMode.IMAGE, 3) if count_people_every_s else None
        self._count_every_s = count_people_every_s or 0.0
        self._last_count_t = -float("inf")
        self._people = 1
        self._beside_before = 0
        self._last_ms = -1
        self._closed = False
        _OPEN.add(self)

    def reset(self) -> None:
        """Start a new video: forget the tracked pose and the clock, as a new estimator would.

        Only the VIDEO-mode tracker is rebuilt (~0.1 s); the people counter is
        stateless and kept.
        """
        if self._last_ms < 0:
            return
        with native_stderr_silenced():
            self._landmarker.close()
            self._landmarker = self._make_tracker()
        self._last_count_t = -float("inf")
        self._people = 1
        self._beside_before = 0
        self._last_ms = -1

    def close(self) -> None:
        """Release the models (once)."""
        if self._closed:
            return
        self._closed = True
        _OPEN.discard(self)
        with native_stderr_silenced():
            self._landmarker.close()
            if self._counter is not None:
                self._counter.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def detect(self, rgb: np.ndarray, t: float) -> PoseFrame | None:
        """Landmarks of the most prominent person in an ``(H, W, 3)`` uint8 RGB frame.

        An underexposed frame is shown to the model with its levels stretched
        (:func:`well_exposed`).
        """
        import mediapipe as mp

        ms = max(int(round(t * 1000)), self._last_ms + 1)
        rgb = well_exposed(rgb)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        self._last_ms = ms
        # The runtime logs an INFO line on many calls (the bundled model's constant mask
        # output, see models/build_model.py), and native warnings on the first one.
        with native_stderr_silenced():
            result = self._landmarker.detect_for_video(image, ms)
        frame = from_mediapipe(result, t, (rgb.shape[1], rgb.shape[0]))
        if frame is None:
            return None
        if self._counter is not None and t - self._last_count_t >= self._count_every_s:
            self._last_count_t = t
            self._people = self._count_people(image, rgb, frame)
        return dataclasses.replace(frame, n_people=self._people)

    def _count_people(self, image: object, rgb: np.ndarray, frame: PoseFrame) -> int:
        """People in the frame: found in the whole ``image``, or beside ``frame``'s person."""
        assert self._counter is not None
        with native_stderr_silenced():
            found = self._counter.detect(image).pose_landmarks
        # The counter may return one body twice (a lying body, a close-up).
        whole = distinct_poses([_pose_xy(pose) for pose in found])
        beside = self._people_beside(rgb, frame) if whole < 2 else 0
        # A find in the whole frame counts at once: a therapist standing behind the
        # patient (belivan_older_wall_supported_squat_side) is found at every other count.
        seen_twice = min(beside, self._beside_before)
        self._beside_before = beside
        return max(1, whole, 1 + seen_twice)

    def _people_beside(self, rgb: np.ndarray, frame: PoseFrame) -> int:
        """Other people the counter finds in the strips beside ``frame``'s person.

        Each strip is searched on its own: joined into one picture (one search instead of
        two, a quarter of the strips' time saved), a bystander on the composites of
        ``benchmarks/people_count.py`` was missed in 1 of 10 and found less often in 3.
        """
        import mediapipe as mp

        h, w = rgb.shape[:2]
        box = landmark_box(frame.image_xyz)
        found = 0
        for x0, x1 in strips_beside(box, (w, h)):
            strip = mp.Image(image_format=mp.ImageFormat.SRGB,
                             data=np.ascontiguousarray(rgb[:, x0:x1]))
            with native_stderr_silenced():
                poses = self._counter.detect(strip).pose_landmarks  # type: ignore[union-attr]
            for pose in poses:
                xy = _pose_xy(pose)
                xy[:, 0] = (x0 + xy[:, 0] * (x1 - x0)) / w  # strip -> frame coordinates
                found += share_inside(landmark_box(xy), box) < SAME_PERSON_OVERLAP
        return found


def in_frame(frame: PoseFrame, window: tuple[float, float, float, float],
             frame_wh: tuple[int, int]) -> PoseFrame:
    """``frame``, found in a crop of the frame, with its landmarks in the whole frame.

    ``window``: the crop ``(x0, y0, x1, y1)``, shares of the whole frame of ``frame_wh``
    pixels. x and y are placed back in the window; z, on the scale of the image's width, shrinks
    with it. The world landmarks do not depend on the picture.
    """
    x0, y0, x1, y1 = window
    xyz = frame.image_xyz.copy()
    xyz[:, 0] = x0 + xyz[:, 0] * (x1 - x0)
    xyz[:, 1] = y0 + xyz[:, 1] * (y1 - y0)
    xyz[:, 2] *= x1 - x0
    return dataclasses.replace(frame, image_xyz=xyz, image_wh=frame_wh)


def _pose_xy(pose: list) -> np.ndarray:
    """``(33, 2)`` normalised image positions of one pose the landmarker returned."""
    return np.array([[p.x, p.y] for p in pose])


def from_mediapipe(result: object, t: float, image_wh: tuple[int, int]) -> PoseFrame | None:
    """Turn a ``PoseLandmarkerResult`` into a :class:`PoseFrame` (None if nobody).

    With several people, the largest one (by landmark bounding box) is kept.
    """
    people = result.pose_landmarks  # type: ignore[attr-defined]
    if not people:
        return None

    def area(landmarks: list) -> float:
        xs = [p.x for p in landmarks]
        ys = [p.y for p in landmarks]
        return (max(xs) - min(xs)) * (max(ys) - min(ys))

    best = max(range(len(people)), key=lambda k: area(people[k]))
    image = np.array([[p.x, p.y, p.z] for p in people[best]], dtype=float)
    vis = np.array([p.visibility if p.visibility is not None else 0.0 for p in people[best]])
    worlds = result.pose_world_landmarks  # type: ignore[attr-defined]
    world = (
        np.array([[p.x, p.y, p.z] for p in worlds[best]], dtype=float)
        if worlds
        else np.full((N_LANDMARKS, 3), np.nan)
    )
    return PoseFrame(t, image, vis, world, image_wh, len(people))
