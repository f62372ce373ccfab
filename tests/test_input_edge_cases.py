"""Awkward real-export shapes found in review: each gets a right answer or one clear problem."""

from __future__ import annotations

import pandas as pd
import pytest

from schoolperf.api import AnalysisOptions, analyse
from schoolperf.errors import InputError


def write(tmp_path, text: str, name: str = "export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path, **options):
    with pytest.raises(InputError) as caught:
        analyse(path, AnalysisOptions(**options))
    return [(p.code, p.row, p.column, p.value) for p in caught.value.problems]


def test_trailing_delimiters_do_not_shift_columns(tmp_path):
    path = write(tmp_path, "UPN,Subject,Grade\nA,Maths,5,\nA,English Language,6,\n")
    assert analyse(path).pupils.loc["A", "attainment8"] == 16


def test_a_filled_cell_beyond_the_header_is_a_problem(tmp_path):
    path = write(tmp_path, "UPN,Subject,Grade\nA,Maths,5,oops\n")
    assert problems(path) == [("extra-cells", "2", None, "oops")]


def test_duplicate_headings_are_a_problem(tmp_path):
    path = write(tmp_path, "UPN,Subject,Grade,Grade\nA,Maths,5,6\n")
    assert problems(path) == [("duplicate-header", "1", "Grade", None)]


def test_duplicate_headings_in_excel(tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame(
        [["A", "Maths", "5", "6"]], columns=["UPN", "Subject", "Grade", "Grade "]
    ).to_excel(path, index=False)
    assert problems(path) == [("duplicate-header", "1", "Grade", None)]


def test_wide_export_with_a_result_like_heading(tmp_path):
    """A wide export whose 'Result' column is not a subject: read, and named as not counted."""
    path = write(tmp_path, "UPN,Maths,English Language,Result\nA,5,6,Pass\n")
    analysis = analyse(path)
    assert analysis.pupils.loc["A", "attainment8"] == 16


def test_forcing_wide_on_a_long_file_does_not_crash(tmp_path):
    path = write(tmp_path, "UPN,Subject,grade\nA,Maths,5\n")
    assert problems(path, layout="wide") == [("missing-column", None, None, None)]


def test_wide_columns_that_look_like_grades_are_not_counted(tmp_path):
    path = write(tmp_path, "UPN,Band,Maths,Maths Target\nA,A,5,7\n")
    analysis = analyse(path)
    assert analysis.pupils.loc["A", "attainment8"] == 10
    assert any("'Band', 'Maths Target'" in w for w in analysis.warnings)


def test_same_pupil_twice_in_a_wide_export(tmp_path):
    path = write(tmp_path, "UPN,Maths\nA,5\nA,6\n")
    assert problems(path) == [("duplicate-pupil", "2, 3", "UPN", None)]


def test_qan_grades_in_the_dfe_lists_own_spelling(tmp_path):
    """The DfE 2019 points list writes a legacy GCSE A* as "*" (here OCR Biblical Hebrew)."""
    path = write(tmp_path, "UPN,QAN,Grade\nA,50044394,A*\nB,50044394,C\n")
    analysis = analyse(path)
    assert analysis.pupils.loc["A", "attainment8"] == 8.5
    assert analysis.pupils.loc["B", "attainment8"] == 4


def test_ks2_code_that_did_not_exist_that_year(tmp_path):
    path = write(tmp_path, "UPN,KS2 Reading,KS2 Maths,Subject,Grade\nA,PKF,100,Maths,5\n")
    assert problems(path, ks2_year=2019) == [("ks2-code-not-that-year", "2", "KS2 Reading", "PKF")]
    assert analyse(path, AnalysisOptions(ks2_year=2018)).pupils.loc["A", "ks2_prior"] == 86.5


def test_names_never_appear_in_messages(tmp_path):
    path = write(tmp_path, "UPN,Forename,Subject,Grade\nA,Alice,Maths,5\nA,Alicia,Art,5\n")
    with pytest.raises(InputError) as caught:
        analyse(path)
    assert "Alic" not in str(caught.value)
    assert caught.value.problems[0].code == "pupil-fields-disagree"


def test_mapping_two_columns_to_one_heading(tmp_path):
    path = write(tmp_path, "Kid,Course,Grade\nA,Maths,5\n")
    mapping = write(tmp_path, '[columns]\nupn = "Kid"\nsubject = "Kid"\n', "map.toml")
    assert problems(path, columns_file=str(mapping))[0][0] == "bad-column-map"


@pytest.mark.parametrize("order", [0, 1])
def test_the_same_result_spelt_twice_is_counted_once_whatever_the_order(tmp_path, order):
    rows = ["A,Combined Science,6-5", "A,Combined Science,65"]
    path = write(tmp_path, "UPN,Subject,Grade\n" + "\n".join(rows[:: 1 if order else -1]) + "\n")
    analysis = analyse(path)
    assert analysis.pupils.loc["A", "attainment8"] == 11
    assert set(analysis.slots["grade"]) == {"6-5"}
    assert "1 duplicate result row(s) were ignored." in analysis.warnings
    assert not any("first-entry" in w for w in analysis.warnings)


def test_parquet_numbers_read_as_a_spreadsheet_shows_them(tmp_path):
    path = tmp_path / "export.parquet"
    pd.DataFrame(
        {"UPN": [1.0, 2.0], "Subject": ["Maths", "Maths"], "Grade": [6.0, 4.0]}
    ).to_parquet(path)
    assert analyse(path).pupils["attainment8"].to_dict() == {"1": 12, "2": 8}


@pytest.mark.parametrize(
    "content, code",
    [
        (
            "prior_attainment_group,attainment8,english,maths,ebacc,open\n1.5,1,1,1,1,1\n",
            "bad-reference-table",
        ),
        (
            "prior_attainment_group,attainment8,english,maths,ebacc,open\nx,1,1,1,1,1\n",
            "bad-reference-table",
        ),
    ],
)
def test_bad_user_estimates_tables(tmp_path, content, code):
    from schoolperf.errors import ReferenceDataError

    table = write(tmp_path, content, "est.csv")
    export = write(tmp_path, "UPN,Subject,Grade\nA,Maths,5\n")
    with pytest.raises(ReferenceDataError) as caught:
        analyse(export, AnalysisOptions(estimates=str(table)))
    assert caught.value.problems[0].code == code


def test_a_discount_code_column_of_the_export_is_used_not_a_crash(tmp_path):
    """A long export with its own Discount Code column (found by review: it crashed): the
    export's code overrides the catalogue's, so two subjects sharing it discount each other."""
    path = tmp_path / "codes.csv"
    path.write_text(
        "UPN,Discount Code,Subject,Grade\nA,ZZ1,Maths,5\nA,ZZ1,Statistics,7\nA,,History,6\n"
    )
    analysis = analyse(path)
    slots = analysis.slots.set_index("subject_title")
    assert slots.loc["Statistics", "discount_code"] == "ZZ1"
    assert not slots.loc["Mathematics", "counts"]  # the better result of the code counts
    assert slots.loc["History", "discount_code"] == "DB"  # the catalogue's where blank
    assert analysis.pupils.loc["A", "attainment8"] == 7 + 6  # Statistics open, History EBacc
