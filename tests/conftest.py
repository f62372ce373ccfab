"""Shared test helpers: paths, the public DfE data in ``tests/data``, and a way to build a small
long-layout export from a list of results and analyse it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
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
    from schoolperf.analysis import AnalysisOptions, analyse

    def run(pupils: dict[str, dict], **options):
        return analyse(write_long(tmp_path / "results.csv", pupils), AnalysisOptions(**options))

    return run


SCHOOL_SUBJECTS = {  # subject: share of pupils entered (about 8.3 results a pupil, as nationally)
    "English Language": 0.98,
    "English Literature": 0.95,
    "Mathematics": 0.98,
    "Combined Science": 0.78,
    "Biology": 0.22,
    "Chemistry": 0.22,
    "Physics": 0.22,
    "History": 0.5,
    "Geography": 0.48,
    "French": 0.25,
    "Spanish": 0.25,
    "German": 0.06,
    "Religious Studies": 0.45,
    "Art and Design": 0.25,
    "Photography": 0.05,
    "Physical Education": 0.2,
    "Computer Science": 0.18,
    "Business": 0.2,
    "Design and Technology": 0.15,
    "Drama": 0.12,
    "Music": 0.09,
    "Food Preparation and Nutrition": 0.14,
    "Sociology": 0.1,
    "Psychology": 0.05,
    "Media Studies": 0.08,
    "Statistics": 0.12,
    "Citizenship Studies": 0.05,
    "BTEC Tech Award Sport": 0.1,
    "BTEC Tech Award Health and Social Care": 0.08,
    "Cambridge National Creative iMedia": 0.08,
}


def write_schools(path: Path, pupils: int, seed: int = 2024, per_school: int = 200) -> int:
    """Write a synthetic file of many schools (``per_school`` pupils each), in the headings a
    trust's export has; return its number of result rows. Every pupil is synthetic."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    count = max(pupils // per_school, 1)
    schools = np.sort(rng.integers(100000, 100000 + count, size=pupils))
    ability = rng.normal(0, 1, pupils)
    reading = np.clip(np.round(104 + 6 * ability + rng.normal(0, 3, pupils)), 80, 120)
    maths = np.clip(np.round(104 + 6 * ability + rng.normal(0, 3, pupils)), 80, 120)
    missing = rng.random(pupils) < 0.06
    names = list(SCHOOL_SUBJECTS)
    taken = rng.random((pupils, len(names))) < np.array(list(SCHOOL_SUBJECTS.values()))
    triple = taken[:, names.index("Biology")]
    taken[:, names.index("Chemistry")] = triple
    taken[:, names.index("Physics")] = triple
    taken[:, names.index("Combined Science")] &= ~triple
    pupil_index, subject_index = np.nonzero(taken)
    grade = np.clip(
        np.round(4.7 + 1.8 * ability[pupil_index] + rng.normal(0, 1, pupil_index.size)), 0, 9
    ).astype(int)
    grade_text = np.where(grade == 0, "U", grade.astype(str))
    combined = subject_index == names.index("Combined Science")
    low = np.clip(grade - (rng.random(pupil_index.size) < 0.5), 1, 9)
    grade_text = np.where(
        combined & (grade > 0),
        np.char.add(np.char.add(grade.astype(str), "-"), low.astype(str)),
        grade_text,
    )
    technical = np.isin(
        subject_index, [i for i, n in enumerate(names) if n.startswith(("BTEC", "Cambridge"))]
    )
    grade_text = np.where(
        technical,
        np.array(["L1P", "L2P", "L2M", "L2D", "L2D*"])[np.clip(grade // 2, 0, 4)],
        grade_text,
    )
    upn = np.char.add("B", np.char.zfill(np.arange(pupils).astype(str), 9))
    table = pa.table(
        {
            "School": schools[pupil_index].astype(str),
            "UPN": upn[pupil_index],
            "Gender": np.array(["M", "F"])[pupil_index % 2],
            "PP": np.where(rng.random(pupils) < 0.27, "Y", "N")[pupil_index],
            "SEN": np.array(["N", "N", "N", "N", "N", "N", "K", "E"])[pupil_index % 8],
            "KS2 Reading": np.where(missing, "", reading.astype(int).astype(str))[pupil_index],
            "KS2 Maths": np.where(missing, "", maths.astype(int).astype(str))[pupil_index],
            "Subject": np.array(names)[subject_index],
            "Grade": grade_text,
        }
    )
    pacsv.write_csv(table, path)
    return table.num_rows
