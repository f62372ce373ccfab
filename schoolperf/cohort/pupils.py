"""The pupils: one row per pupil from the export's rows, each column's value checked to agree
between a pupil's rows, and the coded columns (gender, disadvantaged, EAL, SEN) and KS2 prior
attainment (scaled score, teacher-assessment code, year, fine level) parsed and checked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from schoolperf.cohort.checks import Checker, check_ks2_codes, spread, upper
from schoolperf.cohort.model import (
    BLANK_GROUPS,
    CODE_PROBLEMS,
    GENDER,
    MAX_PROBLEMS,
    SEN,
    SPELLINGS,
)
from schoolperf.errors import Problem, may_be_personal, value_kind
from schoolperf.ingest.headers import CONTEXT_COLUMNS, PUPIL_COLUMNS
from schoolperf.ingest.read import ROW
from schoolperf.measures.prior_attainment import KS2_SCALED
from schoolperf.reference import identifies_pupils, ks2_teacher_assessment

# a code with its description, as SIMS writes it, for the fix of a bad code
DESCRIBED = {"sen": "K - SEN Support", "gender": "M - Male", "disadvantaged": "Y - Yes"}
DESCRIBED["eal"] = DESCRIBED["disadvantaged"]


def _coded(table: pd.DataFrame, column: str, codes: dict, check: Checker, what: str) -> pd.Series:
    """Map a coded pupil column (gender, Y/N, SEN) through ``codes``; blank stays missing."""
    if column not in table.columns:
        return pd.Series(pd.NA, index=table.index, dtype=object)
    rows, text = upper(table[column])
    mapped = text.map(codes).astype(object)
    # a code with its description, as SIMS writes it: "K - SEN Support", "E - EHC Plan"
    described = text.str.extract(r"^(\w+)\s*-\s*(.+)$")
    mapped = mapped.fillna(described[0].map(codes)).fillna(described[1].map(codes))
    check.pupil_rows(
        table,
        spread((text != "") & mapped.isna(), rows, table.index),
        column,
        CODE_PROBLEMS[column],
        f"is not a {what} code.",
        f"Use one of {', '.join(sorted(codes))} (any case), or a code with its description "
        f"as SIMS writes it ({DESCRIBED[column]}).",
    )
    return spread(mapped.where(mapped.notna(), pd.NA), rows, table.index)


def _ks2(table: pd.DataFrame, column: str, check: Checker) -> tuple[pd.Series, pd.Series]:
    """KS2 scaled score (float, NaN if none) and teacher-assessment code ('' if none)."""
    if column not in table.columns:
        return pd.Series(np.nan, index=table.index), pd.Series("", index=table.index)
    rows, text = upper(table[column])
    text = text.str.replace(" ", "")
    number = pd.to_numeric(text, errors="coerce")
    codes = set(ks2_teacher_assessment()["code"])
    is_code = text.isin(codes)
    whole = number.notna() & (number == number.round())
    # a scaled score, or a DfE nominal score for a pupil working below the test given as a
    # number (as NPD and ASP extracts give it): ks4-methodology §2.2
    nominal = ks2_teacher_assessment()["nominal_score"]
    in_range = whole & (number.between(*KS2_SCALED) | number.between(nominal.min(), nominal.max()))
    check.pupil_rows(
        table,
        spread(number.notna() & ~in_range, rows, table.index),
        column,
        "ks2-out-of-range",
        "is not a KS2 scaled score.",
        f"Use a whole number: a scaled score from {KS2_SCALED[0]} to {KS2_SCALED[1]}, or a DfE "
        f"nominal score from {nominal.min():g} to {nominal.max():g} for a pupil working below "
        "the test; leave the cell blank if the pupil has none.",
    )
    check.pupil_rows(
        table,
        spread((text != "") & number.isna() & ~is_code, rows, table.index),
        column,
        "bad-ks2",
        "is neither a KS2 scaled score nor a KS2 teacher-assessment code.",
        "Use a scaled score (80-120), a nominal score (59-79), a code such as BLW, PK1-PK6, "
        "P1i-P8 or N, or leave blank.",
    )
    return (
        spread(number.where(in_range), rows, table.index),
        spread(text.where(is_code, ""), rows, table.index),
    )


def _spellings_as_one(
    codes: np.ndarray, values: pd.Index, spellings: dict
) -> tuple[np.ndarray, pd.Index]:
    """A factorised coded column (``codes`` into the sorted distinct ``values``) with the
    spellings of one code (``spellings``: spelling in upper case → code) as one value, the
    first spelling of it in text order; spellings of no code stay apart."""
    # a few distinct values: each spelling looked up in Python, each cell by its code
    key = [spellings.get(" ".join(str(v).split()).upper(), "\0" + str(v)) for v in values]
    same, _ = pd.factorize(pd.Series(key, dtype=object))  # numbered as ``values`` runs
    if len(_) == len(values):  # no two spellings of one code: nothing to merge
        return codes, values
    first = np.flatnonzero(np.r_[True, same[1:] > np.maximum.accumulate(same)[:-1]])
    # each code's first spelling is kept; a cell's new code is its code's number
    return np.where(codes >= 0, same[np.maximum(codes, 0)], -1), values[first]


def _pupil_values(
    long: pd.DataFrame,
    columns: list[str],
    check: Checker,
    pupil: np.ndarray,
    upns: pd.Index,
    per_result: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """One row per pupil (index ``upn``, sorted): each column's non-blank value, and ``ROW``, the
    pupil's first row. A pupil's columns must agree on every row (blank cells are ignored): each
    column is factorised once, and a pupil disagrees where its lowest and highest codes differ.
    Names are never quoted in the message (docs/contract.md §1: no names in logs). ``pupil``: each
    row's position in ``upns``, the sorted UPNs. ``per_result``: columns schoolperf does not
    know, which may be about each result (a long export's awarding body, season, target
    grade): a pupil whose rows differ in one is no problem, only blank in it, and the column
    is noted in ``check.per_result``."""
    # rows in pupil order once; then each column's per-pupil min and max by ``reduceat``
    order = np.argsort(pupil, kind="stable")
    starts = np.flatnonzero(np.diff(pupil[order], prepend=-1)) if len(order) else order
    rows = long[ROW].to_numpy()[order]
    # the columns gathered, then made one frame (a column at a time would copy them all each time)
    firsts: dict[str, np.ndarray] = {ROW: np.minimum.reduceat(rows, starts)}
    for column in columns:
        codes, values = pd.factorize(long[column], sort=True)
        if column in SPELLINGS:  # "F", "f" and "Female" agree: one code, as each spelling
            codes, values = _spellings_as_one(codes, values, SPELLINGS[column])
        blank = values.get_indexer([""])[0]  # -1 when no cell is blank
        filled = np.where(codes == blank, -1, codes)[order]
        high = np.maximum.reduceat(filled, starts)
        low = np.minimum.reduceat(np.where(filled >= 0, filled, len(values)), starts)
        value = np.where(high >= 0, np.asarray(values, dtype=object)[high], "")
        disagree = np.flatnonzero((high >= 0) & (low != high))
        if column in per_result:
            value[disagree] = ""
            firsts[column] = value
            if len(disagree):
                check.per_result.add(check.headings.get(column, column))
            continue
        firsts[column] = value
        if len(disagree) > MAX_PROBLEMS:
            # the first MAX_PROBLEMS by the row each is listed at (the pupil's first row with a
            # value), as capped_problems keeps them
            first = np.where(filled >= 0, rows, np.iinfo(rows.dtype).max)
            listed = np.minimum.reduceat(first, starts)
            disagree = disagree[np.argsort(listed[disagree], kind="stable")]
        heading = check.headings.get(column, column)
        check.unlisted[check.file, "pupil-fields-disagree", heading] += max(
            len(disagree) - MAX_PROBLEMS, 0
        )
        disagree = disagree[:MAX_PROBLEMS]
        named = upns[disagree]
        held = long.loc[long["upn"].isin(named) & (long[column] != ""), ["upn", column, ROW]]
        by_pupil = dict(tuple(held.groupby("upn", sort=False)))  # one pass, not one a pupil
        for upn in named:
            given = by_pupil[upn]
            check.problems.append(
                Problem(
                    "pupil-fields-disagree",
                    "differ between the rows of one pupil"
                    + (
                        ""
                        if identifies_pupils(column)
                        else f" ({', '.join(_shown(v) for v in sorted(set(given[column])))})"
                    )
                    + ".",
                    "Give the pupil the same value on every row.",
                    file=check.file,
                    row=", ".join(str(r) for r in given[ROW]),
                    column=check.headings.get(column, column),
                )
            )
    return pd.DataFrame(firsts, index=pd.Index(upns, name="upn"))


def _shown(value: str) -> str:
    """One pupil's value as a message may show it: described where it may be personal."""
    return value_kind(value) if may_be_personal(value) else value


