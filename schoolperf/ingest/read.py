"""Read an export (CSV, XLSX, Parquet) into a table of text cells with spreadsheet row numbers.

Nothing here knows about measures: every cell comes back as a string (blank = ``""``), and the
column ``_row`` holds the row number a spreadsheet would show (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from schoolperf.errors import InputError, Problem

ROW = "_row"
_DELIMITERS = ",;\t"


def _problem(path: Path, code: str, message: str, fix: str) -> InputError:
    return InputError([Problem(code, message, fix, file=path.name)])


def _decode(path: Path, raw: bytes) -> str:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _problem(
            path,
            "unknown-encoding",
            f"is not text in UTF-8 or Windows-1252 (byte {exc.start + 1} cannot be read).",
            "Save the file from Excel as 'CSV UTF-8 (Comma delimited)'.",
        ) from None


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        return max(_DELIMITERS, key=header.count)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _problem(
            path,
            "not-a-table",
            "is not a CSV, Excel or Parquet file (it holds binary data).",
            "Export the results from the MIS as CSV or Excel.",
        )
    text = _decode(path, raw)
    if not text.strip():
        raise _problem(path, "empty-file", "is empty.", "Export the results again.")
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=_delimiter(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise _problem(
            path,
            "malformed-csv",
            f"could not be read as CSV ({exc}).",
            "Check the file opens in Excel, then save it again as CSV.",
        ) from None
    return table


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(
            path, sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    except Exception as exc:  # openpyxl raises many types for damaged or encrypted files
        raise _problem(
            path,
            "unreadable-excel",
            f"could not be opened as an Excel workbook ({exc}).",
            "Open it in Excel, remove any password, and save it as .xlsx or CSV.",
        ) from None
    if sheet is not None:
        if sheet not in sheets:
            raise _problem(
                path,
                "no-such-sheet",
                f"has no sheet named {sheet!r}.",
                f"Use one of: {', '.join(sheets)}.",
            )
        return sheets[sheet]
    filled = {name: table for name, table in sheets.items() if not table.empty}
    if len(filled) > 1:
        raise _problem(
            path,
            "several-sheets",
            f"has {len(filled)} sheets with data ({', '.join(filled)}).",
            "Choose one with --sheet NAME.",
        )
    return next(iter(filled.values()), next(iter(sheets.values())))


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError …
        raise _problem(
            path,
            "unreadable-parquet",
            f"could not be read as Parquet ({exc}).",
            "Write the file again, or export CSV instead.",
        ) from None
    return table.astype("string").fillna("").astype(str)


def read_table(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """The first sheet/table of ``path`` as text cells, fully blank rows dropped, plus ``_row``."""
    path = Path(path)
    if not path.is_file():
        raise _problem(path, "no-such-file", "does not exist.", "Check the file name and folder.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _read_excel(path, sheet)
    elif suffix in (".parquet", ".pq"):
        table = _read_parquet(path)
    elif suffix == ".xls":
        raise _problem(
            path,
            "old-excel",
            "is an old-style .xls workbook.",
            "Open it in Excel and save it as .xlsx or CSV.",
        )
    else:
        table = _read_csv(path)
    table.columns = [str(c).strip() for c in table.columns]
    table = table.astype(str).apply(lambda column: column.str.strip())
    table[ROW] = range(2, len(table) + 2)
    cells = table.drop(columns=ROW)
    table = table[(cells != "").any(axis=1)].reset_index(drop=True)
    if table.empty:
        raise _problem(
            path,
            "no-data-rows",
            "has a header but no data rows.",
            "Export the results again, including the pupils' rows.",
        )
    return table
