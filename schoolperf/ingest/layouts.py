"""Long and wide layouts: detect which one a table is, and turn the wide layout into the long one.

Long: one row per pupil per result, with ``subject`` and ``grade`` columns (docs/contract.md §1).
Wide: one row per pupil, one column per subject whose cells are grades (docs/contract.md §2).
"""

from __future__ import annotations

import numpy as np
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
    is not a pupil or context column and whose every filled cell is a grade.

    Each distinct value of the other columns is read once, whatever the number of columns."""
    catalogue = subject_catalogue(subjects_file)
    aliases = set(catalogue["alias"])
    fixed = set(PUPIL_COLUMNS) | set(CONTEXT_COLUMNS) | {ROW}
    named = {c for c in table.columns if c not in fixed and normalise_label(c) in aliases}
    others = [c for c in table.columns if c not in fixed and c not in named]
    values = {c: table[c].unique() for c in others}
    distinct = pd.Series(pd.unique(np.concatenate([*values.values(), np.array([""])])))
    grade = grade_codes(distinct, pd.Series("", index=distinct.index))["code"].notna()
    # each distinct value: None where it means no entry (blank, X), else whether it is a grade
    state = {
        value: None if blank else bool(ok)
        for value, blank, ok in zip(distinct, is_no_entry(distinct), grade, strict=True)
    }
    graded = {
        column
        for column, found in values.items()
        if {state.get(value) for value in found} - {None} == {True}
    }
    return [c for c in table.columns if c in named or c in graded]


def wide_to_long(table: pd.DataFrame, subjects: list[str]) -> pd.DataFrame:
    """One row per pupil per filled subject cell; pupil columns repeated, ``_row`` kept; rows
    in spreadsheet order, then in the order of the subject columns."""
    pupil_columns = [c for c in table.columns if c not in subjects]
    ordered = table.iloc[np.argsort(table[ROW].to_numpy(), kind="stable")]
    grades = ordered[subjects].to_numpy(dtype=object)
    rows, columns = np.nonzero(grades != "")
    long = ordered[pupil_columns].iloc[rows].reset_index(drop=True)
    long["subject"] = pd.Series(np.asarray(subjects, dtype=object)[columns]).astype(str)
    long["grade"] = pd.Series(grades[rows, columns]).astype(str)
    return long
