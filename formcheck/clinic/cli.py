"""The ``formcheck clinic`` command: store set-up, patients, results, exports, reports.

Every sub-command takes ``--db URL``; all but ``init`` act as a logged-in clinician, given
either a session token (``$FORMCHECK_TOKEN`` or ``--token-stdin``, see ``clinic login``; never
on the command line, where ``ps`` shows it) or ``--user`` with the password from
``--password-stdin`` or a prompt (that login ends with the command). Errors print one line
and return a nonzero exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.clinic.protocol import APPROACHES, EXERCISE_IDS, SIDES, Dosage, ProtocolError
from formcheck.clinic.texts import LANGUAGES, advice_text

if TYPE_CHECKING:  # the store's modules load when a command runs, not for --help
    from formcheck.clinic.db import Database
    from formcheck.clinic.models import Clinician

IDLE_MINUTES = (1, 720)
DESCRIPTION = """Clinic records: store set-up, patients, results, exports, reports.

All commands but 'init' act as a logged-in clinician: set $FORMCHECK_TOKEN (from
'clinic login') or use --token-stdin, or give --user NAME with the password from
--password-stdin or a prompt. Errors print one line and exit non-zero."""

TOKEN_ENV = "FORMCHECK_TOKEN"
USER_ENV = "FORMCHECK_USER"

EXIT_ERROR = 1
EXIT_AUTH = 2


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _pain(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 10:
        raise argparse.ArgumentTypeError("pain must be a whole number from 0 to 10")
    return int(text)


def _idle_minutes(text: str) -> float:
    low, high = IDLE_MINUTES  # auth.MIN_IDLE_TIMEOUT, auth.MAX_IDLE_TIMEOUT (checked in tests)
    try:
        minutes = float(text)
    except ValueError:
        minutes = math.nan
    if not low <= minutes <= high:
        raise argparse.ArgumentTypeError(
            f"idle minutes must be a number from {low:.0f} to {high:.0f}"
        )
    return minutes


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _safe(text: object) -> str:
    """``text`` with control characters (terminal escapes, newlines, tabs) shown as ``?``."""
    return _CONTROL.sub("?", str(text))


def _token(args: argparse.Namespace) -> str | None:
    if getattr(args, "token", None):
        raise CommandError(
            f"--token is refused: a token on the command line is visible to other users; "
            f"set ${TOKEN_ENV} or use --token-stdin"
        )
    if getattr(args, "token_stdin", False):
        return sys.stdin.readline().strip() or None
    return os.environ.get(TOKEN_ENV) or None


def _read_password(args: argparse.Namespace, confirm: bool = False) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Repeat password: ") != password:
            raise CommandError("passwords do not match")
    if not password:
        raise CommandError("empty password")
    return password


def _clinician(db: Database, args: argparse.Namespace) -> Clinician:
    """The logged-in clinician; a login made here (``--user``) is ended by :func:`_run`."""
    from formcheck.clinic import auth

    token = _token(args)
    try:
        if token:
            return auth.authenticate(db, token)
        user = args.user or os.environ.get(USER_ENV)
        if not user:
            raise CommandError(
                f"log in: give --user NAME, or set ${TOKEN_ENV} (see 'clinic login')", EXIT_AUTH
            )
        args.own_token = auth.login(db, user, _read_password(args))
        return auth.authenticate(db, args.own_token)
    except auth.AuthError as error:
        raise CommandError(str(error), EXIT_AUTH) from None


def _print(text: str = "") -> None:
    print(text, flush=True)


def cmd_init(args: argparse.Namespace, db: Database) -> int:
    """Create or upgrade the store; on first run create the first clinic and clinician."""
    from formcheck.clinic import auth

    if auth.count_clinics(db):
        if args.clinic or args.user:
            raise CommandError("already initialised; add clinicians with 'clinic add-clinician'")
        _print(f"store at {args.db} is up to date")
        return 0
    if not args.clinic or not args.user:
        raise CommandError("first run: give --clinic NAME and --user NAME for the first account")
    password = _read_password(args, confirm=True)
    auth.check_password_strength(password)
    clinic = auth.create_clinic(db, args.clinic)
    auth.create_clinician(db, clinic.id, args.user, password)
    _print(f"created clinic {clinic.name!r} with clinician {args.user!r}")
    return 0


def cmd_login(args: argparse.Namespace, db: Database) -> int:
    """Print a session token for ``$FORMCHECK_TOKEN`` (expires after the idle timeout)."""
    from formcheck.clinic import auth

    if not args.user:
        raise CommandError("give --user NAME")
    timeout = auth.check_idle_timeout(dt.timedelta(minutes=args.idle_minutes))
    try:
        token = auth.login(db, args.user, _read_password(args), idle_timeout=timeout)
    except auth.AuthError as error:
        raise CommandError(str(error), EXIT_AUTH) from None
    _print(token)
    return 0


def cmd_logout(args: argparse.Namespace, db: Database) -> int:
    """End the session given by ``--token`` / ``$FORMCHECK_TOKEN``."""
    from formcheck.clinic import auth

    token = _token(args)
    if not token:
        raise CommandError(f"no session token given (${TOKEN_ENV} or --token-stdin)")
    auth.logout(db, token)
    return 0


def cmd_add_clinician(args: argparse.Namespace, db: Database) -> int:
    """Add a clinician account to the logged-in clinician's clinic."""
    from formcheck.clinic import auth

    me = _clinician(db, args)
    if args.new_password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CommandError("passwords do not match")
    auth.create_clinician(db, me.clinic_id, args.username, password)
    _print(f"added clinician {_safe(auth.normal_username(args.username))!r}")
    return 0


