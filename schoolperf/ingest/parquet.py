"""Read a Parquet file into a table of text cells, numbers written as a spreadsheet shows them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.frames import arrow_text
from schoolperf.ingest.checks import check_header, check_width, problem


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file's cells as text, its headings checked."""
    import pyarrow.parquet as pq

    def unreadable(exc: Exception) -> Exception:
        return problem(
            path,
            "unreadable-parquet",
            f"could not be read as Parquet ({exc}).",
            "Write the file again, or export CSV instead.",
        )

    try:
        columns = pq.read_metadata(path).num_columns
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError …
        raise unreadable(exc) from None
    check_width(path, columns)  # from the file's footer, before its cells are read
    try:
        table = pd.read_parquet(path)
        # text that is not UTF-8: pandas reads it, and fails later
        text = [f.name for f in pq.read_schema(path) if arrow_text(f.type) and f.name in table]
        if text:
            pq.read_table(path, columns=text).validate(full=True)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError …
        raise unreadable(exc) from None
    check_header(path, [str(c) for c in table.columns])
    try:
        return _parquet_text(table)
    except Exception as exc:  # e.g. bytes that are not UTF-8 in a binary column
        raise problem(
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
