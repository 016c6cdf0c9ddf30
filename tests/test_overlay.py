"""The overlay fits any frame: portrait phone video included."""

import dataclasses

import numpy as np
import pytest

from formcheck.i18n import fault_text
from formcheck.overlay import OverlayState, annotate, count_label, fitted_lines, text_sizes
from formcheck.protocol import FAULT_CODES, default_programme
from formcheck.video import read_frames
from tests.test_rendered import SAMPLES


def _white_columns(region: np.ndarray) -> np.ndarray:
    return np.flatnonzero((region.min(axis=2) > 235).any(axis=0))


@pytest.mark.parametrize("wh", [(1080, 1920), (432, 768), (1280, 720), (640, 480)])
def test_title_and_fault_message_stay_inside_the_frame(wh):
    w, h = wh
    _, frame = next(read_frames(SAMPLES / "mini_squat_faults_side.mp4"))
    canvas = np.zeros((h, w, 3), np.uint8)  # the rendered frame, letterboxed into w x h
    fh, fw = frame.shape[:2]
    scale = min(w / fw, h / fh)
    import cv2

    small = cv2.resize(frame, (int(fw * scale), int(fh * scale)))
    y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    spec = default_programme().exercise("hip_flexion")
    # the longest thing a patient is told about a fault, in any exercise's own words
    message = max((fault_text(code, s, "nl") for s in default_programme().exercises.values()
                   for code in FAULT_CODES), key=len)
    state = OverlayState(xy=None, side="left", title=spec.title("nl"), count=3, goal=10,
                         message=message, set_index=2, lang="nl")
    out = annotate(canvas, state)
    big, small_size = text_sizes(h, w)
    lines, size = fitted_lines(message, big, w - 2 * (min(h, w) // 60 + 4), 3)
    assert " ".join(lines) == message  # every word is drawn
    bottom = out[h - (size + 20) * len(lines) - 40:, :]
    cols = _white_columns(bottom)
    assert cols.size and cols.min() > 2 and cols.max() < w - 3, (cols.min(), cols.max(), w)
    top = out[: small_size * 4, :]
    cols = _white_columns(top)
    assert cols.size and cols.max() < w - 3


def test_the_count_line_says_one_rep_in_the_singular():
    one = OverlayState(xy=None, side="left", title="", count=1, lang="nl")
    assert count_label(one) == "1 herhaling"
    assert count_label(dataclasses.replace(one, lang="en")) == "1 rep"
    assert count_label(dataclasses.replace(one, count=2, lang="en")) == "2 reps"
    assert count_label(dataclasses.replace(one, goal=10, set_index=2)) == \
        "1 / 10 herhalingen  ·  Serie 2"


def test_an_angle_just_under_zero_is_drawn_as_0_not_minus_0():
    # Seen on the live page: a straight knee read -0.3° was labelled "knee -0°".
    xy = np.tile([[200.0, 150.0]], (33, 1))
    frame = np.zeros((300, 400, 3), np.uint8)
    drawn = [annotate(frame, OverlayState(xy=xy, side="left", title="", count=0, lang="en",
                                          angles={"knee_flexion": deg},
                                          anchors={"knee_flexion": 25}))
             for deg in (-0.3, 0.3, 1.0)]
    assert np.array_equal(drawn[0], drawn[1])
    assert not np.array_equal(drawn[1], drawn[2])  # the label is drawn at all


def test_the_stretchs_knee_is_labelled_where_its_fault_is_judged():
    # The hip-extension stretch's knee fault is judged on the model's own knee angle
    # (knee_flexion_landmarks): the video labels that angle at the knee, as it did the
    # knee it was judged on before.
    from formcheck.overlay import angle_anchors
    from formcheck.pose import side_landmark

    spec = default_programme().exercise("hip_extension_stretch")
    rule = next(r for r in spec.faults if r.code == "knee_not_straight")
    assert angle_anchors(spec, "left")[rule.measure] == side_landmark("left", "knee")
