"""The formcheck command line: analyse videos, save and re-use pose tracks.

Fast on bad input: only light modules load before the arguments are checked and the video
is probed; numpy, PyAV, the pose model and the clinic store load when a command needs them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

from .i18n import text
from .protocol import APPROACHES, PatientSettings, default_programme

DESCRIPTION = "formcheck: count repetitions and find faults in hip exercises after surgery."
DEFAULT_FPS = 10.0
"""Frames a second given to the pose model (``analysis.DEFAULT_ANALYSIS_FPS``)."""
FPS_RANGE = (1.0, 120.0)
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_videos"
DEMO_SAMPLE = "mini_squat_faults_side"


class CliError(Exception):
    """A user-facing error: printed on one line, exit status 1 (or ``status``)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _progress_bar(desc: str) -> tuple[Callable[[float], None], Callable[[], None]]:
    """A tqdm bar on stderr driven by fractions 0–1; returns (update, close)."""
    from tqdm import tqdm

    bar = tqdm(total=100, desc=desc, unit="%", file=sys.stderr, leave=False,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
               disable=None)

    def update(frac: float) -> None:
        bar.update(max(0, int(frac * 100) - bar.n))

    return update, bar.close


def _video_error(exc: Exception, lang: str) -> CliError:
    from .video import VideoError

    if isinstance(exc, VideoError):
        return CliError(text(f"errors.{exc.code}", lang, detail=exc.detail))
    return CliError(str(exc))


def _check_fps(args: argparse.Namespace) -> float:
    """``--fps`` as a number from 1 to 120 (default :data:`DEFAULT_FPS`)."""
    raw = getattr(args, "fps", None)
    if raw is None:
        return DEFAULT_FPS
    try:
        fps = float(raw)
    except ValueError:
        fps = math.nan
    if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
        raise CliError(text("errors.bad_fps", args.lang, detail=raw), 2)
    return fps


def _probe(args: argparse.Namespace):  # noqa: ANN202 - VideoInfo
    """Check the video before anything heavy loads; one clear line if it is not one."""
    from .video import VideoError, probe

    try:
        return probe(args.video)
    except VideoError as exc:
        raise _video_error(exc, args.lang) from None


def _track(args: argparse.Namespace, desc: str,
           fps: float | None = None):  # noqa: ANN202 - (PoseTrack, truncated)
    fps = fps or _check_fps(args)
    _probe(args)
    from .pose import DEFAULT_MODEL

    model = Path(args.model) if args.model else DEFAULT_MODEL
    if not model.is_file():
        raise CliError(text("errors.model_missing", args.lang, detail=str(model)))
    from .analysis import track_video
    from .pose import PoseEstimator
    from .video import VideoError

    update, close = _progress_bar(desc)
    try:
        with PoseEstimator(model) as est:
            return track_video(args.video, est, update, fps)
    except VideoError as exc:
        raise _video_error(exc, args.lang) from None
    finally:
        close()


def cmd_analyze(args: argparse.Namespace) -> int:
    """``formcheck analyze``."""
    _check_fps(args)
    settings = PatientSettings(side=args.side, approach=args.approach)
    if args.video_out and not args.video:
        raise CliError(text("cli.video_out_needs_video", args.lang), 2)
    if args.landmarks:
        from .track_io import TrackFileError, load_track

        try:
            track, truncated = load_track(args.landmarks), False
        except TrackFileError as exc:
            raise CliError(text("errors.bad_landmarks", args.lang, detail=str(exc))) from None
    elif args.video:
        track, truncated = _track(args, "pose")
    else:
        raise CliError(text("cli.need_input", args.lang), 2)
    from .analysis import analyze_landmarks, analyze_tracked

    if args.video:
        # Quick reps are tracked again at a finer rate (analysis.finer_rate), as uploads are.
        result = analyze_tracked((track, truncated),
                                 lambda fps: _track(args, f"pose ({fps:g}/s)", fps),
                                 args.exercise, settings, args.lang)
    else:
        # A landmark file is read as a video of its poses would be (analysis.at_rate).
        result = analyze_landmarks(track, args.exercise, settings, args.lang,
                                   truncated=truncated)
    result.source = str(args.video or args.landmarks)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=1, ensure_ascii=False),
                                   encoding="utf-8")
    print(summary(result))
    if args.video_out:
        from .annotated_video import write_annotated_video
        from .video import VideoError

        update, close = _progress_bar("video")
        try:
            write_annotated_video(result, args.video, args.video_out, update)
        except VideoError as exc:
            raise _video_error(exc, args.lang) from None
        finally:
            close()
        print(text("cli.annotated_video", args.lang, path=args.video_out))
    return 0


def summary(result) -> str:  # noqa: ANN001 - AnalysisResult
    """A few human-readable lines about an analysis."""
    from .clinic.texts import fault_name
    from .i18n import peak_measure_name

    lang = result.lang
    spec = result.spec
    who = text("cli.summary_who", lang, side=text(f"cli.side_{result.settings.side}", lang),
               approach=text(f"cli.approach_{result.settings.approach}", lang))
    view = text(f"views.{result.view}", lang) if result.view else "-"
    lines = [
        f"{spec.title(lang)} ({who})",
        f"{text('ui.reps', lang)}: {result.rep_count} / {len(result.reps)}"
        f"  ·  {text('cli.view', lang)}: {view}"
        f"  ·  {text('cli.detection', lang)}: {result.detection_rate:.0%}",
    ]
    peak = text("cli.peak_of", lang, measure=peak_measure_name(spec, lang))
    for r in result.reps:
        faults = ", ".join(fault_name(lang, f) for f in r.faults) or text("cli.rep_ok", lang)
        lines.append(f"  {text('ui.rep', lang)} {r.index}: {r.start_s:5.1f}–{r.end_s:5.1f} s  "
                     f"{peak} {r.peak_deg:5.1f}°  "
                     f"{text('cli.hold', lang)} {r.hold_s:4.1f} s  {faults}")
    lines += [f"! {w.message}" for w in result.warnings]
    return "\n".join(lines)


