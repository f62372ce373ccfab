"""Problems in the input, and the exceptions that carry them to the command line.

A :class:`Problem` is data (file, spreadsheet row, column, value, message, fix), modelled on
frictionless-py's error reports; its code is one of :data:`PROBLEMS` (the catalogue). The library
raises :class:`InputError` holding every problem it found; the command line prints one line per
problem and exits with status 2 (docs/contract.md §4).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

from schoolperf.errors.catalogue import PROBLEMS

__all__ = [
    "PROBLEMS",
    "AlreadyRunning",
    "InputError",
    "Problem",
    "ReferenceDataError",
    "SchoolperfError",
    "may_be_personal",
    "value_kind",
]


# A cell's value may be personal data when it is shaped like a name or free text (a word of
# four letters or more, or of three with a small letter: "Lee", but not the code "PKF"), a
# date (of birth) or a long text, and only a couple of pupils hold it: such a value is
# described (its kind and length), never quoted. A code many pupils share ("K - SEN Support"
# on 180 rows) is quoted, as the data manager needs it to fix the export.
WORD = re.compile(r"[^\W\d_]+")
DATE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}")
SHARED = 3  # pupils holding a value beyond which it is a code, not one pupil's data
LONGEST_SHOWN = 60  # characters


def _wordlike(text: str) -> bool:
    return any(len(w) >= 4 or (len(w) == 3 and w != w.upper()) for w in WORD.findall(text))


def may_be_personal(value: str, pupils: int = 1) -> bool:
    """Whether a cell's ``value``, held by ``pupils`` pupils, may be personal data."""
    text = value.strip()
    if len(text) > LONGEST_SHOWN or DATE.search(text):
        return True
    return pupils < SHARED and _wordlike(text)


def value_kind(value: str) -> str:
    """A value described without showing it: its kind and length."""
    text = value.strip()
    if DATE.search(text) and len(text) <= 30:
        kind = "a date"
    elif len(text) > LONGEST_SHOWN:
        kind = "a text"
    elif _wordlike(text):
        kind = "a word" if len(text.split()) == 1 else "words"
    else:
        kind = "a value"
    return f"{kind} of {len(text):,} characters"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what it is, and what to do about it.

    ``row`` is the row number a spreadsheet shows (the header is row 1); rows are given as a
    text such as ``"14"`` or ``"14, 27"`` when a problem spans rows, or ``None`` for a problem
    with the file as a whole. ``personal``: the value came from a pupil's cell and may be
    personal data (:func:`may_be_personal`), so it is described, never shown; a long value is
    always described.
    """

    code: str
    message: str
    fix: str
    file: str = ""
    row: str | None = None
    column: str | None = None
    value: str | None = None
    personal: bool = False

    def describe(self) -> str:
        """The problem as the one line printed on standard error."""
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value and self.shown_value is not None:
            where.append(f"value {self.shown_value!r}")
        elif self.value:
            where.append(f"{self.value_description} (not shown: it may be personal)")
        place = f"{', '.join(where)}: " if where else ""
        return f"{place}{self.message} {self.fix}"

    @property
    def shown_value(self) -> str | None:
        """The value as messages show it: ``None`` where it is only described."""
        if self.value is None or self.personal or len(self.value.strip()) > LONGEST_SHOWN:
            return None
        return self.value

    @property
    def value_description(self) -> str | None:
        """The value's kind and length, where it is not shown."""
        if self.value is None or self.shown_value is not None:
            return None
        return value_kind(self.value)

    def to_dict(self) -> dict[str, str | None]:
        """The problem as JSON shows it: ``value`` only where it may be shown, else
        ``value_description``."""
        fields = asdict(self)
        del fields["personal"]
        return fields | {"value": self.shown_value, "value_description": self.value_description}


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


class AlreadyRunning(InputError):
    """Another run holds the lock of this output folder: a cron run refused so has an exit
    status of its own (4), not that of bad input."""

    exit_code = 4


class ReferenceDataError(SchoolperfError):
    """A reference table (estimates, catalogue, mapping file) is missing or malformed."""

    def __init__(self, problem: Problem):
        self.problems = [problem]
        super().__init__(problem.describe())
