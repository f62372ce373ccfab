"""The pupil results model and the codes it is read with: :class:`Cohort` (pupils and their
results), :class:`RowFacts` (what its rows tell that its warnings report), the spellings of the
coded pupil columns, and the rules that key pupils (:func:`pupil_key`) and resolve ``--by``
(:func:`resolve_by`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from schoolperf.reference import normalise_label

GENDER = {
    "M": "M",
    "MALE": "M",
    "BOY": "M",
    "B": "M",
    "F": "F",
    "FEMALE": "F",
    "GIRL": "F",
    "G": "F",
}
YES_NO = {
    "Y": True,
    "YES": True,
    "1": True,
    "TRUE": True,
    "T": True,
    "N": False,
    "NO": False,
    "0": False,
    "FALSE": False,
    "F": False,
}
SEN = {
    "N": "N",
    "NONE": "N",
    "NO SEN": "N",
    "K": "K",
    "SEN SUPPORT": "K",
    "SUPPORT": "K",
    "E": "E",
    "EHCP": "E",
    "EHC PLAN": "E",
    "EHC": "E",
}
# disadvantaged as exports also write it: "PP" / "Non-PP", "Disadvantaged" / "Not disadvantaged"
DISADVANTAGED = YES_NO | {
    "PP": True,
    "NON-PP": False,
    "NON PP": False,
    "NOT PP": False,
    "NONPP": False,
    "DISADVANTAGED": True,
    "NOT DISADVANTAGED": False,
    "NON-DISADVANTAGED": False,
    "NON DISADVANTAGED": False,
}
SPELLINGS = {"gender": GENDER, "disadvantaged": DISADVANTAGED, "eal": YES_NO, "sen": SEN}
BLANK_GROUPS = {  # coded pupil columns whose blanks leave pupils out of the groups they define
    "gender": "boys, girls",
    "disadvantaged": "disadvantaged, non-disadvantaged",
    "sen": "no SEN, SEN support, EHC plan",
    "eal": "EAL",
}


MAX_PROBLEMS = 500
RESULT_CONTEXT = ("class", "teacher")


# the problem of a cell that is not one of its column's codes
CODE_PROBLEMS = {
    "gender": "bad-gender",
    "disadvantaged": "bad-disadvantaged",
    "eal": "bad-eal",
    "sen": "bad-sen",
}


@dataclass
class Cohort:
    """Pupils (one row each, index ``upn``) and their results (one row per result)."""

    file: str
    pupils: pd.DataFrame
    results: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    layout: str = "long"
    columns: frozenset[str] = frozenset()
    file_warnings: list[str] = field(default_factory=list)  # about headings, not rows
    facts: RowFacts = field(default_factory=lambda: RowFacts())
    by_column: str | None = None  # the --by column, as named in ``pupils``


@dataclass(frozen=True)
class RowFacts:
    """What a cohort's rows tell that its warnings report."""

    duplicates: int = 0  # identical result rows ignored
    unrecognised: frozenset[str] = frozenset()  # subjects not in the catalogue
    # the first row of each other subject not in the catalogue, not named as it may be personal
    unnamed_subject_rows: tuple[int, ...] = ()
    without_results: int = 0  # pupils whose every grade is blank or X
    undated_conflicts: int = 0  # pupils with results discounting each other, undated
    per_result: frozenset[str] = frozenset()  # headings of other columns a pupil's rows differ in
    # pupils blank in a column that defines groups: ((column, heading), pupils), sorted
    blank_cells: tuple[tuple[tuple[str, str], int], ...] = ()
    # results of a kind that counts nowhere (short courses, IGCSEs): ((kind, results)), sorted
    not_counted_kinds: tuple[tuple[str, int], ...] = ()


def resolve_by(by: str, columns: list[str], headings: dict[str, str]) -> str | None:
    """The column ``--by`` names, as the file heads it or by its canonical name (``headings``:
    canonical name to the file's heading); ``None`` if there is none. One rule for splitting a
    file, keying its pupils and grouping its figures."""
    as_headed = {h.strip().lower(): c for c, h in headings.items()}
    for name in (by, by.lower(), by.lower().replace(" ", "_"), as_headed.get(by.strip().lower())):
        if name in columns:
            return name
    alike = [c for c in columns if normalise_label(c) == normalise_label(by)]  # any case
    return alike[0] if len(alike) == 1 else None


def pupil_key(upn: pd.Series, pupils: pd.DataFrame) -> pd.Categorical:
    """A result's pupil as a categorical over the (sorted) pupil index: sorting and grouping
    then work on integer codes, in the same order as the UPN text."""
    if isinstance(upn.dtype, pd.CategoricalDtype):  # recode the categories, not every row
        return upn.cat.set_categories(pupils.index).array
    return pd.Categorical(upn, categories=pupils.index)
