"""DuckDB over Arrow: one in-memory connection per run on every core, and the plumbing
between pandas, Arrow and the queries the rules in :mod:`schoolperf.measures` are written as.

Where the engine spills beyond its memory limit is a folder of the run's own
(:func:`private_folder`): inside the output set's staging folder while one is open
(:func:`spilling_to`), else in ``--temp-dir`` or the system's temporary folder; it is removed
when the engine closes, and one a killed run left behind is removed by the next run."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schoolperf.errors import InputError, Problem
from schoolperf.frames import arrow_text

try:  # POSIX: a folder's lock is released by the kernel when its process dies, however it dies
    import fcntl
except ImportError:  # pragma: no cover - Windows: folders of other runs are left alone
    fcntl = None  # type: ignore[assignment]

SPILL_PREFIX = "schoolperf-duckdb-"
LOCK_NAME = ".lock"
UNLOCKED_GRACE = 60.0  # seconds: a folder with no lock file yet may be one being made
_SPILL_ROOTS: list[Path] = []  # where engines opened now spill (innermost last)


def hold(folder: Path, create: bool = True) -> int | None:
    """An open descriptor holding ``folder``'s lock (its lock file made with ``create``), or
    None where another process holds it. Close the descriptor to let go."""
    flags = os.O_RDWR | (os.O_CREAT if create else 0)
    descriptor = os.open(folder / LOCK_NAME, flags, 0o600)
    if fcntl is None:  # pragma: no cover
        if create:
            return descriptor
        os.close(descriptor)
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


def stale_folders(parent: str | Path, prefix: str) -> Iterator[Path]:
    """The folders ``prefix``… in ``parent`` whose run has ended (killed: no process holds their
    lock), each held while the caller deals with it; the caller removes it."""
    try:
        entries = sorted(Path(parent).iterdir())
    except OSError:
        return
    for folder in entries:
        if not folder.name.startswith(prefix) or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            descriptor = hold(folder, create=False)
        except FileNotFoundError:  # no lock file: a folder being made now, or one killed then
            if not _maker_alive(folder.name.removeprefix(prefix)) or _older(folder):
                yield folder
            continue
        except OSError:
            continue
        if descriptor is None:
            continue
        try:
            yield folder
        finally:
            os.close(descriptor)


def _maker_alive(rest: str) -> bool:
    """Whether the process whose id begins ``rest`` (``<pid>-…``, as :func:`new_folder` names
    a folder) still runs; True where that cannot be told."""
    try:
        os.kill(int(rest.split("-", 1)[0]), 0)
    except ValueError:
        return True
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it runs
        return True
    return True


def _older(folder: Path) -> bool:
    """Whether ``folder`` was last changed longer ago than :data:`UNLOCKED_GRACE`."""
    try:
        return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE
    except OSError:
        return False


def new_folder(parent: Path, prefix: str, remove_stale: bool = True) -> tuple[Path, int]:
    """A new folder ``prefix``<pid>-… in ``parent``, and the descriptor holding its lock; with
    ``remove_stale``, the folders of ``prefix`` killed runs left there are removed first."""
    parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_folders(parent, prefix) if remove_stale else ():
        shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    try:
        descriptor = hold(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    assert descriptor is not None  # a folder just made is nobody else's
    return folder, descriptor


@contextmanager
def private_folder(parent: str | Path | None, prefix: str) -> Iterator[Path]:
    """A new folder of this run's own in ``parent`` (by default the system's temporary folder),
    locked while the run uses it and removed afterwards; folders of ``prefix`` that killed runs
    left in ``parent`` are removed first."""
    root = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    try:
        folder, descriptor = new_folder(root, prefix)
    except OSError as exc:
        raise InputError(
            [
                Problem(
                    "cannot-write",
                    f"cannot be written ({exc.strerror or exc}).",
                    "Choose a folder you can write to, whose path is not taken by a file.",
                    file=str(root),
                )
            ]
        ) from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(descriptor)


@contextmanager
def spilling_to(folder: str | Path) -> Iterator[None]:
    """Engines opened in this block (without a ``temp_directory`` of their own) spill into a
    folder of their own inside ``folder``."""
    _SPILL_ROOTS.append(Path(folder))
    try:
        yield
    finally:
        _SPILL_ROOTS.remove(Path(folder))


@contextmanager
def connect(
    memory_limit: str | None = None, temp_directory: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB on every core for one run, closed afterwards. Beyond
    ``memory_limit`` (e.g. ``"4GB"``; DuckDB's default: 80% of the memory) it spills to a folder
    of its own, removed afterwards: inside ``temp_directory`` when given, else inside the
    folder :func:`spilling_to` names (an output set's staging folder), else in the system's
    temporary folder (never a folder in the user's working directory)."""
    with ExitStack() as stack:
        root = temp_directory or (_SPILL_ROOTS[-1] if _SPILL_ROOTS else None)
        spill = stack.enter_context(private_folder(root, SPILL_PREFIX))
        config = {"temp_directory": str(spill)}
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