def cmd_landmarks(args: argparse.Namespace) -> int:
    """``formcheck landmarks``."""
    from .track_io import TrackFileError, save_track

    if Path(args.output).suffix not in (".npz", ".csv"):
        raise CliError(text("errors.bad_landmarks", args.lang, detail=args.output), 2)
    track, truncated = _track(args, "pose")
    try:
        save_track(track, args.output)
    except TrackFileError as exc:
        raise CliError(str(exc), 2) from None
    if track.meta.get("rotation_deg") == 180:
        print(f"! {text('warnings.upside_down', args.lang)}", file=sys.stderr)
    rate = float(track.detected.mean()) if len(track) else 0.0
    print(text("cli.landmarks_saved", args.lang, n=len(track), rate=rate, path=args.output)
          + (text("cli.landmarks_truncated", args.lang) if truncated else ""))
    return 0


def cmd_exercises(args: argparse.Namespace) -> int:
    """``formcheck exercises``: the programme, in the user's language."""
    prog = default_programme()
    d, lang = prog.dosage, args.lang
    for spec in prog.exercises.values():
        hold = f", {text('cli.hold_s', lang, s=spec.hold_s)}" if spec.hold_s else ""
        view = text("cli.best_view", lang, view=text(f"views.{spec.best_view}", lang))
        print(f"{spec.id:22s} {spec.title(lang)}  [{view}{hold}]")
    print(text("cli.dosage", lang, sets=d.sets, start=d.reps_start, goal=d.reps_goal,
               low=d.sessions_per_day_min, high=d.sessions_per_day_max))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``formcheck demo``: analyse a bundled sample video."""
    samples = sorted(SAMPLES_DIR.glob("*.mp4"))
    if not samples:
        raise CliError(text("cli.no_samples", args.lang, path=SAMPLES_DIR))
    wanted = args.sample or DEMO_SAMPLE
    video = next((p for p in samples if p.stem == wanted), samples[0])
    truth = video.with_suffix("").with_suffix(".truth.json")
    meta = json.loads(truth.read_text()) if truth.exists() else {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ns = argparse.Namespace(
        video=str(video), landmarks=None, exercise=meta.get("exercise", "mini_squat"),
        side=meta.get("side", "left"), approach="posterolateral", lang=args.lang,
        json=str(out / f"{video.stem}.json"), video_out=str(out / f"{video.stem}.mp4"),
        model=None, fps=args.fps,
    )
    print(f"{video.name}")
    status = cmd_analyze(ns)
    if meta:
        print(text("cli.demo_truth", args.lang, reps=meta.get("rep_count")))
    return status


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    p = argparse.ArgumentParser(prog="formcheck", description=DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True)
    exercises = list(default_programme().exercises)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lang", choices=("nl", "en"), default="nl")
        sp.add_argument("--model", help="pose model (.task); default: the bundled one")
        sp.add_argument("--fps", help=f"frames per second given to the pose model, "
                        f"{FPS_RANGE[0]:g}-{FPS_RANGE[1]:g} (default {DEFAULT_FPS:g})")

    a = sub.add_parser("analyze", help="count reps and find faults in a video")
    a.add_argument("video", nargs="?", help="video file (MP4, MOV, …)")
    a.add_argument("--landmarks", help="re-analyse a saved pose track (.npz/.csv) instead")
    a.add_argument("--exercise", required=True, choices=exercises)
    a.add_argument("--side", required=True, choices=("left", "right"), help="operated side")
    a.add_argument("--approach", choices=APPROACHES, default="posterolateral")
    a.add_argument("--json", help="write the result as JSON here")
    a.add_argument("--video-out", help="write an annotated H.264 MP4 here")
    common(a)
    a.set_defaults(func=cmd_analyze)

    lm = sub.add_parser("landmarks", help="save the pose track of a video (.npz or .csv)")
    lm.add_argument("video")
    lm.add_argument("-o", "--output", required=True)
    common(lm)
    lm.set_defaults(func=cmd_landmarks)

    ex = sub.add_parser("exercises", help="list the exercises and the dosage")
    ex.add_argument("--lang", choices=("nl", "en"), default="nl")
    ex.set_defaults(func=cmd_exercises)

    demo = sub.add_parser("demo", help="analyse a bundled sample video")
    demo.add_argument("--sample", default="",
                      help=f"sample name in sample_videos/ (default: {DEMO_SAMPLE})")
    demo.add_argument("--out", default="formcheck-demo", help="output folder")
    common(demo)
    demo.set_defaults(func=cmd_demo)

    from .clinic.cli import register
    from .jobs.cli import register as register_jobs

    register(sub)
    register_jobs(sub, exercises, APPROACHES, DEFAULT_FPS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``formcheck`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"formcheck: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print(f"formcheck: {text('cli.interrupted', _lang(args))}", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"formcheck: {text('cli.unexpected', _lang(args))}: {type(exc).__name__}: {first}",
              file=sys.stderr)
        return 1


def _lang(args: argparse.Namespace) -> str:
    return getattr(args, "lang", "nl") if getattr(args, "lang", "nl") in ("nl", "en") else "nl"


if __name__ == "__main__":
    raise SystemExit(main())
