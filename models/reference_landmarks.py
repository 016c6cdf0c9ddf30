"""Write known-answer landmarks for the model test, with legacy MediaPipe.

Runs ``mp.solutions.pose`` (the reference BlazePose graph of
``mediapipe==0.10.21``, full model, static images) on a few frames of the
real clips in ``../shared/clips`` and stores the 33 landmarks per frame in
``tests/data/reference_landmarks.json``. ``tests/test_model.py`` checks that
the bundled Tasks model gives the same answer. Run it in the throw-away venv
of ``build_model.py``::

    /tmp/mpbuild/bin/python models/reference_landmarks.py
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import mediapipe as mp

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO.parent / "shared" / "clips"
FRAMES = {
    "frailty_sit_to_stand.mp4": [30, 120],
    "physioplus_bridging.mp4": [10],
    "kratika_squat_front.mp4": [50],
    "rohanx01_deep_squat_side.mp4": [100],
}


def frame_rgb(path: Path, index: int):  # noqa: ANN201 - ndarray
    """Frame ``index`` of a video as RGB, decoded with OpenCV."""
    cap = cv2.VideoCapture(str(path))
    for _ in range(index + 1):  # read sequentially: seeking is not frame-exact
        ok, bgr = cap.read()
    cap.release()
    if not ok:
        raise RuntimeError(f"cannot read frame {index} of {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def main() -> None:
    """Write the reference file."""
    out = []
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for name, indices in FRAMES.items():
            for i in indices:
                rgb = frame_rgb(CLIPS / name, i)
                res = pose.process(rgb)
                if not res.pose_landmarks:
                    continue
                out.append({
                    "clip": name, "frame": i, "width": rgb.shape[1], "height": rgb.shape[0],
                    "landmarks": [[round(p.x, 5), round(p.y, 5), round(p.visibility, 4)]
                                  for p in res.pose_landmarks.landmark],
                })
    dest = REPO / "tests" / "data" / "reference_landmarks.json"
    dest.write_text(json.dumps({"mediapipe": mp.__version__, "frames": out}, indent=0))
    print(f"wrote {len(out)} frames to {dest}")


if __name__ == "__main__":
    main()
