"""Small DataFrame helpers shared by the pipeline."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def as_categories(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Text columns (those repeating a few values over many rows) as categoricals with sorted
    categories: sorts, groups and joins then work on integer codes, in text order."""
    text = [
        c
        for c in frame.columns
        if c not in exclude and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
    ]
    return frame.astype(dict.fromkeys(text, "category"))


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one after another; categorical columns stay categorical, over the union of
    their categories (sorted), instead of falling back to text."""
    from pandas.api.types import union_categoricals

    columns = list(frames[0].columns)
    coded = [c for c in columns if all(isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)]
    out = pd.concat([f.drop(columns=coded) for f in frames], ignore_index=True)
    for column in coded:
        out[column] = union_categoricals([f[column] for f in frames], sort_categories=True)
    return out[columns]


def plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with categorical columns back as their categories' own type (text)."""
    return frame.astype(
        {
            c: frame[c].cat.categories.dtype
            for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)
        }
    )


def distinct_rows(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the number of its distinct combination of ``columns``; and the first row
    of each combination. Works on integer codes (categoricals' own codes, else factorised)."""
    key = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, size = values.cat.codes.to_numpy(), len(values.cat.categories)
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            size = len(uniques)
        if len(key) and (int(key.max()) + 1) * (size + 1) >= 2**62:  # keep the key exact
            key = pd.factorize(key)[0].astype(np.int64)
        key = key * (size + 1) + (codes.astype(np.int64) + 1)  # NaN (code -1) is its own value
    ids, _ = pd.factorize(key)
    # factorize numbers combinations in order of appearance: a row is the first of its
    # combination exactly where its number exceeds every number before it
    seen = np.maximum.accumulate(np.concatenate([[-1], ids[:-1]])) if len(ids) else ids
    return ids, np.flatnonzero(ids > seen)


def on_distinct(
    frame: pd.DataFrame, columns: list[str], compute: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """Run ``compute`` once per distinct combination of ``columns`` and spread the result back
    to every row (same index as ``frame``). Exports repeat a few dozen subjects and grades over
    millions of rows, so text work on the distinct values is what keeps large files fast."""
    ids, result = computed_once(frame, columns, compute)
    return result.iloc[ids].set_index(frame.index)


def computed_once(
    frame: pd.DataFrame, columns: list[str], compute: Callable[[pd.DataFrame], pd.DataFrame]
) -> tuple[np.ndarray, pd.DataFrame]:
    """``compute`` run once per distinct combination of ``columns``: each row's combination
    number, and the results by number (see :func:`on_distinct`)."""
    ids, first = distinct_rows(frame, columns)
    distinct = plain_text(frame.iloc[first][columns].reset_index(drop=True))
    return ids, compute(distinct)


def text_categorical(ids: np.ndarray, texts: pd.Series, size: int, blank: str = "") -> pd.Series:
    """A column of ``size`` rows holding ``texts[ids]`` (``ids`` -1: ``blank``), kept as a
    categorical: millions of rows of a few thousand texts cost a few bytes a row."""
    codes, categories = pd.factorize(pd.concat([texts, pd.Series([blank])], ignore_index=True))
    return pd.Series(
        pd.Categorical.from_codes(codes[np.where(ids < 0, len(texts), ids)], categories)
    )
