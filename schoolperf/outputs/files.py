"""Files written by ``analyse --out``: ``pupils.csv``, ``slots.csv`` and ``summary.json``.

Writes are atomic (a temporary file in the same folder, then a rename), so an interrupted run
leaves any earlier output whole; an input file is never written over.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from schoolperf.errors import InputError, Problem
from schoolperf.frames import (
    arrow_text,
    computed_once,
    on_distinct,
    pupil_positions,
    sort_order,
    text_categorical,
)
from schoolperf.outputs.document import document_text
from schoolperf.reference import ROW

if TYPE_CHECKING:
    from schoolperf.analysis import Analysis

FORMULA_START = ("=", "+", "-", "@")
SLOT_COLUMNS = [
    "english_1",
    "maths_1",
    "ebacc_1",
    "ebacc_2",
    "ebacc_3",
    "open_1",
    "open_2",
    "open_3",
]
PUPIL_CSV_COLUMNS = [
    "forename",
    "surname",
    "name",
    "gender",
    "disadvantaged",
    "sen",
    "eal",
    "ks2_reading",
    "ks2_maths",
    "ks2_nominal",
    "ks2_prior",
    "prior_attainment_group",
    "prior_attainment_band",
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "ebacc_slots_filled",
    "open_slots_filled",
    "attainment8_estimate",
    "attainment8_english_estimate",
    "attainment8_maths_estimate",
    "attainment8_ebacc_estimate",
    "attainment8_open_estimate",
    "progress8",
    "progress8_adjusted",
    "progress8_english",
    "progress8_maths",
    "progress8_ebacc",
    "progress8_open",
    "progress8_note",
]


def write_atomic(
    path: Path, text: str | bytes | Callable[[str], None], inputs: tuple[Path, ...] = ()
) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename; refuse an input path.
    ``text`` may be a function that writes the temporary file itself (large tables are then
    streamed to disk, never held whole in memory as text)."""
    target = path.resolve()
    if any(target == p.resolve() for p in inputs):
        raise InputError(
            [
                Problem(
                    "output-is-input",
                    "is an input file; schoolperf never writes over its input.",
                    "Choose another output folder with --out.",
                    file=str(path),
                )
            ]
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise cannot_write(path, exc.strerror or str(exc)) from None
    try:
        if callable(text):
            os.close(handle)
            text(temporary)
        elif isinstance(text, bytes):
            with os.fdopen(handle, "wb") as f:
                f.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(temporary, path)
    except OSError as exc:  # a full disk, a folder in the way, a file locked by another program
        Path(temporary).unlink(missing_ok=True)
        raise cannot_write(path, exc.strerror or str(exc)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cannot_write(path: Path, why: str) -> InputError:
    """The problem of an output the system would not let us write."""
    return InputError(
        [
            Problem(
                "cannot-write",
                f"cannot be written ({why}).",
                "Choose a folder you can write to, whose path is not taken by a file or a "
                "folder of that name.",
                file=str(path),
            )
        ]
    )


def check_targets(paths: Iterable[Path]) -> None:
    """Refuse, before any output is written, a set of outputs one of which could not be: a
    folder where a file is to go (so a run never leaves some outputs new and others old)."""
    blocked = [path for path in paths if path.is_dir()]
    if blocked:
        raise InputError(
            [cannot_write(path, "a folder is in the way").problems[0] for path in blocked]
        )


def move_file(source: Path, target: str) -> None:
    """``source`` moved to ``target`` (replacing it): renamed where both are on one disk and
    the system allows it, else copied."""
    import shutil

    try:
        os.replace(source, target)
    except OSError:
        shutil.copyfile(source, target)
        source.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def safe_for_spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):  # fix each distinct text once
            categories = pd.Series(out[column].cat.categories)
            if not pd.api.types.is_string_dtype(categories):
                continue  # numbers and dates are never formulas
            text = categories.astype(str)
            fixed = categories.where(~text.str.startswith(FORMULA_START), "'" + text)
            if fixed.is_unique:
                out[column] = out[column].cat.rename_categories(pd.Index(fixed))
                continue
            out[column] = out[column].astype(object)
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype(str)
            risky = out[column].notna() & text.str.startswith(FORMULA_START)
            if risky.any():  # (a column of UPNs has none: no text copied)
                out[column] = out[column].where(~risky, "'" + text)
    return out


def slot_audit(slots: pd.DataFrame) -> pd.DataFrame:
    """One row per result unit: where it counted (element, slot, weight, points) or why not."""

    def date_text(distinct: pd.DataFrame) -> pd.DataFrame:
        return distinct["exam_date"].dt.strftime("%Y-%m-%d").to_frame()

    audit = slots.assign(
        subject=slots["subject_title"],
        subject_as_given=slots["subject"],
        exam_date=on_distinct(slots, ["exam_date"], date_text)["exam_date"],
        row=slots[ROW],
        counted=slots["weight"] > 0,
    )
    columns = [
        "upn",
        "row",
        "subject",
        "subject_as_given",
        "grade",
        "exam_date",
        "role",
        "discount_code",
        "matched_by",
        "points",
        "unit",
        "counted",
        "element",
        "slot",
        "weight",
        "slot_points",
        "reason",
    ]
    return audit[columns].iloc[sort_order(audit, ["upn", "row", "unit"], [True] * 3)]


def pupil_table(pupils: pd.DataFrame, slots: pd.DataFrame) -> pd.DataFrame:
    """``pupils.csv``: each pupil's figures, what filled the 10 slots, and what did not count."""
    filled = slots.loc[  # only the columns used: the slot audit is millions of rows
        slots["weight"] > 0, ["upn", "element", "slot", "subject_title", "grade", "slot_points"]
    ]

    # each piece as text: with no slot filled (a school of ungraded results) the columns are
    # empty and would otherwise keep number types
    def slot_text(distinct: pd.DataFrame) -> pd.DataFrame:
        text = distinct["subject_title"].astype(str) + " " + distinct["grade"].astype(str)
        points = distinct["slot_points"].map("{:g}".format).astype(str)
        return (text + " (" + points + ")").to_frame("text")

    def label(distinct: pd.DataFrame) -> pd.DataFrame:
        text = distinct["element"].astype(str) + "_" + distinct["slot"].astype(str)
        return text.to_frame("label")

    # text once per distinct subject, grade and points, taken by Arrow into each slot column
    # by integer positions (a national file has millions of slots but a few thousand texts)
    text, texts = computed_once(filled, ["subject_title", "grade", "slot_points"], slot_text)
    place, labels = computed_once(filled, ["element", "slot"], label)
    column = pd.Index(SLOT_COLUMNS).get_indexer(labels["label"])[place]
    grid = np.full((len(pupils), len(SLOT_COLUMNS)), len(texts), dtype=np.int64)  # blank
    grid[pupil_positions(filled["upn"], pupils.index), column] = text
    choices = pd.concat([texts["text"], pd.Series([""])], ignore_index=True).astype(str).array
    slots_filled = pd.DataFrame(
        {  # no pupils: empty columns of no type, as before
            f"slot_{c}": choices.take(grid[:, i]) if len(pupils) else np.array([], dtype=object)
            for i, c in enumerate(SLOT_COLUMNS)
        },
        index=pupils.index,
    )
    # result ids restart in each part of a file analysed in parts
    unused = slots.loc[
        slots["weight"] == 0, ["upn", "result_id", "subject_title", "grade", "reason"]
    ].drop_duplicates(["upn", "result_id"])

    def unused_text(distinct: pd.DataFrame) -> pd.DataFrame:
        text = distinct["subject_title"].astype(str) + " " + distinct["grade"].astype(str)
        return (text + ": " + distinct["reason"].astype(str)).to_frame("text")

    ids, texts = computed_once(unused, ["subject_title", "grade", "reason"], unused_text)
    unused_text = text_categorical(ids, texts["text"], len(ids))
    table = pupils[[c for c in PUPIL_CSV_COLUMNS if c in pupils.columns]].join(slots_filled)
    table["not_counted"] = join_per_pupil(unused_text, unused["upn"], pupils.index, "; ")
    return table.reset_index()


def join_per_pupil(text: pd.Series, upn: pd.Series, pupils: pd.Index, separator: str) -> pd.Series:
    """Each pupil's texts joined in row order ("" for none), by Arrow's list join: no per-pupil
    Python call."""
    import pyarrow as pa
    import pyarrow.compute as pc

    position = pupil_positions(upn, pupils)
    order = np.argsort(position, kind="stable")
    counts = np.bincount(position, minlength=len(pupils))
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int64())
    if isinstance(text.dtype, pd.CategoricalDtype):  # each distinct text converted once
        categories = pa.array(text.cat.categories.to_numpy(dtype=object), type=pa.large_string())
        values = categories.take(pa.array(text.cat.codes.to_numpy()[order]))
    else:
        values = pa.array(text.to_numpy(dtype=object)[order], type=pa.large_string())
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(offsets, values), pa.scalar(separator, pa.large_string())
    )
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=pupils, dtype=object)


