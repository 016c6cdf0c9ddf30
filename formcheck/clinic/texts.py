"""Dutch and English texts for reports and advice (Dutch wording quoted from the leaflet).

All strings stay within Latin-1 so the PDF core fonts can print them (°, ë, ×).
"""

from __future__ import annotations

LANGUAGES = ("nl", "en")

EXERCISE_NAMES: dict[str, dict[str, str]] = {
    "nl": {
        "hip_abduction": "1. Been gestrekt zijwaarts omhoog",
        "mini_squat": "2. Door de knieën buigen (mini-squat)",
        "hip_flexion": "3. Been voorwaarts omhoog, knie gebogen",
        "hip_extension_stretch": "4. Been gestrekt naar achteren (rek in de lies)",
        "heel_slide": "5. Knie buigen in bed, voet glijdt",
        "bridge": "6. Bruggetje",
    },
    "en": {
        "hip_abduction": "1. Standing hip abduction",
        "mini_squat": "2. Mini squat",
        "hip_flexion": "3. Standing hip flexion, knee bent",
        "hip_extension_stretch": "4. Standing hip extension stretch",
        "heel_slide": "5. Heel slide in bed",
        "bridge": "6. Bridge",
    },
}

FAULT_NAMES: dict[str, dict[str, str]] = {
    "nl": {
        "hip_flexion_limit": "heup meer dan toegestaan gebogen",
        "trunk_lean": "bovenlichaam niet rechtop",
        "knee_not_straight": "knie niet gestrekt",
        "knee_valgus": "knie niet recht naar voren",
        "hold_too_short": "te kort vastgehouden",
        "too_fast": "te snel",
        "heel_lift": "hiel komt los",
        "incomplete_range": "beweging niet volledig",
        "adduction_past_midline": "been over de middellijn",
    },
    "en": {
        "hip_flexion_limit": "hip flexed past the limit",
        "trunk_lean": "trunk not upright",
        "knee_not_straight": "knee not straight",
        "knee_valgus": "knee not pointing forward",
        "hold_too_short": "hold too short",
        "too_fast": "too fast",
        "heel_lift": "heel lifted",
        "incomplete_range": "incomplete range",
        "adduction_past_midline": "leg past the midline",
    },
}

ADVICE: dict[str, dict[str, str]] = {
    "nl": {
        "pain_increase": "Plotselinge toename van pijn: verminder dan tijdelijk de "
        "oefeningsintensiteit.",
        "new_swelling": "Plotselinge toename van zwelling: verminder dan tijdelijk de "
        "oefeningsintensiteit.",
    },
    "en": {
        "pain_increase": "Sudden increase of pain: temporarily reduce the intensity.",
        "new_swelling": "Sudden increase of swelling: temporarily reduce the intensity.",
    },
}

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "session_title": "Verslag oefensessie",
        "progress_title": "Voortgang",
        "patient": "Patiënt",
        "date": "Datum",
        "period": "Periode",
        "approach": "Benadering",
        "posterolateral": "posterolateraal",
        "anterior": "voorste/ventraal",
        "side": "Geopereerde zijde",
        "left": "links",
        "right": "rechts",
        "dosage": "Dosering",
        "dosage_value": "{sets} series van {reps} herhalingen",
        "clinician": "Behandelaar",
        "exercise": "Oefening",
        "sets": "Series",
        "reps": "Herhalingen",
        "faults": "Fouten",
        "peak": "Max. hoek",
        "pain": "Pijn (0-10)",
        "swelling": "zwelling",
        "none": "geen",
        "no_sets": "Geen series opgeslagen.",
        "faulty_reps": "Herhalingen met een fout",
        "set": "Serie",
        "rep": "Herh.",
        "held": "Vastgeh. (s)",
        "day": "Dag",
        "fault_rate": "Foutpercentage",
        "sessions_per_day": "Sessies per dag",
        "sessions_note": "Oefenschema: herhaal dit programma dagelijks 2 tot 3 keer.",
        "pain_trend": "Pijnverloop",
        "rising": "stijgend",
        "falling": "dalend",
        "stable": "stabiel",
        "unknown": "onbekend",
        "suggestion": "Voorstel dosering",
        "suggest_next": "Voorstel: naar {sets} series van {reps} herhalingen "
        "(ter bevestiging door de behandelaar).",
        "suggest_stay": "Geen wijziging voorgesteld ({reason}).",
        "chart_title": "Maximale hoek per oefening per dag",
        "degrees": "graden",
        "below": "te weinig",
        "ok": "goed",
        "above": "meer dan 3",
        "reason_at_target": "einddoel 3 x 10 bereikt",
        "reason_not_enough_sets": "te weinig series",
        "reason_incomplete_sets": "niet alle series volledig",
        "reason_too_many_faults": "te veel fouten",
        "reason_pain_not_stable": "pijn of zwelling niet stabiel",
        "reason_ready": "klaar voor de volgende stap",
    },
    "en": {
        "session_title": "Exercise session report",
        "progress_title": "Progress",
        "patient": "Patient",
        "date": "Date",
        "period": "Period",
        "approach": "Approach",
        "posterolateral": "posterolateral",
        "anterior": "anterior",
        "side": "Operated side",
        "left": "left",
        "right": "right",
        "dosage": "Dosage",
        "dosage_value": "{sets} sets of {reps} repetitions",
        "clinician": "Clinician",
        "exercise": "Exercise",
        "sets": "Sets",
        "reps": "Reps",
        "faults": "Faults",
        "peak": "Peak angle",
        "pain": "Pain (0-10)",
        "swelling": "swelling",
        "none": "none",
        "no_sets": "No sets saved.",
        "faulty_reps": "Repetitions with a fault",
        "set": "Set",
        "rep": "Rep",
        "held": "Held (s)",
        "day": "Day",
        "fault_rate": "Fault rate",
        "sessions_per_day": "Sessions per day",
        "sessions_note": "Leaflet: repeat the programme 2 to 3 times a day.",
        "pain_trend": "Pain trend",
        "rising": "rising",
        "falling": "falling",
        "stable": "stable",
        "unknown": "unknown",
        "suggestion": "Dosage suggestion",
        "suggest_next": "Suggestion: move to {sets} sets of {reps} repetitions "
        "(to be confirmed by the clinician).",
        "suggest_stay": "No change suggested ({reason}).",
        "chart_title": "Peak angle per exercise per day",
        "degrees": "degrees",
        "below": "too few",
        "ok": "ok",
        "above": "more than 3",
        "reason_at_target": "target 3 x 10 reached",
        "reason_not_enough_sets": "not enough sets yet",
        "reason_incomplete_sets": "not all sets complete",
        "reason_too_many_faults": "too many faults",
        "reason_pain_not_stable": "pain or swelling not stable",
        "reason_ready": "ready for the next step",
    },
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported (``nl`` or ``en``), else raise ``ValueError``."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def label(lang: str, key: str, **values: object) -> str:
    """Return the label ``key`` in ``lang``, formatted with ``values``."""
    return LABELS[check_lang(lang)][key].format(**values)


def exercise_name(lang: str, exercise: str) -> str:
    """Return the exercise's display name (the id itself if unknown)."""
    return EXERCISE_NAMES[check_lang(lang)].get(exercise, exercise)


def fault_name(lang: str, fault: str) -> str:
    """Return the fault's display name (the code itself if unknown)."""
    return FAULT_NAMES[check_lang(lang)].get(fault, fault)


def advice_text(lang: str, code: str) -> str:
    """Return the advice text for a :func:`~formcheck.clinic.progress.pain_advice` code."""
    return ADVICE[check_lang(lang)].get(code, code)
