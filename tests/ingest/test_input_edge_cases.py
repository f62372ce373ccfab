"""Awkward shapes of real exports: each gets a right answer or one clear problem."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.errors import InputError
from tests.conftest import DEMO


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
    assert problems(path) == [("extra-cells", "2", None, None)]  # (a cell may hold a name)


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
    assert "1 duplicate result row was ignored." in analysis.warnings
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
    """A long export with its own Discount Code column is read, not a crash: the export's code
    overrides the catalogue's, so two subjects sharing it discount each other."""
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


SIMS_LIKE = (
    "Adno,UPN,Legal Surname,Gender,PP,House,Subject,Awarding Body,Grade\n"
    "001,A1,Testone,F,Y,Red,English Language,AQA,5\n"
    "001,A1,Testone,F,Y,Red,Mathematics,Pearson Edexcel,6\n"
    "001,A1,Testone,F,,Red,History,AQA,7\n"
    "002,A2,Testtwo,M,N,Blue,English Language,AQA,4\n"
    "002,A2,Testtwo,M,N,Blue,Mathematics,AQA,3\n"
    "003,A3,Testthree,F,,,Mathematics,OCR,8\n"
)


def test_a_column_about_each_result_is_no_problem(tmp_path):
    """A long export's awarding body differs between a pupil's rows: it is about each result,
    so the pupils whose rows differ are blank in it (a pupil column it is not), with a warning;
    a column that agrees (House) stays the pupil's."""
    analysis = analyse(write(tmp_path, SIMS_LIKE))
    pupils = analysis.pupils
    assert pupils["Awarding Body"].tolist() == ["", "AQA", "OCR"]
    assert pupils["House"].tolist() == ["Red", "Blue", ""]
    assert pupils["attainment8"].tolist() == [24, 10, 16]  # English single: no literature
    assert (
        "Column 'Awarding Body' differs between a pupil's rows, so it is read as about each "
        "result (an awarding body, a season …), not about the pupil: a pupil whose rows differ "
        "has no value in it (for --group)." in analysis.warnings
    )
    # a column schoolperf knows about the pupil must still agree
    path = write(
        tmp_path,
        SIMS_LIKE.replace("A2,Testtwo,M,N,Blue,Mathematics", "A2,Testtwo,F,N,Blue,Mathematics"),
    )
    assert problems(path) == [("pupil-fields-disagree", "5, 6", "Gender", None)]


def test_blank_group_cells_are_reported(tmp_path):
    """A blank PP cell leaves the pupil out of both groups PP defines, and says so."""
    analysis = analyse(write(tmp_path, SIMS_LIKE))
    assert analysis.pupils["disadvantaged"].isna().tolist() == [False, False, True]
    assert (
        "1 pupil has a blank 'PP' cell, so is in none of the groups it defines "
        "(disadvantaged, non-disadvantaged). Where a blank means a value in this export (such "
        "as N), fill the blanks in." in analysis.warnings
    )
    assert not any("'Gender'" in w for w in analysis.warnings)


@pytest.mark.parametrize(
    "text, row",
    [
        ("Results export - Year 11\nPrinted 22/08/2024\n\nUPN,Subject,Grade\nA,Maths,5\n", 4),
        ("Results export,,\nUPN,Subject,Grade\nA,Maths,5\n", 2),  # as Excel saves a title
    ],
)
def test_a_title_above_the_headings_is_skipped_with_a_warning(tmp_path, text, row):
    skipped = "the 3 rows above them were" if row == 4 else "the 1 row above them was"
    """Excel exports often have a title above the headings: it is found and skipped, said in
    a warning, and rows keep their spreadsheet numbers."""
    path = write(tmp_path, text)
    analysis = analyse(path)
    assert analysis.school["pupils"] == 1 and analysis.school["attainment8"] == 10
    assert (
        f"export.csv: the column headings are on row {row} (found below a title or other rows); "
        f"{skipped} skipped. Use --header-row to choose another row."
    ) in analysis.warnings
    assert analysis.pupils["_row"].tolist() == [row + 1]
    # a problem below the title is named by its row in the spreadsheet
    bad = write(tmp_path, text.replace("A,Maths,5", "A,Maths,Z9"), "bad.csv")
    assert problems(bad) == [("unknown-grade", str(row + 1), "Grade", "Z9")]


