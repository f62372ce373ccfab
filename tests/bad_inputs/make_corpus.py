"""Write the malformed-input corpus into ``tests/bad_inputs/files/`` (synthetic pupils only).

Each file holds one problem a real export can have. ``expected.csv`` beside this script says,
for each file, the exit status and the exact first line schoolperf must print; it is written by
hand (checked against the rules) and never regenerated.

Run: ``python tests/bad_inputs/make_corpus.py``.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent / "files"
GOOD = "UPN,Forename,Gender,PP,KS2 Reading,KS2 Maths,Subject,Grade,Exam Date\n"
ROW = "T001,Ann,F,Y,104,106,{subject},{grade},2026-06-01\n"


def rows(*pairs: tuple[str, str], upn: str = "T001") -> str:
    return "".join(ROW.format(subject=s, grade=g).replace("T001", upn) for s, g in pairs)


BASIC = rows(("English Language", "6"), ("English Literature", "5"), ("Maths", "7"))

TEXT_FILES: dict[str, str] = {
    "whitespace_only.csv": "  \n\n   \n",
    "header_only.csv": GOOD,
    "pipe_delimited.csv": "UPN|Subject|Grade\nT001|Maths|5\n",
    "crlf.csv": (GOOD + BASIC).replace("\n", "\r\n"),
    "no_upn_column.csv": "Forename,Subject,Grade\nAnn,Maths,5\n",
    "no_grade_column.csv": "UPN,Subject,Mark\nT001,Maths,5\n",
    "no_subject_column.csv": "UPN,Grade\nT001,5\n",
    "duplicate_header.csv": "UPN,Subject,Grade,Grade\nT001,Maths,5,6\n",
    "duplicate_header_case.csv": "UPN,Subject,Grade,grade\nT001,Maths,5,6\n",
    "conflicting_gender.csv": GOOD + BASIC + "T001,Ann,M,Y,104,106,Art,6,2026-06-01\n",
    "conflicting_ks2.csv": GOOD + BASIC + "T001,Ann,F,Y,99,106,Art,6,2026-06-01\n",
    "conflicting_disadvantaged.csv": GOOD + BASIC + "T001,Ann,F,N,104,106,Art,6,2026-06-01\n",
    "exact_duplicate_rows.csv": GOOD + BASIC + rows(("Maths", "7")),
    "unknown_subject.csv": GOOD + BASIC + rows(("Underwater Basket Weaving", "6")),
    "unknown_grade.csv": GOOD + rows(("Maths", "A**")),
    "grade_ten.csv": GOOD + rows(("Maths", "10")),
    "combined_science_not_adjacent.csv": GOOD + rows(("Combined Science", "8-6")),
    "combined_science_single_grade.csv": GOOD + rows(("Combined Science", "6")),
    "technical_grade_on_gcse.csv": GOOD + rows(("History", "L2M")),
    "ks2_out_of_range.csv": GOOD.replace("104,106", "130,106") + BASIC.replace("104", "130"),
    "ks2_non_numeric.csv": GOOD + BASIC.replace("104", "abc"),
    "ks2_not_whole.csv": GOOD + BASIC.replace("104", "104.5"),
    "ks2_code_not_that_year.csv": "UPN,KS2 Reading,KS2 Maths,KS2 Year,Subject,Grade\n"
    "T001,PKF,100,2019,Maths,5\n",
    "bad_ks2_year.csv": "UPN,KS2 Year,Subject,Grade\nT001,19,Maths,5\n",
    "excel_date_serial.csv": (GOOD + BASIC).replace("2026-06-01", "46174"),
    "bad_exam_date.csv": GOOD + BASIC.replace("2026-06-01", "Summer"),
    "trailing_blank_rows.csv": GOOD + BASIC + ",,,,,,,,\n" * 20 + "\n\n",
    "trailing_delimiters.csv": (GOOD + BASIC).replace("\n", ",\n"),
    "extra_cells.csv": GOOD + BASIC.rstrip("\n") + ",stray\n",
    "missing_upn_value.csv": GOOD + BASIC + ",Ann,F,Y,104,106,Art,6,2026-06-01\n",
    "bad_gender.csv": GOOD + BASIC.replace(",F,", ",X,"),
    "bad_sen.csv": "UPN,SEN,Subject,Grade\nT001,S,Maths,5\n",
    "bad_yes_no.csv": GOOD + BASIC.replace(",Y,", ",maybe,"),
    "unknown_qan.csv": "UPN,QAN,Grade\nT001,99999999,5\n",
    "qan_bad_grade.csv": "UPN,QAN,Grade\nT001,60147003,Z\n",
    "wide_duplicate_pupil.csv": "UPN,Maths,English Language\nT001,5,6\nT001,6,6\n",
    "only_x_grades.csv": GOOD + rows(("Maths", "X"), ("English Language", "ABS")),
    "markup_in_name.csv": (GOOD + BASIC).replace("Ann", "<script>alert(1)</script>"),
    "formula_injection_name.csv": (GOOD + BASIC).replace("Ann", '=HYPERLINK("x")'),
    "ragged_short_rows.csv": GOOD + "T001,Ann,F,Y,104,106,Maths,5\n",
    "long_field.csv": GOOD + rows(("Maths", "5" * 100_000)),
    "blank_heading.csv": "UPN,,Subject,Grade\nT001,x,Maths,5\n",
    "mapped_headings_only.csv": "Candidate No,Course,Result\nT001,Maths,5\n",
    "grade_as_decimal_excel.csv": GOOD + rows(("Maths", "5.0"), ("English Language", "6.00")),
    "one_ks2_score.csv": GOOD + BASIC.replace(",106,", ",,"),
    "unclosed_quote.csv": GOOD + 'T001,"Ann,F,Y,104,106,Maths,5,2026-06-01\n',
    "no_results_columns_wide.csv": "UPN,Tutor Group\nT001,11A\n",
    "legacy_and_new_grades.csv": GOOD + rows(("Maths", "B"), ("English Language", "C")),
    "title_row.csv": "Results export - Year 11\n" + GOOD + BASIC,
    "result_level_column.csv": "UPN,Subject,Board,Grade\nT001,English Language,AQA,6\n"
    "T001,Maths,OCR,7\n",
    "blank_pp.csv": GOOD + BASIC.replace(",Y,", ",,"),
    "footer_row.csv": GOOD + BASIC + "Report printed 22/08/2026,,,,,,,,\n",
    "upn_spellings.csv": GOOD + BASIC + rows(("Art", "6"), upn="t001"),
}

BINARY_FILES: dict[str, bytes] = {
    "empty.csv": b"",
    "bom_only.csv": b"\xef\xbb\xbf",
    "binary_junk.csv": random.Random(1).randbytes(4096),
    "png_named_csv.csv": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "encrypted.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
    "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
    "cp1252.csv": (GOOD + BASIC.replace("Ann", "Zoë Ó'Brien £")).encode("cp1252"),
    "utf16.csv": (GOOD + BASIC).encode("utf-16"),
    "utf8_bom.csv": (GOOD + BASIC).encode("utf-8-sig"),
    "undecodable.csv": (GOOD + BASIC).encode() + b"\x81\x8d\x8f\x90\x9d\n",
    "mixed_encoding.csv": (GOOD + BASIC.replace("Ann", "Zoë")).encode()
    + "T001,Zoë,F,Y,104,106,Art,6,2026-06-01\n".encode("cp1252"),
}


def workbooks() -> None:
    header = ["UPN", "Subject", "Grade"]
    book = Workbook()
    book.active.append(header)
    book.active.append(["T001", "Maths", "=1+4"])  # openpyxl saves no calculated value
    book.save(HERE / "formula_without_value.xlsx")
    book = Workbook()
    book.active.append(header)
    book.active.append(["T001", "Maths", "5"])
    book.active.append(["", "English Language", "6"])
    book.active.merge_cells("A2:A3")
    book.save(HERE / "merged_cells.xlsx")
    book = Workbook()
    book.active.append(header)
    book.active.append(["T001", "Maths", "5"])
    other = book.create_sheet("Year 10")
    other.append(header)
    other.append(["T002", "Maths", "4"])
    book.save(HERE / "several_sheets.xlsx")
    book = Workbook()
    book.active.append(header)
    book.active.append(["T001", "Maths", 5])
    book.save(HERE / "numbers_as_numbers.xlsx")
    (HERE / "zip_named_csv.csv").write_bytes((HERE / "numbers_as_numbers.xlsx").read_bytes())


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE = "application/vnd.openxmlformats-officedocument"
SHEET = f'<worksheet xmlns="{SHEET_NS}">{{dimension}}<sheetData>{{rows}}</sheetData></worksheet>'
CELLS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>UPN</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Subject</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Grade</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>T001</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>Maths</t></is></c><c r="C2"><v>5</v></c></row>'
)
STYLES = (
    f'<styleSheet xmlns="{SHEET_NS}"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>'
)
LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))


def raw_workbook(
    name: str,
    sheet: str | bytes,
    strings: str | bytes = f'<sst xmlns="{SHEET_NS}"/>',
    styles: str = STYLES,
    folder: Path = HERE,
) -> Path:
    """A workbook written part by part into ``folder``, byte for byte the same on every run: for
    the hostile workbooks no spreadsheet program writes."""
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{TYPES_NS}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(
            f'<Override PartName="/xl/{part}" ContentType="{OFFICE}.{kind}+xml"/>'
            for part, kind in (
                ("workbook.xml", "spreadsheetml.sheet.main"),
                ("worksheets/sheet1.xml", "spreadsheetml.worksheet"),
                ("styles.xml", "spreadsheetml.styles"),
                ("sharedStrings.xml", "spreadsheetml.sharedStrings"),
            )
        )
        + "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{SHEET_NS}" xmlns:r="{REL}"><sheets><sheet '
        'name="Results" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELS_NS}">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/styles.xml": styles,
        "xl/sharedStrings.xml": strings,
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as book:
        for part, text in parts.items():
            info = zipfile.ZipInfo(part, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            book.writestr(info, text)
    return folder / name


def hostile_inputs() -> None:
    """Tiny files that claim, or would take, far more than they hold; and broken XML."""
    (HERE / "twenty_thousand_columns.csv").write_text(
        "," * 20_000 + "UPN\n" + "," * 20_000 + "T001\n"
    )
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    raw_workbook("cell_at_xfd1048576.xlsx", SHEET.format(dimension="", rows=CELLS + far))
    claim = '<dimension ref="A1:XFD1048576"/>'
    raw_workbook("dimension_claim.xlsx", SHEET.format(dimension=claim, rows=CELLS))
    beyond = '<row r="1048577"><c r="A1048577"><v>1</v></c></row>'
    raw_workbook("row_beyond_excel.xlsx", SHEET.format(dimension="", rows=CELLS + beyond))
    blank_rows = "<row/>" * 400_000  # 2.4 MB of XML in a few kilobytes
    raw_workbook("repeated_sheet_xml.xlsx", SHEET.format(dimension="", rows=CELLS + blank_rows))
    claimed = (
        f'<sst xmlns="{SHEET_NS}" count="2000000" uniqueCount="2000000"><si><t>x</t></si></sst>'
    )
    raw_workbook("shared_strings_claim.xlsx", SHEET.format(dimension="", rows=CELLS), claimed)
    text = f'<sst xmlns="{SHEET_NS}"><si><t>{"a" * 40_000}</t></si></sst>'
    raw_workbook("long_shared_text.xlsx", SHEET.format(dimension="", rows=CELLS), text)
    sheet = SHEET.format(dimension="", rows=CELLS)
    raw_workbook("truncated_sheet.xlsx", sheet[: len(sheet) // 2])
    raw_workbook("broken_styles.xlsx", sheet, styles="<styleSheet><cellXfs")
    laughs = SHEET.format(
        dimension="", rows='<row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row>'
    )
    raw_workbook("billion_laughs.xlsx", f"<!DOCTYPE worksheet [{LAUGHS}]>" + laughs)
    entity = SHEET.format(
        dimension="", rows='<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>'
    )
    doctype = '<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    raw_workbook("external_entity.xlsx", doctype + entity)


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name, text in TEXT_FILES.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="")
    for name, data in BINARY_FILES.items():
        (HERE / name).write_bytes(data)
    workbooks()
    hostile_inputs()
    print(f"{len(list(HERE.iterdir()))} files in {HERE}")
