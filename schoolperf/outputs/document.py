"""The JSON document (docs/contract.md §3) as text, its pupils array streamed.

Everything but the pupils array is indented as ``json.dumps(..., indent=2)`` writes it. The
pupils array holds one pupil per line, each the compact object ``json.dumps`` writes for it,
built column by column through Arrow: every distinct value is encoded once by the standard
library's own encoder, then spread by Arrow's string kernels; memory holds one block of pupils'
text at a time, never the whole array as Python objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring
from typing import Any

import numpy as np

from schoolperf.frames import arrow_text, distinct_floats

PUPILS_PER_BLOCK = 1 << 15


def document_text(
    document: dict[str, Any], pupils: Any = None, default: Callable[[Any], Any] | None = None
) -> Iterator[bytes]:
    """``document``'s JSON text (UTF-8) in pieces. ``pupils``, an Arrow table of one row per
    pupil, is written as the ``pupils`` member, a line per pupil (``json.loads`` of the whole
    gives ``pupils.to_pylist()`` there); ``None`` writes ``document`` as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def member(key: str, value: object) -> bytes:  # `  "key": value`, indented as in the whole
        return ("  " + _key(key) + ": " + indented(value, "  ", default)).encode()

    yield b"{\n"
    for number, (key, value) in enumerate(document.items()):
        if number:
            yield b",\n"
        if key != "pupils" or pupils is None:
            yield member(key, value)
        elif pupils.num_rows == 0:
            yield member(key, [])
        else:
            yield member(key, None).removesuffix(b"null") + b"["
            for start in range(0, pupils.num_rows, PUPILS_PER_BLOCK):
                lines = json_lines(pupils.slice(start, PUPILS_PER_BLOCK))
                block = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], pa.int64()), lines)
                text = pc.binary_join(block, _literal(",\n    "))[0]  # Arrow's bytes, no str
                yield b"\n    " if start == 0 else b",\n    "
                yield text.as_buffer().to_pybytes()
            yield b"\n  ]"
    yield b"\n}\n"


PLAIN = (str, int, float, type(None))  # what json.dumps writes as it is (bool is an int)


def indented(value: object, pad: str = "", default: Callable[[Any], Any] | None = None) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False, default=default)`` at indent ``pad``,
    with the standard library's C encoder for every object or array of plain values (the
    indenting encoder is pure Python: the 3,000 schools of a national ``by`` block took 0.5 s)."""
    inner = pad + "  "
    if isinstance(value, dict):
        items = value.items()
        values: Any = value.values()
    elif isinstance(value, (list, tuple)):
        items, values = None, value
    elif isinstance(value, PLAIN) or default is None:
        return json.dumps(value, ensure_ascii=False)
    else:  # what json.dumps does with what it cannot write: writes default's value instead
        return indented(default(value), pad, default)
    if not values:
        return "{}" if items is not None else "[]"
    if all(isinstance(v, PLAIN) for v in values):
        flat = json.dumps(value, ensure_ascii=False, separators=(",\n" + inner, ": "))
        return flat[0] + "\n" + inner + flat[1:-1] + "\n" + pad + flat[-1]
    if items is None:
        lines = [inner + indented(v, inner, default) for v in values]
        return "[\n" + ",\n".join(lines) + "\n" + pad + "]"
    lines = [inner + _key(k) + ": " + indented(v, inner, default) for k, v in items]
    return "{\n" + ",\n".join(lines) + "\n" + pad + "}"


def _key(key: object) -> str:
    """An object's key as ``json.dumps`` writes it (text, or a number or true/false as text)."""
    return json.dumps({key: 0}, ensure_ascii=False, separators=(",", ":"))[1:-3]


def json_lines(table: Any) -> Any:
    """Each row of ``table`` as the text ``json.dumps(row, ensure_ascii=False)`` writes for
    ``table.to_pylist()``'s dict of it (an Arrow string array). Columns hold numbers, true or
    false, text (dictionaries too) or lists of these or of structs of these."""
    names = table.column_names
    return _objects(names, [table.column(n).combine_chunks() for n in names])


def _literal(text: str) -> Any:
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())


def _objects(names: list[str], arrays: list[Any]) -> Any:
    """JSON objects of the values of ``arrays`` in turn, keyed by ``names``."""
    import pyarrow.compute as pc

    pieces = []
    for number, (name, array) in enumerate(zip(names, arrays, strict=True)):
        key = json.dumps(name, ensure_ascii=False)
        pieces += [_literal(("{" if number == 0 else ", ") + key + ": "), _values(array)]
    return pc.binary_join_element_wise(*pieces, _literal("}"), _literal(""))


def _values(array: Any) -> Any:
    """Each value's JSON text (``null`` where missing): lists of objects element by element,
    any other value by the standard encoder, once per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        lengths = pc.list_value_length(array).fill_null(0).to_numpy(zero_copy_only=False)
        offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]), pa.int64())
        inner = pc.list_flatten(array)
        if pa.types.is_struct(inner.type):
            names = [inner.type.field(k).name for k in range(inner.type.num_fields)]
            objects = _objects(names, inner.flatten())
            inner = pc.if_else(inner.is_null(), _literal("null"), objects)
        else:
            inner = _values(inner)
        joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, inner), _literal(", "))
        lists = pc.binary_join_element_wise(_literal("["), joined, _literal("]"), _literal(""))
        return pc.if_else(array.is_null(), _literal("null"), lists)
    if pa.types.is_floating(array.type):
        distinct, codes = distinct_floats(array.to_numpy(zero_copy_only=False))
        texts = [json.dumps(float(v)) for v in distinct]
        values = pa.array(texts, pa.large_string()).take(pa.array(codes))
        return pc.if_else(array.is_null(), _literal("null"), values)
    coded = array if pa.types.is_dictionary(array.type) else array.dictionary_encode()
    distinct = coded.dictionary
    if arrow_text(distinct.type) and distinct.null_count == 0:
        texts = list(map(encode_basestring, distinct.to_pylist()))  # json.dumps' own, for text
    else:
        texts = [json.dumps(v, ensure_ascii=False) for v in distinct.to_pylist()]
    spread = pa.array(texts, pa.large_string()).take(coded.indices)
    return spread.fill_null(_literal("null"))
