"""The upload page's summary PDF: what the patient or physiotherapist reads on paper."""

import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from formcheck.protocol import PatientSettings
from formcheck.ui import report

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


def _words(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_fault_sentence_is_printed_whole(lang, analysed_video):
    """A rep with several faults: each sentence is in the PDF in full (wrapped, not cut)."""
    clip = SAMPLES / "hip_flexion_faults_oblique.mp4"
    truth = json.loads(clip.with_suffix(".truth.json").read_text())
    result = analysed_video(str(clip), truth["exercise"], PatientSettings(truth["side"]), lang)
    assert result.reps, "the sample's reps are found"
    faulty = next(r for r in result.reps if r.faults)
    faulty.faults = ["hold_too_short", "trunk_lean", "too_fast", "hip_flexion_limit"]
    pdf = PdfReader(io.BytesIO(report.summary_pdf(result)))
    printed = _words(" ".join(page.extract_text() for page in pdf.pages))
    for code in faulty.faults:
        sentence = _words(report.fault_text(result, code))
        assert sentence in printed, (code, sentence)
