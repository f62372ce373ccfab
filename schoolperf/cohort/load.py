"""Loading a cohort: :func:`load_cohort` reads an export, checks it and models it; :func:`anonymise`
replaces its pupils' identifiers with pseudonyms.

Flow: ``read_table`` → canonical headings → long layout → parse pupil fields → check pupils agree
between rows → recognise subjects → grades to points. Every problem found is collected and
raised together as one :class:`InputError`; usable oddities become warnings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.cohort.checks import Checker, capped_problems, check_footers, check_spellings
from schoolperf.cohort.model import MAX_PROBLEMS, RESULT_CONTEXT, Cohort, pupil_key, resolve_by
from schoolperf.cohort.pupils import build_pupils
from schoolperf.cohort.results import build_results
from schoolperf.cohort.warnings import (
    missing_group_columns,
    row_facts,
    row_warnings,
    subject_file_warnings,
)
from schoolperf.errors import InputError, Problem
from schoolperf.frames import as_categories, repeated_rows, sort_order
from schoolperf.ingest.headers import (
    CONTEXT_COLUMNS,
    PUPIL_COLUMNS,
    RESULT_COLUMNS,
    canonical_columns,
    headings_below,
    headings_row,
    read_column_map,
)
from schoolperf.ingest.layouts import detect_layout, subject_columns, wide_to_long
from schoolperf.ingest.read import ROW, read_table
from schoolperf.measures.points import SubgradeMapping
from schoolperf.reference import NAME_COLUMNS, identifies_pupils, normalise_label, subject_catalogue

PSEUDONYM_KEY = "SCHOOLPERF_PSEUDONYM_KEY"
SHORTEST_KEY = 16  # characters: a shorter secret could be found by trying every one


def pseudonym_key(environ: Mapping[str, str]) -> bytes:
    """The secret that keys pseudonyms, from ``SCHOOLPERF_PSEUDONYM_KEY`` in ``environ``.

    Without a secret a pseudonym is a plain hash of the UPN, and UPNs can be listed, so anyone
    could match pseudonyms to pupils: a missing or short key is refused."""
    key = environ.get(PSEUDONYM_KEY, "")
    if len(key.strip()) < SHORTEST_KEY:
        problem = "is not set" if not key.strip() else f"is shorter than {SHORTEST_KEY} characters"
        raise InputError(
            [
                Problem(
                    "no-pseudonym-key",
                    f"--anonymise needs a secret key, and {PSEUDONYM_KEY} {problem}: without one "
                    "anyone could match the pseudonyms to the pupils' UPNs.",
                    f"Make a secret once, e.g. `export {PSEUDONYM_KEY}=$(python3 -c "
                    "'import secrets; print(secrets.token_hex(32))')`, keep it private (not in "
                    "the pack or beside the outputs) and use the same one for runs you compare.",
                )
            ]
        )
    return key.encode()


def anonymise(cohort: Cohort, key: bytes) -> Cohort:
    """The cohort with every UPN replaced by a stable pseudonym and names removed.

    Pseudonyms are keyed BLAKE2b digests of the UPN (64 bits): the same UPN always gives the
    same pseudonym under the same key (:func:`pseudonym_key`), so runs can be compared.
    """

    def pseudonym(upn: str) -> str:
        return "P-" + hashlib.blake2b(upn.encode(), key=key[:64], digest_size=8).hexdigest()

    mapping = {upn: pseudonym(upn) for upn in cohort.pupils.index}
    if len(set(mapping.values())) != len(mapping):
        raise InputError(
            [
                Problem(
                    "pseudonym-clash",
                    "gives two pupils the same pseudonym.",
                    "Set another SCHOOLPERF_PSEUDONYM_KEY.",
                    file=cohort.file,
                )
            ]
        )
    pupils = cohort.pupils.drop(columns=[c for c in NAME_COLUMNS if c in cohort.pupils.columns])
    pupils = pupils.rename(index=mapping).sort_index()
    pupils.index.name = "upn"
    results = cohort.results.assign(
        upn=pupil_key(cohort.results["upn"].astype(str).map(mapping), pupils)
    )
    return replace(cohort, pupils=pupils, results=results)


def load_cohort(
    path: str | Path,
    columns_file: str | None = None,
    subjects_file: str | None = None,
    sheet: str | None = None,
    layout: str = "auto",
    ks2_year: int = 2019,
    subgrades: SubgradeMapping | None = None,
    by: str | None = None,
    results_required: bool = True,
    header_row: int | None = None,
) -> Cohort:
    """Read, validate and model an export; raise :class:`InputError` listing every problem.

    ``ks2_year`` is the KS2 year of pupils without a ``ks2_year`` cell, used to check that their
    KS2 teacher-assessment codes existed that year. Without ``results_required`` (September
    target setting) a file of entries without grades, or of pupils and their KS2 alone, is a
    cohort too. ``header_row``: the spreadsheet row of the headings (``--header-row``), where
    not row 1 or the row below a title that is found."""
    path = Path(path)
    table, headings, warnings = _read(path, sheet, columns_file, header_row)
    chosen = detect_layout(list(table.columns)) if layout == "auto" else layout
    check = Checker(path.name, headings, wide=chosen == "wide")
    table = _identified_rows(table, chosen, check)
    by_column = None if by is None else resolve_by(by, list(table.columns), headings)
    table = _split_by(table, by_column, check)
    if layout == "auto":
        _check_grade_column(table, headings, check.file)
    if chosen == "wide":
        # one row per pupil, kept even when every subject cell is blank
        pupil_rows, restored = _wide_pupil_rows(table, headings, check)
        table = _wide_as_long(pupil_rows, restored, subjects_file, check.file, results_required)
    else:
        pupil_rows = table = _long_rows(table, check.file)
    extras = _extra_columns(table, chosen)
    warnings += missing_group_columns(pupil_rows, headings, subjects_file)
    warnings += subject_file_warnings(subjects_file)
    pupil, upns = pd.factorize(pupil_rows["upn"], sort=True)
    check_spellings(pupil_rows, upns, "upn", by_column, check)
    pupils = build_pupils(pupil_rows, check, extras, ks2_year, pupil, upns)
    results = build_results(table, check, subjects_file, subgrades)
    if results_required:
        _check_grades_given(results, headings, check)
    if check.problems:
        raise InputError(*capped_problems(check.problems, check.unlisted))
    same_rows = table is pupil_rows and results.index.equals(table.index)  # long: the same rows
    results, duplicates = _distinct_results(results, pupils, pupil if same_rows else None)
    facts = row_facts(pupils, results, duplicates, check)
    return Cohort(
        path.name,
        pupils,
        results.reset_index(drop=True),
        row_warnings(warnings, facts),
        chosen,
        frozenset(table.columns),
        warnings,
        facts,
        by_column,
    )


def _read(
    path: Path, sheet: str | None, columns_file: str | None, header_row: int | None = None
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The export's table under canonical headings, the file's own heading of each canonical
    name, and the warnings about its headings (the reader's first: an encoding, a title)."""
    table = read_table(path, sheet, header_row)
    column_map = read_column_map(columns_file) if columns_file else None
    rename, warnings = canonical_columns(list(table.columns), column_map, path.name)
    warnings = [*table.attrs.get("warnings", []), *warnings]  # the reader's (an encoding)
    headings = {v: k for k, v in rename.items()}
    table = table.rename(columns=rename)
    return table, headings, warnings


