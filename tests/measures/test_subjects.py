"""Subject analysis: the subject table, relative performance, and value added against the DfE's
national transition matrices, checked by hand against the matrix rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.cli import cli
from schoolperf.measures.subjects import grade_chances
from tests.conftest import DEMO, public_data, write_long

# DfE KS2-KS4 transition matrices 2023/24 (revised), all pupils, typed from the rows:
# Mathematics, KS2 "105 - 107": grades 1..9, then U (X = 487 left out: not a result)
MATHS_105_107 = {
    1: 1119,
    2: 3106,
    3: 9066,
    4: 22134,
    5: 27137,
    6: 13996,
    7: 7427,
    8: 3067,
    9: 636,
    0: 248,
}
# Combined Science, KS2 "90 - 95.5": per-slot points of 1-1, 2-1, 2-2 … 9-9, then U-U
COMBINED_90_95 = {
    1: 2421,
    1.5: 3833,
    2: 5652,
    2.5: 6783,
    3: 6235,
    3.5: 4527,
    4: 2245,
    4.5: 1389,
    5: 978,
    5.5: 179,
    6: 169,
    6.5: 81,
    7: 41,
    7.5: 35,
    8: 20,
    8.5: 6,
    9: 2,
    0: 1736,
}


def expected(distribution: dict[float, int]) -> float:
    return sum(p * n for p, n in distribution.items()) / sum(distribution.values())


def test_expected_points_by_hand_from_the_matrix_rows(analyse_pupils):
    analysis = analyse_pupils(
        {
            "M": {"ks2": (105, 107), "results": [("Maths", "6"), ("History", "5")]},
            "C": {"ks2": (93, 93), "results": [("Combined Science", "4-3"), ("Maths", "3")]},
            "NOKS2": {"results": [("Maths", "6")]},
        }
    )
    e = analysis.subject_entries.set_index(["upn", "subject_title"])
    maths = e.loc[("M", "Mathematics")]
    assert maths["ks2_band"] == "105 - 107"
    assert maths["expected_points"] == pytest.approx(expected(MATHS_105_107), abs=1e-12)
    assert maths["va"] == pytest.approx(6 - expected(MATHS_105_107), abs=1e-12)
    chances = grade_chances(analysis.subject_entries).set_index(e.index)
    assert chances.loc[("M", "Mathematics"), "chance_5"] == pytest.approx(
        27137 / sum(MATHS_105_107.values())
    )
    assert chances.loc[("NOKS2", "Mathematics")].isna().all()
    combined = e.loc[("C", "Combined Science")]
    assert combined["ks2_band"] == "90 - 95.5"
    assert combined["expected_points"] == pytest.approx(expected(COMBINED_90_95), abs=1e-12)
    assert combined["va"] == pytest.approx(3.5 - expected(COMBINED_90_95), abs=1e-12)
    assert pd.isna(e.loc[("NOKS2", "Mathematics"), "expected_points"])


def test_shipped_matrices_equal_the_dfe_file():
    """Every count shipped equals the DfE 2023/24 v2 file's Total row for that subject/band."""
    from schoolperf.reference import transition_matrices

    raw = pd.read_csv(
        public_data(
            "dfe-ks2-ks4-transition-matrices/2024_Tidy_Data_Output_91_Scaled_Scores_Final_v2.csv"
        )
    )
    raw = raw[raw["breakdown_topic"] == "Total"].set_index(["subject", "ks2_scaled_score_group"])
    ours = transition_matrices()
    ours = ours[ours["matrix_subject"] != "Combined Science"]
    for row in ours.itertuples():
        assert raw.loc[(row.matrix_subject, row.ks2_band), f"num_{row.grade}"] == row.pupils


def test_subject_table_hand_checked(analyse_pupils):
    analysis = analyse_pupils(
        {
            "A": {"ks2": (100, 100), "results": [("History", "7"), ("Maths", "5"), ("Art", "3")]},
            "B": {"ks2": (100, 100), "results": [("History", "4"), ("Maths", "5")]},
            "C": {"ks2": (100, 100), "results": [("Maths", "U"), ("Art", "X")]},
        }
    )
    rows = {r["subject"]: r for r in analysis.subjects}
    history = rows["History"]
    assert history["entries"] == 2 and history["entered_pct"] == pytest.approx(200 / 3)
    assert history["grades"] == {"7": 1, "4": 1}
    assert history["grade_4_plus_pct"] == 100 and history["grade_7_plus_pct"] == 50
    assert history["average_points"] == 5.5
    # residuals: A history 7 − mean(5, 3) = 3; B history 4 − 5 = −1
    assert history["relative_performance"] == 1.0
    assert history["relative_performance_pupils"] == 2
    assert rows["Maths" if "Maths" in rows else "Mathematics"]["grades"] == {"5": 2, "U": 1}
    assert rows["Art and Design"]["entries"] == 1  # X is not an entry


