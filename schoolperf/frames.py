"""Small DataFrame helpers shared by the pipeline."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with categorical columns back as their categories' own type (text)."""
    return frame.astype(
        {
            c: frame[c].cat.categories.dtype
            for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)
        }
    )


def on_distinct(
    frame: pd.DataFrame, columns: list[str], compute: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """Run ``compute`` once per distinct combination of ``columns`` and spread the result back
    to every row (same index as ``frame``). Exports repeat a few dozen subjects and grades over
    millions of rows, so text work on the distinct values is what keeps large files fast."""
    ids = frame.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(range(len(ids)), index=frame.index).groupby(ids).first().to_numpy()
    distinct = plain_text(frame.iloc[first][columns].reset_index(drop=True))
    result = compute(distinct)
    return result.iloc[ids].set_index(frame.index)