def cmd_add_patient(args: argparse.Namespace, db: Database) -> int:
    """Register a patient by pseudonymous code with their protocol."""
    from formcheck.clinic import records

    me = _clinician(db, args)
    exercises = args.exercises.split(",") if args.exercises else EXERCISE_IDS
    try:
        limits = json.loads(args.limits) if args.limits else {}
    except json.JSONDecodeError as error:
        raise CommandError(f"--limits is not valid JSON: {error.msg}") from None
    records.add_patient(
        db,
        me,
        args.code,
        args.approach,
        args.side,
        args.surgery_date,
        [e.strip() for e in exercises],
        limits,
        Dosage.parse(args.dosage),
    )
    _print(f"added patient {_safe(args.code.strip())}")
    return 0


def cmd_list_patients(args: argparse.Namespace, db: Database) -> int:
    """Print the clinic's patients, one a line."""
    from formcheck.clinic import records

    me = _clinician(db, args)
    for p in records.list_patients(db, me):
        surgery = p.surgery_date.isoformat() if p.surgery_date else "-"
        _print(
            f"{_safe(p.code)}\t{p.approach}\t{p.operated_side}\t{surgery}\t"
            f"{p.dosage_sets}x{p.dosage_reps}\t{_safe(','.join(p.enabled_exercises))}"
        )
    return 0


def cmd_import_result(args: argparse.Namespace, db: Database) -> int:
    """Save an engine result JSON (one set, or a list of sets) into a screening session."""
    from formcheck.clinic import records

    me = _clinician(db, args)
    try:
        data = json.loads(Path(args.result).read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"cannot read {args.result}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"{args.result} is not valid JSON: {error.msg}") from None
    results = data if isinstance(data, list) else [data]
    if not results or not all(isinstance(r, dict) for r in results):
        raise CommandError(f"{args.result} holds no exercise result object")
    if args.session is not None:
        session_id = args.session
        patient = records.get_patient(db, me, args.code)
        if records.get_session(db, me, session_id).patient_id != patient.id:
            raise CommandError(f"session {session_id} is not patient {args.code}'s")
    else:
        session_id = records.start_session(db, me, args.code).id
    for result in results:
        saved = records.save_set(db, session_id, result, args.pain, args.swelling, clinician=me)
        _print(
            f"session {session_id} set {saved.set_number}: {saved.exercise} {saved.rep_count} reps"
        )
        if saved.pain_advice:
            _print(advice_text(args.lang, saved.pain_advice))
    return 0


def cmd_export(args: argparse.Namespace, db: Database) -> int:
    """Write everything about a patient as JSON or CSV."""
    from formcheck.clinic import export

    me = _clinician(db, args)
    writer = export.write_json if args.format == "json" else export.write_csv
    path = writer(db, me, args.code, args.output)
    _print(f"wrote {path}")
    return 0


def cmd_report(args: argparse.Namespace, db: Database) -> int:
    """Write a session PDF (``--session``) or a progress PDF (``--from``/``--to``)."""
    from formcheck.clinic import records, reports

    me = _clinician(db, args)
    if args.session is not None:
        patient = records.get_patient(db, me, args.code)
        if records.get_session(db, me, args.session).patient_id != patient.id:
            raise CommandError(f"session {args.session} is not patient {args.code}'s")
        path = reports.session_report(db, me, args.session, args.output, args.lang)
    else:
        if args.date_from is None or args.date_to is None:
            raise CommandError("give --session ID, or both --from DATE and --to DATE")
        if args.date_from > args.date_to:
            raise CommandError("--from is after --to")
        path = reports.progress_report(
            db, me, args.code, args.date_from, args.date_to, args.output, args.lang
        )
    _print(f"wrote {path}")
    return 0


def _days(text: str) -> int:
    from formcheck.clinic.links import MAX_DAYS

    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"days must be a whole number from 1 to {MAX_DAYS}")
    return int(text)


