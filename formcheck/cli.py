"""The ``formcheck`` command line: analyse videos, save and re-use pose tracks."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from .i18n import text
from .protocol import APPROACHES, PatientSettings, default_programme

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


def _track(args: argparse.Namespace, desc: str):  # noqa: ANN202 - (PoseTrack, truncated)
    from .analysis import track_video
    from .pose import DEFAULT_MODEL
    from .video import VideoError

    model = Path(args.model) if args.model else DEFAULT_MODEL
    if not model.is_file():
        raise CliError(text("errors.model_missing", args.lang, detail=str(model)))
    from .pose import PoseEstimator

    update, close = _progress_bar(desc)
    try:
        with PoseEstimator(model) as est:
            return track_video(args.video, est, update, args.fps)
    except VideoError as exc:
        raise _video_error(exc, args.lang) from None
    finally:
        close()


def cmd_analyze(args: argparse.Namespace) -> int:
    """``formcheck analyze``."""
    from .analysis import analyze_track
    from .track_io import TrackFileError, load_track

    settings = PatientSettings(side=args.side, approach=args.approach)
    if args.landmarks:
        try:
            track, truncated = load_track(args.landmarks), False
        except TrackFileError as exc:
            raise CliError(text("errors.bad_landmarks", args.lang, detail=str(exc))) from None
    elif args.video:
        track, truncated = _track(args, "pose")
    else:
        raise CliError("give a VIDEO or --landmarks FILE", 2)
    result = analyze_track(track, args.exercise, settings, args.lang, truncated=truncated)
    result.source = str(args.video or args.landmarks)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=1, ensure_ascii=False),
                                   encoding="utf-8")
    print(summary(result))
    if args.video_out:
        if not args.video:
            raise CliError("--video-out needs the VIDEO itself", 2)
        from .annotated_video import write_annotated_video
        from .video import VideoError

        update, close = _progress_bar("video")
        try:
            write_annotated_video(result, args.video, args.video_out, update)
        except VideoError as exc:
            raise _video_error(exc, args.lang) from None
        finally:
            close()
        print(f"{'annotated video' if args.lang == 'en' else 'video met aantekeningen'}: "
              f"{args.video_out}")
    return 0


def summary(result) -> str:  # noqa: ANN001 - AnalysisResult
    """A few human-readable lines about an analysis."""
    lang = result.lang
    spec = result.spec
    lines = [
        f"{spec.title(lang)} ({result.settings.side}, {result.settings.approach})",
        f"{text('ui.reps', lang)}: {result.rep_count} / {len(result.reps)}"
        f"  ·  view: {result.view}  ·  detection: {result.detection_rate:.0%}",
    ]
    for r in result.reps:
        faults = ", ".join(r.faults) or "ok"
        lines.append(f"  {text('ui.rep', lang)} {r.index}: {r.start_s:5.1f}–{r.end_s:5.1f} s  "
                     f"peak {r.peak_deg:5.1f}°  hold {r.hold_s:4.1f} s  {faults}")
    lines += [f"! {w.message}" for w in result.warnings]
    return "\n".join(lines)


def cmd_landmarks(args: argparse.Namespace) -> int:
    """``formcheck landmarks``."""
    from .track_io import TrackFileError, save_track

    track, truncated = _track(args, "pose")
    try:
        save_track(track, args.output)
    except TrackFileError as exc:
        raise CliError(str(exc), 2) from None
    print(f"{len(track)} frames, person found in {track.detected.mean():.0%} → {args.output}"
          + (" (video truncated)" if truncated else ""))
    return 0


def cmd_exercises(args: argparse.Namespace) -> int:
    """``formcheck exercises``: the programme, in the user's language."""
    prog = default_programme()
    d = prog.dosage
    for spec in prog.exercises.values():
        hold = f", hold {spec.hold_s:g} s" if spec.hold_s else ""
        print(f"{spec.id:22s} {spec.title(args.lang)}  [{spec.best_view}{hold}]")
    print(f"dosage: {d.sets}×{d.reps_start} → {d.sets}×{d.reps_goal}, "
          f"{d.sessions_per_day_min}–{d.sessions_per_day_max}× per day")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``formcheck demo``: analyse a bundled sample video."""
    samples = sorted(SAMPLES_DIR.glob("*.mp4"))
    if not samples:
        raise CliError(f"no sample videos in {SAMPLES_DIR}")
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
        print(f"(truth: {meta.get('rep_count')} reps)")
    return status


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    from .analysis import DEFAULT_ANALYSIS_FPS

    p = argparse.ArgumentParser(prog="formcheck", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    exercises = list(default_programme().exercises)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lang", choices=("nl", "en"), default="nl")
        sp.add_argument("--model", help="pose model (.task); default: the bundled one")
        sp.add_argument("--fps", type=float, default=DEFAULT_ANALYSIS_FPS,
                        help="frames per second given to the pose model (default %(default)s)")

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
    register_jobs(sub, exercises, APPROACHES, DEFAULT_ANALYSIS_FPS)
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
        print("formcheck: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        print(f"formcheck: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
