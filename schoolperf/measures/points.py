"""Grades to points: GCSE 9–1, combined science double grades, legacy A*–G, technical awards, AS.

Rule: DfE performance points 2019 (ks4-methodology §1.8); ``U`` is an entry worth 0, ``X``,
``ABS``, ``Q`` and blank are no entry. Each function works on a whole column of grades.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from schoolperf.frames import on_distinct
from schoolperf.reference import grade_points, plural

NO_ENTRY = {"", "X", "ABS", "ABSENT", "Q", "-", "N/A"}
# Technical-award grades, e.g. "L2D*", "L2 Distinction*", "Level 1 Pass", "D2", "*2" (DfE codes).
_TECHNICAL_LEVEL_FIRST = (
    r"^(?:L|LEVEL)?([12])(DISTINCTION\*|DIST\*|D\*|DS|DISTINCTIONSTAR|DISTINCTION|DIST|D|MERIT|M"
    r"|PASS|P)$"
)
_TECHNICAL_GRADE_FIRST = r"^(\*|D\*|DS|D|M|P)([12])$"
_TECHNICAL_WORD = {
    "DISTINCTION*": "*",
    "DIST*": "*",
    "D*": "*",
    "DS": "*",
    "DISTINCTIONSTAR": "*",
    "*": "*",
    "DISTINCTION": "D",
    "DIST": "D",
    "D": "D",
    "MERIT": "M",
    "M": "M",
    "PASS": "P",
    "P": "P",
}
SCALE_FORMS = {
    "gcse": "9 to 1 or U (legacy A* to G also accepted)",
    "double": "a combined science double grade such as 6-5, 65 or 6/5 (grades equal or "
    "adjacent), or U",
    "technical_c": "a technical-award grade such as L2D*, L2 Merit, L1P, D2 or U",
    "technical_first": "a technical-award grade such as L2D*, L2 Merit, L1P, D2 or U",
    "legacy": "A* to G or U",
    "as_level": "A to E or U",
}


def is_double_grade(results: pd.DataFrame) -> pd.Series:
    """True where a result's grade code is a combined science double grade such as ``65``."""
    code = results["grade_code"].astype(str)
    return results["scale"].eq("double") | (
        results["role"].eq("combined_science") & code.str.fullmatch(r"\d\d")
    )