def cmd_invite(args: argparse.Namespace, db: Database) -> int:
    """Make a personal programme link for a patient and print its URL (shown only now)."""
    from formcheck.clinic import links

    me = _clinician(db, args)
    base = links.base_url(args.base_url)
    token, link = links.create_link(db, me, args.code, args.days)
    _print(links.link_url(token, base))
    print(f"valid until {link.expires_at.astimezone():%Y-%m-%d %H:%M}; "
          f"revoke with 'formcheck clinic revoke-link {_safe(args.code)}'", file=sys.stderr)
    return 0


def cmd_revoke_link(args: argparse.Namespace, db: Database) -> int:
    """Revoke every live link of a patient."""
    from formcheck.clinic import links

    me = _clinician(db, args)
    count = links.revoke_links(db, me, args.code)
    _print(f"revoked {count} link(s) of patient {_safe(args.code)}")
    return 0


def cmd_delete_patient(args: argparse.Namespace, db: Database) -> int:
    """Delete a patient and all their data, after confirmation."""
    from formcheck.clinic import records

    me = _clinician(db, args)
    records.get_patient(db, me, args.code)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("refusing to delete without --yes")
        if input(f"Type {args.code} to delete all of its data: ").strip() != args.code:
            raise CommandError("not deleted")
    videos = records.delete_patient(db, me, args.code)
    _print(f"deleted patient {args.code} ({videos} video files removed)")
    return 0


Handler = Callable[[argparse.Namespace, "Database"], int]


