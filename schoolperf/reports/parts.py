"""Per-pupil tables of a file analysed in parts (issue 9: the pupils and the slot audit never
whole in memory).

Each worker writes, where the outputs will be written, its part's pupil table and slot audit
(Arrow files; the audit where asked for), and, where they will be read, its pupils (pickled),
slots and subject entries, on the temporary disk.
The parent reads the pupils, slots and entries back only where asked for, and writes
``pupils`` and ``slots`` by stitching the parts together in the whole file's pupil order, a
block at a time, so it never holds the slot audit (millions of rows) in memory; the files are
the same, row for row, as the whole file analysed at once (``tests/test_scale.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from schoolperf.frames import pupil_positions
from schoolperf.reports.files import (
    conform,
    parquet_options,
    pupil_table,
    slot_audit,
    text_dictionaries,
    write_csv,
)

OUTPUT_FORMATS = ("csv", "parquet")
BLOCK_ROWS = 1 << 17  # rows written (and, per part, read) at a time
PUPIL_FRAME = "pupil-frame"  # the pupils' figures, for whatever needs the pupils themselves
SLOT_FRAME = "slot-frame"  # the slots themselves: the JSON pupils array and packs need them
ENTRY_FRAME = "subject-entries"  # the subject entries: packs and the subject drill-down read them
MANY_RUNS = 1024  # a block in more runs of one part's rows than this is put in order by a take


@dataclass(frozen=True)
class PartFiles:
    """One part's tables on disk, and the slot-audit rows of each of its pupils (in order)."""

    tables: dict[str, Path]
    audit_rows: np.ndarray


def write_part(
    part: Path,
    pupils: pd.DataFrame,
    slots: pd.DataFrame,
    entries: pd.DataFrame,
    outputs: tuple[str, ...] = ("pupils", "slots"),
    keep: bool = True,
) -> PartFiles:
    """A worker's side, for the part named ``part`` (its input file, where the input was split
    on disk): its ``outputs`` (its pupil table, its slot audit) and (with ``keep``) its
    pupils, slots and subject entries, as files beside it."""
    built = {"pupils": lambda: pupil_table(pupils, slots), "slots": lambda: slot_audit(slots)}
    frames = {name: built[name]() for name in outputs}
    if keep:
        frames[SLOT_FRAME] = slots
        frames[ENTRY_FRAME] = entries
    tables = {}
    for name, frame in frames.items():
        tables[name] = part.with_name(f"{name}-{part.name}")
        _write_arrow(frame, tables[name])
    if keep:
        # pickled, not Arrow: read back, the pupils are the frame itself (Arrow would make
        # object columns of booleans, text or missing values booleans, text and None); a file
        # of this run's own, in its private temporary folder
        tables[PUPIL_FRAME] = part.with_name(f"{PUPIL_FRAME}-{part.stem}.pickle")
        pupils.to_pickle(tables[PUPIL_FRAME])
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

    def __init__(self, path: Path, conform: Callable[[Any], Any]) -> None:
        import pyarrow as pa

        self.conform = conform  # each batch to the output's schema, once as it is read
        # mapped, not read: a batch costs no copy, and its pages are the page cache's, which
        # the system takes back as it needs (not the process's own memory)
        self.file = pa.memory_map(str(path))
        self.reader = pa.ipc.open_file(self.file)
        self.batch: Any = None
        self.next = 0
        self.offset = 0

    def take(self, rows: int) -> list[Any]:
        """The next ``rows`` rows, as slices of the part's batches."""
        out = []
        while rows > 0:
            if self.batch is None or self.offset == self.batch.num_rows:
                self.batch = self.conform(self.reader.get_batch(self.next))
                self.next += 1
                self.offset = 0
            count = min(rows, self.batch.num_rows - self.offset)
            out.append(self.batch.slice(self.offset, count))
            self.offset += count
            rows -= count
        return out


_WRITING: set[Future[bool]] = set()  # outputs being prepared, by any run


def settle_writers() -> None:
    """Wait for every output being prepared: a process forked while a thread writes could
    inherit its locks held."""
    for job in list(_WRITING):
        job.exception()


