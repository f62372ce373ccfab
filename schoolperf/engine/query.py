"""DuckDB over Arrow: one in-memory connection per run on every core, and the plumbing
between pandas, Arrow and the queries the rules in :mod:`schoolperf.measures` are written as."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schoolperf.errors import InputError, Problem
from schoolperf.frames import arrow_text


@contextmanager
def connect(
    memory_limit: str | None = None, temp_directory: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB on every core for one run, closed afterwards. Beyond
    ``memory_limit`` (e.g. ``"4GB"``; DuckDB's default: 80% of the memory) it spills to
    ``temp_directory``, by default a folder of its own in the system's temporary folder,
    removed afterwards (never a folder in the user's working directory)."""
    with ExitStack() as stack:
        if temp_directory is None:
            temp_directory = stack.enter_context(
                tempfile.TemporaryDirectory(prefix="schoolperf-duckdb-")
            )
        config = {"temp_directory": temp_directory}
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        try:
            connection = duckdb.connect(config=config)
        except duckdb.Error as error:  # a memory limit DuckDB cannot read
            raise InputError(
                [
                    Problem(
                        "bad-memory-limit",
                        f"--memory-limit {memory_limit!r} is not an amount of memory ({error}).",
                        "Give a number and a unit, such as 4GB or 500MB.",
                    )
                ]
            ) from None
        stack.callback(connection.close)
        yield connection


def as_arrow(frame: pa.Table | pd.DataFrame) -> tuple[pa.Table, np.ndarray]:
    """The results as Arrow (categoricals as dictionaries) and each row's id: the frame's
    index (``fill_slots``' ``result_id``), or for Arrow its position."""
    if isinstance(frame, pd.DataFrame):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return table.replace_schema_metadata(None), frame.index.to_numpy()
    return frame, np.arange(len(frame), dtype=np.int64)


def run_query(
    connection: duckdb.DuckDBPyConnection | None, sql: str, tables: dict[str, pa.Table]
) -> pa.Table:
    """``sql`` over ``tables`` (registered by name for the query only), as Arrow; without a
    ``connection``, on one of its own."""
    if connection is None:
        with connect() as own:
            return run_query(own, sql, tables)
    try:
        for name, table in tables.items():
            connection.register(name, table)
        return connection.sql(sql).to_arrow_table()
    finally:
        for name in tables:
            connection.unregister(name)


def in_order(column: pa.ChunkedArray, order: np.ndarray) -> pa.Array:
    """``column``'s values at ``order``; texts as a dictionary of the distinct texts in text
    order, the categorical ``frames.sorted_categorical`` makes of them."""
    if not arrow_text(column.type):
        return pa.array(column.to_numpy()[order])
    distinct = pc.unique(column).sort()
    codes = pc.index_in(column, value_set=distinct).to_numpy()[order]
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), distinct)


def text_order(texts: pa.Array) -> pa.Array:
    """Each text's place among the distinct texts in text order (missing stays missing): an
    integer that sorts and groups as the text does, as a categorical of sorted categories
    does in ``frames.sort_order`` (sorting by integers is far faster than by text)."""
    coded = texts if pa.types.is_dictionary(texts.type) else pc.dictionary_encode(texts)
    order = pc.rank(coded.dictionary, sort_keys="ascending").cast(
        pa.int32()
    )  # narrow: sorts faster
    return pc.take(order, coded.indices)
