"""The deterministic set of sample clips in ``sample_videos/``."""

from __future__ import annotations

from pathlib import Path

from formcheck.synth.clip import ClipSpec, render_clip

SAMPLE_CRF = 26

SAMPLES: dict[str, ClipSpec] = {
    "hip_abduction_clean_front": ClipSpec(
        "hip_abduction", "left", "front", reps=3, seed=1, body="female"),
    "hip_abduction_faults_front": ClipSpec(
        "hip_abduction", "right", "front", reps=3, seed=2, body="male",
        faults="2:trunk_lean,3:knee_not_straight"),
    "hip_abduction_wrong_leg_front": ClipSpec(
        "hip_abduction", "left", "front", reps=3, seed=3, body="heavier_female",
        faults="2:wrong_leg,3:incomplete_range"),
    "mini_squat_clean_side": ClipSpec(
        "mini_squat", "left", "side", reps=3, seed=4, body="male"),
    "mini_squat_faults_side": ClipSpec(
        "mini_squat", "right", "side", reps=3, seed=5, body="heavier",
        faults="2:hip_flexion_limit,3:too_fast"),
    "mini_squat_valgus_front": ClipSpec(
        "mini_squat", "left", "front", reps=3, seed=6, body="slim_female",
        faults="2:knee_valgus,3:knee_valgus"),
    "hip_flexion_clean_oblique": ClipSpec(
        "hip_flexion", "left", "oblique", reps=2, seed=7, body="female"),
    "hip_flexion_faults_oblique": ClipSpec(
        "hip_flexion", "right", "oblique", reps=2, seed=8, body="male_african",
        azimuth_deg=-30.0, faults="1:hold_too_short,2:trunk_lean"),
    "hip_extension_stretch_clean_side": ClipSpec(
        "hip_extension_stretch", "left", "side", reps=1, seed=9, body="male"),
    "hip_extension_stretch_faults_side": ClipSpec(
        "hip_extension_stretch", "right", "side", reps=2, seed=10, body="female",
        faults="1:heel_lift,1:hold_too_short,2:knee_not_straight,2:too_fast"),
    "heel_slide_clean_side": ClipSpec(
        "heel_slide", "left", "side", reps=2, seed=11, body="female"),
    "heel_slide_faults_side": ClipSpec(
        "heel_slide", "right", "side", reps=2, seed=12, body="heavier",
        faults="1:heel_lift,2:wrong_leg"),
    "bridge_clean_side": ClipSpec(
        "bridge", "left", "side", reps=2, seed=13, body="male"),
    "bridge_faults_side": ClipSpec(
        "bridge", "right", "oblique", reps=2, seed=14, body="heavier_female",
        faults="1:hold_too_short,2:incomplete_range"),
}
"""Sample clip name -> spec (rendered with CRF :data:`SAMPLE_CRF`)."""


def render_samples(out_dir: Path, only: list[str] | None = None) -> list[dict]:
    """Render every sample (or those named in ``only``) into ``out_dir``; return stats."""
    from dataclasses import replace

    out_dir.mkdir(parents=True, exist_ok=True)
    stats = []
    for name, spec in SAMPLES.items():
        if only and name not in only:
            continue
        stats.append(render_clip(replace(spec, crf=SAMPLE_CRF), out_dir / f"{name}.mp4"))
    return stats
