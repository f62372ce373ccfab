"""Small DataFrame helpers shared by the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def sorted_categorical(texts: np.ndarray) -> pd.Categorical:
    """An array of Python strings as the categorical :func:`as_categories` makes of it (the
    distinct texts sorted), without first making a text column of every row."""
    codes, distinct = pd.factorize(texts, sort=True)
    return pd.Categorical.from_codes(codes, pd.Index(distinct))


def arrow_text(kind: Any) -> bool:
    """An Arrow type of text: strings, large strings, or a dictionary of either."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


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
    frame: pd.DataFrame,
    columns: list[str],
    compute: Callable[[pd.DataFrame], pd.DataFrame],
    categorical: bool = False,
) -> pd.DataFrame:
    """Run ``compute`` once per distinct combination of ``columns`` and spread the result back
    to every row (same index as ``frame``). Exports repeat a few dozen subjects and grades over
    millions of rows, so text work on the distinct values is what keeps large files fast.
    ``categorical``: text results come back as categoricals with sorted categories (those
    :func:`as_categories` would give), spread by their codes instead of copying text."""
    ids, result = computed_once(frame, columns, compute)
    if not categorical:
        return result.iloc[ids].set_index(frame.index)
    out = {}
    for name, values in result.items():
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            coded = values.astype("category")  # as as_categories would make it, then spread
            out[name] = pd.Categorical.from_codes(
                coded.cat.codes.to_numpy()[ids], coded.cat.categories
            )
        else:
            out[name] = values.to_numpy()[ids]
    return pd.DataFrame(out, index=frame.index)


def computed_once(
    frame: pd.DataFrame, columns: list[str], compute: Callable[[pd.DataFrame], pd.DataFrame]
) -> tuple[np.ndarray, pd.DataFrame]:
    """``compute`` run once per distinct combination of ``columns``: each row's combination
    number, and the results by number (see :func:`on_distinct`)."""
    ids, first = distinct_rows(frame, columns)
    distinct = plain_text(frame.iloc[first][columns].reset_index(drop=True))
    return ids, compute(distinct)


def distinct_floats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a float array and each value's position among them, distinct
    by their bits: ``-0.0`` is not ``0.0`` where they are written as text."""
    codes, bits = pd.factorize(np.asarray(values, np.float64).view(np.int64))  # hashed: no sort
    return np.asarray(bits).view(np.float64), codes


def text_categorical(ids: np.ndarray, texts: pd.Series, size: int, blank: str = "") -> pd.Series:
    """A column of ``size`` rows holding ``texts[ids]`` (``ids`` -1: ``blank``), kept as a
    categorical: millions of rows of a few thousand texts cost a few bytes a row."""
    codes, categories = pd.factorize(pd.concat([texts, pd.Series([blank])], ignore_index=True))
    return pd.Series(
        pd.Categorical.from_codes(codes[np.where(ids < 0, len(texts), ids)], categories)
    )


def _sort_key(values: pd.Series, ascending: bool) -> np.ndarray:
    """Integer or float key that sorts like ``sort_values`` (missing values last either way)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # categories are sorted: codes sort
        key = values.cat.codes.to_numpy().astype(np.int64)
        key = np.where(key < 0, len(values.cat.categories), key)
        return key if ascending else np.where(key == len(values.cat.categories), key, -key)
    if pd.api.types.is_datetime64_any_dtype(values):
        missing = values.isna().to_numpy()
        key = values.to_numpy().view(np.int64)  # in the column's own unit: 3024 fits too
        key = key if ascending else -key
        return np.where(missing, np.iinfo(np.int64).max, key)
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        key = values.to_numpy(dtype=np.int64)
        return key if ascending else -key
    if pd.api.types.is_numeric_dtype(values):
        key = values.to_numpy(dtype=float)
        return np.where(np.isnan(key), np.inf, key if ascending else -key)
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    key = np.where(codes < 0, codes.max(initial=0) + 1, codes)
    return key if ascending else np.where(codes < 0, key, -key)


def _dense(key: np.ndarray) -> tuple[np.ndarray, int]:
    """``key`` as dense non-negative integers in the same order, and their count: integer
    keys of a narrow range (categorical codes, flags, units) by an offset, anything else by a
    sorted factorisation."""
    if key.dtype.kind in "iub" and len(key):
        low, high = int(key.min()), int(key.max())
        if high - low < 2 * len(key) + 64:
            return key.astype(np.int64) - low, high - low + 1
    codes, uniques = pd.factorize(key, sort=True)
    return codes.astype(np.int64), max(len(uniques), 1)