def _about_results(extras: list[str]) -> frozenset[str]:
    """The extra columns that may be about each result when a pupil's rows differ in them: not
    the context columns (tutor group, school …), nor one that names or identifies the pupil
    (``Adno`` beside ``UPN``, a date of birth), so two pupils under one UPN are still found."""
    return frozenset(c for c in extras if c not in CONTEXT_COLUMNS and not identifies_pupils(c))


def build_pupils(
    long: pd.DataFrame,
    check: Checker,
    extras: list[str],
    default_ks2_year: int,
    pupil: np.ndarray,
    upns: pd.Index,
) -> pd.DataFrame:
    """One row per pupil, fields parsed; first non-blank value of each column per pupil
    (``pupil``: each row's position in ``upns``, the sorted UPNs)."""
    text_columns = [c for c in PUPIL_COLUMNS + extras if c in long.columns and c != "upn"]
    firsts = _pupil_values(long, text_columns, check, pupil, upns, _about_results(extras))
    check.pupil_source = long
    flat = firsts.reset_index()  # (once: a file may have many columns)
    pupils = pd.DataFrame(index=firsts.index)
    for column in ("forename", "surname", "name"):
        if column in firsts.columns:
            pupils[column] = firsts[column]
    pupils["gender"] = _coded(flat, "gender", GENDER, check, "gender").to_numpy()
    for column in ("disadvantaged", "eal"):
        codes = SPELLINGS[column]
        pupils[column] = _coded(flat, column, codes, check, "yes/no").to_numpy()
    pupils["sen"] = _coded(flat, "sen", SEN, check, "SEN (N, K, E)").to_numpy()
    for column in BLANK_GROUPS:  # a blank puts the pupil in none of the column's groups
        if column in firsts.columns and pupils[column].isna().any():
            heading = check.headings.get(column, column)
            check.blank_cells[column, heading] += int(pupils[column].isna().sum())
    for subject in ("reading", "maths"):
        score, code = _ks2(flat, f"ks2_{subject}", check)
        pupils[f"ks2_{subject}"] = score.to_numpy()
        pupils[f"ks2_{subject}_ta"] = code.to_numpy()
    year = pd.Series(pd.NA, index=firsts.index, dtype="Int64")
    if "ks2_year" in firsts.columns:
        number = pd.to_numeric(firsts["ks2_year"], errors="coerce")
        bad = (firsts["ks2_year"] != "") & ~number.between(2010, 2035)
        check.pupil_rows(
            flat,
            bad.to_numpy(),
            "ks2_year",
            "bad-ks2-year",
            "is not a KS2 year.",
            "Give the year the pupil sat KS2, e.g. 2019.",
        )
        year = number.where(~bad).round().astype("Int64")
    pupils["ks2_year"] = year
    pupils["ks2_fine_level"] = _fine_level(flat, check).to_numpy()
    check_ks2_codes(flat, pupils, year.fillna(default_ks2_year), check)
    kept = [c for c in extras if c in firsts.columns]
    pupils = pd.concat([pupils, firsts[[*kept, ROW]]], axis=1)  # at once: there may be many
    pupils.index.name = "upn"
    return pupils


FINE_LEVELS = (1.5, 6.0)


def _fine_level(table: pd.DataFrame, check: Checker) -> pd.Series:
    """KS2 fine level (KS4 cohorts up to 2019), e.g. 4.3; NaN where blank (§2.3)."""
    if "ks2_fine_level" not in table.columns:
        return pd.Series(np.nan, index=table.index)
    text = table["ks2_fine_level"].astype(str).str.strip()
    number = pd.to_numeric(text, errors="coerce")
    bad = (text != "") & ~number.between(*FINE_LEVELS)
    check.pupil_rows(
        table,
        bad,
        "ks2_fine_level",
        "bad-ks2-fine-level",
        "is not a KS2 fine level.",
        f"Fine levels run from {FINE_LEVELS[0]} to {FINE_LEVELS[1]} (e.g. 4.3); leave blank "
        "if the pupil has none.",
    )
    return number.where(~bad)
