"""How a count is said in words ("1 pupil has", "8 pupils have"), never with a bracketed "s"."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``one`` for a count of 1, else ``many`` (``one`` + "s" unless given): a noun or a verb,
    as in ``plural(n, "has", "have")``."""
    return one if count == 1 else (many if many is not None else f"{one}s")


def counted(count: int, one: str, many: str | None = None) -> str:
    """The count and its noun: "1 pupil", "1,023 problems", "2 URNs"."""
    return f"{count:,} {plural(count, one, many)}"
