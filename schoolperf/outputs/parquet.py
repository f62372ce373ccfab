"""Parquet outputs: each text column a dictionary of its values in text order, so a table reads
back as categoricals whose categories sort like their text, with pandas metadata that says so;
statistics for number and true/false columns only."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from schoolperf.frames import arrow_text


def write_parquet(frame: pd.DataFrame, path: str) -> None:
    """``frame`` as a Parquet file at ``path``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = with_sorted_dictionaries(pa.Table.from_pandas(frame, preserve_index=False))
    pq.write_table(table, path, **parquet_options(table.schema))


def parquet_options(schema: Any) -> dict[str, Any]:
    """Parquet writer options: min/max statistics for number and true/false columns only
    (statistics of text, millions of UPNs and subjects, take a third of the writing time)."""
    import pyarrow as pa

    plain = [
        f.name
        for f in schema
        if not (pa.types.is_dictionary(f.type) or pa.types.is_string(f.type))
        and not pa.types.is_large_string(f.type)
    ]
    return {"write_statistics": plain}


# a text column with more distinct values (the UPNs of a large file) is written as plain text:
# Parquet would store its dictionary again in every row group
LARGEST_DICTIONARY = 1 << 16


def sorted_dictionary(dictionaries: list[Any], value_type: Any) -> Any:
    """The values of several Arrow dictionaries, once each and in text order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.unique(pa.concat_arrays(dictionaries)) if dictionaries else pa.array([], value_type)
    return values.take(pc.sort_indices(values))


def recode(values: Any, dictionary: Any) -> Any:
    """A dictionary column recoded onto ``dictionary`` (which holds all its values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    own = values.dictionary.cast(dictionary.type)
    positions = pc.index_in(own, value_set=dictionary).cast(pa.int32())
    return pa.DictionaryArray.from_arrays(positions.take(values.indices), dictionary)


def text_dictionaries(schema: Any, found: dict[str, list[Any]]) -> tuple[Any, dict[str, Any]]:
    """An output's schema and its text columns' dictionaries: each the values of every
    dictionary ``found`` for the column (the chunks of one table), once and in text order, with
    32-bit codes. A Parquet output then reads back as categoricals whose categories sort like
    their text. A column
    of more than LARGEST_DICTIONARY values is plain text."""
    import pyarrow as pa

    fields, dictionaries, plain = [], {}, set()
    for field in schema:
        if pa.types.is_dictionary(field.type):
            value_type = field.type.value_type
            arrays = [d.cast(value_type) for d in found.get(field.name, [])]
            dictionary = sorted_dictionary(arrays, value_type)
            if len(dictionary) > LARGEST_DICTIONARY:
                field = field.with_type(value_type)
                if arrow_text(value_type):
                    plain.add(field.name)
            else:
                dictionaries[field.name] = dictionary
                field = field.with_type(pa.dictionary(pa.int32(), value_type, field.type.ordered))
        fields.append(field)
    metadata = _categories_counted(schema.metadata, dictionaries, plain)
    return pa.schema(fields, metadata=metadata), dictionaries


def _categories_counted(
    metadata: dict[bytes, bytes] | None, dictionaries: dict[str, Any], plain: set[str]
) -> dict[bytes, bytes] | None:
    """The schema's pandas metadata with each categorical column as written: its number of
    categories that of its output dictionary, and its codes 32-bit (a part's own frame would
    give its own); text written ``plain`` described as pandas describes a text column."""
    if not metadata or b"pandas" not in metadata:
        return metadata
    pandas = json.loads(metadata[b"pandas"])
    for column in pandas.get("columns", []):
        name = column.get("field_name", column.get("name"))
        if column.get("pandas_type") != "categorical":
            continue
        if name in dictionaries:  # written with 32-bit codes
            column["metadata"] = {**column["metadata"], "num_categories": len(dictionaries[name])}
            column["numpy_type"] = "int32"
        elif name in plain:
            column.update(pandas_type="object", numpy_type="str", metadata=None)
    return {**metadata, b"pandas": json.dumps(pandas).encode()}


def conform(batch: Any, schema: Any, dictionaries: dict[str, Any]) -> Any:
    """An Arrow record batch on an output's ``schema`` (see :func:`text_dictionaries`): text
    recoded onto its column's dictionary, any other column cast."""
    import pyarrow as pa

    columns = []
    for field, values in zip(schema, batch.columns, strict=True):
        if field.name in dictionaries and pa.types.is_dictionary(values.type):
            values = recode(values, dictionaries[field.name])
        elif not values.type.equals(field.type):
            values = values.cast(field.type)
        columns.append(values)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def with_sorted_dictionaries(table: Any) -> Any:
    """``table`` on its output schema (see :func:`text_dictionaries`)."""
    import pyarrow as pa

    found = {
        f.name: [chunk.dictionary for chunk in table.column(f.name).chunks]
        for f in table.schema
        if pa.types.is_dictionary(f.type)
    }
    schema, dictionaries = text_dictionaries(table.schema, found)
    batches = [conform(batch, schema, dictionaries) for batch in table.to_batches()]
    return pa.Table.from_batches(batches, schema)
