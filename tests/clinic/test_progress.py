from __future__ import annotations

import datetime as dt

import pytest

from formcheck.clinic import records
from formcheck.clinic.progress import (
    DosageRule,
    PainReport,
    RepRecord,
    SetRecord,
    daily_pain,
    daily_progress,
    in_range,
    pain_advice,
    pain_trend,
    sessions_per_day,
    suggest_dosage,
)
from formcheck.clinic.protocol import Dosage

T0 = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
_ids = iter(range(1, 10_000))


def rec(
    day: int = 0,
    hour: float = 0,
    exercise: str = "mini_squat",
    session: int = 1,
    reps: int = 5,
    target: int = 5,
    faulty: int = 0,
    peak: float = 70.0,
    pain: int | None = 2,
    swelling: bool = False,
) -> SetRecord:
    rep_records = tuple(
        RepRecord(i, peak - i, 0.5, True, ("too_fast",) if i <= faulty else ())
        for i in range(1, reps + 1)
    )
    return SetRecord(
        set_id=next(_ids),
        session_id=session,
        exercise=exercise,
        performed_at=T0 + dt.timedelta(days=day, hours=hour),
        rep_count=reps,
        target_reps=target,
        pain=pain,
        swelling=swelling,
        reps=rep_records,
    )


def test_daily_progress_peak_rom_and_fault_rate():
    data = [
        rec(0, 0, peak=60, faulty=1),
        rec(0, 1, peak=65, faulty=0, pain=4),
        rec(0, 2, exercise="bridge", peak=30, faulty=5),
        rec(1, 0, peak=72, faulty=0, pain=1),
    ]
    rows = daily_progress(data, tz=dt.UTC)
    assert [(r.day.day, r.exercise) for r in rows] == [
        (1, "bridge"),
        (1, "mini_squat"),
        (2, "mini_squat"),
    ]
    squat_day1 = rows[1]
    assert squat_day1.sets == 2 and squat_day1.reps == 10 and squat_day1.faulty_reps == 1
    assert squat_day1.fault_rate == pytest.approx(0.1)
    assert squat_day1.peak_rom_deg == pytest.approx(64.0)  # max of peak - i
    assert (squat_day1.mean_pain, squat_day1.max_pain) == (3.0, 4)
    assert rows[0].fault_rate == 1.0
    assert rows[2].peak_rom_deg == pytest.approx(71.0)


def test_sessions_per_day_against_leaflet():
    data = [rec(0, 0, session=1), rec(0, 0.1, session=1), rec(0, 4, session=2)]
    data += [rec(1, 0, session=3)]
    data += [rec(2, h, session=10 + h) for h in range(4)]
    statuses = [(d.sessions, d.status) for d in sessions_per_day(data, tz=dt.UTC)]
    assert statuses == [(2, "ok"), (1, "below"), (4, "above")]


def test_pain_trend_and_range():
    rising = [rec(d, pain=p) for d, p in enumerate([1, 2, 3, 5])]
    assert pain_trend(daily_pain(rising, tz=dt.UTC)) == "rising"
    falling = [rec(d, pain=p) for d, p in enumerate([5, 4, 2, 1])]
    assert pain_trend(daily_pain(falling, tz=dt.UTC)) == "falling"
    flat = [rec(d, pain=p) for d, p in enumerate([2, 3, 2, 2])]
    assert pain_trend(daily_pain(flat, tz=dt.UTC)) == "stable"
    assert pain_trend(daily_pain([rec(0)], tz=dt.UTC)) == "unknown"
    chosen = in_range(rising, dt.date(2025, 3, 2), dt.date(2025, 3, 3), tz=dt.UTC)
    assert [r.pain for r in chosen] == [2, 3]


@pytest.mark.parametrize(
    ("previous", "current", "advice"),
    [
        (PainReport(2), PainReport(4), "pain_increase"),
        (PainReport(2), PainReport(3), None),
        (PainReport(5), PainReport(1), None),
        (PainReport(2), PainReport(2, swelling=True), "new_swelling"),
        (PainReport(2, True), PainReport(2, True), None),
        (None, PainReport(8), None),
        (None, PainReport(1, True), "new_swelling"),
        (PainReport(None), PainReport(9), None),
    ],
)
def test_pain_advice(previous, current, advice):
    assert pain_advice(previous, current) == advice


def test_dosage_suggestion_steps_one_stage():
    rule = DosageRule(window_sets=3, max_fault_rate=0.10)
    good = [rec(0, h) for h in range(3)]
    assert suggest_dosage(good, Dosage(3, 5), rule).proposed == Dosage(3, 6)
    assert suggest_dosage(good[:2], Dosage(3, 5), rule).reason == "not_enough_sets"
    short = [*good[:2], rec(0, 3, reps=4)]
    assert suggest_dosage(short, Dosage(3, 5), rule).reason == "incomplete_sets"
    faulty = [*good[:2], rec(0, 3, faulty=2)]  # 2/15 > 10 %
    assert suggest_dosage(faulty, Dosage(3, 5), rule).reason == "too_many_faults"
    pain_jump = [*good[:2], rec(0, 3, pain=5)]
    assert suggest_dosage(pain_jump, Dosage(3, 5), rule).reason == "pain_not_stable"
    swelling = [*good[:2], rec(0, 3, swelling=True)]
    assert suggest_dosage(swelling, Dosage(3, 5), rule).reason == "pain_not_stable"
    assert suggest_dosage(good, Dosage(3, 10), rule).reason == "at_target"
    # only the last N sets count: an old bad set does not block
    recovered = [rec(0, 0, reps=2), *[rec(1, h) for h in range(3)]]
    assert suggest_dosage(recovered, Dosage(3, 5), rule).proposed == Dosage(3, 6)
    # at 3x6 the sets must reach 6 reps
    assert suggest_dosage(good, Dosage(3, 6), rule).reason == "incomplete_sets"
    lenient = DosageRule(window_sets=3, max_fault_rate=0.2)
    assert suggest_dosage(faulty, Dosage(3, 5), lenient).proposed == Dosage(3, 6)


def test_progress_from_stored_sets(db, anna, make_result, at):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    for day in range(3):
        for session_hour in (0, 5):
            screening = records.start_session(db, anna, "P1", started_at=at(day, session_hour))
            for k in range(3):
                records.save_set(
                    db,
                    screening.id,
                    make_result(peak=60 + 5 * day),
                    2,
                    False,
                    clinician=anna,
                    saved_at=at(day, session_hour + k / 60),
                )
    stored = records.set_records(db, anna, "P1")
    assert len(stored) == 18
    rows = daily_progress(stored, tz=dt.UTC)
    assert [r.peak_rom_deg for r in rows] == [62.5, 67.5, 72.5]
    assert [d.status for d in sessions_per_day(stored, tz=dt.UTC)] == ["ok", "ok", "ok"]
    patient = records.get_patient(db, anna, "P1")
    suggestion = suggest_dosage(stored, records.dosage_of(patient))
    assert suggestion.proposed == Dosage(3, 6)
    records.apply_dosage(db, anna, "P1", suggestion.proposed)
    # the stored sets were 3x5: at 3x6 they no longer count as complete
    after = records.dosage_of(records.get_patient(db, anna, "P1"))
    assert suggest_dosage(stored, after).reason == "incomplete_sets"