def test_header_row_forces_the_row_of_the_headings(tmp_path):
    text = "UPN,Subject,Grade\nUPN,Subject,Grade\nA,Maths,5\n"  # a repeated header row
    assert analyse(write(tmp_path, text), AnalysisOptions(header_row=2)).school["pupils"] == 1


def test_a_title_above_the_headings_of_a_workbook(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Results export"])
    sheet.merge_cells("A1:C1")  # a title merged across the top: skipped with it
    sheet.append([])
    sheet.append(["UPN", "Subject", "Grade"])
    sheet.append(["A", "Maths", "5"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    analysis = analyse(path)
    assert analysis.school["attainment8"] == 10 and analysis.pupils["_row"].tolist() == [4]
    assert any("headings are on row 3" in w for w in analysis.warnings)
    sheet.merge_cells("A4:B4")  # below the headings, merged cells are still a problem
    book.save(path)
    assert [p[0] for p in problems(path)] == ["merged-cells"]


def test_a_pupils_bad_value_is_named_by_the_row_holding_it(tmp_path):
    """A pupil's columns may be blank on some of their rows: a bad value is reported at the row
    where it is, not at the pupil's first row."""
    path = write(
        tmp_path,
        "UPN,Gender,KS2 Reading,KS2 Maths,Subject,Grade\n"
        "A1,,104,105,Maths,5\n"
        "A1,Q,104,105,History,5\n"
        "A1,,104,105,French,5\n"
        "A2,M,,,Maths,5\n"
        "A2,M,104,abc,History,4\n",
    )
    assert problems(path) == [
        ("bad-gender", "3", "Gender", "Q"),
        ("bad-ks2", "6", "KS2 Maths", "abc"),
    ]


def test_one_identifier_spelt_two_ways_is_a_problem(tmp_path):
    """``a1``, ``A1`` and ``A 1`` would be three pupils: one problem listing where each
    spelling starts. Within a school only (--by): the same UPN in two schools is two pupils."""
    path = write(
        tmp_path,
        "School,UPN,Subject,Grade\n"
        "S1,A1,Maths,5\n"
        "S1,a1,History,5\n"
        "S1,A 1,French,5\n"
        "S1,A1,Art,5\n"
        "S2,a1,Maths,4\n",
    )
    assert problems(path, by="school") == [("upn-spellings", "2, 3, 4", "UPN", None)]
    one_school = write(tmp_path, path.read_text().replace("S2,a1,Maths,4\n", ""), "one.csv")
    assert problems(one_school) == [("upn-spellings", "2, 3, 4", "UPN", None)]
    two_schools = write(tmp_path, "School,UPN,Subject,Grade\nS1,A1,Maths,5\nS2,a1,Maths,4\n")
    assert analyse(two_schools, AnalysisOptions(by="school")).school["pupils"] == 2


def test_a_blank_school_is_a_problem_with_by(tmp_path):
    path = write(tmp_path, "School,UPN,Subject,Grade\nS1,A1,Maths,5\n,A2,Maths,4\n")
    assert problems(path, by="school") == [("missing-by-value", "3", "School", "")]


@pytest.mark.parametrize(
    "footer", ["Total,,9", "Number of records: 2,,", "Report printed 22/08/2024 by A Person,,"]
)
def test_totals_and_footer_rows_are_not_pupils(tmp_path, footer):
    path = write(tmp_path, f"UPN,Subject,Grade\nA1,Maths,5\nA2,Maths,4\n{footer}\n")
    assert problems(path) == [("footer-row", "4", "UPN", "")]
    # a pupil without results is still a pupil
    alone = write(tmp_path, "UPN,Subject,Grade\nA1,Maths,5\nA2,,\n", "alone.csv")
    assert analyse(alone).school["pupils"] == 2


def test_many_identifiers_spelt_two_ways_are_listed_then_counted(tmp_path):
    rows = "".join(f"P{i},Maths,5\np{i},History,5\n" for i in range(600))
    listed = problems(write(tmp_path, "UPN,Subject,Grade\n" + rows))
    assert len(listed) == 501 and listed[0] == ("upn-spellings", "2, 3", "UPN", None)
    assert listed[-1][:3] == ("upn-spellings", None, "UPN")


def test_spellings_of_one_code_agree_between_a_pupils_rows(tmp_path):
    """``F``, ``f`` and ``Female`` (or ``Y``, ``Yes`` and ``1``) are one value: no problem; ``F``
    and ``M`` still are one."""
    text = (
        "UPN,Gender,PP,SEN,Subject,Grade\n"
        "A1,F,Y,K,Maths,5\nA1,Female,Yes,SEN Support,History,5\nA1,f,1,k,French,5\n"
        "A2,M,N,,Maths,5\nA2,male,no,N,History,5\n"
    )
    pupils = analyse(write(tmp_path, text)).pupils
    assert pupils["gender"].tolist() == ["F", "M"]
    assert pupils["disadvantaged"].tolist() == [True, False]
    assert pupils["sen"].tolist() == ["K", "N"]
    path = write(tmp_path, text.replace("A2,male", "A2,Female"), "clash.csv")
    assert problems(path) == [("pupil-fields-disagree", "5, 6", "Gender", None)]


def test_a_huge_cell_is_cut_short_in_json_problems_too(tmp_path):
    from click.testing import CliRunner

    from schoolperf.cli import cli

    path = write(tmp_path, "UPN,Subject,Grade\nA1,Maths," + "5" * 100_000 + "\n")
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 2
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["value"] is None  # never even its start: it may be a pupil's free text
    assert problem["value_description"] == "a text of 100,000 characters"
    assert "5" * 20 not in result.stdout


def test_validate_checks_the_by_column(tmp_path):
    from click.testing import CliRunner

    from schoolperf.cli import cli

    path = write(tmp_path, "School,UPN,Subject,Grade\nS1,A1,Maths,5\n,A2,Maths,4\n")
    assert CliRunner().invoke(cli, ["validate", str(path)]).exit_code == 0
    result = CliRunner().invoke(cli, ["validate", str(path), "--by", "School", "--format", "json"])
    assert result.exit_code == 2
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == ["missing-by-value"]


def test_a_grade_excel_turned_into_a_date_says_so(tmp_path):
    path = write(tmp_path, "UPN,Subject,Grade\nA1,Combined Science,2024-05-04\nA1,Maths,Z\n")
    with pytest.raises(InputError) as caught:
        analyse(path)
    fixes = [p.fix for p in caught.value.problems]
    assert fixes[0].endswith(
        "Excel may have turned the grade into a date: format the column as Text and type the "
        "grades again."
    )
    assert "Excel" not in fixes[1]


def test_two_pupils_under_one_upn_are_still_found(tmp_path):
    """An admission number or a date of birth that differs under one UPN is two pupils, not a
    column about each result; a date of birth is never quoted."""
    path = write(
        tmp_path,
        "UPN,Adno,DOB,Subject,Grade\nA1,001,2009-11-30,Maths,5\nA1,002,2010-01-05,History,6\n",
    )
    assert problems(path) == [
        ("pupil-fields-disagree", "2, 3", "Adno", None),
        ("pupil-fields-disagree", "2, 3", "DOB", None),
    ]
    with pytest.raises(InputError) as caught:
        analyse(path)
    assert "2009" not in str(caught.value) and "001" not in str(caught.value)


def test_windows_1252_that_looks_a_little_like_utf8_is_read_with_a_warning(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        "UPN,Surname,Subject,Grade\nA1,RENÉ–PAUL,Maths,5\nA2,Zoë,Maths,4\n".encode("cp1252")
    )
    analysis = analyse(path)
    assert analysis.pupils["surname"].tolist() == ["RENÉ–PAUL", "Zoë"]
    assert analysis.warnings[0].startswith(
        "The file is not UTF-8, so it was read as Windows-1252, but 1 of its characters look"
    )


def test_an_identifier_with_spaces_is_a_pupil_without_results(tmp_path):
    """Not a footer: an identifier with a space and no results, or one of words with results
    on other rows."""
    path = write(tmp_path, "UPN,Subject,Grade\nAD 1001,Maths,5\nAD 1002,,\n")
    assert analyse(path).school["pupils"] == 2
    again = write(tmp_path, "UPN,Subject,Grade\nNo Sub Ject,Maths,5\nNo Sub Ject,,\n", "b.csv")
    assert analyse(again).school["pupils"] == 1


@pytest.mark.parametrize("by", ["Surname", "UPN", "Date of Birth"])
def test_by_a_column_that_identifies_pupils_is_refused(tmp_path, by):
    path = write(
        tmp_path,
        "UPN,Surname,Date of Birth,Subject,Grade\nA1,Smith,2010-01-01,Maths,5\n"
        "A2,SMITH,2010-02-02,Maths,4\n",
    )
    assert [p[0] for p in problems(path, by=by)] == ["bad-by"]


def test_spellings_apart_only_by_unicode_spaces(tmp_path):
    path = write(
        tmp_path, "School,UPN,Subject,Grade\nSchool 5,A1,Maths,5\nSchool\u00a05,A2,Maths,4\n"
    )
    assert [p[0] for p in problems(path, by="school")] == ["value-spellings"]


def test_a_totals_row_of_a_wide_export_is_not_a_pupil(tmp_path):
    """Counts under the subjects of a wide totals row look like grades: still not a pupil."""
    path = write(tmp_path, "UPN,Maths,English Language\nA1,5,6\nA2,4,4\nTotal,2,2\n")
    assert problems(path) == [("footer-row", "4", "UPN", "")]
    spaced = write(tmp_path, "UPN,Maths,English Language\nAD 1,5,6\nAD 2,4,4\n", "ok.csv")
    assert analyse(spaced).school["pupils"] == 2


def test_a_long_export_with_subject_qan_and_grade(tmp_path):
    """SIMS exports carry the QAN beside the subject: a pupil without results among them."""
    path = write(
        tmp_path,
        "UPN,Subject,QAN,Grade\nA1,Mathematics,60183595,5\nA1,History,,6\nA2,,,\n",
    )
    analysis = analyse(path)
    assert analysis.pupils["attainment8"].tolist() == [16, 0]
    assert not any("catalogue" in w for w in analysis.warnings)


def test_school_and_teacher_names_are_not_pupil_names(tmp_path):
    path = write(
        tmp_path,
        "School Name,UPN,Subject,Teacher Name,Grade\nOak,A1,Maths,Ms A,5\nOak,A1,History,Mr B,6\n"
        "Elm,A2,Maths,Ms C,4\n",
    )
    analysis = analyse(path, AnalysisOptions(by="School Name"))
    assert sorted(analysis.to_dict(pupils=False)["by"]) == ["Elm", "Oak"]
    assert any(w.startswith("Column 'Teacher Name' differs") for w in analysis.warnings)


@pytest.mark.parametrize(
    "footer", ["Total 2", "TOTALS:", "Count: 3", "Page 1 of 1", "3 pupils", "Printed 21/08/2025"]
)
def test_more_footers(tmp_path, footer):
    path = write(tmp_path, f"UPN,Subject,Grade\nA1,Maths,5\nA2,Maths,4\n{footer},,\n")
    assert problems(path) == [("footer-row", "4", "UPN", "")]


def test_other_name_and_identifier_columns_are_never_quoted(tmp_path):
    path = write(
        tmp_path,
        "UPN,Preferred Surname,Pupil ID,Subject,Grade\nA1,Okafor,P1,Maths,5\nA1,Smith,P2,Art,6\n",
    )
    with pytest.raises(InputError) as caught:
        analyse(path)
    text = str(caught.value)
    assert "Okafor" not in text and "P1" not in text and text.count("differ between") == 2
    fine = write(tmp_path, "UPN,Preferred Surname,Subject,Grade\nA1,Okafor,Maths,5\n", "b.csv")
    with pytest.raises(InputError, match="names or identifies pupils"):
        analyse(fine, AnalysisOptions(groups=("Preferred Surname",)))


def test_an_invisible_character_in_an_identifier(tmp_path):
    path = write(tmp_path, "UPN,Subject,Grade\nA1,Maths,5\nA1\u200b,History,6\n")
    assert [p[0] for p in problems(path)] == ["upn-spellings"]


def test_valid_exports_that_resemble_problems_are_read(tmp_path):
    """Valid exports the checks must not refuse: pupils identified by name (the README's own
    mapping), --by "Name of School", --group "Month of Birth", per-result columns about a
    teacher or the candidate's entry, a series by its season, --by in another case."""
    names = write(tmp_path, "Surname Forename,Subject,Grade\nSmith John,Maths,5\nKhan Aisha,,\n")
    mapping = tmp_path / "columns.toml"
    mapping.write_text('[columns]\nupn = "Surname Forename"\n')
    assert analyse(names, AnalysisOptions(columns_file=str(mapping))).school["pupils"] == 2
    trust = write(
        tmp_path,
        "Name of School,Academy,UPN,Month of Birth,Teacher Surname,Candidate Type,Series,"
        "Subject,Grade\n"
        "Oak,Oak,A1,March,Khan,Internal,Summer 2024,Maths,5\n"
        "Oak,Oak,A1,March,Lee,Resit,Jun-24,History,6\n"
        "Elm,Elm,A2,July,Khan,Internal,2024 June,Maths,4\n",
        "trust.csv",
    )
    for by in ("Name of School", "academy"):
        assert analyse(trust, AnalysisOptions(by=by)).school["pupils"] == 2
    grouped = analyse(trust, AnalysisOptions(groups=("Month of Birth",)))
    assert grouped.subject_entries["exam_date"].dt.month.tolist() == [6, 6, 6]
    assert any("'Candidate Type', 'Teacher Surname'" in w for w in grouped.warnings)


def test_a_grade_column_blank_on_every_row_is_a_problem(tmp_path):
    """Before: exit 0 and an A8 of 0 for every pupil."""
    rows = pd.read_csv(DEMO, dtype=str, keep_default_na=False).assign(Grade="")
    path = tmp_path / "no-grades.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(InputError) as raised:
        analyse(path)
    [problem] = raised.value.problems
    assert (problem.code, problem.column) == ("blank-grade-column", "Grade")
    assert f"all {len(rows):,} rows" in problem.message
    # one grade is enough to go on (the other pupils' blanks are their own problem)
    rows.loc[0, "Grade"] = "5"
    rows.to_csv(path, index=False)
    assert analyse(path).school["pupils"] == 180


def test_sims_code_descriptions_are_read(tmp_path):
    """SIMS writes "K - SEN Support", "E - EHC Plan", "N - No Special Educational Need"."""
    rows = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    plain = analyse(DEMO).groups
    described = {"N": "N - No Special Educational Need", "K": "K - SEN Support"}
    rows["SEN Status"] = rows["SEN Status"].replace(described | {"E": "E - EHC Plan"})
    rows.to_csv(tmp_path / "sims.csv", index=False)
    groups = analyse(tmp_path / "sims.csv").groups
    for key in ("sen_support", "ehcp", "no_sen"):
        assert groups[key]["pupils"] == plain[key]["pupils"]
        assert groups[key]["attainment8"] == plain[key]["attainment8"]


def test_a_flood_of_one_bad_code_is_one_line_with_its_count(tmp_path):
    rows = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    rows["SEN Status"] = "Q - Awaiting Assessment"
    rows.loc[rows["UPN"] == rows["UPN"].iloc[0], "SEN Status"] = "S"
    rows.to_csv(tmp_path / "flood.csv", index=False)
    with pytest.raises(InputError) as raised:
        analyse(tmp_path / "flood.csv")
    found = [(p.value, p.message) for p in raised.value.problems]
    assert found == [
        ("S", "is not a SEN (N, K, E) code."),
        ("Q - Awaiting Assessment", "is not a SEN (N, K, E) code (in 179 pupils)."),
    ]
    fix = raised.value.problems[0].fix
    assert "SEN SUPPORT" in fix and "K - SEN Support" in fix  # the spellings accepted