def _identified_rows(table: pd.DataFrame, chosen: str, check: Checker) -> pd.DataFrame:
    """The rows with a pupil identifier (a blank one is a problem, and no identifier column an
    error), totals and footer rows found among them."""
    if "upn" not in table.columns:
        below = headings_row(table.drop(columns=ROW).itertuples(index=False))
        if below is not None:  # a title above the headings
            raise headings_below(check.file, int(table[ROW].iloc[below]))
        raise InputError(
            [
                Problem(
                    "missing-column",
                    "has no pupil identifier column (UPN, candidate number, admission number …).",
                    "Name the column UPN, or map it with --columns.",
                    file=check.file,
                )
            ]
        )
    check.rows(
        table,
        table["upn"] == "",
        "upn",
        "missing-upn",
        "is blank on a row that has data.",
        "Give every row the pupil's identifier, or delete the row.",
    )
    table = table[table["upn"] != ""]
    if chosen == "long" and {"subject", "grade"} <= set(table.columns):
        check_footers(table, check)
    elif chosen == "wide":
        check_footers(table, check, wide=True)
    return table


def _split_by(table: pd.DataFrame, by_column: str | None, check: Checker) -> pd.DataFrame:
    """With ``--by`` (``by_column``: the column it names), several schools: a pupil is a
    (school, UPN) pair, its ``upn`` ``school/UPN``. The column may not identify pupils, and its
    values must be given and spelt one way."""
    headings = check.headings
    if by_column is not None and identifies_pupils(headings.get(by_column, by_column)):
        raise InputError(
            [
                Problem(
                    "bad-by",
                    "names or identifies pupils, so the figures cannot be split by it (--by).",
                    "Give --by a column such as School (a URN or a school's name).",
                    file=check.file,
                    column=headings.get(by_column, by_column),
                )
            ]
        )
    if by_column is not None:  # several schools: a pupil is a (school, UPN) pair
        check.rows(
            table,
            table[by_column] == "",
            by_column,
            "missing-by-value",
            "is blank in the column the figures are split by (--by), so the row has no school.",
            "Give every row its value in this column, or delete the row.",
        )
        by_values = pd.Index(table[by_column].unique())
        check_spellings(table, by_values, by_column, None, check, f"{by_column} value")
        table = table.assign(upn=table[by_column] + "/" + table["upn"])
    return table


