"""Read one sheet of an Excel workbook (.xlsx, .xlsm) into a table of text cells, each value as
Excel shows it."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import pandas as pd

from schoolperf.errors import InputError, Problem
from schoolperf.ingest.checks import check_binary, check_header, problem


def read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    """The one filled sheet (or ``sheet``) of a workbook, values as Excel shows them.

    Merged cells and formulas without a saved value are problems: both would silently read as
    blank cells."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_binary(path, workbook=True)
    try:
        values = load_workbook(path, read_only=False, data_only=True)
        formulas = load_workbook(path, read_only=False, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise problem(
            path,
            "unreadable-excel",
            f"could not be opened as an Excel workbook ({exc}).",
            "Open it in Excel, remove any password, and save it as .xlsx or CSV.",
        ) from None
    names = values.sheetnames
    if sheet is not None and sheet not in names:
        raise problem(
            path,
            "no-such-sheet",
            f"has no sheet named {sheet!r}.",
            f"Use one of: {', '.join(names)}.",
        )
    filled = [n for n in names if values[n].max_row > 1 or values[n]["A1"].value is not None]
    if sheet is None and len(filled) > 1:
        raise problem(
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
    check_header(path, header)
    data = sheet.iloc[1:].reset_index(drop=True)
    data.columns = [h or f"Unnamed: {i}" for i, h in enumerate(header)]
    return data
