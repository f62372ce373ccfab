"""A cohort's warnings: usable oddities of its rows (:func:`row_facts`, then
:func:`row_warnings`), and pupil-group columns that no heading could be read as."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.cohort.checks import Checker
from schoolperf.cohort.model import BLANK_GROUPS, RowFacts
from schoolperf.errors import may_be_personal
from schoolperf.frames import distinct_rows, pupil_positions
from schoolperf.ingest.read import ROW
from schoolperf.measures.eligibility import discount_key, kind_counts, kind_warnings
from schoolperf.reference import (
    counted,
    normalise_label,
    plural,
    subject_catalogue,
    subject_file_changes,
)


def row_facts(
    pupils: pd.DataFrame, results: pd.DataFrame, duplicates: int, check: Checker
) -> RowFacts:
    """What the rows tell (``check``: what checking them found besides problems)."""
    unrecognised = results.loc[
        (
            (results["matched_by"] == "unrecognised")
            & (results["subject"] != "")
            & (results["role"] != "not_counting")  # a short course or IGCSE says so itself
        ).to_numpy(),
        ["subject", "upn", ROW],
    ]  # (a row without a subject is a pupil without results)
    subjects = unrecognised.groupby("subject", observed=True).agg(
        pupils=("upn", "nunique"), row=(ROW, "min")
    )
    personal = np.array([may_be_personal(str(s), n) for s, n in subjects["pupils"].items()])
    entry = results["entry"].to_numpy(dtype=bool)
    pupil = pupil_positions(results["upn"], pupils.index)
    with_entries = np.bincount(pupil[entry], minlength=len(pupils)) > 0
    counting = entry & (results["role"] != "not_counting").to_numpy()
    entries = results.loc[counting, ["upn", "discount_code", "subject_title", "exam_date"]]
    entries = entries.assign(_code=discount_key(entries))
    entries = entries[entries["_code"].notna().to_numpy()]  # as groupby: no key, no group
    same, _ = distinct_rows(entries, ["upn", "_code"])
    shared_code = np.bincount(same)[same] > 1 if len(same) else np.zeros(0, dtype=bool)
    undated = shared_code & entries["exam_date"].isna().to_numpy()
    return RowFacts(
        duplicates,
        frozenset(str(s) for s in subjects.index[~personal]) if len(subjects) else frozenset(),
        tuple(sorted(int(r) for r in subjects["row"][personal])) if len(subjects) else (),
        int((~with_entries).sum()),
        int(entries.loc[undated, "upn"].nunique()),
        frozenset(check.per_result),
        tuple(sorted(check.blank_cells.items())),
        kind_counts(results),
    )


def row_warnings(file_warnings: list[str], facts: RowFacts) -> list[str]:
    """The cohort's warnings: about its headings first, then about its rows."""
    warnings = list(dict.fromkeys(file_warnings))
    if facts.duplicates:
        were = plural(facts.duplicates, "was", "were")
        warnings.append(f"{counted(facts.duplicates, 'duplicate result row')} {were} ignored.")
    if facts.unrecognised or facts.unnamed_subject_rows:
        names = [repr(s) for s in sorted(facts.unrecognised)]
        rows = facts.unnamed_subject_rows
        if rows:
            shown = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
            names.append(
                f"{len(rows)} taken by only one or two pupils, not named here as "
                f"{plural(len(rows), 'it', 'they')} may be personal (first on "
                f"{plural(len(rows), 'row')} {shown})"
            )
        unknown = len(facts.unrecognised) + len(rows)
        warnings.append(
            f"{counted(unknown, 'subject')} {plural(unknown, 'is', 'are')} not in the subject "
            f"catalogue and {plural(unknown, 'was', 'were')} NOT counted: {', '.join(names)}. If "
            "one is an approved qualification, add it with --subjects (columns subject, role, "
            "scale, discount_code, aliases)."
        )
    warnings.extend(kind_warnings(facts.not_counted_kinds))
    if facts.without_results:
        warnings.append(
            f"{counted(facts.without_results, 'pupil')} "
            f"{plural(facts.without_results, 'has', 'have')} no results (every grade blank or "
            f"X) and {plural(facts.without_results, 'counts', 'count')} in the cohort with "
            "Attainment 8 of 0."
        )
    if facts.undated_conflicts:
        warnings.append(
            f"{counted(facts.undated_conflicts, 'pupil')} "
            f"{plural(facts.undated_conflicts, 'has', 'have')} two or more results that discount "
            "against each other (same subject or discount code) without an exam date, so the "
            "first-entry rule could not be applied: the better result was counted. Add exam dates "
            "to apply it."
        )
    for (column, heading), pupils in facts.blank_cells:
        warnings.append(
            f"{counted(pupils, 'pupil')} {plural(pupils, 'has', 'have')} a blank {heading!r} "
            f"cell, so {plural(pupils, 'is', 'are')} in none of the groups it defines "
            f"({BLANK_GROUPS[column]}). Where a blank means a value in this export (such as N), "
            "fill the blanks in."
        )
    if facts.per_result:
        names = ", ".join(repr(s) for s in sorted(facts.per_result))
        many = len(facts.per_result)
        warnings.append(
            f"{plural(many, 'Column', 'Columns')} {names} {plural(many, 'differs', 'differ')} "
            f"between a pupil's rows, so {plural(many, 'it is', 'they are')} read as about each "
            "result (an awarding body, a season …), not about the pupil: a pupil whose rows "
            f"differ has no value in {plural(many, 'it', 'them')} (for --group)."
        )
    return warnings


MISSING_GROUP_COLUMNS = "No column could be read as"  # how that warning starts
GROUP_COLUMNS = {  # the columns of the groups schools are held to, in words
    "disadvantaged": "disadvantaged (pupil premium)",
    "sen": "SEN",
    "gender": "gender",
}


def missing_group_columns(
    table: pd.DataFrame, headings: dict[str, str], subjects_file: str | None
) -> list[str]:
    """A warning when no column can be read as disadvantaged, SEN or gender: those groups would
    be missing from every output without a word. It names the headings not read as anything
    (never their cells), so a data manager can map the right one with ``--columns``."""
    missing = [c for c in GROUP_COLUMNS if c not in table.columns]
    if not missing:
        return []
    subjects = set(subject_catalogue(subjects_file)["alias"])
    unread = [
        str(c)
        for c in table.columns
        if c not in headings and c != ROW and normalise_label(str(c)) not in subjects
    ]
    seen = ", ".join(repr(h) for h in unread[:15]) + (" …" if len(unread) > 15 else "")
    words = " or ".join(GROUP_COLUMNS[c] for c in missing)
    example = f'{missing[0]} = "{unread[0] if unread else "Your heading"}"'
    return [
        f"{MISSING_GROUP_COLUMNS} {words}, so those pupil groups are missing from every "
        "output. "
        + (
            f"Headings schoolperf does not recognise: {seen}. If one of them holds it, map it with "
            f"--columns (e.g. {example})."
            if unread
            else f"Add the column, or map its heading with --columns (e.g. {example})."
        )
    ]


def subject_file_warnings(subjects_file: str | None) -> list[str]:
    """A warning listing the shipped subjects a ``--subjects`` file changes, so no change to
    how results count passes without a word (English and maths cannot be changed at all)."""
    changes = subject_file_changes(subjects_file)
    if not changes:
        return []
    name = Path(str(subjects_file)).name
    return [
        f"{name} changes {counted(len(changes), 'shipped subject')}, which changes how their "
        f"results count: {'; '.join(changes)}. Check each is meant."
    ]
