"""Check rendered clips with MediaPipe's pose landmarker: how often is the person found."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

_MP_INDEX = {"shoulder_l": 11, "shoulder_r": 12, "hip_l": 23, "hip_r": 24,
             "knee_l": 25, "knee_r": 26, "ankle_l": 27, "ankle_r": 28}
"""Ground-truth joint -> MediaPipe pose landmark index (the person's own left/right)."""

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "pose_landmarker_full.task"


def detection_rate(video: str | Path, model: str | Path = DEFAULT_MODEL) -> dict:
    """Run the pose landmarker (VIDEO mode) on every frame; return counts and the rate.

    When ``<name>.truth.json`` is beside the clip, also the median pixel distance of
    MediaPipe's shoulder/hip/knee/ankle landmarks from the true joint centres.
    Joint centres are not surface landmarks, so a few pixels of offset are expected.
    """
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import (
        PoseLandmarker,
        PoseLandmarkerOptions,
        RunningMode,
    )

    opts = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=RunningMode.VIDEO,
        num_poses=1,
    )
    truth_path = Path(video).with_name(Path(video).name[: -len(Path(video).suffix)] + ".truth.json")
    truth = json.loads(truth_path.read_text()) if truth_path.exists() else None
    errors: dict[str, list[float]] = {j: [] for j in _MP_INDEX}
    found = total = 0
    with PoseLandmarker.create_from_options(opts) as landmarker, av.open(str(video)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            res = landmarker.detect_for_video(image, int(i * 1000 / 30))
            total += 1
            found += bool(res.pose_landmarks)
            if res.pose_landmarks and truth is not None:
                lms = res.pose_landmarks[0]
                h, w = rgb.shape[:2]
                for joint, k in _MP_INDEX.items():
                    px = np.array([lms[k].x * w, lms[k].y * h])
                    errors[joint].append(float(np.linalg.norm(px - truth["joints_px"][joint][i])))
    out = {"video": str(video), "frames": total, "detected": found,
           "rate": round(found / max(total, 1), 4)}
    if truth is not None and found:
        out["median_px_error"] = {j: round(float(np.median(e)), 1) for j, e in errors.items()}
    return out
