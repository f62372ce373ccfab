"""Read one sheet of an Excel workbook (.xlsx, .xlsm) into a table of text cells, each value as
Excel shows it.

The workbook is read straight from its zip (:mod:`schoolperf.ingest.xlsx_parts`), a part at a
time and as a stream, so that the time and memory it takes follow its real content: before a
sheet's cells, the size its ``<dimension>`` claims is checked; as the cells come, their rows,
columns and length, and the rows × columns the table would fill. Only the cells with a value
are kept, each with its row and column.
"""

from __future__ import annotations

import datetime
import zipfile
from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.errors import InputError, Problem, may_be_personal, value_kind
from schoolperf.ingest.checks import MAX_COLUMNS, check_binary, check_header, problem
from schoolperf.ingest.xlsx_parts import (
    MAX_TEXT,
    RESAVE,
    Parts,
    cell_position,
    date_styles,
    has_data,
    local_name,
    refuse,
    shared_strings,
    sheets_of,
)
from schoolperf.reference import ROW

MAX_ROWS = 1_048_576  # Excel's own limit
MAX_CELLS = 30_000_000  # rows with data × columns: a full sheet of 28 columns
# rows with data × columns at most this many times the cells with a value (beyond a floor): a
# wide export's blank grades are far fewer
SPARSE, SPARSE_FLOOR = 100, 5_000_000
# cells with a value at most this many a byte of the compressed sheet (beyond a floor): a real
# sheet takes two bytes or more a cell, as its values vary
DENSE, DENSE_FLOOR = 1, 200_000


def _cell_text(value: object) -> str:
    """A cell as text the way Excel shows it: 5.0 → "5", dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    return str(value)


def _number(text: str) -> int | float:
    """A number cell's value: a whole number without a point or exponent, else a float."""
    return float(text) if "." in text or "e" in text or "E" in text else int(text)


