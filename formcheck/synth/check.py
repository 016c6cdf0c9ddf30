"""Check rendered clips with MediaPipe's pose landmarker: how often is the person found."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "pose_landmarker_full.task"


def detection_rate(video: str | Path, model: str | Path = DEFAULT_MODEL) -> dict:
    """Run the pose landmarker (VIDEO mode) on every frame; return counts and the rate."""
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
    found = total = 0
    with PoseLandmarker.create_from_options(opts) as landmarker, av.open(str(video)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            res = landmarker.detect_for_video(image, int(i * 1000 / 30))
            total += 1
            found += bool(res.pose_landmarks)
    return {"video": str(video), "frames": total, "detected": found,
            "rate": round(found / max(total, 1), 4)}
