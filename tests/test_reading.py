"""Reading exports: encodings, delimiters, Excel, Parquet, heading aliases, mapping files."""

from __future__ import annotations

import pandas as pd
import pytest

from schoolperf.api import AnalysisOptions, analyse
from schoolperf.errors import InputError
from schoolperf.ingest.headers import canonical_columns

ROWS = [
    [
        "Candidate No",
        "Forename",
        "Pupil Premium",
        "SEN Status",
        "KS2 Read SS",
        "KS2 Mat SS",
        "Subject",
        "Result",
    ],
    ["1001", "Zoë", "Y", "K", "104", "108", "English Language", "6"],
    ["1001", "Zoë", "Y", "K", "104", "108", "English Literature", "5"],
    ["1001", "Zoë", "Y", "K", "104", "108", "Maths", "7"],
    ["1001", "Zoë", "Y", "K", "104", "108", "Combined Science", "65"],
]
EXPECTED_A8 = 12 + 14 + 11 + 5


def text(delimiter: str = ",", newline: str = "\n") -> str:
    return newline.join(delimiter.join(r) for r in ROWS) + newline


@pytest.mark.parametrize(
    "encoding, delimiter, newline",
    [
        ("utf-8", ",", "\n"),
        ("utf-8-sig", ";", "\r\n"),
        ("cp1252", "\t", "\r\n"),
        ("utf-16", ",", "\r\n"),
    ],
)
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter, newline):
    path = tmp_path / "export.csv"
    path.write_bytes(text(delimiter, newline).encode(encoding))
    analysis = analyse(path)
    pupil = analysis.pupils.loc["1001"]
    assert pupil["attainment8"] == EXPECTED_A8
    assert pupil["forename"] == "Zoë"
    assert pupil["disadvantaged"] is True and pupil["sen"] == "K"
    assert pupil["ks2_prior"] == 106


def test_excel_and_parquet_read_like_csv(tmp_path):
    frame = pd.DataFrame(ROWS[1:], columns=ROWS[0])
    xlsx, parquet = tmp_path / "export.xlsx", tmp_path / "export.parquet"
    frame.assign(**{"KS2 Read SS": 104, "KS2 Mat SS": 108}).to_excel(xlsx, index=False)
    frame.to_parquet(parquet)
    for path in (xlsx, parquet):
        assert analyse(path).pupils.loc["1001", "attainment8"] == EXPECTED_A8


def test_workbook_with_several_sheets_needs_a_choice(tmp_path):
    path = tmp_path / "book.xlsx"
    frame = pd.DataFrame(ROWS[1:], columns=ROWS[0])
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="Y11", index=False)
        frame.to_excel(writer, sheet_name="Y10", index=False)
    with pytest.raises(InputError, match="has 2 sheets with data"):
        analyse(path)
    assert analyse(path, AnalysisOptions(sheet="Y11")).pupils.loc["1001", "attainment8"] == 42


@pytest.mark.parametrize(
    "heading, canonical",
    [
        ("UPN", "upn"),
        ("Pupil ID", "upn"),
        ("candidate  number", "upn"),
        ("Admission No.", "upn"),
        ("PP", "disadvantaged"),
        ("FSM Ever 6", "disadvantaged"),
        ("SEND", "sen"),
        ("SEN Status", "sen"),
        ("KS2 Reading Scaled Score", "ks2_reading"),
        ("KS2 Read SS", "ks2_reading"),
        ("ks2_maths", "ks2_maths"),
        ("Result Date", "exam_date"),
    ],
)
def test_heading_aliases(heading, canonical):
    rename, _ = canonical_columns([heading])
    assert rename == {heading: canonical}


def test_preferred_alias_wins_and_the_other_is_kept():
    rename, warnings = canonical_columns(["Pupil Premium", "Disadvantaged", "UPN"])
    assert rename["Disadvantaged"] == "disadvantaged" and "Pupil Premium" not in rename
    assert "both look like disadvantaged" in warnings[0]


def test_mapping_file_names_any_heading(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Kid,Course,Mark\nA,Maths,5\n")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\nupn = "Kid"\nsubject = "Course"\ngrade = "Mark"\n')
    analysis = analyse(path, AnalysisOptions(columns_file=str(mapping)))
    assert analysis.pupils.loc["A", "attainment8"] == 10


def test_mapping_file_with_an_unknown_column(tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\npupil = "Kid"\n')
    path = tmp_path / "export.csv"
    path.write_text("Kid,Subject,Grade\nA,Maths,5\n")
    with pytest.raises(InputError, match="not a column schoolperf knows"):
        analyse(path, AnalysisOptions(columns_file=str(mapping)))


def test_binary_junk_is_refused(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    with pytest.raises(InputError, match="binary data"):
        analyse(path)


def test_input_file_is_never_changed(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(text())
    before = path.read_bytes()
    analyse(path)
    assert path.read_bytes() == before
