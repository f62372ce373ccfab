"""Problems in the input, and the exceptions that carry them to the command line.

A :class:`Problem` is data (file, spreadsheet row, column, value, message, fix), modelled on
frictionless-py's error reports; its code is one of :data:`PROBLEMS` (the catalogue). The library
raises :class:`InputError` holding every problem it found; the command line prints one line per
problem and exits with status 2 (docs/contract.md §4).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from schoolperf.errors.catalogue import PROBLEMS

__all__ = ["PROBLEMS", "InputError", "Problem", "ReferenceDataError", "SchoolperfError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what it is, and what to do about it.

    ``row`` is the row number a spreadsheet shows (the header is row 1); rows are given as a
    text such as ``"14"`` or ``"14, 27"`` when a problem spans rows, or ``None`` for a problem
    with the file as a whole.
    """

    code: str
    message: str
    fix: str
    file: str = ""
    row: str | None = None
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        """The problem as the one line printed on standard error."""
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value:
            where.append(f"value {self.shown_value!r}")
        place = f"{', '.join(where)}: " if where else ""
        return f"{place}{self.message} {self.fix}"

    @property
    def shown_value(self) -> str | None:
        """The value as messages show it: a long one cut short, with its length."""
        if self.value is None or len(self.value) <= 60:
            return self.value
        return f"{self.value[:40]}… ({len(self.value):,} characters)"

    def to_dict(self) -> dict[str, str | None]:
        """The problem as JSON shows it (a long value cut short, as in the message)."""
        return asdict(self) | {"value": self.shown_value}


class SchoolperfError(Exception):
    """Base class of every error schoolperf raises on purpose."""

    exit_code = 2


# the number of rows (or pupils) of each kind of problem, by file, code and column, not listed
Unlisted = dict[tuple[str, str, "str | None"], int]


class InputError(SchoolperfError):
    """The input cannot be analysed as it is; ``problems`` says why, one entry per problem,
    and, where a kind of problem was met on more rows than are listed (``unlisted``: their
    number by file, code and column), one entry more for that kind, saying how many."""

    def __init__(self, problems: list[Problem], unlisted: Unlisted | None = None):
        self.listed = problems
        self.unlisted = {kind: n for kind, n in (unlisted or {}).items() if n > 0}
        self.problems = problems + [
            Problem(
                code,
                f"{count:,} more of this problem, like those above, are not listed.",
                "Fix the rows listed, then run again (or schoolperf validate) to list the rest.",
                file=file,
                column=column,
            )
            for (file, code, column), count in self.unlisted.items()
        ]
        super().__init__("\n".join(p.describe() for p in self.problems))

    @property
    def count(self) -> int:
        """How many problems there are: those listed and those only counted."""
        return len(self.listed) + sum(self.unlisted.values())

    @classmethod
    def merged(cls, errors: list[SchoolperfError]) -> InputError:
        """One error holding every problem of ``errors`` (several files),
        those listed and those counted."""
        unlisted: Counter[tuple[str, str, str | None]] = Counter()
        for error in errors:
            unlisted.update(getattr(error, "unlisted", {}))
        return cls([p for e in errors for p in getattr(e, "listed", e.problems)], dict(unlisted))


class ReferenceDataError(SchoolperfError):
    """A reference table (estimates, catalogue, mapping file) is missing or malformed."""

    def __init__(self, problem: Problem):
        self.problems = [problem]
        super().__init__(problem.describe())
