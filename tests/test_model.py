"""The bundled pose model loads offline and gives the reference BlazePose answer."""

import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.pose import DEFAULT_MODEL, N_LANDMARKS

REFERENCE = Path(__file__).parent / "data" / "reference_landmarks.json"


def test_bundle_is_an_uncompressed_tasks_bundle():
    with zipfile.ZipFile(DEFAULT_MODEL) as z:
        names = {i.filename: i.compress_type for i in z.infolist()}
    assert names == {"pose_detector.tflite": zipfile.ZIP_STORED,
                     "pose_landmarks_detector.tflite": zipfile.ZIP_STORED}
    assert (DEFAULT_MODEL.parent / "LICENSE.mediapipe").is_file()


def _frame(clip: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(clip))
    for _ in range(index + 1):  # read sequentially: seeking is not frame-exact
        ok, bgr = cap.read()
    cap.release()
    assert ok
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.mark.clips
def test_landmarks_match_the_reference_blazepose_graph(clips_dir):
    import mediapipe as mp
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions

    ref = json.loads(REFERENCE.read_text())["frames"]
    # Landscape frames only: on portrait frames the Tasks graph's ROI handling
    # differs from the legacy graph ("NORM_RECT without IMAGE_DIMENSIONS"), by
    # 0.006-0.009 median, whatever the model file.
    usable = [f for f in ref if (clips_dir / f["clip"]).is_file() and f["width"] >= f["height"]]
    assert usable, "reference frames' clips are missing"
    opts = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(DEFAULT_MODEL)))
    errors = []
    with PoseLandmarker.create_from_options(opts) as lm:
        for f in usable:
            rgb = _frame(clips_dir / f["clip"], f["frame"])
            res = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
            assert res.pose_landmarks, f"no person in {f['clip']}#{f['frame']}"
            got = np.array([[p.x, p.y] for p in res.pose_landmarks[0]])
            want = np.array(f["landmarks"])[:, :2]
            assert got.shape == (N_LANDMARKS, 2)
            assert len(res.pose_world_landmarks[0]) == N_LANDMARKS
            errors.append(float(np.median(np.abs(got - want).max(axis=1))))
    # Wrong input scaling drifts by 0.006–0.015; the right bundle agrees to < 1e-3.
    assert max(errors) < 0.0015, errors


def test_landmark_model_computes_no_segmentation_mask():
    # formcheck never reads the mask, and computing it took ~30 % of the tracker's CPU:
    # models/build_model.py drops the layers that only feed it (the other outputs stay
    # bit-identical). The mask output is left as a constant; every operator left feeds
    # one of the outputs still computed.
    from mediapipe.tasks.metadata import schema_py_generated as tflite

    with zipfile.ZipFile(DEFAULT_MODEL) as z:
        model = tflite.Model.GetRootAsModel(z.read("pose_landmarks_detector.tflite"), 0)
    g = model.Subgraphs(0)
    ops = [g.Operators(k) for k in range(g.OperatorsLength())]
    producer = {int(t): k for k, op in enumerate(ops) for t in op.OutputsAsNumpy()}
    outputs = [int(t) for t in g.OutputsAsNumpy()]
    assert len(outputs) == 5  # landmarks, presence, mask, heatmap, world landmarks
    mask = g.Tensors(outputs[2])
    assert outputs[2] not in producer
    assert model.Buffers(mask.Buffer()).DataLength() == 4 * int(np.prod(mask.ShapeAsNumpy()))
    needed, todo = set(), [t for i, t in enumerate(outputs) if i != 2]
    while todo:
        k = producer.get(todo.pop())
        if k is not None and k not in needed:
            needed.add(k)
            todo.extend(int(t) for t in ops[k].InputsAsNumpy() if t >= 0)
    assert all(t in producer for i, t in enumerate(outputs) if i != 2)
    assert needed == set(range(len(ops)))