def threshold_grades(results: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The higher and lower grade each result shows for grade thresholds (4+, 5+, 7+): a
    combined science double grade gives its two grades; a GCSE its written grade (a sub-grade
    such as 4- is still a 4); anything else its points."""

    def grades(distinct: pd.DataFrame) -> pd.DataFrame:
        code = distinct["grade_code"].astype(str)
        double = is_double_grade(distinct)
        whole = pd.to_numeric(code.where(distinct["scale"] == "gcse"), errors="coerce")
        high = pd.to_numeric(code.str[0].where(double), errors="coerce")
        low = pd.to_numeric(code.str[1].where(double), errors="coerce")
        return pd.DataFrame({"high": high.fillna(whole), "low": low.fillna(whole)})

    found = on_distinct(results, ["grade_code", "scale", "role"], grades)
    points = results["points"]
    return found["high"].fillna(points), found["low"].fillna(points)


def normalise_grades(grades: pd.Series) -> pd.Series:
    """Upper-case, no spaces, en/em dashes as hyphens, Excel's ``6.0`` as ``6``."""
    text = grades.astype(str).str.upper().str.replace(r"\s+", "", regex=True)
    text = text.str.replace("\u2013", "-").str.replace("\u2014", "-")
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def is_no_entry(grades: pd.Series) -> pd.Series:
    """True where the grade means the pupil has no result (X, absent, blank)."""
    return normalise_grades(grades).isin(NO_ENTRY)


def _technical_codes(text: pd.Series) -> pd.Series:
    level_first = text.str.extract(_TECHNICAL_LEVEL_FIRST)
    grade_first = text.str.extract(_TECHNICAL_GRADE_FIRST)
    word = level_first[1].fillna(grade_first[0]).map(_TECHNICAL_WORD)
    level = level_first[0].fillna(grade_first[1])
    return (word + level).where(text != "U", "U")


def _double_codes(text: pd.Series) -> pd.Series:
    pair = text.str.extract(r"^([1-9])[-/]?([1-9])$").astype(float)
    high, low = pair.max(axis=1), pair.min(axis=1)
    adjacent = (high - low) <= 1
    code = (high.astype("Int64").astype(str) + low.astype("Int64").astype(str)).where(adjacent)
    return code.where(~text.isin(["U", "UU"]), "U")


def grade_codes(grades: pd.Series, scales: pd.Series) -> pd.DataFrame:
    """Canonical grade code and the scale it is read on, for each grade and its subject's scale.

    ``scales`` may be empty for a subject not in the catalogue: its scale is then inferred from
    the grade's form. The code is NaN where the grade is not valid on the scale.
    """
    text = normalise_grades(grades)
    gcse = text.where(text.str.fullmatch(r"[1-9]|U"))
    legacy = text.where(text.str.fullmatch(r"A\*|[A-G]"))
    double = _double_codes(text)
    technical = _technical_codes(text)
    as_level = text.where(text.str.fullmatch(r"[A-E]|U"))
    inferred = np.select(
        [gcse.notna(), double.notna() & text.str.len().gt(1), legacy.notna(), technical.notna()],
        ["gcse", "double", "legacy", "technical_c"],
        default="",
    )
    scale = scales.where(scales != "", inferred)
    # A GCSE subject may carry a legacy letter grade (results before reform).
    scale = scale.mask((scale == "gcse") & gcse.isna() & legacy.notna(), "legacy")
    code = pd.Series(np.nan, index=text.index, dtype=object)
    for name, column in (
        ("gcse", gcse),
        ("legacy", legacy),
        ("double", double),
        ("technical_c", technical),
        ("technical_first", technical),
        ("as_level", as_level),
    ):
        code = code.mask(scale == name, column)
    return pd.DataFrame({"scale": scale, "code": code})


def points_for(scales: pd.Series, codes: pd.Series) -> pd.Series:
    """Points per slot for each (scale, grade code); NaN where the pair is unknown."""
    return (scales + "|" + codes.fillna("?")).map(grade_points()).astype(float)


@dataclass(frozen=True)
class SubgradeMapping:
    """How teachers' sub-grades become points (tracking only).

    Default: the whole grade (``6+``, ``6=``, ``6-``, ``6a``/``6b``/``6c`` are 6; ``5/6`` is the
    lower grade, 5) and decimals kept (``6.5`` is 6.5). Each part can be changed in the tracking
    configuration's ``[subgrades]`` table.
    """

    plus: float = 0.0
    equal: float = 0.0
    minus: float = 0.0
    slash: str = "lower"  # lower | upper | mean
    letter_a: float = 0.0
    letter_b: float = 0.0
    letter_c: float = 0.0

    @classmethod
    def from_table(cls, table: dict[str, object]) -> SubgradeMapping:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(table) - known)
        if unknown:
            keys = plural(len(unknown), "key")
            raise ValueError(f"unknown [subgrades] {keys}: {', '.join(unknown)}")
        if table.get("slash", "lower") not in ("lower", "upper", "mean"):
            raise ValueError("[subgrades] slash must be lower, upper or mean")
        numbers = {k: v for k, v in table.items() if k != "slash"}
        bad = sorted(
            k for k, v in numbers.items() if not isinstance(v, int | float) or isinstance(v, bool)
        )
        if bad:
            raise ValueError(f"[subgrades] {', '.join(bad)} must be numbers, e.g. 0.33")
        return cls(**table)  # type: ignore[arg-type]


def subgrade_whole(grades: pd.Series) -> pd.Series:
    """The whole grade a sub-grade stands for (``4-`` → 4, ``5/6`` → 5, ``6.5`` → 6): grade
    thresholds (4+, 5+) use it, whatever points the mapping gives."""
    text = normalise_grades(grades)
    digits = text.str.extractall(r"([1-9])")[0].astype(int).groupby(level=0).min()
    return digits.reindex(text.index)


def subgrade_points(grades: pd.Series, mapping: SubgradeMapping) -> pd.Series:
    """Points of sub-graded predictions (``6+``, ``6=``, ``6-``, ``5/6``, ``6.5``, ``5a``);
    NaN where the grade is not in a sub-grade notation."""
    text = normalise_grades(grades)
    points = pd.Series(np.nan, index=text.index)
    suffix = text.str.extract(r"^([1-9])([+=\-]|[ABC])$")
    offsets = {
        "+": mapping.plus,
        "=": mapping.equal,
        "-": mapping.minus,
        "A": mapping.letter_a,
        "B": mapping.letter_b,
        "C": mapping.letter_c,
    }
    points = points.fillna(suffix[0].astype(float) + suffix[1].map(offsets).astype(float))
    pair = text.str.extract(r"^([1-9])/([1-9])$").astype(float)
    adjacent = (pair[0] - pair[1]).abs() == 1
    between = {"lower": pair.min(axis=1), "upper": pair.max(axis=1), "mean": pair.mean(axis=1)}[
        mapping.slash
    ]
    points = points.fillna(between.where(adjacent))
    decimal = pd.to_numeric(text.where(text.str.fullmatch(r"[1-9]\.\d+")), errors="coerce")
    points = points.fillna(decimal.where(decimal <= 9))
    return points.clip(lower=0, upper=9)
