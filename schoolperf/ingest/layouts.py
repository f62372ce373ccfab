"""Long and wide layouts: detect which one a table is, and turn the wide layout into the long one.

Long: one row per pupil per result, with ``subject`` and ``grade`` columns (docs/contract.md §1).
Wide: one row per pupil, one column per subject whose cells are grades (docs/contract.md §2).
"""

from __future__ import annotations

import pandas as pd

from schoolperf.ingest.headers import CONTEXT_COLUMNS, PUPIL_COLUMNS
from schoolperf.ingest.read import ROW
from schoolperf.measures.points import grade_codes, is_no_entry
from schoolperf.reference import normalise_label, subject_catalogue


def detect_layout(columns: list[str]) -> str:
    """``long`` when the table has a grade column and a subject or QAN column, else ``wide``."""
    has = set(columns)
    return "long" if "grade" in has and ("subject" in has or "qan" in has) else "wide"


def subject_columns(table: pd.DataFrame, subjects_file: str | None = None) -> list[str]:
    """Columns of a wide table that hold grades: catalogue subjects, or any other column that
    is not a pupil or context column and whose every filled cell is a grade."""
    catalogue = subject_catalogue(subjects_file)
    aliases = set(catalogue["alias"])
    fixed = set(PUPIL_COLUMNS) | set(CONTEXT_COLUMNS) | {ROW}
    chosen = []
    for column in table.columns:
        if column in fixed:
            continue
        if normalise_label(column) in aliases:
            chosen.append(column)
            continue
        cells = table[column][~is_no_entry(table[column])]
        if cells.empty:
            continue
        codes = grade_codes(cells, pd.Series("", index=cells.index))
        if codes["code"].notna().all():
            chosen.append(column)
    return chosen


def wide_to_long(table: pd.DataFrame, subjects: list[str]) -> pd.DataFrame:
    """One row per pupil per filled subject cell; pupil columns repeated, ``_row`` kept."""
    pupil_columns = [c for c in table.columns if c not in subjects]
    long = table.melt(
        id_vars=pupil_columns, value_vars=subjects, var_name="subject", value_name="grade"
    )
    long = long[long["grade"] != ""]
    order = {name: i for i, name in enumerate(subjects)}
    long = long.assign(_order=long["subject"].map(order)).sort_values([ROW, "_order"])
    return long.drop(columns="_order").reset_index(drop=True)