def test_residuals_by_class_and_teacher(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "UPN,Subject,Grade,Class,Teacher\nA,History,7,11H1,Ms X\nA,Maths,5,11M1,Mr Y\n"
        "B,History,4,11H2,Ms X\nB,Maths,5,11M1,Mr Y\n"
    )
    analysis = analyse(path)
    by_class = {(r["subject"], r["class"]): r for r in analysis.subjects_by["class"]}
    assert by_class[("History", "11H1")]["relative_performance"] == 2
    assert by_class[("History", "11H2")]["relative_performance"] == -1
    by_teacher = {(r["subject"], r["teacher"]): r for r in analysis.subjects_by["teacher"]}
    assert by_teacher[("History", "Ms X")]["relative_performance"] == 0.5


SUBJECTS = ["History", "Geography", "French", "Art and Design", "Drama", "Music", "Biology"]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cohort=st.dictionaries(
        st.from_regex(r"P[0-9]{3}", fullmatch=True),
        st.dictionaries(st.sampled_from(SUBJECTS[1:]), st.integers(1, 8), min_size=1),
        min_size=1,
        max_size=8,
    ),
    history=st.lists(st.integers(1, 8), min_size=8, max_size=8),
)
def test_one_subject_a_grade_higher_moves_its_residual_by_exactly_one(tmp_path, cohort, history):
    """Property: +1 grade in History for every pupil raises History's mean residual by exactly
    1, and lowers each other subject's by the mean of 1/(pupil's subjects − 1)."""

    def run(bump: int):
        pupils = {}
        for i, (upn, grades) in enumerate(sorted(cohort.items())):
            results = [(s, str(g)) for s, g in grades.items()]
            results.append(("History", str(history[i] + bump)))
            pupils[upn] = {"ks2": (105, 105), "results": results}
        return analyse(write_long(tmp_path / "r.csv", pupils)).subject_entries

    before, after = run(0), run(1)
    change = (
        after.groupby("subject_title")["residual"].mean()
        - before.groupby("subject_title")["residual"].mean()
    )
    assert change["History"] == pytest.approx(1.0, abs=1e-9)
    size = before.groupby("upn")["subject_title"].transform("count")
    share = (1 / (size - 1)).groupby(before["subject_title"]).mean()
    for subject in change.index.drop("History"):
        assert change[subject] == pytest.approx(-share[subject], abs=1e-9)


def test_demo_subjects_in_json_and_terminal():
    runner = CliRunner()
    document = json.loads(runner.invoke(cli, ["analyse", str(DEMO), "--format", "json"]).stdout)
    subjects = {r["subject"]: r for r in document["subjects"]}
    assert subjects["Mathematics"]["entries"] == 176
    assert subjects["Mathematics"]["value_added_pupils"] > 150
    assert not subjects["BTEC Tech Award Sport"]["in_transition_matrices"]
    assert "Subjects" in runner.invoke(cli, ["analyse", str(DEMO)]).stdout


def test_drill_down_command(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["subjects", str(DEMO), "--subject", "geography", "--format", "json", "--sort", "residual"],
    )
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 58 and {r["subject_title"] for r in rows} == {"Geography"}
    residuals = [r["residual"] for r in rows if r["residual"] is not None]
    assert residuals == sorted(residuals)
    csv_out = runner.invoke(
        cli, ["subjects", str(DEMO), "--subject", "Geography", "--format", "csv"]
    )
    assert csv_out.stdout.splitlines()[0].startswith("upn,forename,surname,subject_title,grade")
    missing = runner.invoke(cli, ["subjects", str(DEMO), "--subject", "Astrology"])
    assert missing.exit_code == 2 and "has no entries" in missing.stderr


def test_subject_table_csv():
    result = CliRunner().invoke(cli, ["subjects", str(DEMO), "--format", "csv"])
    header = result.stdout.splitlines()[0].split(",")
    assert {"subject", "entries", "value_added", "grade_9", "grade_U"} <= set(header)


