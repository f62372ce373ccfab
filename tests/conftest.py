"""Shared test helpers: paths, the public DfE data in ``tests/data``, and a way to build a small
long-layout export from a list of results and analyse it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
DEMO = FIXTURES / "demo_cohort.csv"
PUBLIC_DATA = ROOT / "tests" / "data"

PUPIL_HEADINGS = ["UPN", "KS2 Reading", "KS2 Maths", "Subject", "Grade", "Exam Date"]


def public_data(path: str) -> Path:
    """A public file copied into ``tests/data`` (its folder's README gives source and licence)."""
    full = PUBLIC_DATA / path
    assert full.exists(), f"missing test data: {full}"
    return full


def write_long(path: Path, pupils: dict[str, dict]) -> Path:
    """Write pupils as a long export. ``pupils``: upn → {"ks2": (reading, maths) or None,
    "results": [(subject, grade) or (subject, grade, date)], **extra pupil columns}."""
    extra = sorted({k for p in pupils.values() for k in p if k not in ("ks2", "results")})
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(PUPIL_HEADINGS + extra)
        for upn, pupil in pupils.items():
            reading, maths = pupil.get("ks2") or ("", "")
            for result in pupil["results"]:
                subject, grade, *date = result
                writer.writerow(
                    [upn, reading, maths, subject, grade, date[0] if date else ""]
                    + [pupil[k] for k in extra]
                )
    return path


@pytest.fixture
def analyse_pupils(tmp_path):
    """Analyse pupils given as in :func:`write_long`; returns the Analysis."""
    from schoolperf.api import AnalysisOptions, analyse

    def run(pupils: dict[str, dict], **options):
        return analyse(write_long(tmp_path / "results.csv", pupils), AnalysisOptions(**options))

    return run
