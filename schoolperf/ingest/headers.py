"""Match a file's column headings to the canonical names of docs/contract.md §1.

Headings are compared after :func:`normalise_label` (case, spacing and punctuation ignored) with
the aliases in ``reference/header_aliases.csv``; a mapping file (``--columns``) overrides them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path

from schoolperf.errors import InputError, Problem
from schoolperf.ingest.config_files import file_problem, read_toml, shown
from schoolperf.reference import ROW, counted, header_aliases, normalise_label, plural

PUPIL_COLUMNS = [
    "upn",
    "forename",
    "surname",
    "name",
    "gender",
    "disadvantaged",
    "sen",
    "eal",
    "ks2_reading",
    "ks2_maths",
    "ks2_year",
    "ks2_fine_level",
]
RESULT_COLUMNS = ["subject", "qualification", "qan", "discount_code", "grade", "exam_date"]
CONTEXT_COLUMNS = ["tutor_group", "class", "teacher", "school", "year_group", "attendance"]


def read_column_map(path: str | Path) -> dict[str, str]:
    """A mapping file: TOML ``[columns]`` table of ``canonical = "Heading in the export"``."""
    path = Path(path)
    fix = 'Write lines such as upn = "Candidate No" under a [columns] heading.'
    data = read_toml(path, "bad-column-map", fix)
    mapping = data.get("columns", data)
    if not isinstance(mapping, dict):
        raise file_problem(path, "bad-column-map", "has columns, but not as a table.", fix, mapping)
    known = set(PUPIL_COLUMNS + RESULT_COLUMNS + CONTEXT_COLUMNS)
    problems = [
        Problem(
            "bad-column-map",
            f"maps {key!r}, which is not a column schoolperf knows.",
            f"Use one of: {', '.join(sorted(known))}.",
            file=path.name,
        )
        if key not in known
        else Problem(
            "bad-column-map",
            f"maps {key!r} to something other than a heading in quotes.",
            f'Write it as {key} = "Heading in the export".',
            file=path.name,
            value=shown(value),
        )
        for key, value in mapping.items()
        if key not in known or not isinstance(value, str)
    ]
    if problems:
        raise InputError(problems)
    return dict(mapping)


def canonical_columns(
    headings: list[str], column_map: dict[str, str] | None = None, file: str = ""
) -> tuple[dict[str, str], list[str]]:
    """Rename map heading → canonical name, and warnings about headings passed over.

    Where several headings match one canonical column, the alias of highest priority wins (e.g.
    ``Disadvantaged`` over ``Pupil Premium``); the others stay as extra columns, with a warning.
    """
    headings = [h for h in headings if h != ROW]
    by_norm = {normalise_label(h): h for h in headings}
    rename: dict[str, str] = {}
    if column_map:
        targets = [normalise_label(v) for v in column_map.values()]
        clashes = sorted(
            {column_map[k] for k in column_map if targets.count(normalise_label(column_map[k])) > 1}
        )
        if clashes:
            raise InputError(
                [
                    Problem(
                        "bad-column-map",
                        f"maps several columns to the {plural(len(clashes), 'heading')} "
                        f"{', '.join(repr(c) for c in clashes)}.",
                        "Map each heading to one column only.",
                        file=file,
                    )
                ]
            )
        wanted = {normalise_label(v): k for k, v in column_map.items()}
        missing = [column_map[k] for n, k in wanted.items() if n not in by_norm]
        if missing:
            raise InputError(
                [
                    Problem(
                        "mapped-column-missing",
                        f"has no column {', '.join(repr(m) for m in missing)} "
                        "named in the mapping file.",
                        f"The columns are: {', '.join(headings)}.",
                        file=file,
                    )
                ]
            )
        rename = {by_norm[n]: k for n, k in wanted.items()}
    aliases = header_aliases().set_index("alias")
    candidates = [
        (int(aliases.at[n, "priority"]), aliases.at[n, "column"], h)
        for n, h in by_norm.items()
        if n in aliases.index and h not in rename
    ]
    warnings = []
    taken = set(rename.values())
    for _priority, column, heading in sorted(candidates):
        if column in taken:
            chosen = next(h for h, c in rename.items() if c == column)
            warnings.append(
                f"Columns {chosen!r} and {heading!r} both look like {column}; {chosen!r} was "
                f"used and {heading!r} kept as an extra column. Use --columns to choose."
            )
            continue
        rename[heading] = column
        taken.add(column)
    return rename, warnings


def headings_row(rows: Iterable[Sequence[object]], within: int = 10) -> int | None:
    """Which of the first ``within`` ``rows`` (0: the first) holds the column headings (a pupil
    identifier's among them), if one does: a title or notes above the headings push them
    down, and every message about the rows below would then be wrong."""
    for number, row in enumerate(islice(rows, within)):
        cells = [str(c).strip() for c in row if str(c).strip()]
        if cells and "upn" in canonical_columns(cells)[0].values():
            return number
    return None


def headings_below(file: str, row: int) -> InputError:
    """The problem of headings on spreadsheet row ``row`` instead of row 1."""
    return InputError(
        [
            Problem(
                "headings-not-on-row-1",
                f"has its column headings on row {row}, below a title or other rows.",
                "Delete the rows above the headings, so that row 1 holds them.",
                file=file,
                row=str(row),
            )
        ]
    )


def header_row(rows: list[list[str]], forced: int | None = None) -> int:
    """The spreadsheet row (1 the first) holding the column headings, from a file's first
    ``rows`` as read: ``forced`` (``--header-row``) where given; else row 1, unless the
    headings are a few rows down, below a title or notes (as Excel exports often have)."""
    if forced is not None:
        return forced
    below = headings_row(rows[1:]) if rows and headings_row(rows[:1]) is None else None
    return 1 if below is None else below + 2


def title_rows_warning(file: str, row: int, forced: bool) -> list[str]:
    """The warning that rows above the headings on ``row`` were skipped."""
    if row == 1:
        return []
    how = "as --header-row asked" if forced else "found below a title or other rows"
    return [
        f"{file}: the column headings are on row {row} ({how}); the "
        f"{counted(row - 1, 'row')} above them {plural(row - 1, 'was', 'were')} skipped. Use "
        "--header-row to choose another row."
    ]
