from __future__ import annotations

import argparse
import io
import json

import pytest
from pypdf import PdfReader

from formcheck.clinic.cli import register

PASSWORD = "correct horse battery"


@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.delenv("FORMCHECK_TOKEN", raising=False)
    monkeypatch.delenv("FORMCHECK_USER", raising=False)
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(monkeypatch, *argv: str, stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="formcheck")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["clinic", *argv])
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return args.func(args)


@pytest.fixture
def ready(url, monkeypatch, capsys):
    """An initialised store with clinic Noord, clinician anna and patient HIP-1."""
    assert (
        run(
            monkeypatch,
            "init",
            "--db",
            url,
            "--clinic",
            "Noord",
            "--user",
            "anna",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        == 0
    )
    login = ("--db", url, "--user", "anna", "--password-stdin")
    code = run(
        monkeypatch,
        "add-patient",
        "HIP-1",
        *login,
        "--approach",
        "posterolateral",
        "--side",
        "left",
        "--surgery-date",
        "2025-02-01",
        "--exercises",
        "mini_squat,bridge",
        "--limits",
        '{"mini_squat": {"max_hip_flexion_deg": 85}}',
        stdin=PASSWORD,
    )
    assert code == 0
    capsys.readouterr()
    return login


def test_init_twice_and_first_run_needs_names(url, monkeypatch, capsys):
    assert run(monkeypatch, "init", "--db", url) == 1
    assert "first run" in capsys.readouterr().err
    assert (
        run(
            monkeypatch,
            "init",
            "--db",
            url,
            "--clinic",
            "N",
            "--user",
            "a",
            "--password-stdin",
            stdin="short\n",
        )
        == 1
    )
    assert "at least" in capsys.readouterr().err
    assert (
        run(
            monkeypatch,
            "init",
            "--db",
            url,
            "--clinic",
            "Noord",
            "--user",
            "anna",
            "--password-stdin",
            stdin=PASSWORD,
        )
        == 0
    )
    assert run(monkeypatch, "init", "--db", url) == 0
    assert "up to date" in capsys.readouterr().out


def test_patients_results_exports_reports(ready, monkeypatch, capsys, tmp_path, make_result):
    login = ready
    assert run(monkeypatch, "list-patients", *login, stdin=PASSWORD) == 0
    out = capsys.readouterr().out
    assert out.startswith("HIP-1\tposterolateral\tleft\t2025-02-01\t3x5\tmini_squat,bridge")

    result = tmp_path / "result.json"
    result.write_text(json.dumps(make_result(reps=6, faults={2: ["knee_valgus"]})))
    assert (
        run(
            monkeypatch,
            "import-result",
            "HIP-1",
            str(result),
            "--pain",
            "2",
            *login,
            stdin=PASSWORD,
        )
        == 0
    )
    assert "session 1 set 1: mini_squat 6 reps" in capsys.readouterr().out
    assert (
        run(
            monkeypatch,
            "import-result",
            "HIP-1",
            str(result),
            "--pain",
            "5",
            "--swelling",
            "--session",
            "1",
            "--lang",
            "en",
            *login,
            stdin=PASSWORD,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "session 1 set 2" in out and "temporarily reduce the intensity" in out

    assert (
        run(
            monkeypatch,
            "export",
            "HIP-1",
            "--format",
            "json",
            "-o",
            str(tmp_path / "x.json"),
            *login,
            stdin=PASSWORD,
        )
        == 0
    )
    exported = json.loads((tmp_path / "x.json").read_text())
    assert len(exported["patient"]["sessions"][0]["sets"]) == 2
    assert (
        run(
            monkeypatch,
            "export",
            "HIP-1",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "x.csv"),
            *login,
            stdin=PASSWORD,
        )
        == 0
    )
    assert len((tmp_path / "x.csv").read_text().splitlines()) == 1 + 12

    assert (
        run(
            monkeypatch,
            "report",
            "HIP-1",
            "--session",
            "1",
            "-o",
            str(tmp_path / "s.pdf"),
            *login,
            stdin=PASSWORD,
        )
        == 0
    )
    text = PdfReader(str(tmp_path / "s.pdf")).pages[0].extract_text()
    assert "HIP-1" in text and "6, 6" in text
    assert (
        run(
            monkeypatch,
            "report",
            "HIP-1",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--lang",
            "en",
            "-o",
            str(tmp_path / "p.pdf"),
            *login,
            stdin=PASSWORD,
        )
        == 0
    )
    assert "HIP-1" in PdfReader(str(tmp_path / "p.pdf")).pages[0].extract_text()

    assert run(monkeypatch, "delete-patient", "HIP-1", *login, stdin=PASSWORD) == 1
    assert "--yes" in capsys.readouterr().err
    assert run(monkeypatch, "delete-patient", "HIP-1", "--yes", *login, stdin=PASSWORD) == 0
    assert "deleted patient HIP-1" in capsys.readouterr().out
    assert run(monkeypatch, "list-patients", *login, stdin=PASSWORD) == 0
    assert "HIP-1" not in capsys.readouterr().out


def test_token_login(ready, url, monkeypatch, capsys):
    assert (
        run(monkeypatch, "login", "--db", url, "--user", "anna", "--password-stdin", stdin=PASSWORD)
        == 0
    )
    token = capsys.readouterr().out.strip()
    monkeypatch.setenv("FORMCHECK_TOKEN", token)
    assert run(monkeypatch, "list-patients", "--db", url) == 0
    assert "HIP-1" in capsys.readouterr().out
    assert run(monkeypatch, "logout", "--db", url) == 0
    assert run(monkeypatch, "list-patients", "--db", url) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list-patients", "--user", "anna", "--password-stdin"], "wrong password"),
        (["list-patients"], "log in"),
        (["report", "NOPE", "--session", "1", "-o", "x.pdf"], "no patient"),
        (["report", "HIP-1", "-o", "x.pdf"], "--session ID"),
        (["import-result", "HIP-1", "/does/not/exist.json"], "cannot read"),
        (["add-patient", "HIP-1", "--approach", "anterior", "--side", "left"], "already exists"),
        (
            ["add-patient", "P2", "--approach", "anterior", "--side", "left", "--dosage", "3x12"],
            "dosage",
        ),
        (
            ["add-patient", "P2", "--approach", "anterior", "--side", "left", "--exercises", "hop"],
            "exercise",
        ),
        (
            ["add-patient", "P2", "--approach", "anterior", "--side", "left", "--limits", "{"],
            "JSON",
        ),
    ],
)
def test_errors_are_one_line(ready, url, monkeypatch, capsys, argv, message):
    needs_login = "--user" not in argv and argv != ["list-patients"]
    extra = ["--user", "anna", "--password-stdin"] if needs_login else []
    password = "wrong password!" if message == "wrong password" else PASSWORD
    code = run(monkeypatch, *argv, "--db", url, *extra, stdin=password)
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in err


