"""Inputs that claim, or would take, far more than they hold: each is answered from its real
content (its header, a workbook's zip directory, a sheet's dimension, its cells as they come), with
a catalogued problem and exit 2, never a hang; and names that are not files are never opened.
The hostile files themselves are in the corpus (``tests/bad_inputs``); here, what the readers do
with them: which limit is met before which cells are read."""

from __future__ import annotations

import csv
import datetime
import os
import threading
import time

import numpy as np
import pandas as pd
import pytest

from schoolperf.errors import InputError
from schoolperf.ingest import csv_files, excel, layouts, xlsx_parts
from schoolperf.ingest.read import read_table
from tests.bad_inputs.make_corpus import CELLS, SHEET, SHEET_NS, raw_workbook
from tests.conftest import invoke


def codes(path, **kwargs) -> list[str]:
    """The problem codes reading ``path`` gives (none when it is read)."""
    try:
        read_table(path, **kwargs)
    except InputError as error:
        return [p.code for p in error.problems]
    return []


def refuse(*_args, **_kwargs):
    raise AssertionError("read the cells of a file that should have been refused before")


# names that are not files


def test_a_named_pipe_is_not_a_file_and_is_never_opened(tmp_path):
    pipe = tmp_path / "results.csv"
    os.mkfifo(pipe)
    opened = threading.Event()

    def writer() -> None:  # waits until a reader opens the pipe
        with open(pipe, "wb"):
            opened.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = invoke("analyse", str(pipe))
    time.sleep(0.2)  # time for the writer to wake, had the pipe been opened
    was_opened = opened.is_set()
    with open(pipe, "rb"):  # lets the writer go
        pass
    thread.join(5)
    assert not was_opened
    assert result.exit_code == 2, result.stderr
    assert "is not a regular file" in result.stderr
    assert "does not exist" not in result.stderr


def test_a_device_is_not_a_file(tmp_path):
    result = invoke("analyse", os.devnull)
    assert result.exit_code == 2, result.stderr
    assert "is not a regular file (it is a folder, a named pipe or a device)" in result.stderr


# CSV headers


def test_thousands_of_blank_columns_are_refused_from_the_header_alone(tmp_path, monkeypatch):
    import pyarrow.csv as pacsv

    path = tmp_path / "commas.csv"
    path.write_text("," * 20_000 + "UPN\n" + "," * 20_000 + "T001\n")
    monkeypatch.setattr(pd, "read_csv", refuse)
    monkeypatch.setattr(pacsv, "read_csv", refuse)
    assert codes(path) == ["too-many-columns"]


def test_a_header_longer_than_64_kib_is_read_whole(tmp_path):
    """A sample cut inside the last heading must not read it as a repeat of an earlier one."""
    first = "heading 00001 of a long export"
    headings = ["UPN", "Subject", "Grade", first]
    headings += [f"heading {i:05d} of a long export" for i in range(2, 1900)]
    start = ",".join(headings) + ",,"
    filler = "x" * ((1 << 16) - len(start) - len(first))  # the cut falls right after `first`
    last = first + " (continued)"
    header = [*headings, filler, last]
    path = tmp_path / "long_header.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, ["T001", "Maths", "5"] + [""] * (len(header) - 3)])
    assert path.read_bytes()[: 1 << 16].endswith(b"," + first.encode())
    table = read_table(path)
    assert list(table.columns[:-1]) == header