def write_outputs(
    out_dir: Path,
    analysis_dict: dict,
    analysis: Analysis,
    inputs: tuple[Path, ...],
    file_format: str = "csv",
    pupils_json: Any = None,
    audit: bool | None = None,
) -> list[Path]:
    """Write pupils and (with ``audit``; ``None``: as the analysis was run) slots, as CSV or
    Parquet, and ``summary.json`` into ``out_dir``. ``pupils_json``
    (:func:`~schoolperf.analysis.pupil_json_table`) is streamed into the summary as its pupils
    array."""
    audit = analysis.slot_audit if audit is None else audit
    written = []
    tables = {"pupils": lambda: pupil_table(analysis.pupils, analysis.slots)}
    if audit:
        tables["slots"] = lambda: slot_audit(analysis.slots)
    check_targets([*(out_dir / f"{n}.{file_format}" for n in tables), out_dir / "summary.json"])
    for name, table in tables.items():  # one table in memory at a time
        path = out_dir / f"{name}.{file_format}"
        write_atomic(path, partial(write_table, table(), file_format), inputs)
        written.append(path)
    path = out_dir / "summary.json"
    write_atomic(path, partial(_write_text, document_text(analysis_dict, pupils_json)), inputs)
    written.append(path)
    return written


def _write_text(pieces: Iterable[bytes], path: str) -> None:
    with open(path, "wb") as handle:
        handle.writelines(pieces)


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
    dictionary ``found`` for the column (the chunks of one table, or the parts of a file), once
    and in text order, with 32-bit codes. A Parquet output then reads back as categoricals whose
    categories sort like their text, whether the file was analysed whole or in parts. A column
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


