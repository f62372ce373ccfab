"""Files written by ``analyse --out``: ``pupils.csv``, ``slots.csv`` and ``summary.json``.

They are written as one set (:class:`~schoolperf.outputs.staging.OutputSet`): into a staging
folder, then moved into place together, so an interrupted run leaves the earlier set whole;
an input file is never written over.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from schoolperf.frames import (
    arrow_text,
    computed_once,
    on_distinct,
    pupil_positions,
    sort_order,
    text_categorical,
)
from schoolperf.outputs.document import document_text
from schoolperf.outputs.staging import (
    Input,
    OutputSet,
    cannot_write,
    protect_inputs,
)
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
    streamed to disk, never held whole in memory as text). A set of files is written with
    :class:`~schoolperf.outputs.staging.OutputSet` instead."""
    protect_inputs(inputs, [path])
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
    inputs: Iterable[Input],
    file_format: str = "csv",
    pupils_json: Any = None,
    audit: bool | None = None,
    outputs: OutputSet | None = None,
) -> list[Path]:
    """Write pupils and (with ``audit``; ``None``: as the analysis was run) slots, as CSV or
    Parquet, and ``summary.json`` into ``out_dir``, as one set: into ``outputs`` (an open
    :class:`~schoolperf.outputs.staging.OutputSet` for ``out_dir``, committed here), else a set
    of their own. ``inputs``: the files the run read, never written over. ``pupils_json``
    (:func:`~schoolperf.analysis.pupil_json_table`) is streamed into the summary as its pupils
    array."""
    if outputs is None:
        with OutputSet(out_dir, inputs) as own:
            return write_outputs(
                out_dir, analysis_dict, analysis, inputs, file_format, pupils_json, audit, own
            )
    audit = analysis.slot_audit if audit is None else audit
    tables = {"pupils": lambda: pupil_table(analysis.pupils, analysis.slots)}
    if audit:
        tables["slots"] = lambda: slot_audit(analysis.slots)
    outputs.check(analyse_targets(out_dir, file_format, audit))
    for name, table in tables.items():  # one table in memory at a time
        path = out_dir / f"{name}.{file_format}"
        outputs.write(path, partial(write_table, table(), file_format))
    path = out_dir / "summary.json"
    outputs.write(path, partial(_write_text, document_text(analysis_dict, pupils_json)))
    return outputs.commit()


def analyse_targets(out_dir: Path, file_format: str = "csv", audit: bool = True) -> list[Path]:
    """The files ``analyse --out`` writes into ``out_dir``."""
    names = ["pupils", "slots"] if audit else ["pupils"]
    return [*(out_dir / f"{n}.{file_format}" for n in names), out_dir / "summary.json"]


def _write_text(pieces: Iterable[bytes], path: str) -> None:
    with open(path, "wb") as handle:
        handle.writelines(pieces)


def write_table(frame: pd.DataFrame, file_format: str, path: str) -> None:
    """``frame`` as Parquet, or as CSV with spreadsheet formulas neutralised."""
    if file_format == "parquet":
        from schoolperf.outputs.parquet import write_parquet

        write_parquet(frame, path)
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
    with connect() as connection:  # spilling, if ever, into a folder of its own, removed after
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
