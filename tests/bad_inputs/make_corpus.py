"""Write the malformed-input corpus into ``tests/bad_inputs/files/`` (synthetic pupils only).

Each file holds one problem a real export can have. ``expected.csv`` beside this script says,
for each file, the exit status and the exact first line schoolperf must print; it is written by
hand (checked against the rules) and never regenerated.

Run: ``python tests/bad_inputs/make_corpus.py``.
"""

from __future__ import annotations

import random
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


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name, text in TEXT_FILES.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="")
    for name, data in BINARY_FILES.items():
        (HERE / name).write_bytes(data)
    workbooks()
    print(f"{len(list(HERE.iterdir()))} files in {HERE}")
