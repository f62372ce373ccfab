"""Read an export (CSV, XLSX, Parquet) into a table of text cells with spreadsheet row numbers.

Nothing here knows about measures: every cell comes back as a string (blank = ``""``), and the
column ``_row`` holds the row number a spreadsheet would show (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import warnings
from collections import Counter
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
    delimiter = _delimiter(text)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    _check_header(path, header)
    try:
        # index_col=False: rows ending in a delimiter (common in exports) do not shift columns
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
            )
    except pd.errors.ParserError as exc:
        raise _problem(
            path,
            "malformed-csv",
            f"could not be read as CSV ({exc}).",
            "Check the file opens in Excel, then save it again as CSV.",
        ) from None
    if caught:
        _check_extra_cells(path, text, delimiter, len(header))
    return table


def _check_header(path: Path, header: list[str]) -> None:
    """Every column needs a distinct heading; duplicates would be read as two columns."""
    names = [str(h).strip() for h in header]
    repeated = sorted(name for name, count in Counter(names).items() if count > 1 and name)
    if repeated:
        raise InputError(
            [
                Problem(
                    "duplicate-header",
                    "appears more than once in the header row.",
                    "Rename or delete the extra column.",
                    file=path.name,
                    row="1",
                    column=name,
                )
                for name in repeated
            ]
        )


def _check_extra_cells(path: Path, text: str, delimiter: str, width: int) -> None:
    """Rows longer than the header are fine when the extra cells are blank (a trailing
    delimiter); a filled extra cell would be lost, so it is a problem."""
    problems = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        extra = [cell for cell in row[width:] if cell.strip()]
        if extra:
            problems.append(
                Problem(
                    "extra-cells",
                    f"has {len(row)} cells but the header has {width}.",
                    "Give the extra cells a heading, or delete them.",
                    file=path.name,
                    row=str(number),
                    value=extra[0],
                )
            )
    if problems:
        raise InputError(problems)


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(
            path,
            sheet_name=None,
            dtype=str,
            keep_default_na=False,
            engine="openpyxl",
            header=None,
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
        return _with_header(path, sheets[sheet])
    filled = {name: table for name, table in sheets.items() if not table.empty}
    if len(filled) > 1:
        raise _problem(
            path,
            "several-sheets",
            f"has {len(filled)} sheets with data ({', '.join(filled)}).",
            "Choose one with --sheet NAME.",
        )
    return _with_header(path, next(iter(filled.values()), next(iter(sheets.values()))))


def _with_header(path: Path, sheet: pd.DataFrame) -> pd.DataFrame:
    """The sheet's first row as its header (checked for duplicates), the rest as data."""
    if sheet.empty:
        return sheet
    header = [str(h).strip() for h in sheet.iloc[0]]
    _check_header(path, header)
    data = sheet.iloc[1:].reset_index(drop=True)
    data.columns = [h or f"Unnamed: {i}" for i, h in enumerate(header)]
    return data


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
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            table[column] = values.astype("Int64")  # 1.0 → "1", as a spreadsheet shows it
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
