"""CSV rows exactly as pandas' ``to_csv(index=False, lineterminator="\\n")`` writes them, built
column-wise with Arrow (issue 9: pandas' writer takes 10 µs a row of a national slot audit).

pandas formats each cell on its own and hands the rows to Python's ``csv`` module (minimal
quoting): floats as ``numpy`` ``astype(str)`` (shortest round trip, ``1e-05``), missing values
as empty cells, other values as ``str``, and a cell quoted (inner quotes doubled) where it holds a
comma, a quote or a line break. The same rules here, on whole columns (a categorical's text
once per category); a column of any other kind (dates) leaves the frame to pandas.
``tests/test_scale.py`` checks the bytes against pandas on generated frames.
"""

from __future__ import annotations

import csv
import io
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from schoolperf.frames import distinct_floats


def _quote_characters() -> str:
    """A regular-expression class of the characters that make Python's ``csv`` module (pandas'
    writer) quote a cell, asked of the module itself: a carriage return is quoted by some
    Python versions and not others."""
    found = []
    for character, pattern in ((",", ","), ('"', '"'), ("\n", r"\n"), ("\r", r"\r")):
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow([f"a{character}b", "c"])
        if line.getvalue().startswith('"'):
            found.append(pattern)
    return "[" + "".join(found) + "]"


_NEEDS_QUOTES = _quote_characters()


class _NotPlain(Exception):
    """A column this writer does not format (pandas writes the frame instead)."""


def write_frame_csv(frame: pd.DataFrame, handle: BinaryIO, header: bool = True) -> None:
    """``frame`` as UTF-8 CSV rows (and its heading row, unless ``header`` is false)."""
    if header:
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow([str(c) for c in frame.columns])
        handle.write(line.getvalue().encode("utf-8"))
    if frame.empty:
        return
    try:
        columns = [_text(frame.iloc[:, i]) for i in range(frame.shape[1])]
    except _NotPlain:
        handle.write(frame.to_csv(index=False, header=False, lineterminator="\n").encode())
        return
    import pyarrow.compute as pc

    rows = pc.binary_join_element_wise(*columns, _text_scalar(","))
    # each row followed by a line break
    lines = pc.binary_join_element_wise(rows, _text_scalar(""), _text_scalar("\n"))
    handle.write(_cell_bytes(lines))


def _text(values: pd.Series) -> Any:
    """One column's cells as a large_string Arrow array with no nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values.dtype, pd.CategoricalDtype):  # each category's text once
        categories = _text(pd.Series(values.cat.categories))
        codes = values.cat.codes.to_numpy()
        cells = pa.concat_arrays([categories, pa.array([""], pa.large_string())])
        return cells.take(pa.array(np.where(codes < 0, len(categories), codes)))
    kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else None
    if kind == "b":
        flags = pa.array(values.to_numpy())
        return pc.if_else(flags, _text_scalar("True"), _text_scalar("False"))
    if kind in ("i", "u") or (kind is None and pd.api.types.is_integer_dtype(values)):
        numbers = pa.array(values, from_pandas=True)  # Arrow's integer text is Python's
        return pc.fill_null(pc.cast(numbers, pa.large_string()), _text_scalar(""))
    if kind == "f":
        return _float_text(values.to_numpy())
    if kind is None and pd.api.types.is_string_dtype(values):  # pandas text: Arrow's own
        text = pa.array(values, pa.large_string(), from_pandas=True)
        if isinstance(text, pa.ChunkedArray):  # pandas' Arrow-backed text may come in chunks
            text = text.combine_chunks()
        return _quoted(pc.fill_null(text, ""))
    if kind == "O" or pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        text = values.astype(object).where(values.notna(), "").astype(str)
        return _quoted(pa.array(text.to_numpy(dtype=object), pa.large_string()))
    raise _NotPlain(values.name)  # dates and other kinds: pandas formats them


def _float_text(values: np.ndarray) -> Any:
    """:func:`_float_cells`, once per distinct value where values repeat (points and grades of
    a slot audit: a few dozen values in a block of 131,072), distinct by their bits (``-0.0``
    is not ``0.0``)."""
    if values.dtype != np.float64 or len(values) < 2:
        return _float_cells(values)
    distinct, codes = distinct_floats(values)
    if 4 * len(distinct) > len(values):
        return _float_cells(values)
    import pyarrow as pa

    return _float_cells(distinct).take(pa.array(codes))


def _float_cells(values: np.ndarray) -> Any:
    """Floats as ``numpy`` writes them (``repr``: shortest round trip). Arrow gives the same
    digits ten times faster, but writes whole numbers without ``.0`` and switches between
    positional and exponent forms at other sizes: it is used from 0.0001 up to 10^10 (``.0``
    added to whole numbers; checked over 10^7 values), numpy for the few values outside; NaN
    is an empty cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.dtype != np.float64:
        text = values.astype(str)
        return pa.array(np.where(np.isnan(values), "", text), pa.large_string())
    size = np.abs(values)
    arrow_form = ((size >= 1e-4) & (size < 1e10)) | (values == 0)
    text = pc.cast(pa.array(values, from_pandas=True), pa.large_string())
    whole = pa.array(arrow_form & (values == np.floor(values)))
    text = pc.if_else(
        whole, pc.binary_join_element_wise(text, _text_scalar(".0"), _text_scalar("")), text
    )
    other = ~arrow_form & ~np.isnan(values)
    if other.any():
        numpy_form = pa.array(values[other].astype(str), pa.large_string())
        text = pc.replace_with_mask(text, pa.array(other), numpy_form)
    return pc.fill_null(text, _text_scalar(""))


def _quoted(text: Any) -> Any:
    """Cells with a comma, quote or line break in quotes, inner quotes doubled."""
    import pyarrow.compute as pc

    if not _holds_quote_characters(text):  # most columns: no cell looked at one by one
        return text
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    mark = _text_scalar('"')
    quoted = pc.binary_join_element_wise(
        mark, pc.replace_substring(text, '"', '""'), mark, _text_scalar("")
    )
    return pc.if_else(needs, quoted, text)


def _holds_quote_characters(text: Any) -> bool:
    """Whether any cell of a large_string array (no nulls) may be quoted: holds a comma, quote
    or line break, from its bytes at once (UTF-8 never uses these bytes within another
    character)."""
    cells = _cell_bytes(text).tobytes()
    return any(character in cells for character in (b",", b'"', b"\n", b"\r"))


def _cell_bytes(text: Any) -> memoryview:
    """The UTF-8 bytes of a large_string array's cells, one after another (no copy)."""
    _, offsets, data = text.buffers()
    if data is None:  # no cell holds a character
        return memoryview(b"")
    ends = np.frombuffer(offsets, dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    return memoryview(data)[ends[0] : ends[-1]]


def _text_scalar(text: str) -> Any:
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())
