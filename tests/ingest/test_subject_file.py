"""A ``--subjects`` file: English and maths keep their roles (exit 2), and every other change to
a shipped subject is listed in a warning (schoolperf/reference/subject_file.py)."""

from __future__ import annotations

import pytest

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.errors import SchoolperfError
from tests.conftest import DEMO, invoke

HEADER = "subject,role,scale,discount_code,matrix_subject,qan,aliases\n"


@pytest.mark.parametrize(
    "rows, named",
    [
        ("Mathematics,open,gcse,RB1,Mathematics,,\n", "Mathematics"),  # A8 47.84 → 39.17 before
        ("Drama,maths,gcse,LC11,Drama,,\n", "Drama"),
        ("English Language,open,gcse,FK2B,English Language,,\n", "English Language"),
        ("Statistics,maths,gcse,RB2,,,Stats\n", "Statistics"),
        ("Art and Design,english_literature,gcse,JA,,,\n", "Art and Design"),
    ],
)
def test_core_subjects_keep_their_roles(tmp_path, rows, named):
    path = tmp_path / "subjects.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(SchoolperfError) as raised:
        analyse(DEMO, AnalysisOptions(subjects_file=str(path)))
    assert [p.code for p in raised.value.problems] == ["core-subject-role"]
    result = invoke("analyse", str(DEMO), "--subjects", str(path))
    assert result.exit_code == 2
    assert named in result.stderr and "subjects.csv" in result.stderr


def test_another_name_for_maths_is_allowed(tmp_path):
    path = tmp_path / "subjects.csv"
    path.write_text(HEADER + "Mathematics,maths,gcse,RB1,Mathematics,,Maths Higher Tier\n")
    analysis = analyse(DEMO, AnalysisOptions(subjects_file=str(path)))
    assert analysis.school["attainment8"] == pytest.approx(analyse(DEMO).school["attainment8"])
    assert not any("changes" in w and "subjects.csv" in w for w in analysis.warnings)


def test_other_changes_are_listed_in_a_warning(tmp_path):
    path = tmp_path / "subjects.csv"
    path.write_text(HEADER + "Drama,not_counting,gcse,LC11,Drama,,\n", encoding="utf-8")
    analysis = analyse(DEMO, AnalysisOptions(subjects_file=str(path)))
    [warning] = [w for w in analysis.warnings if w.startswith("subjects.csv changes")]
    assert "Drama (role open → not_counting)" in warning
    result = invoke("analyse", str(DEMO), "--subjects", str(path), "--format", "json")
    assert result.exit_code == 0 and "Drama (role open → not_counting)" in result.stderr