def _check_grade_column(table: pd.DataFrame, headings: dict[str, str], file: str) -> None:
    """A subject column without a grade column is an error (the layout left to be detected)."""
    if "subject" in table.columns and "grade" not in table.columns:
        raise InputError(
            [
                Problem(
                    "missing-column",
                    f"has a subject column ({headings.get('subject', 'subject')!r}) "
                    "but no grade column.",
                    "Name the grade column Grade (or Result), or map it with --columns.",
                    file=file,
                )
            ]
        )


def _check_grades_given(results: pd.DataFrame, headings: dict[str, str], check: Checker) -> None:
    """A grade column blank on every row of a subject is a problem: every pupil would get an
    A8 of 0 (an export made before results, or the wrong column mapped as the grade)."""
    if "grade" not in results.columns:
        return
    named = results["subject"].astype(str).str.strip() != ""
    if named.any() and not (results.loc[named, "grade"].astype(str).str.strip() != "").any():
        check.problems.append(
            Problem(
                "blank-grade-column",
                f"the grade column ({headings.get('grade', 'grade')!r}) is blank on all "
                f"{int(named.sum()):,} rows with a subject, so every pupil would have an A8 of 0.",
                "Export the results again with their grades, or map the column that holds them "
                'with --columns (grade = "Your heading").',
                file=check.file,
                column=headings.get("grade", "grade"),
            )
        )


