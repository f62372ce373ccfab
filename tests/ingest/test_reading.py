"""Reading exports: encodings, delimiters, Excel, Parquet, heading aliases, mapping files."""

from __future__ import annotations

import pandas as pd
import pytest

from schoolperf.analysis import AnalysisOptions, analyse
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


def test_parquet_read_without_the_index_and_with_checked_headings(tmp_path):
    from schoolperf.ingest import parquet

    rows = pd.DataFrame({"School": [1, 2], "UPN": ["A", "B"]}, index=[5, 2])
    rows.to_parquet(tmp_path / "indexed.parquet")
    whole = parquet.read_parquet(tmp_path / "indexed.parquet")
    assert whole.to_dict("records") == [{"School": "1", "UPN": "A"}, {"School": "2", "UPN": "B"}]
    rows.assign(**{" School": [3, 4]}).to_parquet(tmp_path / "twice.parquet")
    with pytest.raises(InputError, match="appears more than once"):
        parquet.read_parquet(tmp_path / "twice.parquet")


def test_parquet_file_of_broken_text_or_metadata_is_reported(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from schoolperf.ingest import parquet

    broken = pa.array([b"Maths", b"\xffArt"], pa.binary()).view(pa.string())  # not UTF-8
    table = pa.table({"UPN": ["A", "B"], "Subject": broken, "Grade": ["5", "6"]})
    pq.write_table(table, tmp_path / "text.parquet")
    good = pa.table({"UPN": ["A"], "Score": [1.5]})
    pq.write_table(good.replace_schema_metadata({b"pandas": b"{not json"}), tmp_path / "meta.pq")
    for name in ("text.parquet", "meta.pq"):
        with pytest.raises(InputError, match="could not be read as Parquet"):
            parquet.read_parquet(tmp_path / name)


def test_parquet_columns_are_read_as_pandas_reads_them(tmp_path):
    """Integers and text that the file's pandas metadata makes something else (true/false,
    dates and times) are read as pandas reads them, then as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from schoolperf.ingest import parquet

    frame = pd.DataFrame(
        {
            "UPN": list("ABC"),
            "Passed": pd.array([True, False, None], "bool[pyarrow]"),
            "Sat": pd.array(
                pd.to_datetime(["2020-01-01 00:00", "2020-06-01 09:30", None]),
                "timestamp[ns][pyarrow]",
            ),
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)  # its pandas metadata kept
    schema = table.schema.set(1, pa.field("Passed", pa.int8())).set(2, pa.field("Sat", pa.string()))
    pq.write_table(table.cast(schema), tmp_path / "retyped.parquet")
    whole = parquet.read_parquet(tmp_path / "retyped.parquet")
    assert whole["Passed"].tolist() == ["True", "False", ""]


@pytest.mark.parametrize(
    "metadata",
    [{"columns": []}, {"index_columns": ["absent"], "columns": []}, {"column_indexes": 5}],
)
def test_parquet_metadata_pandas_refuses_is_reported(tmp_path, metadata):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from schoolperf.ingest import parquet

    table = pa.table({"UPN": ["A"], "Score": [1]})
    if "columns" not in metadata:
        metadata = {"index_columns": [], "columns": [], **metadata}
    pandas = {b"pandas": json.dumps(metadata).encode()}
    pq.write_table(table.replace_schema_metadata(pandas), tmp_path / "meta.parquet")
    with pytest.raises(InputError, match="could not be read as Parquet"):
        parquet.read_parquet(tmp_path / "meta.parquet")


def test_parquet_bytes_that_are_not_text_are_reported(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from schoolperf.ingest import parquet

    table = pa.table({"UPN": ["A", "B"], "Note": pa.array([b"ab", b"\xff"])})
    pq.write_table(table, tmp_path / "bytes.parquet")
    with pytest.raises(InputError, match="could not be read as Parquet text"):
        parquet.read_parquet(tmp_path / "bytes.parquet")