def write_table(frame: pd.DataFrame, file_format: str, path: str) -> None:
    """``frame`` as Parquet, or as CSV with spreadsheet formulas neutralised."""
    if file_format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = with_sorted_dictionaries(pa.Table.from_pandas(frame, preserve_index=False))
        pq.write_table(table, path, **parquet_options(table.schema))
    else:
        write_csv(frame, path)


def write_csv(frame: pd.DataFrame, path: str) -> None:
    """``frame`` as CSV at ``path``, spreadsheet formulas neutralised, written by DuckDB on
    every core. The cells are those pandas' ``to_csv`` writes: minimal quoting, an empty cell
    for a missing value and for empty text, ``True``/``False``, floats in their shortest
    round-trip form; a cell holding a carriage return is also quoted (RFC 4180)."""
    import pyarrow as pa

    from schoolperf.engine.query import connect

    table = pa.Table.from_pandas(safe_for_spreadsheet(frame), preserve_index=False)
    cells = ", ".join(_csv_cell(field) for field in table.schema) or "*"
    target = path.replace("'", "''")
    with connect() as connection:  # spilling, if ever, to its own temporary folder
        connection.register("frame", table)
        connection.execute(
            f"COPY (SELECT {cells} FROM frame) TO '{target}' "
            "(FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', ESCAPE '\"')"
        )


def _csv_cell(field: Any) -> str:
    """The DuckDB expression of one column's CSV cells, as pandas writes them."""
    import pyarrow as pa

    name = '"' + field.name.replace('"', '""') + '"'
    kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
    if pa.types.is_boolean(kind):
        return f"CASE WHEN {name} THEN 'True' WHEN NOT {name} THEN 'False' END AS {name}"
    if arrow_text(kind):
        return f"nullif(CAST({name} AS VARCHAR), '') AS {name}"
    return name


def subject_csv(subjects: list[dict]) -> str:
    """The subject table as CSV, grade counts spread into ``grade_<g>`` columns."""
    rows = [
        {
            **{k: v for k, v in row.items() if k != "grades"},
            **{f"grade_{g}": n for g, n in row["grades"].items()},
        }
        for row in subjects
    ]
    table = pd.DataFrame(rows)
    counts = sorted({f"grade_{g}" for row in subjects for g in row["grades"]} & set(table))
    table[counts] = table[counts].astype("Int64")
    return safe_for_spreadsheet(table).to_csv(index=False, lineterminator="\n")