def test_a_header_of_too_many_columns_past_64_kib_is_refused_as_such(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(",".join(f"c{i}" for i in range(12_000)) + "\n" + "x," * 11_999 + "x\n")
    assert codes(path) == ["too-many-columns"]


def test_a_heading_over_10000_characters_is_too_long(tmp_path):
    path = tmp_path / "heading.csv"
    path.write_text("UPN,Subject," + "G" * 200_000 + "\nT001,Maths,5\n")
    assert codes(path) == ["cell-too-long"]


def test_the_delimiter_is_sniffed_for_quotes_in_a_bounded_sample(monkeypatch):
    """The csv module's search for quoted cells takes the square of its text or worse: a first
    line of many quotes must not hold the reader up."""
    seen = []
    search = csv.Sniffer._guess_quote_and_delimiter

    def measured(self, data, delimiters):
        seen.append(len(data))
        return search(self, data, delimiters)

    monkeypatch.setattr(csv.Sniffer, "_guess_quote_and_delimiter", measured)
    assert csv_files._delimiter("UPN,Subject,Grade\n" + 'T001,"a' * 30_000) == ","
    assert seen and max(seen) < 10_000  # of the 90,000 characters


# wide exports


def test_a_wide_exports_columns_are_read_with_work_that_does_not_grow_by_column(monkeypatch):
    """Each distinct value is read as a grade once, whatever the number of columns; the long
    table is made in one step, not column by column."""
    rng = np.random.default_rng(1)
    options = [f"Option {i:04d}" for i in range(1500)]
    grades = rng.choice(["", "", "", "5", "7", "U", "X"], size=(20, 1500))
    table = pd.DataFrame(grades, columns=options).assign(
        upn=[f"T{i:03d}" for i in range(20)], notes="Left early", _row=range(21, 1, -1)
    )
    calls = []
    grade_codes = layouts.grade_codes
    monkeypatch.setattr(layouts, "grade_codes", lambda *a: calls.append(1) or grade_codes(*a))
    monkeypatch.setattr(pd.DataFrame, "melt", refuse)
    subjects = layouts.subject_columns(table)
    assert subjects == options
    assert len(calls) == 1
    long = layouts.wide_to_long(table, subjects)
    assert len(long) == (grades != "").sum()
    first = long.iloc[0]
    row = int(np.argmax(table["_row"].to_numpy() == 2))
    column = int(np.flatnonzero(grades[row] != "")[0])
    assert (first["_row"], first["subject"], first["grade"]) == (
        2,
        options[column],
        grades[row, column],
    )


# workbooks


def test_a_sheet_claiming_a_huge_dimension_is_refused_before_its_cells(tmp_path, monkeypatch):
    sheet = SHEET.format(dimension='<dimension ref="A1:XFD1048576"/>', rows=CELLS)
    path = raw_workbook("claim.xlsx", sheet, folder=tmp_path)
    monkeypatch.setattr(excel._SheetReader, "_end_cell", refuse)
    assert codes(path) == ["sheet-too-large"]


def test_a_mostly_blank_sheet_is_refused_for_its_blank_cells(tmp_path, monkeypatch):
    """A header 1,500 columns wide and one cell a row below it: the table would be 1,500 times
    the cells the sheet holds."""
    from openpyxl.utils import get_column_letter

    header = "".join(f'<c r="{get_column_letter(c)}1"><v>{c}</v></c>' for c in range(1, 1501))
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(2, 400))
    sheet = SHEET.format(dimension="", rows=f'<row r="1">{header}</row>{rows}')
    path = raw_workbook("sparse.xlsx", sheet, folder=tmp_path)
    monkeypatch.setattr(excel, "SPARSE_FLOOR", 100_000)
    assert codes(path) == ["sheet-too-large"]


def test_more_cells_than_the_compressed_sheet_could_hold_are_refused(tmp_path, monkeypatch):
    rows = "<row><c><v>5</v></c><c><v>5</v></c><c><v>5</v></c></row>" * 20_000
    path = raw_workbook("repeated.xlsx", SHEET.format(dimension="", rows=rows), folder=tmp_path)
    monkeypatch.setattr(excel, "DENSE_FLOOR", 10_000)
    assert codes(path) == ["sheet-too-large"]


def test_shared_texts_are_counted_as_they_come(tmp_path, monkeypatch):
    """Without the count the workbook may give, the texts are counted as they are read."""
    texts = "".join(f"<si><t>{i}</t></si>" for i in range(11))
    strings = f'<sst xmlns="{SHEET_NS}">{texts}</sst>'
    sheet = SHEET.format(dimension="", rows=CELLS)
    path = raw_workbook("texts.xlsx", sheet, strings, folder=tmp_path)
    monkeypatch.setattr(xlsx_parts, "MAX_SHARED_STRINGS", 10)
    assert codes(path) == ["workbook-too-large"]


@pytest.mark.parametrize("part", ["sheet", "strings", "styles", "workbook"])
def test_xml_declaring_a_dtd_is_refused_in_any_part(tmp_path, part):
    dtd = '<!DOCTYPE x [<!ENTITY e "e">]>'
    sheet = SHEET.format(dimension="", rows=CELLS)
    kinds = {
        "sheet": {"sheet": dtd + sheet},
        "strings": {"sheet": sheet, "strings": dtd + f'<sst xmlns="{SHEET_NS}"/>'},
        "styles": {"sheet": sheet, "styles": dtd + f'<styleSheet xmlns="{SHEET_NS}"/>'},
    }
    path = raw_workbook("dtd.xlsx", folder=tmp_path, **kinds.get(part, {"sheet": sheet}))
    if part == "workbook":  # the workbook's own part, rewritten with a DTD
        import zipfile

        with zipfile.ZipFile(path) as book:
            parts = {name: book.read(name) for name in book.namelist()}
        parts["xl/workbook.xml"] = dtd.encode() + parts["xl/workbook.xml"]
        with zipfile.ZipFile(path, "w") as book:
            for name, data in parts.items():
                book.writestr(name, data)
    result = invoke("analyse", str(path))
    assert result.exit_code == 2, result.stderr
    assert "declares a DTD" in result.stderr


