"""Rebuild ``models/pose_landmarker_full.task`` without internet.

The current ``mediapipe`` wheels ship no pose model and their usual ``.task``
download is unreachable here. ``mediapipe==0.10.21`` on PyPI ships the two
BlazePose TFLite models (Apache-2.0) and the TFLite metadata writers; this
script adds the normalisation metadata the Tasks API needs to the landmark
model, takes the segmentation head out of it (:func:`without_segmentation`) and
zips both, uncompressed, into a Tasks bundle.

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

import flatbuffers
import mediapipe
import numpy as np
from mediapipe.tasks.metadata import schema_py_generated as tflite
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

HERE = Path(__file__).resolve().parent
OUT = HERE / "pose_landmarker_full.task"
PKG = Path(mediapipe.__file__).resolve().parent
DETECTOR = PKG / "modules/pose_detection/pose_detection.tflite"
LANDMARKS = PKG / "modules/pose_landmark/pose_landmark_full.tflite"
LANDMARK_OUTPUTS = ("landmarks", "segmentation", "heatmap", "world_landmarks", "poseflag")
SEGMENTATION_OUTPUT = 2
"""Index of the segmentation mask among the model's outputs (its order as the graph reads it)."""


def landmark_model_with_metadata() -> bytes:
    """Landmark model with image input metadata: pixels scaled to [0, 1]."""
    writer = metadata_writer.MetadataWriter.create(bytearray(LANDMARKS.read_bytes()))
    writer.add_general_info("pose_landmarks_detector", "BlazePose GHUM 3D full")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for name in LANDMARK_OUTPUTS:
        writer.add_feature_output(name=name)
    model, _ = writer.populate()
    return bytes(model)


def without_segmentation(model: bytes) -> bytes:
    """The landmark model without the layers that only compute its segmentation mask.

    formcheck never asks for the mask, but the model computed it on every frame: a
    decoder up to 256 × 256 that cost ~30 % of the model's CPU time. The operators whose
    results reach no other output are dropped and the mask output becomes a constant
    all-zero mask of the same shape (the Tasks graph still expects five outputs; it reads
    the mask only when ``output_segmentation_masks`` is set, which would now give an
    empty mask). Every other output is computed by the same operators on the same
    weights as before: landmarks, world landmarks, heatmap and presence are identical.
    Weights only the dropped operators used are emptied.
    """
    m = tflite.ModelT.InitFromObj(tflite.Model.GetRootAsModel(model, 0))
    (g,) = m.subgraphs
    producer = {t: k for k, op in enumerate(g.operators) for t in op.outputs}

    def needed_for(tensors: list[int]) -> set[int]:
        ops, todo = set(), list(tensors)
        while todo:
            k = producer.get(todo.pop())
            if k is not None and k not in ops:
                ops.add(k)
                todo.extend(t for t in g.operators[k].inputs if t >= 0)
        return ops

    keep = needed_for([t for i, t in enumerate(g.outputs) if i != SEGMENTATION_OUTPUT])
    g.operators = [op for k, op in enumerate(g.operators) if k in keep]
    used = {t for op in g.operators for t in (*op.inputs, *op.outputs) if t >= 0}
    shared = {}  # buffer -> whether a tensor still in use refers to it
    for t, tensor in enumerate(g.tensors):
        shared[tensor.buffer] = shared.get(tensor.buffer, False) or t in used
    for b, in_use in shared.items():
        if b and not in_use:
            m.buffers[b].data = None
    mask = g.tensors[g.outputs[SEGMENTATION_OUTPUT]]
    if g.outputs[SEGMENTATION_OUTPUT] in producer and g.outputs[SEGMENTATION_OUTPUT] not in used:
        zeros = tflite.BufferT()
        zeros.data = np.zeros(int(np.prod(mask.shape)) * 4, np.uint8)  # float32 zeros
        m.buffers.append(zeros)
        mask.buffer = len(m.buffers) - 1
    builder = flatbuffers.Builder(len(model) + (1 << 20))
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def main() -> int:
    """Write the bundle and copy MediaPipe's licence beside it."""
    if mediapipe.__version__ != "0.10.21":
        print(f"needs mediapipe==0.10.21, found {mediapipe.__version__}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(OUT, "w", compression=zipfile.ZIP_STORED) as bundle:
        # The detector already carries its metadata (mean 127.5, std 127.5).
        bundle.writestr("pose_detector.tflite", DETECTOR.read_bytes())
        bundle.writestr("pose_landmarks_detector.tflite",
                        without_segmentation(landmark_model_with_metadata()))
    licence = PKG.parent / "mediapipe-0.10.21.dist-info" / "LICENSE"
    shutil.copyfile(licence, HERE / "LICENSE.mediapipe")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