def read_excel(path: Path, sheet: str | None, header: int | None = None) -> pd.DataFrame:
    """The one filled sheet (or ``sheet``) of a workbook, values as Excel shows them, and the
    spreadsheet row of each row in ``ROW`` (rows without data are left out); its headings on
    row ``header``, or found (:func:`~schoolperf.ingest.headers.header_row`).

    Merged cells and formulas without a saved value are problems: both would silently read as
    blank cells."""
    check_binary(path, workbook=True)
    try:
        book = Parts(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise refuse(
            path,
            "unreadable-excel",
            f"could not be opened as an Excel workbook ({exc}).",
            "Open it in Excel, remove any password, and save it as .xlsx or CSV.",
        ) from None
    with book.zip:
        main = book.main()
        sheets, date1904 = sheets_of(book, main)
        names = list(sheets)
        if sheet is not None and sheet not in sheets:
            raise problem(
                path,
                "no-such-sheet",
                f"has no sheet named {sheet!r}.",
                f"Use one of: {', '.join(names)}.",
            )
        if sheet is None and len(names) > 1:
            filled = [n for n in names if has_data(book, sheets[n])]
            if len(filled) > 1:
                raise problem(
                    path,
                    "several-sheets",
                    f"has {len(filled)} sheets with data ({', '.join(filled)}).",
                    "Choose one with --sheet NAME.",
                )
            sheet = filled[0] if filled else names[0]
        name = sheet or (names[0] if names else "")
        if not sheets.get(name):
            return pd.DataFrame()
        parts = book.relations(main).values()
        reader = _SheetReader(
            path,
            shared_strings(book, [t for k, t in parts if k == "sharedStrings"]),
            date_styles(book, [t for k, t in parts if k == "styles"]),
            date1904,
        )
        reader.compressed = book.compressed_size(sheets[name])
        book.parse(sheets[name], reader.handlers(), sheet=True)
    return _table(path, reader, name, header)


class _SheetReader:
    """The cells of a sheet as expat reads them: each cell's text by column, with its row.

    A cell with neither value nor formula is passed over; a formula without a saved value is
    kept aside, as are merged ranges. Rows, columns and the rows × columns the table would fill
    are checked as each cell comes."""

    def __init__(
        self,
        path: Path,
        shared: list[str],
        styles: tuple[set[int], set[int]],
        date1904: bool,
    ):
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH

        self.path = path
        self.shared = shared
        self.dates, self.durations = styles
        self.date_styles = {str(style) for style in self.dates}
        self.epoch = CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH
        self.columns: dict[int, tuple[array, list[str]]] = {}
        self.rows: set[int] = set()
        self.width = 0
        self.merged: list[str] = []
        self.formulas: list[tuple[int, int, str]] = []
        self.shared_formulas: dict[str, tuple[str, str]] = {}
        self.numbers: dict[str, str] = {}
        self.letters: dict[str, int] = {}
        self.count = 0  # cells with a value
        self.compressed = 0  # bytes of the sheet's part in the zip
        self.last_row = 0
        self.row = self.column = 0
        self.cell: dict[str, str] = {}
        self.value: list[str] | None = None
        self.formula: list[str] | None = None
        self.formula_attrs: dict[str, str] = {}
        self.inline: list[str] | None = None
        self.target: list[str] | None = None
        self.length = 0
        self.phonetic = False

    def handlers(self) -> dict[str, Callable]:
        return {
            "StartElementHandler": self.start,
            "EndElementHandler": self.end,
            "CharacterDataHandler": self.characters,
        }

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "c":
            self.cell, self.value, self.formula, self.inline = attrs, None, None, None
        elif tag == "v":
            self.target = self.value = []
            self.length = 0
        elif tag == "row":
            number = attrs.get("r")
            self.row = int(number) if number and number.isdecimal() else self.row + 1
            self.column = 0
            if self.row > MAX_ROWS:
                self._too_many_rows(self.row)
        elif tag == "t":
            if self.inline is not None and not self.phonetic:
                self.target = self.inline
        elif tag == "f":
            self.target = self.formula = []
            self.formula_attrs = attrs
            self.length = 0
        elif tag == "is":
            self.inline = []
            self.length = 0
        elif tag == "rPh":
            self.phonetic = True
        elif tag == "dimension":
            self._check_claim(attrs.get("ref", ""))
        elif tag == "mergeCell":
            self.merged.append(attrs.get("ref", ""))
        elif ":" in tag:  # a name with a namespace prefix, such as x:c
            self.start(local_name(tag), attrs)

    def end(self, tag: str) -> None:
        if tag == "v" or tag == "t" or tag == "f":
            self.target = None
        elif tag == "c":
            self._end_cell()
        elif tag == "rPh":
            self.phonetic = False
        elif ":" in tag:
            self.end(local_name(tag))

    def characters(self, data: str) -> None:
        if self.target is not None:
            self.target.append(data)
            self.length += len(data)
            if self.length > MAX_TEXT:
                raise InputError(
                    [
                        Problem(
                            "cell-too-long",
                            f"holds more than {MAX_TEXT:,} characters, more than Excel allows.",
                            "No cell should hold more than 10,000; check the export.",
                            file=self.path.name,
                            row=str(self.row),
                        )
                    ]
                )

    def _position(self, ref: str) -> None:
        """Move to the cell ``ref`` (such as ``AB12``), its letters' column looked up once."""
        letters = ref.rstrip("0123456789")
        column = self.letters.get(letters)
        try:
            if column is None:
                column = self.letters[letters] = cell_position(ref)[1]
            self.row, self.column = int(ref[len(letters) :]), column
        except ValueError:
            raise self._bad(f"a cell reference {ref!r} that is not one") from None

    def _end_cell(self) -> None:
        ref = self.cell.get("r")
        if ref:
            self._position(ref)
        else:
            self.column += 1
        kind = self.cell.get("t", "n")
        pieces = self.inline if kind == "inlineStr" and self.inline else self.value or ()
        raw = pieces[0] if len(pieces) == 1 else "".join(pieces)
        if raw == "":
            if self.formula is not None and len(self.formulas) < 200:
                self.formulas.append((self.row, self.column, self._formula_text(ref or "")))
            return
        if self.row > MAX_ROWS:
            self._too_many_rows(self.row)
        if self.column > MAX_COLUMNS:
            from openpyxl.utils import get_column_letter

            raise problem(
                self.path,
                "too-many-columns",
                f"has a cell in column {get_column_letter(self.column)} (row {self.row:,}), "
                f"column number {self.column:,}: more than the {MAX_COLUMNS:,} columns any pupil "
                "export holds.",
                "Delete the columns right of the data (and any stray cell far to the right), "
                "then save it again.",
            )
        if kind == "n" and self.cell.get("s") not in self.date_styles:
            text = self.numbers.get(raw) or self._text(raw, kind)
        else:
            text = self._text(raw, kind)
        cells = self.columns.get(self.column)
        if cells is None:
            cells = self.columns[self.column] = (array("q"), [])
        cells[0].append(self.row)
        cells[1].append(text)
        self.count += 1
        if self.row != self.last_row or self.column > self.width:
            self.last_row = self.row
            self.rows.add(self.row)
            self.width = max(self.width, self.column)
            self._check_size()

    def _text(self, raw: str, kind: str) -> str:
        """A cell's value as Excel shows it, from its saved text and its type."""
        if kind == "s":
            try:
                return self.shared[int(raw) if raw.isdecimal() else len(self.shared)]
            except IndexError:
                what = f"a text cell naming a shared text {raw!r} it does not hold"
                raise self._bad(what) from None
        if kind in ("str", "inlineStr", "e"):
            return raw
        if kind == "b":
            return str(raw.strip() not in ("0", "false", ""))
        try:
            if kind == "d":
                from openpyxl.utils.datetime import from_ISO8601

                return _cell_text(from_ISO8601(raw))
            style = self.cell.get("s", "0")
            if style.isdecimal() and int(style) in self.dates:
                return self._date(_number(raw), int(style))
            text = self.numbers.get(raw)
            if text is None:
                text = self.numbers[raw] = _cell_text(_number(raw))
            return text
        except ValueError:
            # (what the cell holds is described, not quoted: it may be personal)
            raise self._bad(f"a number cell holding {value_kind(raw)}, not a number") from None

    def _date(self, value: float, style: int) -> str:
        from openpyxl.utils.datetime import from_excel

        try:
            return _cell_text(from_excel(value, self.epoch, timedelta=style in self.durations))
        except (OverflowError, ValueError):
            return "#VALUE!"

    def _formula_text(self, ref: str) -> str:
        """A formula as Excel shows it, that of a shared formula moved to this cell."""
        text = "=" + "".join(self.formula or ())
        attrs = self.formula_attrs
        if attrs.get("t") != "shared":
            return text
        index = attrs.get("si", "")
        if text != "=":
            self.shared_formulas.setdefault(index, (text, ref))
            return text
        if index in self.shared_formulas and ref:
            from openpyxl.formula.translate import Translator

            formula, origin = self.shared_formulas[index]
            return Translator(formula, origin).translate_formula(ref)
        return text

    def _check_claim(self, ref: str) -> None:
        """Refuse a sheet whose ``<dimension>`` claims more rows or columns than any export."""
        try:
            corners = [cell_position(corner) for corner in ref.split(":")]
        except ValueError:
            return  # only a claim: the cells are checked as they come
        rows = max(r for r, _ in corners) - min(r for r, _ in corners) + 1
        columns = max(c for _, c in corners) - min(c for _, c in corners) + 1
        if max(r for r, _ in corners) > MAX_ROWS:
            self._too_many_rows(max(r for r, _ in corners))
        if columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
            self._too_large(f"says its sheet spans {ref}: {rows:,} rows × {columns:,} columns")

    def _check_size(self) -> None:
        """Refuse a sheet whose table would be far beyond its real content: more cells than any
        export, mostly blank, or more cells than its compressed size could really hold."""
        rows, cells = len(self.rows), self.count
        if rows * self.width > max(SPARSE_FLOOR, SPARSE * cells):
            raise problem(
                self.path,
                "sheet-too-large",
                f"has {rows:,} rows with data across {self.width:,} columns, "
                f"{rows * self.width:,} cells of which only {cells:,} hold a value.",
                "Delete the empty columns and stray cells far from the data (Ctrl+End in Excel "
                "shows where it thinks the data ends), then save it again.",
            )
        if rows * self.width > MAX_CELLS:
            self._too_large(f"has {rows:,} rows with data across {self.width:,} columns")
        if cells > max(DENSE_FLOOR, DENSE * self.compressed):
            raise problem(
                self.path,
                "sheet-too-large",
                f"holds over {cells:,} cells in {self.compressed:,} bytes: the same cells "
                "repeated far beyond any real export.",
                RESAVE,
            )

    def _too_many_rows(self, row: int) -> None:
        raise problem(
            self.path,
            "too-many-rows",
            f"has a row numbered {row:,}, beyond the {MAX_ROWS:,} rows Excel allows.",
            "Export the results again from the MIS, as CSV if they have more rows than Excel "
            "holds.",
        )

    def _too_large(self, size: str) -> None:
        raise problem(
            self.path,
            "sheet-too-large",
            f"{size}, more than the {MAX_CELLS:,} cells or {MAX_COLUMNS:,} columns of any "
            "pupil export.",
            "In Excel, delete the empty rows and columns beyond the data (Ctrl+End shows where "
            "Excel thinks it ends), then save it again.",
        )

    def _bad(self, what: str) -> InputError:
        return problem(self.path, "unreadable-excel", f"has {what}.", RESAVE, row=self.row)

    def first_rows(self, count: int) -> list[list[str]]:
        """Rows 1 to ``count`` as lists of text, blank rows included."""
        rows = [[""] * self.width for _ in range(count)]
        for column, (numbers, texts) in self.columns.items():
            for at in np.flatnonzero(np.frombuffer(numbers, dtype=np.int64) <= count):
                rows[numbers[at] - 1][column - 1] = texts[at]
        return rows


def _table(path: Path, reader: _SheetReader, sheet: str, forced: int | None = None) -> pd.DataFrame:
    """The sheet's cells as a table (its headings' row the header, each row below with data a
    row, its spreadsheet row in ``ROW``; a title above the headings skipped, with a warning), or
    its merged cells and formulas without values below the title as problems."""
    from schoolperf.ingest.headers import header_row, title_rows_warning

    header_at = header_row(reader.first_rows(11), forced)
    problems = []
    for ref in reader.merged:
        try:
            corners = [cell_position(corner) for corner in ref.split(":")]
        except ValueError:
            corners = [(0, 0)]
        if min(corners)[0] >= header_at:  # a title merged across the top is skipped with it
            problems.append((min(corners), ref))
    formulas = [(row, column, f) for row, column, f in reader.formulas if row > header_at]
    listed = [
        Problem(
            "merged-cells",
            f"has merged cells {ref} on sheet {sheet!r}.",
            "Unmerge them and fill every cell, then save again.",
            file=path.name,
            row=str(corner[0]),
        )
        for corner, ref in sorted(problems)
    ]
    if listed or formulas:
        headings = reader.first_rows(header_at)[header_at - 1]
        listed += [
            Problem(
                "formula-without-value",
                "holds a formula with no saved value.",
                "Open the workbook in Excel, let it calculate, and save it (or paste the values).",
                file=path.name,
                row=str(row),
                column=headings[column - 1] if column <= reader.width else None,
                value=formula,
                personal=may_be_personal(formula),
            )
            for row, column, formula in formulas
        ]
        raise InputError(listed[:200])
    if not reader.width:
        return pd.DataFrame()
    numbers = np.array(sorted(r for r in reader.rows if r > header_at), dtype=np.int64)
    header = [""] * reader.width
    data: dict[int, np.ndarray] = {}
    for column in range(1, reader.width + 1):
        cells = np.full(len(numbers), "", dtype=object)
        found, texts = reader.columns.get(column, (array("q"), []))
        where = np.frombuffer(found, dtype=np.int64) if len(found) else np.zeros(0, np.int64)
        values = np.empty(len(texts), dtype=object)
        values[:] = texts
        if (where == header_at).any():
            header[column - 1] = values[where == header_at][-1].strip()
        below = where > header_at
        cells[np.searchsorted(numbers, where[below])] = values[below]
        data[column - 1] = cells
    check_header(path, header)
    table = pd.DataFrame(data, dtype=object)
    table.columns = [h or f"Unnamed: {i}" for i, h in enumerate(header)]
    table[ROW] = numbers
    table.attrs["warnings"] = title_rows_warning(path.name, header_at, forced is not None)
    return table
