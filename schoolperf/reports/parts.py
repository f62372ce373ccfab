"""Per-pupil outputs of a file analysed in parts (issue 9: memory bounded by the part).

Each worker writes its part's pupil table, slot audit and slots as Arrow files on the temporary
disk. The parent writes ``pupils`` and ``slots`` by stitching the parts together in the whole
file's pupil order, a block at a time, so it never holds the slot audit (millions of rows) in
memory; the files are the same, row for row, as the whole file analysed at once
(``tests/test_scale.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from schoolperf.frames import pupil_positions
from schoolperf.reports.files import (
    parquet_options,
    pupil_table,
    slot_audit,
    write_csv,
)

BLOCK_ROWS = 1 << 17  # rows written (and, per part, read) at a time
OUTPUTS = ("pupils", "slots")  # the output tables, named as write_outputs names them
SLOT_FRAME = "slot-frame"  # the slots themselves: the JSON pupils array and packs need them


@dataclass(frozen=True)
class PartFiles:
    """One part's tables on disk, and the slot-audit rows of each of its pupils (in order)."""

    tables: dict[str, Path]
    audit_rows: np.ndarray


def write_part(folder: Path, number: int, pupils: pd.DataFrame, slots: pd.DataFrame) -> PartFiles:
    """A worker's side: the part's pupil table, slot audit and slots as Arrow files."""
    frames = {"pupils": pupil_table(pupils, slots), "slots": slot_audit(slots), SLOT_FRAME: slots}
    tables = {}
    for name, frame in frames.items():
        tables[name] = folder / f"{name}-{number:04d}.arrow"
        _write_arrow(frame, tables[name])
    audit_rows = np.bincount(pupil_positions(slots["upn"], pupils.index), minlength=len(pupils))
    return PartFiles(tables, audit_rows)


def _write_arrow(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as an Arrow file of BLOCK_ROWS batches, categoricals as dictionaries with
    32-bit codes (a part's own code width would differ from another's)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema = pa.schema(
        [
            f.with_type(pa.dictionary(pa.int32(), f.type.value_type, f.type.ordered))
            if pa.types.is_dictionary(f.type)
            else f
            for f in table.schema
        ],
        metadata=table.schema.metadata,
    )
    with pa.ipc.new_file(str(path), schema) as writer:
        writer.write_table(table.cast(schema), max_chunksize=BLOCK_ROWS)


class _Cursor:
    """Reads one part's table forward, a batch in memory at a time."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa

        self.file = pa.OSFile(str(path))
        self.reader = pa.ipc.open_file(self.file)
        self.batch: Any = None
        self.next = 0
        self.offset = 0

    def take(self, rows: int) -> list[Any]:
        """The next ``rows`` rows, as slices of the part's batches."""
        out = []
        while rows > 0:
            if self.batch is None or self.offset == self.batch.num_rows:
                self.batch = self.reader.get_batch(self.next)
                self.next += 1
                self.offset = 0
            count = min(rows, self.batch.num_rows - self.offset)
            out.append(self.batch.slice(self.offset, count))
            self.offset += count
            rows -= count
        return out


@dataclass
class PartTables:
    """The parts' tables, and the whole file's pupil order as runs of consecutive pupils of one
    part (a run per school where the file has one school per part's block)."""

    folder: tempfile.TemporaryDirectory[str]
    parts: list[PartFiles]
    run_part: np.ndarray
    run_pupils: np.ndarray
    run_audit_rows: np.ndarray

    @classmethod
    def ordered(
        cls, folder: tempfile.TemporaryDirectory[str], parts: list[PartFiles], order: np.ndarray
    ) -> PartTables:
        """``order``: the whole file's pupils as positions in the parts' pupils one after another.
        Each part's pupils are in order, so a part's pupils next to each other in the whole
        file's order are next to each other in the part too."""
        sizes = [len(p.audit_rows) for p in parts]
        part = np.repeat(np.arange(len(parts)), sizes)[order]
        audit_rows = np.concatenate([p.audit_rows for p in parts])[order]
        starts = np.flatnonzero(np.r_[True, part[1:] != part[:-1]]) if len(part) else order[:0]
        return cls(
            folder,
            parts,
            part[starts],
            np.diff(np.r_[starts, len(part)]),
            np.add.reduceat(audit_rows, starts) if len(starts) else starts,
        )

    def schema(self, name: str) -> Any:
        """The output's columns and types over all parts (a column with no value in one part is
        typed by the others), or ``None`` where the parts' columns differ."""
        import pyarrow as pa

        schemas = [pa.ipc.open_file(str(p.tables[name])).schema for p in self.parts]
        if any(s.names != schemas[0].names for s in schemas):
            return None
        try:
            return pa.unify_schemas(schemas, promote_options="permissive")
        except pa.ArrowException:
            return None

    def blocks(self, name: str, schema: Any) -> Iterator[Any]:
        """Output ``name`` (``pupils`` or ``slots``) in the whole file's pupil order, as Arrow
        tables of about BLOCK_ROWS rows."""
        import pyarrow as pa

        cursors = [_Cursor(p.tables[name]) for p in self.parts]
        lengths = self.run_pupils if name == "pupils" else self.run_audit_rows
        pending: list[Any] = []
        count = 0
        for part, rows in zip(self.run_part, lengths, strict=True):
            pending += cursors[part].take(int(rows))
            count += int(rows)
            if count >= BLOCK_ROWS:
                yield pa.Table.from_batches([_cast(b, schema) for b in pending], schema)
                pending, count = [], 0
        yield pa.Table.from_batches([_cast(b, schema) for b in pending], schema)
        for cursor in cursors:
            cursor.file.close()

    def write(self, name: str, file_format: str, path: str) -> None:
        """Write output ``name`` to ``path`` as CSV or Parquet (where :meth:`schema` is not
        ``None``: the caller builds the table whole otherwise)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self.schema(name)
        if file_format == "parquet":
            with pq.ParquetWriter(path, schema, **parquet_options(schema)) as writer:
                for block in self.blocks(name, schema):
                    writer.write_table(block)
            return
        # repeated text as plain text: pandas builds categoricals of each block slowly
        plain = pa.schema(
            [
                f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
                for f in schema
            ],
            metadata=schema.metadata,  # pandas' own dtypes (whole numbers with gaps stay whole)
        )
        with open(path, "wb") as handle:
            for number, block in enumerate(self.blocks(name, schema)):
                write_csv(block.cast(plain).to_pandas(), handle, header=number == 0)

    def slots(self) -> list[pd.DataFrame]:
        """Each part's slots (for the JSON pupils array and packs, which need them whole)."""
        import pyarrow as pa

        frames = []
        for part in self.parts:
            with pa.memory_map(str(part.tables[SLOT_FRAME])) as source:
                frames.append(pa.ipc.open_file(source).read_all().to_pandas())
        return frames


def _cast(batch: Any, schema: Any) -> Any:
    return batch if batch.schema.equals(schema) else batch.cast(schema)