@dataclass
class PartTables:
    """The parts' tables, and the part of each pupil in the whole file's pupil order."""

    folder: tempfile.TemporaryDirectory[str]
    parts: list[PartFiles]
    order: np.ndarray  # the whole file's pupils as positions in the parts' pupils in turn
    pupil_part: np.ndarray
    audit_rows: np.ndarray  # slot-audit rows of each pupil, in the same order
    # output tables being written by :meth:`prepare`: name -> (its writing, file, format)
    prepared: dict[str, tuple[Future[bool], Path, str]] = field(default_factory=dict)

    @classmethod
    def ordered(
        cls, folder: tempfile.TemporaryDirectory[str], parts: list[PartFiles], order: np.ndarray
    ) -> PartTables:
        """``order``: the whole file's pupils as positions in the parts' pupils one after
        another. Each part's pupils are in order, so the whole file's rows from one part come in
        that part's own order: a part's next rows are always the next ones it holds."""
        sizes = [len(p.audit_rows) for p in parts]
        part = np.repeat(np.arange(len(parts), dtype=np.int32), sizes)[order]
        audit_rows = np.concatenate([p.audit_rows for p in parts])[order]
        return cls(folder, parts, order, part, audit_rows)

    def schema(self, name: str) -> Any:
        """The output's columns and types over all parts (a column with no value in one part is
        typed by the others), or ``None`` where the parts' columns differ."""
        import pyarrow as pa

        if any(name not in part.tables for part in self.parts):  # not built by the workers
            return None
        schemas = []
        for part in self.parts:
            with pa.OSFile(str(part.tables[name])) as source:
                schemas.append(pa.ipc.open_file(source).schema)
        if any(s.names != schemas[0].names for s in schemas):
            return None
        try:
            return pa.unify_schemas(schemas, promote_options="permissive")
        except pa.ArrowException:
            return None

    def output_schema(self, name: str) -> tuple[Any, dict[str, Any]] | None:
        """The output's schema and text dictionaries over all parts (see
        :func:`~schoolperf.reports.files.text_dictionaries`; a part's own dictionaries are in
        its first batch, as an Arrow file holds one per column); ``None`` where the parts'
        columns differ."""
        import pyarrow as pa

        schema = self.schema(name)
        if schema is None:
            return None
        found: dict[str, list[Any]] = {f.name: [] for f in schema if pa.types.is_dictionary(f.type)}
        for part in self.parts:
            with pa.OSFile(str(part.tables[name])) as source:
                reader = pa.ipc.open_file(source)
                if reader.num_record_batches == 0:
                    continue
                batch = reader.get_batch(0)
                for column, dictionaries in found.items():
                    if pa.types.is_dictionary(batch.column(column).type):
                        dictionaries.append(batch.column(column).dictionary)
        return text_dictionaries(schema, found)

    def blocks(self, name: str, schema: Any, dictionaries: dict[str, Any]) -> Iterator[Any]:
        """Output ``name`` (``pupils`` or ``slots``) in the whole file's pupil order, as Arrow
        tables of up to BLOCK_ROWS rows in one chunk, each text column on one dictionary."""
        import pyarrow as pa

        def on_schema(batch: Any) -> Any:
            return conform(batch, schema, dictionaries)

        cursors = [_Cursor(p.tables[name], on_schema) for p in self.parts]
        try:
            row_part = self.pupil_part
            if name != "pupils":
                row_part = np.repeat(self.pupil_part, self.audit_rows)
            for start in range(0, max(len(row_part), 1), BLOCK_ROWS):
                block = row_part[start : start + BLOCK_ROWS]
                starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]]) if len(block) else []
                if len(starts) <= MANY_RUNS:  # runs of whole schools: each run's rows in turn
                    runs = zip(starts, np.diff(np.r_[starts, len(block)]), strict=True)
                    pieces = [b for s, n in runs for b in cursors[block[s]].take(int(n))]
                    table = pa.Table.from_batches(pieces, schema)
                else:  # pupils of many parts interleaved (pseudonyms): each part's rows, one take
                    counts = np.bincount(block, minlength=len(cursors))
                    pieces = [b for p in np.flatnonzero(counts) for b in cursors[p].take(counts[p])]
                    table = pa.Table.from_batches(pieces, schema)
                    table = table.take(np.argsort(np.argsort(block, kind="stable")))
                yield table.combine_chunks()
        finally:  # closed also where stitching or the caller stops early
            for cursor in cursors:
                cursor.file.close()

    def write(
        self, name: str, file_format: str, target: tuple[Any, dict[str, Any]], path: str
    ) -> None:
        """Write output ``name`` to ``path`` as CSV or Parquet, on ``target``: its
        :meth:`output_schema` (where that is ``None``, the caller builds the table whole)."""
        import pyarrow.parquet as pq

        schema, dictionaries = target
        if file_format == "parquet":
            from concurrent.futures import ThreadPoolExecutor

            # a block is encoded (Arrow, off the GIL) while the next one is stitched; at most
            # two blocks in memory
            with (
                pq.ParquetWriter(path, schema, **parquet_options(schema)) as writer,
                ThreadPoolExecutor(1) as encoder,
            ):
                pending = None
                for block in self.blocks(name, schema, dictionaries):
                    if pending is not None:
                        pending.result()
                    pending = encoder.submit(writer.write_table, block)
                if pending is not None:
                    pending.result()
            return
        with open(path, "wb") as handle:
            for number, block in enumerate(self.blocks(name, schema, dictionaries)):
                write_csv(block.to_pandas(), handle, header=number == 0)

    def prepare(self, file_format: str, names: tuple[str, ...] = ("pupils", "slots")) -> None:
        """Start writing the outputs ``names`` (``pupils``, ``slots``) as ``file_format`` to
        the temporary folder, each on a thread of its own, while the parent computes the
        figures from the parts' sums (Parquet is read and encoded by Arrow, off the GIL);
        :meth:`take_prepared` hands them over."""
        from concurrent.futures import ThreadPoolExecutor

        writer = ThreadPoolExecutor(len(names), thread_name_prefix="schoolperf-outputs")
        for name in names:
            path = Path(self.folder.name) / f"{name}.{file_format}"
            job = writer.submit(self._prepare, name, file_format, path)
            _WRITING.add(job)
            job.add_done_callback(_WRITING.discard)
            self.prepared[name] = (job, path, file_format)
        writer.shutdown(wait=False)

    def _prepare(self, name: str, file_format: str, path: Path) -> bool:
        target = self.output_schema(name)
        if target is not None:
            self.write(name, file_format, target, str(path))
        return target is not None

    def take_prepared(self, name: str, file_format: str) -> Path | None:
        """Output ``name`` as :meth:`prepare` wrote it in ``file_format``, once written (its
        file is the caller's from then on); ``None`` where it was not prepared so, or could not
        be (e.g. a full temporary disk: the caller then writes it itself)."""
        import pyarrow as pa

        job, path, prepared_as = self.prepared.get(name, (None, None, None))
        if job is None or prepared_as != file_format:
            return None
        del self.prepared[name]
        try:
            return path if job.result() else None
        except (OSError, pa.ArrowException):
            return None

    def settle(self) -> None:
        """Cancel the writing :meth:`prepare` queued, and wait for what has started (before
        its folder is removed)."""
        for job, _, _ in self.prepared.values():
            if not job.cancel():
                job.exception()

    def kept(self, name: str) -> None:
        """Raise where the workers did not keep the parts' ``name`` frames (``keep_pupils``)."""
        if any(name not in part.tables for part in self.parts):
            raise ValueError(
                "this analysis did not keep its pupils (AnalysisOptions(keep_pupils=False)): "
                "run it again with keep_pupils=True to read them"
            )

    def check_writable(self, names: Iterable[str]) -> None:
        """Raise, before anything is written, where an output can be neither stitched from the
        parts' tables nor built from the parts' pupils, slots and entries (not kept)."""
        for name in names:
            if self.schema(name) is None:
                self.kept(PUPIL_FRAME)
                self.kept(SLOT_FRAME)

    def pupils(self) -> pd.DataFrame:
        """The parts' pupils (:data:`PUPIL_FRAME`) in the whole file's order, by UPN."""
        self.kept(PUPIL_FRAME)
        frames = [pd.read_pickle(part.tables[PUPIL_FRAME]) for part in self.parts]
        return pd.concat(frames).iloc[self.order]

    def frames(self, name: str, columns: list[str] | None = None) -> list[pd.DataFrame]:
        """Each part's :data:`SLOT_FRAME` or :data:`ENTRY_FRAME`, or only ``columns`` of it
        (for the JSON pupils array, packs and the subject drill-down, which need them whole;
        the files are mapped, so other columns are never read)."""
        import pyarrow as pa

        self.kept(name)
        frames = []
        for part in self.parts:
            with pa.memory_map(str(part.tables[name])) as source:
                table = pa.ipc.open_file(source).read_all()
                frames.append((table if columns is None else table.select(columns)).to_pandas())
        return frames
