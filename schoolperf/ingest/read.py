"""Read an export (CSV, XLSX, Parquet) into a table of text cells with spreadsheet row numbers.

Nothing here knows about measures: every cell comes back as a string (blank = ``""``), and the
column ``_row`` holds the row number a spreadsheet would show (the header is row 1).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import warnings
import zipfile
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from schoolperf.errors import InputError, Problem
from schoolperf.frames import arrow_text
from schoolperf.reference import ROW

_DELIMITERS = ",;\t"


def _problem(path: Path, code: str, message: str, fix: str, row: int | None = None) -> InputError:
    return InputError(
        [Problem(code, message, fix, file=path.name, row=None if row is None else str(row))]
    )


def _decode(path: Path, raw: bytes) -> tuple[str, list[str]]:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252; and a
    warning where text read as Windows-1252 also holds what looks like UTF-8."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), []
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        # UTF-8 text (accents, emoji) with a byte pasted from elsewhere: its UTF-8 characters
        # far outnumber the bytes that are not (in Windows-1252 text a pair such as "É–" only
        # looks like one now and then)
        foreign = raw.decode("utf-8", errors="replace").count("\ufffd")
        alike = len(_UTF8_SEQUENCE.findall(raw))
        if alike >= 3 * foreign:
            raise _problem(
                path,
                "mixed-encoding",
                "is UTF-8 text, but for a byte on this row that is not UTF-8 (pasted from "
                "another program?): read as Windows-1252 instead, its other accents would be "
                "garbled.",
                "Correct that row, or save the file again from Excel as 'CSV UTF-8 (Comma "
                "delimited)'.",
                raw.count(b"\n", 0, exc.start) + 1,
            ) from None
    notes = (
        [
            f"The file is not UTF-8, so it was read as Windows-1252, but {alike} of its "
            "characters look like UTF-8 (an accent may show as two characters, such as 'Ã©'). "
            "If names look wrong, save the file again as 'CSV UTF-8 (Comma delimited)'."
        ]
        if alike
        else []
    )
    try:
        return raw.decode("cp1252"), notes
    except UnicodeDecodeError as exc:
        raise _problem(
            path,
            "unknown-encoding",
            f"is not text in UTF-8 or Windows-1252 (byte {exc.start + 1} cannot be read).",
            "Save the file from Excel as 'CSV UTF-8 (Comma delimited)'.",
        ) from None


# a character of two to four bytes in UTF-8 (rarely a pair of Windows-1252 characters)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        return max(_DELIMITERS, key=header.count)


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and old .xls
ZIP_HEADER = b"PK\x03\x04"
MAX_CELL = 10_000  # characters; no real export has a longer cell
OTHER_SEPARATORS = "|:^~"


def _check_binary(path: Path, workbook: bool = False) -> None:
    """Refuse binary files from their first bytes, before reading a possibly huge file
    (for a workbook, only the password-protected/old-Excel container)."""
    with open(path, "rb") as f:
        head = f.read(65536)
    if head.startswith(OLE_HEADER):
        raise _problem(
            path,
            "protected-or-old-excel",
            "is a password-protected workbook or an old .xls file, which cannot be read.",
            "Open it in Excel, remove any password, and save it as .xlsx or CSV UTF-8.",
        )
    if workbook:
        return
    if head.startswith(ZIP_HEADER):
        raise _problem(
            path,
            "excel-named-csv",
            "is an Excel workbook saved with a CSV name.",
            "Rename it to .xlsx, or save it from Excel as CSV UTF-8.",
        )
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _problem(
            path,
            "not-a-table",
            "is not a CSV, Excel or Parquet file (it holds binary data).",
            "Export the results from the MIS as CSV or Excel.",
        )


def _read_csv(path: Path) -> pd.DataFrame:
    _check_binary(path)
    text, notes = _decode(path, path.read_bytes())
    if not text.strip():
        raise _problem(path, "empty-file", "is empty.", "Export the results again.")
    delimiter = _delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    if not any(cell.strip() for cell in header):
        raise _problem(
            path,
            "blank-header-row",
            "has a blank first row, where the column headings belong.",
            "Delete the rows above the headings, so that row 1 holds them.",
        )
    _check_header(path, header)
    if len(header) == 1:
        other = next((c for c in OTHER_SEPARATORS if c in header[0]), None)
        if other:
            raise _problem(
                path,
                "wrong-delimiter",
                f"is separated by {other!r}, not by commas, semicolons or tabs.",
                "Save it again as CSV (comma separated), or replace the separators.",
            )
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
    except pd.errors.EmptyDataError:
        raise _problem(
            path,
            "no-data-rows",
            "has a header but no data rows.",
            "Export the results again, including the pupils' rows.",
        ) from None
    except pd.errors.ParserError as exc:
        if "Expected" in str(exc):  # a row longer than the header: name the rows
            _check_extra_cells(path, text, delimiter, len(header))
        unclosed = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if unclosed:  # pandas counts the rows after the header from 0
            raise _problem(
                path,
                "unclosed-quote",
                'has a quote (") opening a cell on this row that is never closed, so the rest '
                "of the file would read as one cell.",
                "Close the quote or delete it, then save the file again.",
                int(unclosed.group(1)) + 1,
            ) from None
        raise _problem(
            path,
            "malformed-csv",
            f"could not be read as CSV ({exc}).",
            "Check the file opens in Excel, then save it again as CSV.",
        ) from None
    if caught:
        _check_extra_cells(path, text, delimiter, len(header))
    table.attrs["warnings"] = notes
    return table


def _arrow_csv_options(path: Path) -> tuple[list[str], Any, Any] | None:
    """Header and Arrow parse/convert options for a clean UTF-8 CSV (every cell read as text);
    ``None`` for anything else (another encoding, a blank or one-column header)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    _check_binary(path)
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        sample = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            return None
        sample = head[: exc.start].decode("utf-8-sig")
    if not sample.strip():
        return None
    delimiter = _delimiter(sample)
    header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
    if len(header) < 2 or not all(cell.strip() for cell in header):
        return None
    _check_header(path, header)
    return (
        header,
        pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
        pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def csv_header(path: Path) -> list[str] | None:
    """The headings of a clean UTF-8 CSV as written (``None`` for any other file)."""
    options = _arrow_csv_options(path)
    return None if options is None else options[0]


ARROW_ERRORS = ("ArrowInvalid", "ArrowNotImplementedError", "ArrowKeyError")


def _is_arrow_error(exc: Exception) -> bool:
    return type(exc).__name__ in ARROW_ERRORS


def _unreadable(exc: Exception) -> bool:
    """An error of Arrow's reading or writing, or of the disk: the file is then read whole
    (and any problem with it reported)."""
    return _is_arrow_error(exc) or isinstance(exc, OSError)


def _read_csv_arrow(path: Path) -> pd.DataFrame | None:
    """A clean UTF-8 CSV read by Arrow's multi-threaded reader, cells already stripped; ``None``
    for anything else (another encoding, ragged or blank rows, blank or repeated headings,
    over-long cells), which :func:`_read_csv` then reads and reports on cell by cell."""
    table = _csv_text_table(path)
    return None if table is None else tidy_arrow(table)


def _csv_text_table(path: Path) -> Any | None:
    """A clean UTF-8 CSV read whole by Arrow's multi-threaded reader, as a table of text cells
    (not yet stripped); ``None`` for anything else (see :func:`_read_csv_arrow`), or no rows."""
    import pyarrow.csv as pacsv

    options = _arrow_csv_options(path)
    if options is None:
        return None
    header, parse, convert = options
    try:
        table = pacsv.read_csv(path, parse_options=parse, convert_options=convert)
    except Exception as exc:
        if _is_arrow_error(exc):
            return None
        raise
    if table.num_rows == 0 or table.column_names != header:
        return None
    return table


def tidy_arrow(table: Any) -> pd.DataFrame | None:
    """An Arrow table of text cells as a DataFrame, every cell stripped (``ROW`` kept as it is);
    ``None`` where a cell is over-long, for the cell-by-cell reader to report."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name == ROW:
            columns[name] = column
            continue
        # text work on each distinct value only, then spread back by the codes
        coded = column.combine_chunks().dictionary_encode()
        values = pc.utf8_trim_whitespace(coded.dictionary)
        if len(values) and pc.max(pc.utf8_length(values)).as_py() > MAX_CELL:
            return None
        same = pc.all(pc.equal(values, coded.dictionary)).as_py() is not False
        columns[name.strip()] = column if same else pc.take(values, coded.indices)
    return pa.table(columns).to_pandas()


PARQUET = (".parquet", ".pq")


def squeezed(text: Any) -> Any:
    """Arrow text in upper case without spaces or invisible characters: how two spellings of
    one school or pupil identifier compare."""
    import pyarrow.compute as pc

    # spaces, and the invisible characters pasted text carries (zero-width, BOM, soft hyphen)
    invisible = r"[\s\p{Z}\x{200B}-\x{200D}\x{2060}\x{FEFF}\x{00AD}]+"
    return pc.utf8_upper(pc.replace_substring_regex(text, invisible, ""))


def _check_header(path: Path, header: list[str]) -> None:
    """Every column needs a distinct heading (ignoring case, spacing and punctuation), or one
    of two columns would be silently ignored."""
    from schoolperf.reference import normalise_label

    names = [str(h).strip() for h in header]
    counts = Counter(normalise_label(n) for n in names if n)
    repeated = sorted({normalise_label(n) for n in names if n and counts[normalise_label(n)] > 1})
    if repeated:
        raise InputError(
            [
                Problem(
                    "duplicate-header",
                    "appears more than once in the header row.",
                    "Rename or delete the extra column.",
                    file=path.name,
                    row="1",
                    column=" / ".join(
                        dict.fromkeys(n for n in names if normalise_label(n) == label)
                    ),
                )
                for label in repeated
            ]
        )


def _check_extra_cells(path: Path, text: str, delimiter: str, width: int) -> None:
    """Rows longer than the header are fine when the extra cells are blank (a trailing
    delimiter); a filled extra cell would be lost, so it is a problem. Headings below a title
    row are one problem, not one a row. The extra cells are not quoted: they may hold names
    (an unquoted "Surname, Forename")."""
    from schoolperf.ingest.headers import check_headings_first

    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    check_headings_first(path.name, list(islice(rows, 11)))
    problems = []
    for number, row in enumerate(
        csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
    ):
        if any(cell.strip() for cell in row[width:]):
            problems.append(
                Problem(
                    "extra-cells",
                    f"has {len(row)} cells but the header has {width}.",
                    "Give the extra cells a heading, or delete them.",
                    file=path.name,
                    row=str(number),
                )
            )
    if problems:
        raise InputError(problems)


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    """The one filled sheet (or ``sheet``) of a workbook, values as Excel shows them.

    Merged cells and formulas without a saved value are problems: both would silently read as
    blank cells."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_binary(path, workbook=True)
    try:
        values = load_workbook(path, read_only=False, data_only=True)
        formulas = load_workbook(path, read_only=False, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise _problem(
            path,
            "unreadable-excel",
            f"could not be opened as an Excel workbook ({exc}).",
            "Open it in Excel, remove any password, and save it as .xlsx or CSV.",
        ) from None
    names = values.sheetnames
    if sheet is not None and sheet not in names:
        raise _problem(
            path,
            "no-such-sheet",
            f"has no sheet named {sheet!r}.",
            f"Use one of: {', '.join(names)}.",
        )
    filled = [n for n in names if values[n].max_row > 1 or values[n]["A1"].value is not None]
    if sheet is None and len(filled) > 1:
        raise _problem(
            path,
            "several-sheets",
            f"has {len(filled)} sheets with data ({', '.join(filled)}).",
            "Choose one with --sheet NAME.",
        )
    name = sheet or (filled[0] if filled else names[0])
    ws, wf = values[name], formulas[name]
    problems = [
        Problem(
            "merged-cells",
            f"has merged cells {merged.coord} on sheet {name!r}.",
            "Unmerge them and fill every cell, then save again.",
            file=path.name,
            row=str(merged.min_row),
        )
        for merged in sorted(ws.merged_cells.ranges, key=lambda m: (m.min_row, m.min_col))
    ]
    rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    for r, row in enumerate(wf.iter_rows(values_only=True), start=1):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("=") and rows[r - 1][c] == "":
                problems.append(
                    Problem(
                        "formula-without-value",
                        "holds a formula with no saved value.",
                        "Open the workbook in Excel, let it calculate, and save it (or paste the "
                        "values).",
                        file=path.name,
                        row=str(r),
                        column=str(rows[0][c]) if rows else None,
                        value=value,
                    )
                )
    if problems:
        from schoolperf.ingest.headers import check_headings_first

        check_headings_first(path.name, rows[:11])  # a title, merged across the top, say
        raise InputError(problems[:200])
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return _with_header(path, pd.DataFrame(rows, dtype=str))


def _cell_text(value: object) -> str:
    """A cell as text the way Excel shows it: 5.0 → "5", dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    return str(value)


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
    import pyarrow.parquet as pq

    try:
        table = pd.read_parquet(path)
        # text that is not UTF-8: pandas reads it, and fails later
        text = [f.name for f in pq.read_schema(path) if arrow_text(f.type) and f.name in table]
        if text:
            pq.read_table(path, columns=text).validate(full=True)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError …
        raise _problem(
            path,
            "unreadable-parquet",
            f"could not be read as Parquet ({exc}).",
            "Write the file again, or export CSV instead.",
        ) from None
    _check_header(path, [str(c) for c in table.columns])
    try:
        return _parquet_text(table)
    except Exception as exc:  # e.g. bytes that are not UTF-8 in a binary column
        raise _problem(
            path,
            "unreadable-parquet",
            f"could not be read as Parquet text ({type(exc).__name__}: {exc}).",
            "Write the file again, or export CSV instead.",
        ) from None


def _parquet_text(table: pd.DataFrame) -> pd.DataFrame:
    """Parquet cells as text, blank where missing; a number column of whole numbers only as
    whole numbers (1.0 → "1", as a spreadsheet shows it)."""
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_float_dtype(values) and _whole_numbers(
            values.to_numpy(dtype=np.float64, na_value=np.nan)
        ):
            table[column] = values.astype("Int64")
    return table.astype("string").fillna("").astype(str)


def _whole_numbers(values: np.ndarray) -> bool:
    """Every number (NaN aside) a whole number that a 64-bit integer holds."""
    values = values[~np.isnan(values)]
    with np.errstate(invalid="ignore"):  # infinity has no remainder: not whole
        whole = (values % 1 == 0) & (values >= -(2.0**63)) & (values < 2.0**63)
    return bool(whole.all())


def _check_cell_lengths(path: Path, table: pd.DataFrame) -> None:
    """A cell of more than MAX_CELL characters is a broken export, not data."""
    problems = []
    for column in table.columns:
        long = table[column].str.len() > MAX_CELL
        for index in table.index[long][:5]:
            problems.append(
                Problem(
                    "cell-too-long",
                    f"holds {len(table.at[index, column]):,} characters.",
                    f"No cell should hold more than {MAX_CELL:,}; check the export.",
                    file=path.name,
                    row=str(index + 2),
                    column=str(column),
                    value=table.at[index, column],
                )
            )
    if problems:
        raise InputError(problems)


def _without_blank_rows(table: pd.DataFrame) -> pd.DataFrame:
    cells = table.drop(columns=ROW)
    return table[(cells != "").any(axis=1)].reset_index(drop=True)


def read_table(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """The first sheet/table of ``path`` as text cells, fully blank rows dropped, plus ``_row``."""
    path = Path(path)
    if not path.is_file():
        raise _problem(path, "no-such-file", "does not exist.", "Check the file name and folder.")
    suffix = path.suffix.lower()
    stripped = False
    if suffix in (".xlsx", ".xlsm"):
        table = _read_excel(path, sheet)
    elif suffix in PARQUET:
        table = _read_parquet(path)
    elif suffix == ".xls":
        raise _problem(
            path,
            "old-excel",
            "is an old-style .xls workbook.",
            "Open it in Excel and save it as .xlsx or CSV.",
        )
    else:
        table = _read_csv_arrow(path)
        stripped = table is not None
        if table is None:
            table = _read_csv(path)
    notes = table.attrs.get("warnings", [])  # the reader's, kept through the tidying
    if not stripped:
        table.columns = [str(c).strip() for c in table.columns]
        table = table.astype(str).apply(lambda column: column.str.strip())
        _check_cell_lengths(path, table)
    table[ROW] = range(2, len(table) + 2)
    table = _without_blank_rows(table)
    if table.empty:
        raise _problem(
            path,
            "no-data-rows",
            "has a header but no data rows.",
            "Export the results again, including the pupils' rows.",
        )
    table.attrs["warnings"] = notes
    return table
