from __future__ import annotations

import csv
import json

import pytest
from pypdf import PdfReader

from formcheck.clinic import export, records, reports


def _text(path) -> str:
    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def filled(sqlite_db, make_clinician, make_result, at):
    """A SQLite store with patient HIP-042: 2 days, 2 sessions a day, squats and bridges."""
    anna = make_clinician(sqlite_db, "Noord", "anna")
    records.add_patient(sqlite_db, anna, "HIP-042", "posterolateral", "left")
    sessions = []
    for day in range(2):
        for hour in (0, 4):
            screening = records.start_session(sqlite_db, anna, "HIP-042", started_at=at(day, hour))
            sessions.append(screening.id)
            for k, (exercise, reps) in enumerate([("mini_squat", 5), ("bridge", 4)]):
                result = make_result(exercise, reps=reps, peak=60 + day, faults={1: ["too_fast"]})
                records.save_set(
                    sqlite_db, screening.id, result, 1 + day, False, clinician=anna,
                    saved_at=at(day, hour + k / 60),
                )
    return sqlite_db, anna, sessions


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_session_pdf(filled, tmp_path, lang):
    db, anna, sessions = filled
    path = reports.session_report(db, anna, sessions[-1], tmp_path / "s.pdf", lang=lang)
    reader = PdfReader(str(path))
    assert len(reader.pages) == 1
    text = _text(path)
    assert "HIP-042" in text
    assert "2025-03-02" in text
    assert "5" in text and "4" in text  # rep counts of the two sets
    assert "61°" in text or "63°" in text
    if lang == "nl":
        assert "Patiënt" in text and "te snel" in text and "Bruggetje" in text
    else:
        assert "Patient" in text and "too fast" in text and "Bridge" in text


def test_session_pdf_rep_counts_and_pain_advice(sqlite_db, make_clinician, make_result, tmp_path):
    anna = make_clinician(sqlite_db, "Noord", "anna")
    records.add_patient(sqlite_db, anna, "P-7", "anterior", "right")
    screening = records.start_session(sqlite_db, anna, "P-7")
    records.save_set(sqlite_db, screening.id, make_result(reps=7), 1, False, clinician=anna)
    records.save_set(sqlite_db, screening.id, make_result(reps=9), 4, True, clinician=anna)
    text = _text(reports.session_report(sqlite_db, anna, screening.id, tmp_path / "s.pdf", "nl"))
    assert "P-7" in text and "7, 9" in text
    assert "verminder dan tijdelijk de oefeningsintensiteit" in text


def test_session_pdf_lists_the_reps_with_a_fault(sqlite_db, make_clinician, make_result,
                                                  tmp_path):
    # The summary row says how many reps went past the 90° limit; the clinician also
    # sees which, with its peak and hold. A session without faults has no such list.
    anna = make_clinician(sqlite_db, "Noord", "anna")
    records.add_patient(sqlite_db, anna, "P-9", "posterolateral", "left")
    screening = records.start_session(sqlite_db, anna, "P-9")
    result = make_result("hip_flexion", reps=3, peak=88.0,
                         faults={3: ["hip_flexion_limit", "hold_too_short"]})
    records.save_set(sqlite_db, screening.id, result, 1, False, clinician=anna)
    text = _text(reports.session_report(sqlite_db, anna, screening.id, tmp_path / "s.pdf", "en"))
    listed = text.split("Repetitions with a fault", 1)[1]
    assert "90°" in listed and "0.4" in listed  # rep 3: peak 88 + 1.5, held 0.4 s
    assert "89°" not in listed and "88°" not in listed  # reps 1 and 2 had no fault
    assert "hip" in listed.lower() and "hold" in listed.lower()

    clean = records.start_session(sqlite_db, anna, "P-9")
    records.save_set(sqlite_db, clean.id, make_result("hip_flexion", reps=3), 1, False,
                     clinician=anna)
    text = _text(reports.session_report(sqlite_db, anna, clean.id, tmp_path / "c.pdf", "en"))
    assert "Repetitions with a fault" not in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_progress_pdf_with_chart(filled, tmp_path, lang, at):
    db, anna, _ = filled
    first, last = at(0).date(), at(1).date()
    path = reports.progress_report(db, anna, "HIP-042", first, last, tmp_path / "p.pdf", lang=lang)
    text = _text(path)
    assert "HIP-042" in text
    assert "2025-03-01" in text and "2025-03-02" in text
    assert "20%" in text  # 1 faulty rep of 5 per squat set
    reader = PdfReader(str(path))
    assert any(page.images for page in reader.pages)  # the chart
    word = "stijgend" if lang == "nl" else "rising"
    assert word in text  # pain went from 1 to 2


def test_export_json_and_csv(filled, tmp_path):
    db, anna, sessions = filled
    data = json.loads(export.write_json(db, anna, "HIP-042", tmp_path / "p.json").read_text())
    patient = data["patient"]
    assert patient["code"] == "HIP-042" and patient["approach"] == "posterolateral"
    assert patient["protocol"]["dosage"] == {"sets": 3, "reps": 5}
    assert [s["id"] for s in patient["sessions"]] == sessions
    first_set = patient["sessions"][0]["sets"][0]
    assert first_set["rep_count"] == 5 and first_set["reps"][0]["faults"] == ["too_fast"]
    assert first_set["raw_result"]["exercise"] == "mini_squat"
    export.write_csv(db, anna, "HIP-042", tmp_path / "p.csv")
    with (tmp_path / "p.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 * (5 + 4)  # one row per rep
    assert set(rows[0]) == set(export.CSV_COLUMNS)
    assert {r["patient_code"] for r in rows} == {"HIP-042"}
    assert {r["approach"] for r in rows} == {"posterolateral"}
    assert rows[0]["faults"] == "too_fast" and rows[1]["faults"] == ""


def test_export_other_clinic_not_found(filled, make_clinician, tmp_path):
    db, _, _ = filled
    bert = make_clinician(db, "Zuid", "bert")
    with pytest.raises(records.NotFoundError):
        export.write_json(db, bert, "HIP-042", tmp_path / "x.json")


@pytest.mark.parametrize("n_days", [1, 2, 5, 60])
def test_progress_charts_label_each_day_once(n_days):
    """The date axis of the progress charts (app and PDF): day-month labels on whole days,
    none twice (a two-day span once showed every date twice, ticks every 12 hours)."""
    import datetime as dt

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    days = [dt.date(2026, 11, 30) + dt.timedelta(days=i) for i in range(n_days)]
    figure = Figure()
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(days, range(n_days), marker="o")
    reports.day_axis(axes, days)
    figure.canvas.draw()
    labels = [t.get_text() for t in axes.get_xticklabels()]
    assert len(labels) == len(set(labels)) and 2 <= len(labels) <= 9, labels
    assert "30-11" in labels or n_days > 8, labels
