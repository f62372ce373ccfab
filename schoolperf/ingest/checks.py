"""The checks every reader of an export makes, and the problem it raises for a whole file.

A file is refused from its first bytes when it holds binary data (a workbook or other file under
a CSV name, a password-protected or old Excel workbook), and a header is refused when two columns
share a heading or when it has more columns than any pupil export (:data:`MAX_COLUMNS`), before
the cells below it are read.
"""

from __future__ import annotations

from pathlib import Path

from schoolperf.errors import InputError, Problem

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and old .xls
ZIP_HEADER = b"PK\x03\x04"
MAX_CELL = 10_000  # characters; no real export has a longer cell
# columns; a wide export of 60 subjects with a few columns each is far below
MAX_COLUMNS = 2_000


def problem(path: Path, code: str, message: str, fix: str, row: int | None = None) -> InputError:
    """The problem with a whole file (or one row of it), as an input error."""
    return InputError(
        [Problem(code, message, fix, file=path.name, row=None if row is None else str(row))]
    )


def check_binary(path: Path, workbook: bool = False) -> None:
    """Refuse binary files from their first bytes, before reading a possibly huge file
    (for a workbook, only the password-protected/old-Excel container)."""
    with open(path, "rb") as f:
        head = f.read(65536)
    if head.startswith(OLE_HEADER):
        raise problem(
            path,
            "protected-or-old-excel",
            "is a password-protected workbook or an old .xls file, which cannot be read.",
            "Open it in Excel, remove any password, and save it as .xlsx or CSV UTF-8.",
        )
    if workbook:
        return
    if head.startswith(ZIP_HEADER):
        raise problem(
            path,
            "excel-named-csv",
            "is an Excel workbook saved with a CSV name.",
            "Rename it to .xlsx, or save it from Excel as CSV UTF-8.",
        )
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise problem(
            path,
            "not-a-table",
            "is not a CSV, Excel or Parquet file (it holds binary data).",
            "Export the results from the MIS as CSV or Excel.",
        )


def check_width(path: Path, columns: int) -> None:
    """Refuse a table of more than :data:`MAX_COLUMNS` columns, before its cells are read."""
    if columns > MAX_COLUMNS:
        raise problem(
            path,
            "too-many-columns",
            f"has {columns:,} columns, more than the {MAX_COLUMNS:,} any pupil export holds.",
            "Delete the empty and unneeded columns (in Excel, those right of the data too), "
            "then save the file again.",
            row=1,
        )


def check_header(path: Path, header: list[str]) -> None:
    """Every column needs a distinct heading (ignoring case, spacing and punctuation), or one
    of two columns would be silently ignored; and there are at most :data:`MAX_COLUMNS`
    headings, none over :data:`MAX_CELL` characters."""
    from schoolperf.reference import normalise_label

    check_width(path, len(header))
    names = [str(h).strip() for h in header]
    long = next((i for i, name in enumerate(names) if len(name) > MAX_CELL), None)
    if long is not None:
        raise InputError(
            [
                Problem(
                    "cell-too-long",
                    f"has a heading of {len(names[long]):,} characters in column {long + 1}.",
                    f"No cell should hold more than {MAX_CELL:,}; check the export.",
                    file=path.name,
                    row="1",
                    value=names[long],
                )
            ]
        )
    spellings: dict[str, list[str]] = {}
    for name in names:
        if name:
            spellings.setdefault(normalise_label(name), []).append(name)
    repeated = sorted(label for label, found in spellings.items() if len(found) > 1)
    if repeated:
        raise InputError(
            [
                Problem(
                    "duplicate-header",
                    "appears more than once in the header row.",
                    "Rename or delete the extra column.",
                    file=path.name,
                    row="1",
                    column=" / ".join(dict.fromkeys(spellings[label])),
                )
                for label in repeated
            ]
        )
