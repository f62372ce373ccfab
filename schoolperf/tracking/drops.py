"""The data drops of a tracking run: the date in each file's name, and the drops in time order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from schoolperf.errors import InputError, Problem

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


def order_drops(paths: list[Path], labels: list[str] | None = None) -> list[Drop]:
    """Drops in time order: by the date in each file name (2025-10-15, 20251015, 2025-10),
    or in the order given with ``labels``."""
    if labels:
        if len(labels) != len(paths):
            raise InputError(
                [
                    Problem(
                        "bad-labels",
                        f"--labels gives {len(labels)} label(s) for {len(paths)} drop(s).",
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