def _run(handler: Handler) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        from formcheck.clinic import auth, records
        from formcheck.clinic.db import default_db_url, init_db

        db = None
        try:
            args.db = args.db or default_db_url()
            db = init_db(args.db)
            return handler(args, db)
        except CommandError as error:
            print(f"error: {_safe(error)}", file=sys.stderr)
            return error.code
        except (
            ValueError,
            ProtocolError,
            records.NotFoundError,
            records.PrivacyError,
            auth.AuthError,
            PermissionError,
        ) as error:
            print(f"error: {_safe(error)}", file=sys.stderr)
            return EXIT_ERROR
        except OSError as error:
            print(f"error: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
            return EXIT_ERROR
        except SQLAlchemyError as error:
            first = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
            print(f"error: database: {first}", file=sys.stderr)
            return EXIT_ERROR
        except (KeyboardInterrupt, EOFError):
            print("error: interrupted", file=sys.stderr)
            return 130
        finally:
            if db is not None:
                if getattr(args, "own_token", None):
                    try:
                        auth.logout(db, args.own_token)
                    except SQLAlchemyError:
                        pass
                db.dispose()

    return run


def _common(parser: argparse.ArgumentParser, login: bool = True) -> None:
    parser.add_argument(
        "--db",
        help="database URL (default: $FORMCHECK_DB_URL or the SQLite file in ~/.local/share)",
    )
    if login:
        parser.add_argument("--user", help=f"clinician username (default ${USER_ENV})")
        parser.add_argument("--token", help=argparse.SUPPRESS)
        parser.add_argument(
            "--token-stdin",
            action="store_true",
            help=f"read the session token from standard input (default ${TOKEN_ENV})",
        )
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def _add(
    sub: Any, name: str, handler: Handler, help_text: str, login: bool = True
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    _common(parser, login)
    parser.set_defaults(func=_run(handler))
    return parser


def register(subparsers: Any) -> None:
    """Add the ``clinic`` command and its sub-commands to an argparse ``subparsers``."""
    clinic = subparsers.add_parser(
        "clinic",
        help="clinic records: patients, sessions, reports",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = clinic.add_subparsers(dest="clinic_command", metavar="COMMAND", required=True)

    p = _add(
        sub, "init", cmd_init, "create or upgrade the store; first clinic and account", login=False
    )
    p.add_argument("--clinic", help="name of the first clinic")
    p.add_argument("--user", help="username of the first clinician")

    p = _add(sub, "login", cmd_login, "print a session token for $FORMCHECK_TOKEN", login=False)
    p.add_argument("--user", help="clinician username")
    p.add_argument(
        "--idle-minutes", type=_idle_minutes, default=30, help="idle timeout, 1-720 (default 30)"
    )

    _add(sub, "logout", cmd_logout, "end the session of --token / $FORMCHECK_TOKEN")

    p = _add(sub, "add-clinician", cmd_add_clinician, "add a clinician to your clinic")
    p.add_argument("username")
    p.add_argument(
        "--new-password-stdin",
        action="store_true",
        help="read the new password from standard input (after yours with --password-stdin)",
    )

    p = _add(sub, "add-patient", cmd_add_patient, "register a patient under a pseudonymous code")
    p.add_argument("code", help="pseudonymous patient code (no name)")
    p.add_argument("--approach", required=True, choices=APPROACHES)
    p.add_argument("--side", required=True, choices=SIDES, help="operated side")
    p.add_argument("--surgery-date", type=_date, help="YYYY-MM-DD")
    p.add_argument(
        "--exercises", help=f"comma-separated exercise ids (default all: {','.join(EXERCISE_IDS)})"
    )
    p.add_argument("--limits", help='limit overrides as JSON, e.g. {"mini_squat": {"x": 80}}')
    p.add_argument("--dosage", default="3x5", help="dosage stage, 3x5 up to 3x10 (default 3x5)")

    _add(sub, "list-patients", cmd_list_patients, "list your clinic's patients")

    p = _add(sub, "import-result", cmd_import_result, "save an engine result JSON as set(s)")
    p.add_argument("code", metavar="PATIENT_CODE")
    p.add_argument("result", metavar="RESULT.json")
    p.add_argument("--pain", type=_pain, help="pain 0-10 reported after the set")
    p.add_argument("--swelling", action="store_true", help="swelling reported")
    p.add_argument("--session", type=int, help="add to this session (default: a new one)")
    p.add_argument("--lang", choices=LANGUAGES, default="nl")

    p = _add(sub, "export", cmd_export, "export everything about a patient")
    p.add_argument("code", metavar="PATIENT_CODE")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("-o", "--output", required=True, metavar="FILE")

    p = _add(sub, "report", cmd_report, "write a session or progress PDF")
    p.add_argument("code", metavar="PATIENT_CODE")
    p.add_argument("--session", type=int, help="session id for a session report")
    p.add_argument("--from", dest="date_from", type=_date, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day (YYYY-MM-DD)")
    p.add_argument("--lang", choices=LANGUAGES, default="nl")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")

    p = _add(sub, "invite", cmd_invite, "print a personal programme link for a patient")
    p.add_argument("code", metavar="PATIENT_CODE")
    p.add_argument("--days", type=_days, default=42, help="days the link works (default 42)")
    p.add_argument("--base-url", help="the app's address (default $FORMCHECK_BASE_URL, else "
                   "http://localhost:8501)")

    p = _add(sub, "revoke-link", cmd_revoke_link, "revoke a patient's programme links")
    p.add_argument("code", metavar="PATIENT_CODE")

    p = _add(sub, "delete-patient", cmd_delete_patient, "delete a patient and all their data")
    p.add_argument("code", metavar="PATIENT_CODE")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
