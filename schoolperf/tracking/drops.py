"""The data drops of a tracking run: the files in a folder that are drops (never the files the
run writes), the date in each file's name, and the drops in time order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from schoolperf.errors import InputError, Problem
from schoolperf.outputs.staging import same_file
from schoolperf.reference import counted

# the files an unattended run writes into its output folder: never read as drops
OUTPUT_NAME = re.compile(r"(history\.csv|tracking_.+\.(json|md|html)|\.schoolperf.*)")
_DATE = re.compile(r"(20\d\d)[-_]?(0[1-9]|1[0-2])(?:[-_]?([0-2]\d|3[01]))?")


@dataclass(frozen=True)
class Drop:
    path: Path
    label: str
    date: str | None = None


def _date_in(name: str) -> str | None:
    match = _DATE.search(name)
    if not match:
        return None
    year, month, day = match.groups()
    return f"{year}-{month}-{day or '01'}"


def find_drops(folder: Path, pattern: str, out: Path, written: Iterable[Path] = ()) -> list[Path]:
    """The files in ``folder`` matching ``pattern``, by name, but for those a tracking run writes
    into its output folder ``out`` (reports, history, staging) and ``written`` (its log, lock):
    with the drops and the outputs in one folder, no run reads another's outputs."""
    mine = [Path(p) for p in written]

    def is_output(path: Path) -> bool:
        inside = path.relative_to(folder).parts
        if any(part.startswith(".schoolperf") for part in inside) or any(
            same_file(path, p) for p in mine
        ):
            return True
        return OUTPUT_NAME.fullmatch(path.name) is not None and same_file(path.parent, out)

    return sorted(p for p in folder.glob(pattern) if p.is_file() and not is_output(p))


def order_drops(paths: list[Path], labels: list[str] | None = None) -> list[Drop]:
    """Drops in time order: by the date in each file name (2025-10-15, 20251015, 2025-10),
    or in the order given with ``labels``."""
    if labels:
        if len(labels) != len(paths):
            raise InputError(
                [
                    Problem(
                        "bad-labels",
                        f"--labels gives {counted(len(labels), 'label')} for "
                        f"{counted(len(paths), 'drop')}.",
                        "Give one label per drop, in time order.",
                    )
                ]
            )
        return [Drop(p, label, _date_in(p.name)) for p, label in zip(paths, labels, strict=True)]
    dated = [(p, _date_in(p.name)) for p in paths]
    undated = [p.name for p, d in dated if d is None]
    if undated:
        raise InputError(
            [
                Problem(
                    "undated-drop",
                    "has no date in its name, so the drops cannot be put in order.",
                    "Name drops like y11_2025-10-15.csv, or give --labels in time order.",
                    file=name,
                )
                for name in undated
            ]
        )
    dated.sort(key=lambda item: (item[1], item[0].name))
    same = sorted({d for _, d in dated if sum(1 for _, e in dated if e == d) > 1})
    if same:
        raise InputError(
            [
                Problem(
                    "same-date-drops",
                    f"Two or more drops carry the date {d}.",
                    "Keep one file per data drop, or give --labels.",
                )
                for d in same
            ]
        )
    return [Drop(p, d, d) for p, d in dated]  # type: ignore[arg-type]