def test_styles_with_a_number_format_that_is_not_a_number_are_a_problem(tmp_path):
    styles = f'<styleSheet xmlns="{SHEET_NS}"><cellXfs><xf numFmtId="abc"/></cellXfs></styleSheet>'
    sheet = SHEET.format(dimension="", rows=CELLS)
    path = raw_workbook("styles.xlsx", sheet, styles=styles, folder=tmp_path)
    result = invoke("analyse", str(path))
    assert result.exit_code == 2, result.stderr
    assert "styles (xl/styles.xml) that are not valid: numFmtId 'abc'" in result.stderr


def test_a_workbook_is_read_from_its_parts_as_excel_shows_them(tmp_path, monkeypatch):
    """Numbers, dates, times, booleans and texts as Excel shows them, each row with the row
    number the spreadsheet shows (blank rows left out), without loading the workbook whole."""
    import openpyxl
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["UPN", "Subject", "Grade", "Exam Date", "Mark", "Resit", "Started"])
    sheet.append(["T001", "Maths", 5, datetime.datetime(2026, 6, 1), 1.5, True, None])
    sheet.append([])
    sheet.append(["T002", "History", 5.0, None, 2, False, datetime.datetime(2026, 6, 1, 9, 30)])
    sheet["D4"].number_format = "dd/mm/yyyy"
    path = tmp_path / "values.xlsx"
    book.save(path)
    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    table = read_table(path)
    assert table.to_dict("list") == {
        "UPN": ["T001", "T002"],
        "Subject": ["Maths", "History"],
        "Grade": ["5", "5"],
        "Exam Date": ["2026-06-01", ""],
        "Mark": ["1.5", "2"],
        "Resit": ["True", "False"],
        "Started": ["", "2026-06-01T09:30:00"],
        "_row": [2, 4],
    }


def test_shared_texts_formulas_and_prefixed_xml_are_read(tmp_path, monkeypatch):
    """Shared texts (runs joined, phonetic guides left out), cached formula values, errors and a
    sheet whose XML names carry a prefix; a formula never calculated is a problem, a shared one
    shown as moved to its cell."""
    import openpyxl

    strings = (
        f'<sst xmlns="{SHEET_NS}" uniqueCount="4"><si><t>UPN</t></si>'
        "<si><r><t>Ma</t></r><r><t>ths</t></r><rPh><t>ignored</t></rPh></si>"
        '<si><t xml:space="preserve"> T001 </t></si><si><t>Grade</t></si></sst>'
    )
    rows = (
        '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="inlineStr"><x:is>'
        '<x:t>Subject</x:t></x:is></x:c><x:c r="C1" t="s"><x:v>3</x:v></x:c>'
        '<x:c r="D1" t="inlineStr"><x:is><x:t>Check</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="s"><x:v>2</x:v></x:c><x:c r="B2" t="s"><x:v>1</x:v></x:c>'
        '<x:c r="C2"><x:f>2+3</x:f><x:v>5</x:v></x:c><x:c r="D2" t="e"><x:v>#N/A</x:v></x:c>'
        "</x:row>"
    )
    sheet = f'<x:worksheet xmlns:x="{SHEET_NS}"><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    path = raw_workbook("shared.xlsx", sheet, strings, folder=tmp_path)
    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    table = read_table(path)
    assert table.drop(columns="_row").values.tolist() == [["T001", "Maths", "5", "#N/A"]]
    formulas = (
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f t="shared" ref="B2:B3" si="0">A2*2</f>'
        '</c></row><row r="3"><c r="A3"><v>2</v></c><c r="B3"><f t="shared" si="0"/></c></row>'
    )
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>UPN</t></is></c></row>'
    sheet = SHEET.format(dimension="", rows=header + formulas)
    path = raw_workbook("formulas.xlsx", sheet, folder=tmp_path)
    with pytest.raises(InputError) as error:
        read_table(path)
    problems = [(p.code, p.row, p.value) for p in error.value.problems]
    assert problems == [
        ("formula-without-value", "2", "=A2*2"),
        ("formula-without-value", "3", "=A3*2"),
    ]


# Parquet


def test_a_parquet_file_of_too_many_columns_is_refused_from_its_footer(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": pa.array(["5"]) for i in range(2_500)}), path)
    monkeypatch.setattr(pd, "read_parquet", refuse)
    assert codes(path) == ["too-many-columns"]
