"""The columns of the groups schools are held to are found under the headings real exports use,
and their absence is never silent."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.cli import cli
from schoolperf.reports.context import build_context

ROWS = "A,{a},M,K,Maths,5\nB,{b},F,N,Maths,6\nC,{b},F,E,Maths,7\n"


@pytest.mark.parametrize(
    "heading",
    [
        "PP Eligible",
        "Pupil Premium Eligible",
        "PP Flag",
        "PP Status",
        "Disadvantaged (PP)",
        "PP (Y/N)",
        "Pupil Premium Status",
    ],
)
def test_disadvantaged_headings_real_exports_use(tmp_path, heading):
    path = tmp_path / "r.csv"
    path.write_text(f"UPN,{heading},Gender,SEN,Subject,Grade\n" + ROWS.format(a="Y", b="N"))
    analysis = analyse(path, AnalysisOptions(min_group=1))
    assert analysis.groups["disadvantaged"]["pupils"] == 1
    assert analysis.groups["non_disadvantaged"]["pupils"] == 2
    assert analysis.groups["disadvantaged"]["attainment8"] == 10
    assert not any("No column could be read" in w for w in analysis.warnings)


@pytest.mark.parametrize(
    "heading, column", [("SEN Code", "sen"), ("Legal Sex", "gender"), ("Pupil Gender", "gender")]
)
def test_sen_and_gender_headings(tmp_path, heading, column):
    path = tmp_path / "r.csv"
    values = {"sen": ("K", "N", "E"), "gender": ("M", "F", "F")}[column]
    body = "".join(f"{u},{v},Maths,5\n" for u, v in zip("ABC", values, strict=True))
    path.write_text(f"UPN,{heading},Subject,Grade\n{body}")
    pupils = analyse(path).pupils
    assert pupils[column].tolist() == list(values)


def test_no_group_column_is_said_on_stderr_and_in_the_pack(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "UPN,Free Meals Flag,Tutor Group,Subject,Grade\nA,Y,11A,Maths,5\nB,N,11B,Maths,6\n"
    )
    expected = (
        "No column could be read as disadvantaged (pupil premium) or SEN or gender, so those "
        "pupil groups are missing from every output. Headings schoolperf does not recognise: "
        "'Free Meals Flag'. If one of them holds it, map it with --columns (e.g. "
        'disadvantaged = "Free Meals Flag").'
    )
    result = CliRunner().invoke(cli, ["analyse", str(path)])
    assert result.exit_code == 0
    assert f"warning: {expected}" in result.stderr
    analysis = analyse(path)
    assert expected in analysis.warnings
    assert expected in build_context(analysis, "governors")["warnings"]


def test_only_the_missing_group_columns_are_named(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("UPN,Gender,PP,Subject,Grade\nA,M,Y,Maths,5\n")
    warning = next(w for w in analyse(path).warnings if w.startswith("No column could be read"))
    assert warning.startswith("No column could be read as SEN, so")
    assert warning.endswith(
        'Add the column, or map its heading with --columns (e.g. sen = "Your heading").'
    )


def test_pp_and_non_pp_are_read_as_disadvantaged(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("UPN,PP,Subject,Grade\nA,PP,Maths,5\nB,Non-PP,Maths,6\nC,non pp,Maths,6\n")
    assert analyse(path).pupils["disadvantaged"].tolist() == [True, False, False]


def test_missing_groups_are_in_the_pack_status_and_on_stderr_with_json(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("UPN,Gender,PP,Subject,Grade\nA,M,Y,Maths,5\n")
    banner = build_context(analyse(path), "governors")["banner"]
    assert [w[:40] for w in banner["missing_groups"]] == [
        "No column could be read as SEN, so those"
    ]
    result = CliRunner().invoke(cli, ["analyse", str(path), "--format", "json"])
    assert "warning: No column could be read as SEN" in result.stderr
