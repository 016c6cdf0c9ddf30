"""Rebuild ``models/pose_landmarker_full.task`` without internet.

The current ``mediapipe`` wheels ship no pose model and their usual ``.task``
download is unreachable here. ``mediapipe==0.10.21`` on PyPI ships the two
BlazePose TFLite models (Apache-2.0) and the TFLite metadata writers; this
script adds the normalisation metadata the Tasks API needs to the landmark
model and zips both, uncompressed, into a Tasks bundle.

Run it in a throw-away virtual environment (0.10.21 pins ``numpy<2``)::

    python3 -m venv /tmp/mpbuild
    /tmp/mpbuild/bin/pip install mediapipe==0.10.21
    /tmp/mpbuild/bin/python models/build_model.py
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import mediapipe
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

HERE = Path(__file__).resolve().parent
OUT = HERE / "pose_landmarker_full.task"
PKG = Path(mediapipe.__file__).resolve().parent
DETECTOR = PKG / "modules/pose_detection/pose_detection.tflite"
LANDMARKS = PKG / "modules/pose_landmark/pose_landmark_full.tflite"
LANDMARK_OUTPUTS = ("landmarks", "segmentation", "heatmap", "world_landmarks", "poseflag")


def landmark_model_with_metadata() -> bytes:
    """Landmark model with image input metadata: pixels scaled to [0, 1]."""
    writer = metadata_writer.MetadataWriter.create(bytearray(LANDMARKS.read_bytes()))
    writer.add_general_info("pose_landmarks_detector", "BlazePose GHUM 3D full")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for name in LANDMARK_OUTPUTS:
        writer.add_feature_output(name=name)
    model, _ = writer.populate()
    return bytes(model)


def main() -> int:
    """Write the bundle and copy MediaPipe's licence beside it."""
    if mediapipe.__version__ != "0.10.21":
        print(f"needs mediapipe==0.10.21, found {mediapipe.__version__}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(OUT, "w", compression=zipfile.ZIP_STORED) as bundle:
        # The detector already carries its metadata (mean 127.5, std 127.5).
        bundle.writestr("pose_detector.tflite", DETECTOR.read_bytes())
        bundle.writestr("pose_landmarks_detector.tflite", landmark_model_with_metadata())
    licence = PKG.parent / "mediapipe-0.10.21.dist-info" / "LICENSE"
    shutil.copyfile(licence, HERE / "LICENSE.mediapipe")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
