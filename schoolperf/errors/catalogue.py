"""Every problem code schoolperf reports, once: what the problem is, in a line a data manager
can act on. A :class:`~schoolperf.errors.Problem` carries one of these codes, with its own
message and fix naming the file, row, column and value; docs/problems.md lists the codes.
A code is added here, never renamed (docs/contract.md)."""

from __future__ import annotations

PROBLEMS: dict[str, str] = {
    # reading the file
    "no-such-file": "The file named does not exist.",
    "not-a-file": "The name given is a folder, a named pipe or a device, not a file.",
    "empty-file": "The file is empty.",
    "not-a-table": "The file holds binary data: it is not a CSV, Excel or Parquet file.",
    "excel-named-csv": "An Excel workbook saved with a .csv name.",
    "old-excel": "An old-style .xls workbook, which cannot be read: save it as .xlsx or CSV.",
    "protected-or-old-excel": "A password-protected workbook, or an old .xls file.",
    "unreadable-excel": "The workbook could not be opened.",
    "unreadable-parquet": "The Parquet file could not be read, or its cells as text.",
    "no-such-sheet": "The workbook has no sheet of the name given with --sheet.",
    "several-sheets": "The workbook has data on several sheets: name one with --sheet.",
    "merged-cells": "The sheet has merged cells, whose values cannot be told apart.",
    "formula-without-value": "A cell holds a formula that was never calculated and saved.",
    "unknown-encoding": "The text is neither UTF-8 nor Windows-1252.",
    "mixed-encoding": "UTF-8 text with a byte from another encoding on a row.",
    "wrong-delimiter": "The file is separated by a character other than commas, semicolons "
    "or tabs.",
    "malformed-csv": "The file could not be read as CSV.",
    "unclosed-quote": "A quote is never closed, so the rest of the file would be one cell.",
    "extra-cells": "A row has more cells than the header.",
    "cell-too-long": "A cell is longer than any real result holds (over 10,000 characters).",
    "no-data-rows": "The file has a header but no rows of data.",
    "too-many-columns": "The file has more columns than any pupil export holds (over 2,000).",
    "too-many-rows": "A sheet has rows beyond the 1,048,576 Excel allows.",
    "sheet-too-large": "The sheet's claimed size, XML or mostly blank cells are far beyond any "
    "pupil export.",
    "workbook-too-large": "The workbook's texts, sheets or XML are far beyond any pupil export.",
    # headings
    "blank-header-row": "Row 1, where the headings belong, is blank.",
    "headings-not-on-row-1": "The headings are below a title or other rows.",
    "duplicate-header": "Two columns have the same heading (case and punctuation aside).",
    "missing-column": "A column the analysis needs (the pupil identifier, subject, grade) "
    "is missing.",
    "bad-column-map": "The --columns mapping file could not be read.",
    "mapped-column-missing": "The --columns mapping names a heading the file does not have.",
    # pupils and their rows
    "missing-upn": "A row with data has no pupil identifier.",
    "upn-spellings": "One pupil identifier is spelt in several ways (A1, a1, A 1).",
    "duplicate-pupil": "A wide export holds the same pupil on more than one row.",
    "pupil-fields-disagree": "A pupil's rows differ in a column about the pupil (gender, KS2 …).",
    "footer-row": "A totals or footer row, which would count as a pupil.",
    "pseudonym-clash": "--anonymise gave two pupils the same pseudonym.",
    "bad-gender": "A gender cell is not a gender code.",
    "bad-disadvantaged": "A disadvantaged (pupil premium) cell is not a yes/no code.",
    "bad-eal": "An EAL cell is not a yes/no code.",
    "bad-sen": "A SEN cell is not a SEN code (N, K, E).",
    "bad-ks2": "A KS2 cell is neither a scaled score nor a teacher-assessment code.",
    "ks2-out-of-range": "A KS2 number is neither a scaled score (80-120) nor a nominal "
    "score (59-79).",
    "ks2-code-not-that-year": "A KS2 teacher-assessment code that had no nominal score in the "
    "pupil's KS2 year.",
    "bad-ks2-year": "A KS2 year cell is not a year.",
    "bad-ks2-fine-level": "A KS2 fine-level cell is not a fine level.",
    # results
    "unknown-grade": "A grade that the subject's qualification does not award.",
    "unknown-qan": "A qualification number not in the DfE lists, on a row with no subject.",
    "bad-exam-date": "An exam date cell is not a date.",
    "blank-grade-column": "The grade column is blank on every row, so nothing could count.",
    # options and the files they name
    "bad-by": "--by names no column, or a column that identifies pupils.",
    "missing-by-value": "A row is blank in the --by column, so it has no school.",
    "value-spellings": "One value of the --by column (a school) is spelt in several ways.",
    "bad-group": "--group names neither a pupil group nor a column.",
    "identifying-group": "A --group column whose values mostly belong to one pupil each "
    "(names, not groups).",
    "core-subject-role": "A --subjects file changes the role of English or mathematics.",
    "no-pseudonym-key": "--anonymise needs a secret key in SCHOOLPERF_PSEUDONYM_KEY.",
    "bad-comparator-year": "--comparator-year has no national figures.",
    "bad-memory-limit": "--memory-limit is not an amount of memory.",
    "bad-previous": "A --previous file is not a schoolperf summary.json.",
    "bad-number": "An option or setting that must be a number is NaN or infinite.",
    "bad-baseline": "A baseline file cell is not a score.",
    "bad-baseline-map": "The baseline mapping could not be used.",
    "bad-baseline-norm": "--baseline-norm has no positive standard deviation.",
    "bad-reference-table": "A reference table (estimates, catalogue) is missing or malformed.",
    "no-such-subject": "The subject named is not in the catalogue.",
    # similar schools and targets
    "not-a-ks4-file": "The benchmark file is not a DfE KS4 performance-tables CSV.",
    "bad-benchmark-year": "--benchmark-year is not an academic year.",
    "duplicate-urn": "The benchmark file has a school on more than one row.",
    "unknown-urn": "The school's URN is not in the benchmark file.",
    "no-disadvantaged-column": "The benchmark file has no % disadvantaged column for --match.",
    "benchmark-lacks-disadvantaged": "The benchmark file has no % disadvantaged column.",
    "benchmark-lacks-progress8": "Too few similar schools in the benchmark year have Progress 8.",
    "no-expected-attainment": "No pupil has KS2 prior attainment, so no similar schools can "
    "be found.",
    "too-few-peers": "--peers is too few for a percentile.",
    "bad-percentile": "--percentile is not between 0 and 100.",
    # tracking
    "bad-config": "The tracking configuration file could not be used.",
    "bad-subgrades": "The [subgrades] table of the tracking configuration could not be read.",
    "bad-targets": "The targets file could not be read.",
    "bad-alert": "The configuration names an alert that does not exist.",
    "bad-labels": "--labels does not give one label per data drop.",
    "undated-drop": "A data drop's file name has no date, so the drops cannot be ordered.",
    "same-date-drops": "Two data drops carry the same date.",
    "already-running": "Another tracking run is writing the same folder.",
    # outputs
    "output-is-input": "An output would be written over an input file.",
    "cannot-write": "An output cannot be written (no permission, a full disk, a folder in "
    "the way).",
    "bad-template": "A pack template override could not be rendered.",
    "no-chromium": "A PDF pack needs headless Chromium, which is not installed.",
    "pdf-failed": "Chromium could not print the pack to PDF.",
}