def test_no_ks2_means_no_value_added_but_residuals(analyse_pupils):
    analysis = analyse_pupils(
        {"A": {"results": [("History", "6"), ("Maths", "4")]}}, **{"estimates": "2024"}
    )
    row = next(r for r in analysis.subjects if r["subject"] == "History")
    assert row["value_added"] is None and row["relative_performance"] == 2
    assert isinstance(AnalysisOptions().estimates, str)


def test_subject_table_per_group(tmp_path):
    pupils = {
        f"P{i}": {
            "ks2": (105, 105),
            "PP": "Y" if i < 6 else "N",
            "results": [("History", str(3 + i % 5)), ("Maths", "5")],
        }
        for i in range(14)
    }
    analysis = analyse(
        write_long(tmp_path / "r.csv", pupils), AnalysisOptions(subjects_by_group=True)
    )
    history = {r["subject"]: r for r in analysis.subjects_by_group["disadvantaged"]}["History"]
    assert history["entries"] == 6
    assert history["average_points"] == pytest.approx(sum(3 + i % 5 for i in range(6)) / 6)
    strict = analyse(
        write_long(tmp_path / "r.csv", pupils), AnalysisOptions(subjects_by_group=True, min_group=7)
    )
    assert strict.subjects_by_group["disadvantaged"] is None
    assert strict.subjects_by_group["non_disadvantaged"] is None  # secondary suppression


def test_matrix_flag_does_not_depend_on_prior_attainment(analyse_pupils):
    analysis = analyse_pupils({"A": {"results": [("German", "6"), ("Maths", "5")]}})
    german = next(r for r in analysis.subjects if r["subject"] == "German")
    assert german["in_transition_matrices"] and german["value_added"] is None
    assert not any("German" in w for w in analysis.warnings)


@st.composite
def _entries(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 30))

    def column(values: st.SearchStrategy) -> list:
        return draw(st.lists(values, min_size=size, max_size=size))

    number = st.one_of(st.none(), st.floats(-5, 9, allow_nan=False))
    frame = pd.DataFrame(
        {
            "subject_title": column(st.sampled_from(["Art", "French", "Maths"])),
            "scale": column(st.sampled_from(["gcse", "technical"])),
            "grade_group": column(st.sampled_from(["9", "4", "U", "D*", "5-4"])),
            "points": column(number),
            "residual": column(number),
            "va": column(number),
            "grade_low": column(number),
            "matrix_subject": column(st.sampled_from(["Mathematics", "", "none"])),
        }
    ).astype({"points": float, "residual": float, "va": float, "grade_low": float})
    return frame.astype({c: "category" for c in ("subject_title", "scale", "grade_group")})


@settings(max_examples=150, deadline=None)
@given(_entries())
def test_subject_table_equals_a_pandas_groupby(entries: pd.DataFrame) -> None:
    """The integer-coded aggregation against pandas' own groupby, row by row."""
    from schoolperf.measures.progress8 import Z95
    from schoolperf.measures.subjects import subject_table

    rows = subject_table(entries, 40)
    grouped = entries.groupby(["subject_title", "scale"], observed=True, sort=True)
    assert [(r["subject"], r["grade_scale"]) for r in rows] == list(grouped.groups)
    for row, (_, group) in zip(rows, grouped, strict=True):
        assert row["entries"] == len(group)
        assert row["entered_pct"] == pytest.approx(100 * len(group) / 40)
        assert row["grades"] == {
            str(g): n for g, n in group["grade_group"].value_counts().items() if n
        }
        assert row["grade_5_plus_pct"] == pytest.approx(100 * (group["grade_low"] >= 5).mean())
        for name, column in (("relative_performance", "residual"), ("value_added", "va")):
            values = group[column].dropna()
            assert row[f"{name}_pupils"] == len(values)
            assert row[name] == (pytest.approx(values.mean()) if len(values) else None)
            if len(values) >= 2:
                half = Z95 * values.std() / len(values) ** 0.5
                assert row[f"{name}_ci_high"] == pytest.approx(values.mean() + half, abs=1e-9)
            else:
                assert row[f"{name}_ci_high"] is None


def _same_rows(got: list[dict], expected: list[dict]) -> None:
    """Equal subject rows, in order, numbers to 1e-9 (sums added in another order)."""
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert list(a) == list(b) and list(a.get("grades", {}).items()) == list(
            b.get("grades", {}).items()
        )
        for key, value in a.items():
            if isinstance(value, float) and isinstance(b[key], float):
                assert value == pytest.approx(b[key], rel=1e-9, abs=1e-12), key
            else:
                assert value == b[key], key