def _composite(keys: list[np.ndarray], size: int) -> tuple[np.ndarray, int] | None:
    """One integer key sorting like ``keys`` (most significant first) and its span; ``None``
    where it would not fit in 63 bits."""
    composite, span = np.zeros(size, dtype=np.int64), 1
    for key in keys:
        codes, count = _dense(key)
        span *= count
        if span >= 2**62:
            return None
        composite = composite * count + codes
    return composite, span


def sort_order(frame: pd.DataFrame, columns: list[str], ascending: list[bool]) -> np.ndarray:
    """Row positions in the order ``frame.sort_values(columns, ascending=ascending)`` gives
    (stable, missing values last), by one stable argsort of a composite integer key."""
    keys = [_sort_key(frame[c], a) for c, a in zip(columns, ascending, strict=True)]
    if not keys:
        return np.arange(len(frame))
    # one composite integer key (dense ranks, most significant first) sorts far faster than
    # a lexsort over many keys; lexsort where the composite would not fit in 63 bits
    composite = _composite(keys, len(frame))
    if composite is None:
        return np.lexsort(keys[::-1])
    return np.argsort(composite[0], kind="stable")


def repeated_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Rows equal in every one of ``columns`` to the row before: ``frame.duplicated(columns)``
    of a frame sorted by them (equal rows are then neighbours), by comparing integer codes
    (categoricals' codes, dates' ticks) instead of hashing the rows."""
    same = np.ones(max(len(frame) - 1, 0), dtype=bool)
    for column in columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            key = values.cat.codes.to_numpy()
        elif pd.api.types.is_datetime64_dtype(values):
            key = values.to_numpy().view(np.int64)  # NaT is one value, as duplicated has it
        else:
            return frame.duplicated(columns).to_numpy()
        same &= key[1:] == key[:-1]
    return np.r_[False, same] if len(frame) else np.zeros(0, dtype=bool)


def rank_within(
    frame: pd.DataFrame, groups: list[str], order: list[str], ascending: list[bool]
) -> np.ndarray:
    """Each row's rank (0 = first) within its group of ``groups`` columns, in the order of
    ``order`` (ties keep row order): the ``sort_values`` + ``groupby().cumcount()`` idiom
    without building the sorted frame."""
    return ranked_groups(frame, groups, order, ascending)[0]


def ranked_groups(
    frame: pd.DataFrame, groups: list[str], order: list[str], ascending: list[bool]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rank_within`, and each row's group's first row (its position in ``frame``)."""
    if not len(frame):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    group_keys = [_sort_key(frame[c], True) for c in groups]
    grouped = _composite(group_keys, len(frame)) if groups else (np.zeros(len(frame), np.int64), 1)
    if grouped is None:  # too many groups for one key: number them first
        grouped = (distinct_rows(frame, groups)[0].astype(np.int64), len(frame))
    group, span = grouped
    order_keys = [_sort_key(frame[c], a) for c, a in zip(order, ascending, strict=True)]
    within = _composite(order_keys, len(frame))
    if within is not None and span * within[1] < 2**62:
        positions = np.argsort(group * within[1] + within[0], kind="stable")
    else:
        positions = np.lexsort([*order_keys[::-1], group])
    index = np.arange(len(frame))
    first = run_starts(group[positions])
    rank = np.empty(len(frame), dtype=np.int64)
    rank[positions] = index - first
    leader = np.empty(len(frame), dtype=np.int64)
    leader[positions] = positions[first]
    return rank, leader


def run_starts(keys: np.ndarray) -> np.ndarray:
    """For each position of sorted ``keys``, the position where its run of equal keys starts
    (a position minus it is its rank within the run)."""
    index = np.arange(len(keys))
    if not len(keys):
        return index
    return np.maximum.accumulate(np.where(np.r_[True, keys[1:] != keys[:-1]], index, 0))


def pupil_positions(upn: pd.Series, pupils: pd.Index) -> np.ndarray:
    """Each row's position in ``pupils``: a categorical pupil key's own codes when its
    categories are the pupils, else a lookup."""
    if isinstance(upn.dtype, pd.CategoricalDtype) and upn.cat.categories.equals(pupils):
        return upn.cat.codes.to_numpy().astype(np.int64)  # int8 codes would overflow in sums
    return pupils.get_indexer(upn)


def positions_in(values: pd.Series, labels: tuple[str, ...]) -> np.ndarray:
    """Each value's position in ``labels`` (-1 where it is not one), looked up once per
    distinct value."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, distinct = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, distinct = pd.factorize(values)
    return np.append(pd.Index(labels).get_indexer(distinct), -1)[codes]