def _wide_pupil_rows(
    table: pd.DataFrame, headings: dict[str, str], check: Checker
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A wide export's rows, one a pupil (more than one is a problem), with the headings that
    look like result columns (Result, Course …) back as the file's own, just columns here (taken
    out of ``headings``); and those headings (``restored``: canonical name to heading)."""
    # a heading that looks like a result column (Result, Course …) is just a column here
    result_columns = [c for c in RESULT_COLUMNS if c in table.columns]
    restored = {c: headings.pop(c) for c in result_columns}
    table = table.rename(
        columns={c: h if h not in RESULT_COLUMNS else f"{h} (column)" for c, h in restored.items()}
    )
    repeated = table.loc[table["upn"].duplicated(keep=False), "upn"].unique()
    check.unlisted[check.file, "duplicate-pupil", headings.get("upn", "upn")] += max(
        len(repeated) - MAX_PROBLEMS, 0
    )
    for upn in repeated[:MAX_PROBLEMS]:
        check.problems.append(
            Problem(
                "duplicate-pupil",
                "holds the same pupil on more than one row of a wide export.",
                "Keep one row per pupil, with a column per subject.",
                file=check.file,
                row=", ".join(str(r) for r in table.loc[table["upn"] == upn, ROW]),
                column=headings.get("upn", "upn"),
            )
        )
    return table, restored


def _wide_as_long(
    table: pd.DataFrame,
    restored: dict[str, str],
    subjects_file: str | None,
    file: str,
    results_required: bool = True,
) -> pd.DataFrame:
    """A wide export's results in the long layout (a row a result), from its columns whose
    headings are subjects; an error if it has none and results are required."""
    subjects = subject_columns(table, subjects_file)
    known_subjects = set(subject_catalogue(subjects_file)["alias"])
    if "grade" in restored and not any(normalise_label(c) in known_subjects for c in subjects):
        raise InputError(
            [
                Problem(
                    "missing-column",
                    f"has a grade column ({restored['grade']!r}) but no subject or QAN column.",
                    "Add the subject of each result, or map the export's own "
                    "heading with --columns.",
                    file=file,
                )
            ]
        )
    if not subjects and results_required:
        raise InputError(
            [
                Problem(
                    "missing-column",
                    "has no subject and grade columns, and no column whose heading is a subject.",
                    "Export one row per result with Subject and Grade "
                    "columns, or one column per subject.",
                    file=file,
                )
            ]
        )
    return wide_to_long(table, subjects)


def _long_rows(table: pd.DataFrame, file: str) -> pd.DataFrame:
    """A long export's rows, the same frame (given a blank subject where it has QANs but no
    subject column); an error without its subject or grade column."""
    if "subject" not in table.columns and "qan" in table.columns:
        table["subject"] = ""
    missing = [c for c in ("subject", "grade") if c not in table.columns]
    if missing:
        raise InputError(
            [
                Problem(
                    "missing-column",
                    f"has no {' or '.join(missing)} column.",
                    "Add it, or map the export's own heading with --columns.",
                    file=file,
                )
            ]
        )
    return table


def _extra_columns(table: pd.DataFrame, chosen: str) -> list[str]:
    """The columns schoolperf has no use of its own for, the context columns first."""
    known = {*PUPIL_COLUMNS, *RESULT_COLUMNS, ROW}
    if chosen == "long":  # in a long export, class and teacher belong to each result
        known |= set(RESULT_CONTEXT)
    extras = [c for c in table.columns if c not in known]
    extras = [c for c in CONTEXT_COLUMNS if c in extras] + [
        c for c in extras if c not in CONTEXT_COLUMNS
    ]
    return extras


def _distinct_results(
    results: pd.DataFrame, pupils: pd.DataFrame, pupil: np.ndarray | None
) -> tuple[pd.DataFrame, int]:
    """The results with their pupils as a categorical over ``pupils``' index, sorted, each
    identical result once; and how many were left out. ``pupil``: each result's position in the
    pupils when the results are the pupils' own rows (a long export), else ``None``."""
    # identical results (same subject, grade and date, however the grade is spelt) count once;
    # sorting first makes the kept spelling independent of row order
    results = as_categories(
        results.assign(
            upn=pd.Categorical.from_codes(pupil, categories=pupils.index)
            if pupil is not None
            else pupil_key(results["upn"], pupils)
        ),
        exclude=("upn", ROW),
    )
    key = ["upn", "subject_title", "grade_code", "exam_date"]
    results = results.iloc[sort_order(results, [*key, "grade"], [True] * 5)]
    duplicate = repeated_rows(results, key)
    results = results[~duplicate]
    coded = [c for c in results.columns if isinstance(results[c].dtype, pd.CategoricalDtype)]
    for column in set(coded) - {"upn"} if duplicate.any() else ():  # seen only on duplicates
        results[column] = results[column].cat.remove_unused_categories()
    return results, int(duplicate.sum())
