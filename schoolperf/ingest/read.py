"""Read an export (CSV, XLSX, Parquet) into a table of text cells with spreadsheet row numbers.

Nothing here knows about measures: every cell comes back as a string (blank = ``""``), and the
column ``_row`` holds the row number a spreadsheet would show (the header is row 1).

Each kind of file has its own reader (``csv_files``, ``excel``, ``parquet``): here a file is sent
to its reader, then its cells are stripped and checked for length (Arrow's CSV reader does both
itself) and its fully blank rows dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from schoolperf.errors import InputError, Problem
from schoolperf.ingest.checks import MAX_CELL, problem
from schoolperf.ingest.csv_files import read_csv, read_csv_arrow
from schoolperf.ingest.excel import read_excel
from schoolperf.ingest.parquet import read_parquet
from schoolperf.reference import ROW

PARQUET = (".parquet", ".pq")


def squeezed(text: Any) -> Any:
    """Arrow text in upper case without spaces or invisible characters: how two spellings of
    one school or pupil identifier compare."""
    import pyarrow.compute as pc

    # spaces, and the invisible characters pasted text carries (zero-width, BOM, soft hyphen)
    invisible = r"[\s\p{Z}\x{200B}-\x{200D}\x{2060}\x{FEFF}\x{00AD}]+"
    return pc.utf8_upper(pc.replace_substring_regex(text, invisible, ""))


def _check_cell_lengths(path: Path, table: pd.DataFrame, rows: Any) -> None:
    """A cell of more than MAX_CELL characters is a broken export, not data (``rows``: the
    spreadsheet row of each row of ``table``)."""
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
                    row=str(rows[index]),
                    column=str(column),
                    value=table.at[index, column],
                )
            )
    if problems:
        raise InputError(problems)


def _without_blank_rows(table: pd.DataFrame) -> pd.DataFrame:
    cells = table.drop(columns=ROW)
    return table[(cells != "").any(axis=1)].reset_index(drop=True)


def read_table(
    path: str | Path, sheet: str | None = None, header: int | None = None
) -> pd.DataFrame:
    """The first sheet/table of ``path`` as text cells, fully blank rows dropped, plus ``_row``;
    its headings on spreadsheet row ``header`` (``--header-row``), else on row 1 or found below
    a title, which is skipped with a warning."""
    path = Path(path)
    if not path.exists():
        raise problem(path, "no-such-file", "does not exist.", "Check the file name and folder.")
    if not path.is_file():  # never opened: reading a named pipe would wait for a writer
        raise problem(
            path,
            "not-a-file",
            "is not a regular file (it is a folder, a named pipe or a device).",
            "Give the name of the exported CSV, Excel or Parquet file itself.",
        )
    suffix = path.suffix.lower()
    stripped = False
    if suffix in (".xlsx", ".xlsm"):
        table = read_excel(path, sheet, header)
    elif suffix in PARQUET:
        table = read_parquet(path)
    elif suffix == ".xls":
        raise problem(
            path,
            "old-excel",
            "is an old-style .xls workbook.",
            "Open it in Excel and save it as .xlsx or CSV.",
        )
    else:
        table = read_csv_arrow(path) if header is None else None
        stripped = table is not None
        if table is None:
            table = read_csv(path, header)
    notes = table.attrs.get("warnings", [])  # the reader's, kept through the tidying
    # the spreadsheet's row numbers: a workbook's reader gives them (it skips blank rows)
    rows = table.pop(ROW).to_numpy() if ROW in table.columns else range(2, len(table) + 2)
    if not stripped:
        table.columns = [str(c).strip() for c in table.columns]
        table = table.astype(str).apply(lambda column: column.str.strip())
        _check_cell_lengths(path, table, rows)
    table[ROW] = rows
    table = _without_blank_rows(table)
    if table.empty:
        raise problem(
            path,
            "no-data-rows",
            "has a header but no data rows.",
            "Export the results again, including the pupils' rows.",
        )
    table.attrs["warnings"] = notes
    return table