def test_bad_database_url_is_one_line(monkeypatch, capsys, tmp_path):
    code = run(
        monkeypatch,
        "list-patients",
        "--db",
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "--user",
        "x",
    )
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: database") and err.count("\n") == 1


def test_tokens_never_on_the_command_line(ready, url, monkeypatch, capsys):
    assert run(monkeypatch, "login", "--db", url, "--user", "ANNA", "--password-stdin",
               stdin=PASSWORD) == 0
    token = capsys.readouterr().out.strip()
    # "--token=…": a token may begin with "-", which argparse would take for an option.
    assert run(monkeypatch, "list-patients", "--db", url, f"--token={token}") == 1
    assert "visible to other users" in capsys.readouterr().err
    assert run(monkeypatch, "list-patients", "--db", url, "--token-stdin", stdin=token) == 0
    assert capsys.readouterr().out.startswith("HIP-1\t")


@pytest.mark.parametrize("minutes", ["inf", "nan", "-1", "0", "1e9", "x"])
def test_idle_minutes_are_bounded(ready, url, monkeypatch, capsys, minutes):
    with pytest.raises(SystemExit) as stop:
        run(monkeypatch, "login", "--db", url, "--user", "anna", "--password-stdin",
            "--idle-minutes", minutes, stdin=PASSWORD)
    assert stop.value.code == 2
    assert "idle minutes must be a number from 1 to 720" in capsys.readouterr().err


def test_commands_with_user_leave_no_login_behind(ready, url, monkeypatch, capsys):
    from sqlalchemy import func, select

    from formcheck.clinic.db import open_db
    from formcheck.clinic.models import LoginSession

    for _ in range(5):
        assert run(monkeypatch, "list-patients", *ready, stdin=PASSWORD) == 0
    db = open_db(url)
    try:
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(LoginSession)) == 0
    finally:
        db.dispose()


def test_bad_patient_codes_refused_with_the_rule(ready, url, monkeypatch, capsys):
    for code in ("Jan Jansen 1950-03-02", "HIP\x1b[2J42", "x" * 40):
        assert run(monkeypatch, "add-patient", code, *ready, "--approach", "anterior",
                   "--side", "left", stdin=PASSWORD) == 1
        err = capsys.readouterr().err
        assert "pseudonym" in err and "\x1b" not in err


def test_invite_prints_a_link_that_opens_the_patient_and_revoke_ends_it(
        url, ready, monkeypatch, capsys):
    from formcheck.clinic import links, records
    from formcheck.clinic.db import init_db

    monkeypatch.setenv("FORMCHECK_BASE_URL", "https://fysio.example:8501")
    assert run(monkeypatch, "invite", "HIP-1", "--days", "3", *ready, stdin=PASSWORD) == 0
    out = capsys.readouterr()
    printed = out.out.strip()
    assert printed.startswith("https://fysio.example:8501/home?link=")
    assert "valid until" in out.err
    token = printed.split("link=", 1)[1]
    db = init_db(url)
    try:
        grant = links.authenticate_link(db, links.open_link(db, token))
        assert records.link_patient(db, grant).code == "HIP-1"
        assert run(monkeypatch, "invite", "HIP-1", "--base-url", "http://10.0.0.5:8501",
                   *ready, stdin=PASSWORD) == 0
        assert capsys.readouterr().out.startswith("http://10.0.0.5:8501/home?link=")
        assert run(monkeypatch, "invite", "NOPE-1", *ready, stdin=PASSWORD) == 1
        assert "no patient" in capsys.readouterr().err
        assert run(monkeypatch, "revoke-link", "HIP-1", *ready, stdin=PASSWORD) == 0
        assert "revoked 2 link(s)" in capsys.readouterr().out
        with pytest.raises(records.LinkRefused):
            links.open_link(db, token)
    finally:
        db.dispose()
    with pytest.raises(SystemExit):
        run(monkeypatch, "invite", "HIP-1", "--days", "0", *ready, stdin=PASSWORD)
