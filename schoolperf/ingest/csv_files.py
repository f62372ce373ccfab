"""Read a CSV export into a table of text cells.

A clean UTF-8 CSV is read by Arrow's multi-threaded reader; anything else (another encoding,
ragged or blank rows, blank or repeated headings, over-long cells) by pandas, which reports the
problems cell by cell. Here too: the encoding and the delimiter of a CSV, and the cells beyond
the header's width.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd

from schoolperf.errors import InputError, Problem
from schoolperf.ingest.checks import (
    MAX_CELL,
    check_binary,
    check_header,
    check_width,
    problem,
)
from schoolperf.reference import ROW

_DELIMITERS = ",;\t"
OTHER_SEPARATORS = "|:^~"


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
            raise problem(
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
        raise problem(
            path,
            "unknown-encoding",
            f"is not text in UTF-8 or Windows-1252 (byte {exc.start + 1} cannot be read).",
            "Save the file from Excel as 'CSV UTF-8 (Comma delimited)'.",
        ) from None


# a character of two to four bytes in UTF-8 (rarely a pair of Windows-1252 characters)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


class _Sniffer(csv.Sniffer):
    """The csv module's sniffer, whose search for quoted cells (slow as the square of the text
    or worse, on a line of many quotes) reads only the sample's first :data:`QUOTE_SAMPLE`
    characters; the count of each delimiter on each line still reads the whole sample."""

    def _guess_quote_and_delimiter(self, data: str, delimiters: str | None) -> Any:
        return super()._guess_quote_and_delimiter(data[:QUOTE_SAMPLE], delimiters)


QUOTE_SAMPLE = 4096


def _delimiter(text: str) -> str:
    """The delimiter of a CSV's text, from its first 50 lines."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return _Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        return max(_DELIMITERS, key=header.count)


def read_csv(path: Path, forced: int | None = None) -> pd.DataFrame:
    """Any CSV read by pandas, each problem reported with its row; its headings on row
    ``forced`` (``--header-row``), or found below a title (skipped with a warning); notes on
    its encoding kept in ``attrs["warnings"]``."""
    from schoolperf.ingest.headers import header_row, title_rows_warning

    check_binary(path)
    text, notes = _decode(path, path.read_bytes())
    if not text.strip():
        raise problem(path, "empty-file", "is empty.", "Export the results again.")
    delimiter = _delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
    first = list(islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 11))
    header_at = header_row(first, forced)
    if header_at > 1:  # the lines above the headings are left out, their numbers kept
        lines = text.split("\n", header_at - 1)
        text = lines[-1] if len(lines) == header_at else ""
        notes = [*notes, *title_rows_warning(path.name, header_at, forced is not None)]
    skipped = header_at - 1
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    if not any(cell.strip() for cell in header):
        raise problem(
            path,
            "blank-header-row",
            "has a blank first row, where the column headings belong.",
            "Delete the rows above the headings, so that row 1 holds them.",
        )
    check_header(path, header)
    if len(header) == 1:
        other = next((c for c in OTHER_SEPARATORS if c in header[0]), None)
        if other:
            raise problem(
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
        raise problem(
            path,
            "no-data-rows",
            "has a header but no data rows.",
            "Export the results again, including the pupils' rows.",
        ) from None
    except pd.errors.ParserError as exc:
        if "Expected" in str(exc):  # a row longer than the header: name the rows
            _check_extra_cells(path, text, delimiter, len(header), skipped)
        unclosed = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if unclosed:  # pandas counts the rows after the header from 0
            raise problem(
                path,
                "unclosed-quote",
                'has a quote (") opening a cell on this row that is never closed, so the rest '
                "of the file would read as one cell.",
                "Close the quote or delete it, then save the file again.",
                int(unclosed.group(1)) + 1 + skipped,
            ) from None
        raise problem(
            path,
            "malformed-csv",
            f"could not be read as CSV ({exc}).",
            "Check the file opens in Excel, then save it again as CSV.",
        ) from None
    if caught:
        _check_extra_cells(path, text, delimiter, len(header), skipped)
    if skipped:
        table[ROW] = range(header_at + 1, header_at + 1 + len(table))
    table.attrs["warnings"] = notes
    return table


def _arrow_csv_options(path: Path) -> tuple[list[str], Any, Any] | None:
    """Header and Arrow parse/convert options for a clean UTF-8 CSV (every cell read as text);
    ``None`` for anything else (another encoding, a blank or one-column header)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    check_binary(path)
    found = _utf8_header(path)
    if found is None:
        return None
    header, delimiter = found
    if len(header) < 2 or not all(cell.strip() for cell in header):
        return None
    check_header(path, header)
    return (
        header,
        pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
        pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


HEADER_LIMIT = 20 << 20  # bytes: 2,000 headings of 10,000 characters fit (all but quotes)


def _utf8_header(path: Path) -> tuple[list[str], str] | None:
    """The header of a UTF-8 CSV and its delimiter, read from the file's first 64 KiB, or more
    where the header is longer (a heading is never cut short); ``None`` for another encoding
    or a blank file. A header still unfinished after :data:`HEADER_LIMIT` bytes is refused."""
    size = 1 << 16
    while True:
        with open(path, "rb") as f:
            head = f.read(size)
            whole = not f.read(1)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return None
        try:
            sample = head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if whole or exc.start < len(head) - 4:  # not just a character cut at the end
                return None
            sample = head[: exc.start].decode("utf-8-sig")
        if not sample.strip():
            return None
        delimiter = _delimiter(sample)
        text = io.StringIO(sample, newline="")
        try:
            header = next(csv.reader(text, delimiter=delimiter), [])
        except csv.Error:  # a heading longer than the csv module reads: read by pandas
            return None
        if whole or text.tell() < len(sample):  # a line end follows the header
            return header, delimiter
        if size >= HEADER_LIMIT:
            check_width(path, len(header))
            raise problem(
                path,
                "cell-too-long",
                f"has a header row longer than {HEADER_LIMIT >> 20} MiB.",
                f"No heading should hold more than {MAX_CELL:,} characters; check the export.",
                row=1,
            )
        size = min(size * 4, HEADER_LIMIT)


ARROW_ERRORS = ("ArrowInvalid", "ArrowNotImplementedError", "ArrowKeyError")


def _is_arrow_error(exc: Exception) -> bool:
    return type(exc).__name__ in ARROW_ERRORS


def read_csv_arrow(path: Path) -> pd.DataFrame | None:
    """A clean UTF-8 CSV read by Arrow's multi-threaded reader, cells already stripped; ``None``
    for anything else (another encoding, ragged or blank rows, blank or repeated headings,
    over-long cells), which :func:`read_csv` then reads and reports on cell by cell."""
    table = _csv_text_table(path)
    return None if table is None else tidy_arrow(table)


def _csv_text_table(path: Path) -> Any | None:
    """A clean UTF-8 CSV read whole by Arrow's multi-threaded reader, as a table of text cells
    (not yet stripped); ``None`` for anything else (see :func:`read_csv_arrow`), or no rows."""
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


def _check_extra_cells(path: Path, text: str, delimiter: str, width: int, skipped: int = 0) -> None:
    """Rows longer than the header are fine when the extra cells are blank (a trailing
    delimiter); a filled extra cell would be lost, so it is a problem (``skipped``: rows above
    the headings, left out of ``text``). The extra cells are not quoted: they may hold names
    (an unquoted "Surname, Forename")."""
    problems = []
    for number, row in enumerate(
        csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1 + skipped
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
