"""Shared test helpers: paths, the public DfE data in ``tests/data``, the corpus of bad exports
in ``tests/bad_inputs``, the command line run in-process, a way to build a small long-layout
export from a list of results and analyse it, random cohorts of the subjects the independent
A8 calculator knows, and a synthetic file of many schools."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from tests import oracle_a8

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
DEMO = FIXTURES / "demo_cohort.csv"
PUBLIC_DATA = ROOT / "tests" / "data"
BAD_INPUTS = ROOT / "tests" / "bad_inputs"  # expected.csv, and the exports in files/

PUPIL_HEADINGS = ["UPN", "KS2 Reading", "KS2 Maths", "Subject", "Grade", "Exam Date"]


def public_data(path: str) -> Path:
    """A public file copied into ``tests/data`` (its folder's README gives source and licence)."""
    full = PUBLIC_DATA / path
    assert full.exists(), f"missing test data: {full}"
    return full


def invoke(*args: str):
    """Run ``schoolperf ARGS`` in this process and return click's ``Result`` (exit code, stdout,
    stderr); an exception is caught into the result (exit code 1), not raised."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def demo_json() -> dict:
    """The demo cohort's JSON document, as ``schoolperf analyse --format json`` prints it."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    result = CliRunner().invoke(
        cli, ["analyse", str(DEMO), "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


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


# Random cohorts of the subjects the independent A8 calculator (``tests/oracle_a8.py``) knows,
# each graded on its own scale or X (absent).
ORACLE_SUBJECTS = sorted(oracle_a8.SUBJECTS)
ORACLE_GRADES = {
    "gcse": ["U", *"123456789"],
    "double": ["U"] + [f"{a}-{b}" for a in range(1, 10) for b in (a, a - 1) if b >= 1],
    "technical": ["U", "L1P", "L1M", "L1D", "L2P", "L2M", "L2D", "L2D*"],
}


def oracle_scale(subject: str) -> str:
    """The grading scale of one of :data:`ORACLE_SUBJECTS`: gcse, double or technical."""
    return oracle_a8.SUBJECTS[subject][2]


@st.composite
def results_strategy(draw, dated: bool, unique: bool):
    subjects = draw(
        st.lists(st.sampled_from(ORACLE_SUBJECTS), min_size=0, max_size=12, unique=unique)
    )
    results = []
    for subject in subjects:
        grade = draw(st.sampled_from(ORACLE_GRADES[oracle_scale(subject)] + ["X"]))
        date = draw(st.sampled_from(["2023-06-01", "2023-11-01", "2024-06-01"])) if dated else ""
        results.append((subject, grade, date))
    return results


@st.composite
def cohort_strategy(draw, unique: bool = False):
    """Up to six pupils (upn → {"ks2": (reading, maths) or None, "results": [(subject, grade,
    date)]}); with ``unique`` no subject twice for a pupil, and no dates."""
    dated = draw(st.booleans()) and not unique
    n = draw(st.integers(min_value=1, max_value=6))
    cohort = {}
    for i in range(n):
        ks2 = draw(st.one_of(st.none(), st.tuples(st.integers(80, 120), st.integers(80, 120))))
        cohort[f"P{i:02d}"] = {"ks2": ks2, "results": draw(results_strategy(dated, unique))}
    return cohort


def write_rows(path: Path, cohort: dict, shuffle_seed: int | None = None) -> Path:
    """Write a cohort of :func:`cohort_strategy` as a long export, its rows shuffled by
    ``shuffle_seed`` if given. Unlike :func:`write_long`, a pupil without results still has a
    row (a maths result of X)."""
    rows = []
    for upn, pupil in cohort.items():
        reading, maths = pupil["ks2"] or ("", "")
        # a pupil with no results still appears, with a blank subject cell marked X
        for subject, grade, date in pupil["results"] or [("Mathematics", "X", "")]:
            rows.append([upn, reading, maths, subject, grade, date])
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(PUPIL_HEADINGS)
        writer.writerows(rows)
    return path


# The DfE's state-funded mainstream school types (NFTYPE): the only schools that may be peers.
MAINSTREAM = {"AC", "ACC", "CY", "VA", "VC", "FD", "F", "CTC", "UTC", "SS"}


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
