"""Invariants (hypothesis): the engine equals an independent loop-based oracle, A8 stays within
0–90, raising a grade never lowers A8, and neither row order nor layout changes any figure."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolperf.analysis import AnalysisOptions, analyse
from tests import oracle_a8
from tests.conftest import (
    ORACLE_GRADES,
    ORACLE_SUBJECTS,
    cohort_strategy,
    oracle_scale,
    write_rows,
)

PROFILE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SETTINGS = AnalysisOptions(label="property test")


def write_wide(path: Path, cohort: dict) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["UPN", "KS2 Reading", "KS2 Maths", *ORACLE_SUBJECTS])
        for upn, pupil in cohort.items():
            reading, maths = pupil["ks2"] or ("", "")
            grades = {subject: grade for subject, grade, _ in pupil["results"]}
            writer.writerow([upn, reading, maths, *(grades.get(s, "") for s in ORACLE_SUBJECTS)])
    return path


def oracle(results: list) -> dict:
    return oracle_a8.attainment8(
        [{"subject": s, "grade": g, "exam_date": d or None} for s, g, d in results]
    )


@PROFILE
@given(cohort=cohort_strategy())
def test_engine_equals_the_independent_oracle(tmp_path, cohort):
    pupils = analyse(write_rows(tmp_path / "r.csv", cohort), SETTINGS).pupils
    for upn, pupil in cohort.items():
        expected = oracle(pupil["results"])
        got = pupils.loc[upn]
        assert got["attainment8"] == expected["attainment8"], (upn, pupil)
        for element in ("english", "maths", "ebacc", "open"):
            assert got[f"attainment8_{element}"] == expected[element], (upn, element, pupil)
        assert 0 <= got["attainment8"] <= 90


@PROFILE
@given(cohort=cohort_strategy(), seed=st.integers(0, 10**6))
def test_row_order_never_changes_a_figure(tmp_path, cohort, seed):
    first = analyse(write_rows(tmp_path / "a.csv", cohort), SETTINGS).to_dict()
    second = analyse(write_rows(tmp_path / "b.csv", cohort, shuffle_seed=seed), SETTINGS)
    assert json.dumps(first, sort_keys=True) == json.dumps(second.to_dict(), sort_keys=True)


@PROFILE
@given(cohort=cohort_strategy(unique=True))
def test_long_and_wide_layouts_give_identical_json(tmp_path, cohort):
    long = analyse(write_rows(tmp_path / "long.csv", cohort), SETTINGS).to_dict()
    wide = analyse(write_wide(tmp_path / "wide.csv", cohort), SETTINGS).to_dict()
    assert json.dumps(long, sort_keys=True) == json.dumps(wide, sort_keys=True)


def raised(subject: str, grade: str) -> str | None:
    scale_grades = ORACLE_GRADES[oracle_scale(subject)]
    if grade not in scale_grades:
        return None
    if oracle_scale(subject) == "double":
        order = ["U"] + sorted(scale_grades[1:], key=lambda g: int(g[0]) + int(g[2]))
    else:
        order = scale_grades
    i = order.index(grade)
    return order[i + 1] if i + 1 < len(order) else None


@PROFILE
@given(cohort=cohort_strategy(), data=st.data())
def test_raising_any_grade_never_lowers_attainment8(tmp_path, cohort, data):
    upn = data.draw(st.sampled_from(sorted(cohort)))
    results = cohort[upn]["results"]
    candidates = [i for i, (s, g, _) in enumerate(results) if raised(s, g)]
    if not candidates:
        return
    i = data.draw(st.sampled_from(candidates))
    subject, grade, date = results[i]
    better = {
        **cohort,
        upn: {
            **cohort[upn],
            "results": [*results[:i], (subject, raised(subject, grade), date), *results[i + 1 :]],
        },
    }
    before = analyse(write_rows(tmp_path / "a.csv", cohort), SETTINGS).pupils
    after = analyse(write_rows(tmp_path / "b.csv", better), SETTINGS).pupils
    assert after.loc[upn, "attainment8"] >= before.loc[upn, "attainment8"]
    if before.loc[upn, "ks2_prior"] == before.loc[upn, "ks2_prior"]:
        assert after.loc[upn, "progress8"] >= before.loc[upn, "progress8"]
