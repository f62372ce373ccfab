"""The pupil results model: read an export, validate it, and return pupils and their results.

Flow: ``read_table`` → canonical headings → long layout → parse pupil fields → check pupils agree
between rows → recognise subjects → grades to points. Every problem found is collected and
raised together as one :class:`InputError`; usable oddities become warnings.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.errors import InputError, Problem, Unlisted
from schoolperf.frames import (
    as_categories,
    distinct_rows,
    on_distinct,
    pupil_positions,
    repeated_rows,
    sort_order,
)
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
from schoolperf.ingest.read import ROW, read_table, squeezed
from schoolperf.ingest.subjects import normalise_qan, resolve_subjects
from schoolperf.measures.attainment8 import discount_key
from schoolperf.measures.eligibility import counting_roles, kind_counts, kind_warnings
from schoolperf.measures.groups import NAME_COLUMNS
from schoolperf.measures.points import (
    SCALE_FORMS,
    SubgradeMapping,
    grade_codes,
    is_no_entry,
    normalise_grades,
    points_for,
    subgrade_points,
    subgrade_whole,
)
from schoolperf.measures.prior_attainment import KS2_SCALED, nominal_scores
from schoolperf.reference import (
    identifies_pupils,
    ks2_teacher_assessment,
    normalise_label,
    qualification_grade_words,
    qualification_points,
    subject_catalogue,
)

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
_DATE_FORMATS = [
    "%B %Y",
    "%b %Y",
    "%d/%m/%Y",
    "%m/%Y",
    "%Y-%m",
    "%d-%m-%Y",
    "%b-%y",
    "%B-%y",
    "%Y %B",
    "%Y %b",
]
# an exam series named by its season: the month its exams are sat (summer series in June,
# the November resits, the January series of the older specifications)
_SEASONS = {"summer": "June", "autumn": "November", "winter": "January", "spring": "March"}
MAX_PROBLEMS = 500
RESULT_CONTEXT = ("class", "teacher")


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


def capped_problems(
    problems: list[Problem], unlisted: Unlisted | None = None
) -> tuple[list[Problem], Unlisted]:
    """``problems`` by row (the file's own first), each once, at most MAX_PROBLEMS of a kind
    per column, and the rows of each kind not listed (``unlisted``, those already left out,
    and those left out here)."""
    unique = sorted(
        dict.fromkeys(problems), key=lambda p: int(str(p.row).split(",")[0]) if p.row else 0
    )
    kept, seen, left = [], Counter(), Counter(unlisted or {})
    for problem in unique:
        kind = problem.file, problem.code, problem.column
        seen[kind] += 1
        if seen[kind] <= MAX_PROBLEMS:
            kept.append(problem)
        else:
            left[kind] += 1
    return kept, dict(left)


@dataclass
class _Checker:
    """Collects problems for one file; ``headings`` maps canonical names to the file's own."""

    file: str
    headings: dict[str, str]
    wide: bool = False
    problems: list[Problem] = field(default_factory=list)
    unlisted: Counter = field(default_factory=Counter)  # rows of a kind of problem not listed
    per_result: set[str] = field(default_factory=set)  # other columns a pupil's rows differ in
    blank_cells: Counter = field(default_factory=Counter)  # (column, heading): pupils blank in it
    pupil_source: pd.DataFrame | None = None  # the rows the pupils' own columns come from

    def pupil_rows(
        self, pupils: pd.DataFrame, mask: pd.Series, column: str, code: str, message: str, fix: str
    ) -> None:
        """:meth:`rows` for a frame of one row per pupil (``ROW``: the pupil's first row), each
        problem named by the first of the pupil's rows that holds the value (the others may be
        blank in the column)."""
        mask = np.asarray(mask, dtype=bool)
        source = self.pupil_source
        if mask.any() and source is not None and column in source.columns:
            bad = pupils.loc[mask, ["upn", column]]
            held = source.loc[source["upn"].isin(bad["upn"]).to_numpy(), ["upn", column, ROW]]
            first = held.merge(bad, on=["upn", column]).groupby("upn")[ROW].min()
            pupils = pupils.assign(**{ROW: pupils["upn"].map(first).fillna(pupils[ROW])})
            pupils[ROW] = pupils[ROW].astype(int)
        if mask.sum() > MAX_PROBLEMS:  # those listed are the first by row
            order = np.argsort(pupils[ROW].to_numpy(), kind="stable")
            pupils, mask = pupils.iloc[order], mask[order]
        self.rows(pupils, mask, column, code, message, fix)

    def rows(
        self,
        frame: pd.DataFrame,
        mask: pd.Series,
        column: str,
        code: str,
        message: str,
        fix: str,
        columns: pd.Series | None = None,
    ) -> None:
        """One problem per row of ``frame`` where ``mask`` holds (``columns``: per-row heading)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():  # the usual case: no copy of a large frame
            return
        bad = frame[mask].head(MAX_PROBLEMS)
        heading = self.headings.get(column, column)
        names = columns[mask].head(MAX_PROBLEMS) if columns is not None else [heading] * len(bad)
        if len(bad) < mask.sum():  # the rest counted, by heading
            rest = columns[mask].iloc[MAX_PROBLEMS:] if columns is not None else None
            for name, count in (
                rest.value_counts().items()
                if rest is not None
                else [(heading, mask.sum() - len(bad))]
            ):
                self.unlisted[self.file, code, name] += int(count)
        for row, value, name in zip(bad[ROW], bad[column], names, strict=False):
            self.problems.append(
                Problem(
                    code,
                    message,
                    fix,
                    file=self.file,
                    row=str(row),
                    column=name,
                    value=str(value),
                )
            )


def _upper(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the column's distinct values, and those values in upper
    case with single spaces: the text work runs once per distinct value."""
    codes, values = pd.factorize(column.astype(str).fillna(""))  # a missing cell is blank
    text = pd.Series(values).str.strip().str.upper().str.replace(r"\s+", " ", regex=True)
    return codes, text


def _spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` (one per distinct value) spread to the rows by their ``codes``."""
    return pd.Series(values.to_numpy()[codes], index=index, dtype=values.dtype)


def _coded(table: pd.DataFrame, column: str, codes: dict, check: _Checker, what: str) -> pd.Series:
    """Map a coded pupil column (gender, Y/N, SEN) through ``codes``; blank stays missing."""
    if column not in table.columns:
        return pd.Series(pd.NA, index=table.index, dtype=object)
    rows, text = _upper(table[column])
    mapped = text.map(codes).astype(object)
    check.pupil_rows(
        table,
        _spread((text != "") & mapped.isna(), rows, table.index),
        column,
        f"bad-{column.replace('_', '-')}",
        f"is not a {what} code.",
        f"Use {', '.join(sorted({k for k in codes if len(k) <= 3}))}.",
    )
    return _spread(mapped.where(mapped.notna(), pd.NA), rows, table.index)


def _ks2(table: pd.DataFrame, column: str, check: _Checker) -> tuple[pd.Series, pd.Series]:
    """KS2 scaled score (float, NaN if none) and teacher-assessment code ('' if none)."""
    if column not in table.columns:
        return pd.Series(np.nan, index=table.index), pd.Series("", index=table.index)
    rows, text = _upper(table[column])
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
        _spread(number.notna() & ~in_range, rows, table.index),
        column,
        "ks2-out-of-range",
        "is not a KS2 scaled score.",
        f"Use a whole number: a scaled score from {KS2_SCALED[0]} to {KS2_SCALED[1]}, or a DfE "
        f"nominal score from {nominal.min():g} to {nominal.max():g} for a pupil working below "
        "the test; leave the cell blank if the pupil has none.",
    )
    check.pupil_rows(
        table,
        _spread((text != "") & number.isna() & ~is_code, rows, table.index),
        column,
        "bad-ks2",
        "is neither a KS2 scaled score nor a KS2 teacher-assessment code.",
        "Use a scaled score (80-120), a nominal score (59-79), a code such as BLW, PK1-PK6, "
        "P1i-P8 or N, or leave blank.",
    )
    return (
        _spread(number.where(in_range), rows, table.index),
        _spread(text.where(is_code, ""), rows, table.index),
    )


def parse_exam_dates(dates: pd.Series) -> pd.Series:
    """Exam dates as datetimes from ISO dates, ``2024-06``, ``June 2024``, ``Jun-24``,
    ``30/06/2024``, ``Summer 2024`` (a season as its series' month) …"""
    text = dates.astype(str).str.strip()
    text = text.str.replace(
        r"(?i)\b(summer|autumn|winter|spring)\b",
        lambda season: _SEASONS[season.group(1).lower()],
        regex=True,
    )
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    # Excel date serials (days since 1899-12-30), as a re-saved workbook may leave them
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}")), errors="coerce")
    serial = serial.where(serial.between(20000, 80000))
    parsed = parsed.mask(serial.notna(), pd.to_datetime(serial, unit="D", origin="1899-12-30"))
    for fmt in _DATE_FORMATS:
        missing = parsed.isna() & (text != "")
        if not missing.any():
            break
        parsed = parsed.fillna(pd.to_datetime(text.where(missing), format=fmt, errors="coerce"))
    return parsed


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
    check: _Checker,
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
    firsts = pd.DataFrame(index=pd.Index(upns, name="upn"))
    # rows in pupil order once; then each column's per-pupil min and max by ``reduceat``
    order = np.argsort(pupil, kind="stable")
    starts = np.flatnonzero(np.diff(pupil[order], prepend=-1)) if len(order) else order
    rows = long[ROW].to_numpy()[order]
    firsts[ROW] = np.minimum.reduceat(rows, starts)
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
        for upn in upns[disagree]:
            given = long[(long["upn"] == upn) & (long[column] != "")]
            check.problems.append(
                Problem(
                    "pupil-fields-disagree",
                    "differ between the rows of one pupil"
                    + (
                        ""
                        if identifies_pupils(column)
                        else f" ({', '.join(sorted(set(given[column])))})"
                    )
                    + ".",
                    "Give the pupil the same value on every row.",
                    file=check.file,
                    row=", ".join(str(r) for r in given[ROW]),
                    column=check.headings.get(column, column),
                )
            )
    return firsts


FOOTER = (
    r"^(?:total|totals|grand total|count|average|mean|sum|printed|page|number of|report)\b"
    r"|\b(?:pupils|students|candidates|records|rows)\b"
)


def _check_footers(table: pd.DataFrame, check: _Checker, wide: bool = False) -> None:
    """A row with no subject or QAN is a pupil without results, unless its identifier is words
    (``Total``, ``Number of records: 9``, ``Report printed … by …``) that no row with a subject
    has: an MIS report's totals or footer row (with a count under Grade, say), which would
    otherwise count as a pupil. In a wide export (a row a pupil, counts under the subjects of
    a totals row) every row is looked at."""
    if wide:
        empty = np.ones(len(table), dtype=bool)
    else:
        empty = (table["subject"] == "").to_numpy()
        if "qan" in table.columns:
            empty = empty & (table["qan"] == "").to_numpy()
    if not empty.any():
        return
    upn = table.loc[empty, "upn"].str.strip()
    # a footer's words ("Total 3", "Count: 3", "Page 1 of 1", "3 pupils", "Report printed …"),
    # not any identifier with words (pupils may be identified by name); and never one that
    # has results elsewhere
    words = upn.str.lower().str.contains(FOOTER, regex=True)
    if words.any() and not wide:
        words &= ~upn.isin(table.loc[~empty, "upn"])
    footer = np.zeros(len(table), dtype=bool)
    footer[np.flatnonzero(empty)[words.to_numpy()]] = True
    check.rows(
        table.assign(upn=""),  # its text may name someone ("printed by …"): never quoted
        footer,
        "upn",
        "footer-row",
        "looks like a totals or footer row, not a pupil: "
        + ("" if wide else "it has no subject, and ")
        + "words where the pupil identifier goes.",
        "Delete the totals and footer rows (a pupil without results needs an identifier).",
    )


def _about_results(extras: list[str]) -> frozenset[str]:
    """The extra columns that may be about each result when a pupil's rows differ in them: not
    the context columns (tutor group, school …), nor one that names or identifies the pupil
    (``Adno`` beside ``UPN``, a date of birth), so two pupils under one UPN are still found."""
    return frozenset(c for c in extras if c not in CONTEXT_COLUMNS and not identifies_pupils(c))


def _squeezed(text: pd.Series | pd.Index) -> pd.Series:
    """:func:`~schoolperf.ingest.read.squeezed` text."""
    import pyarrow as pa

    return pd.Series(squeezed(pa.array(pd.Series(text, dtype="str"))).to_pandas())


def _check_spellings(
    rows: pd.DataFrame,
    distinct: pd.Index,
    column: str,
    within: str | None,
    check: _Checker,
    what: str = "pupil identifier",
) -> None:
    """One value of ``column`` spelt in several ways (``a1`` and ``A1``, ``A1 23`` and
    ``A123``) would silently make several pupils (or schools) of one: a problem, listing each
    spelling's first row. Compared within each value of ``within`` (the school); checked on
    the ``distinct`` values, and on rows only where two of them clash. Pupil identifiers are
    never quoted; other values are."""
    spelt = _squeezed(distinct)
    if spelt.is_unique:  # the usual case: no two values alike
        return
    clash = spelt.duplicated(keep=False).to_numpy()
    suspects = rows.loc[rows[column].isin(distinct[clash]).to_numpy(), [column, ROW]]
    suspects = suspects.assign(_key=_squeezed(suspects[column]).to_numpy())
    if within is not None:
        suspects["_key"] = rows.loc[suspects.index, within] + "/" + suspects["_key"]
    firsts = suspects.groupby(["_key", column])[ROW].min().reset_index()
    firsts = firsts[firsts.groupby("_key")[column].transform("size").to_numpy() > 1]
    # groups in order of their first rows (a group's spellings in row order)
    clashes = firsts.sort_values(ROW).groupby("_key", sort=False)[[column, ROW]].agg(list)
    heading = check.headings.get(column, column)
    code = f"{'upn' if column == 'upn' else 'value'}-spellings"
    check.unlisted[check.file, code, heading] += max(len(clashes) - MAX_PROBLEMS, 0)
    for spellings, rows_of in clashes.head(MAX_PROBLEMS).itertuples(index=False):
        shown = "" if column == "upn" else f" ({', '.join(repr(v) for v in spellings)})"
        check.problems.append(
            Problem(
                code,
                f"hold one {what} spelt in {len(rows_of)} ways{shown} (they differ only in "
                "case or spaces), which would count as "
                f"{'different pupils' if column == 'upn' else 'different groups (--by)'}.",
                "Spell it the same way on every row.",
                file=check.file,
                row=", ".join(str(r) for r in rows_of),
                column=heading,
            )
        )


def _pupils(
    long: pd.DataFrame,
    check: _Checker,
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
    pupils = pd.DataFrame(index=firsts.index)
    for column in ("forename", "surname", "name"):
        if column in firsts.columns:
            pupils[column] = firsts[column]
    pupils["gender"] = _coded(firsts.reset_index(), "gender", GENDER, check, "gender").to_numpy()
    for column in ("disadvantaged", "eal"):
        codes = SPELLINGS[column]
        pupils[column] = _coded(firsts.reset_index(), column, codes, check, "yes/no").to_numpy()
    pupils["sen"] = _coded(firsts.reset_index(), "sen", SEN, check, "SEN (N, K, E)").to_numpy()
    for column in BLANK_GROUPS:  # a blank puts the pupil in none of the column's groups
        if column in firsts.columns and pupils[column].isna().any():
            heading = check.headings.get(column, column)
            check.blank_cells[column, heading] += int(pupils[column].isna().sum())
    for subject in ("reading", "maths"):
        score, code = _ks2(firsts.reset_index(), f"ks2_{subject}", check)
        pupils[f"ks2_{subject}"] = score.to_numpy()
        pupils[f"ks2_{subject}_ta"] = code.to_numpy()
    year = pd.Series(pd.NA, index=firsts.index, dtype="Int64")
    if "ks2_year" in firsts.columns:
        number = pd.to_numeric(firsts["ks2_year"], errors="coerce")
        bad = (firsts["ks2_year"] != "") & ~number.between(2010, 2035)
        check.pupil_rows(
            firsts.reset_index(),
            bad.to_numpy(),
            "ks2_year",
            "bad-ks2-year",
            "is not a KS2 year.",
            "Give the year the pupil sat KS2, e.g. 2019.",
        )
        year = number.where(~bad).round().astype("Int64")
    pupils["ks2_year"] = year
    pupils["ks2_fine_level"] = _fine_level(firsts.reset_index(), check).to_numpy()
    _check_ks2_codes(firsts.reset_index(), pupils, year.fillna(default_ks2_year), check)
    for column in extras:
        if column in firsts.columns:
            pupils[column] = firsts[column]
    pupils[ROW] = firsts[ROW]
    pupils.index.name = "upn"
    return pupils


FINE_LEVELS = (1.5, 6.0)


def _fine_level(table: pd.DataFrame, check: _Checker) -> pd.Series:
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


def _check_ks2_codes(
    firsts: pd.DataFrame, pupils: pd.DataFrame, year: pd.Series, check: _Checker
) -> None:
    """A teacher-assessment code that carries a score in some KS2 year, but not in the pupil's
    (e.g. PKF after 2018), is an error rather than a silently missing score (§2.2)."""
    table = ks2_teacher_assessment()
    scoring = set(table.loc[table["nominal_score"].notna(), "code"])
    for subject in ("reading", "maths"):
        if f"ks2_{subject}" not in firsts.columns:
            continue
        codes = pupils[f"ks2_{subject}_ta"]
        nominal = nominal_scores(codes, year)
        bad = codes.isin(scoring) & nominal.isna()
        check.pupil_rows(
            firsts.assign(_code=codes.to_numpy()),
            bad.to_numpy(),
            f"ks2_{subject}",
            "ks2-code-not-that-year",
            "is a KS2 teacher-assessment code with no nominal score in the pupil's KS2 year.",
            "Check the code and the KS2 year (ks2_year column or --ks2-year).",
        )


def _results(
    long: pd.DataFrame,
    check: _Checker,
    subjects_file: str | None,
    subgrades: SubgradeMapping | None = None,
) -> pd.DataFrame:
    """One row per result with subject role, grade code, points per unit and units."""
    keep = [
        c
        for c in (
            "upn",
            ROW,
            "subject",
            "qualification",
            "qan",
            "discount_code",
            "grade",
            "exam_date",
            *RESULT_CONTEXT,
        )
        if c in long.columns
    ]
    results = long[keep].copy()
    subject_keys = [
        c for c in ("subject", "qualification", "qan", "discount_code") if c in results.columns
    ]
    resolved = on_distinct(
        results, subject_keys, lambda d: resolve_subjects(d, subjects_file), True
    )
    # the export's own discount code is in the resolved one (it overrides the catalogue's)
    results = pd.concat([results.drop(columns=resolved.columns, errors="ignore"), resolved], axis=1)
    results = counting_roles(results)
    results["entry"] = ~on_distinct(
        results, ["grade"], lambda d: is_no_entry(d["grade"]).to_frame()
    )["grade"]
    if "qan" in results.columns:
        # (a row with no subject, QAN or result is a pupil without results, not an unknown QAN)
        unknown_qan = (results["matched_by"] == "unrecognised") & (results["subject"] == "")
        unknown_qan &= (results["qan"] != "") | results["entry"]
        check.rows(
            results,
            unknown_qan,
            "qan",
            "unknown-qan",
            "is not a qualification number in the DfE 2019-2021 lists, and the row has no subject.",
            "Add a Subject column (then the subject catalogue is used), or check the QAN.",
        )
    on_qan = results["scale"] == "qan"
    any_qan = bool(on_qan.any())
    # codes as categoricals, except where QANs or sub-grades then write new texts into them
    codes = on_distinct(
        results.assign(
            _scale=results["scale"].astype(object).where(~on_qan, "")
            if any_qan
            else results["scale"]
        ),
        ["grade", "_scale"],
        lambda d: grade_codes(d["grade"], d["_scale"]),
        not any_qan and subgrades is None,
    )
    results["grade_code"] = codes["code"]
    results["scale"] = codes["scale"].where(~on_qan, "qan")
    points = on_distinct(
        codes, ["scale", "code"], lambda d: points_for(d["scale"], d["code"]).to_frame("points")
    )["points"]
    if any_qan:
        points[on_qan], results.loc[on_qan, "grade_code"] = _points_by_qan(
            results.loc[on_qan, "points_qan"],
            results.loc[on_qan, "grade"],
            codes.loc[on_qan, "code"],
        )
    if subgrades is not None:  # tracking: teachers' sub-grades on GCSE-graded subjects
        single = results["scale"].isin(["gcse", ""]) & points.isna() & results["entry"]
        sub = subgrade_points(results.loc[single, "grade"], subgrades)
        found = sub.dropna().index
        points[found] = sub[found]
        results.loc[found, "scale"] = "gcse"
        whole = subgrade_whole(results.loc[found, "grade"])
        results.loc[found, "grade_code"] = whole.astype(int).astype(str)
    results["points"] = points.where(results["entry"])
    bad = results[results["entry"] & results["points"].isna()]  # grades that cannot be scored
    expected = bad["scale"].astype(object).map(SCALE_FORMS)
    expected = expected.fillna(
        bad["points_qan"].astype(object).map(qualification_grade_words)
        if "points_qan" in bad
        else np.nan
    ).fillna("a grade the DfE points list gives")
    expected = expected.where(bad["scale"] != "", "a GCSE, double or technical-award grade")
    grade_column = bad["subject"] if check.wide else None
    named = bad["subject"].where(
        bad["subject"].str.strip() != "",
        "QAN " + bad.get("qan", pd.Series("", index=bad.index)).astype(str),
    )
    # a grade such as 5-4 that Excel turned into a date (2024-05-04) says so in its fix
    as_date = bad["grade"].astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?").to_numpy()
    for subject, form in (
        pd.DataFrame({"subject": named, "form": expected}).drop_duplicates().itertuples(index=False)
    ):
        for dated, why in ((False, ""), (True, " Excel may have turned the grade into a date")):
            check.rows(
                bad,
                (named == subject).to_numpy() & (expected == form).to_numpy() & (as_date == dated),
                "grade",
                "unknown-grade",
                f"is not a grade schoolperf can score for {subject!r}.",
                f"Use {form}; X or blank for no result."
                + (f"{why}: format the column as Text and type the grades again." if dated else ""),
                columns=grade_column,
            )
    results["units"] = np.where(results["role"] == "combined_science", 2, 1)
    if "exam_date" in results.columns:
        dates = parse_exam_dates(results["exam_date"])
        check.rows(
            results,
            (results["exam_date"] != "") & dates.isna(),
            "exam_date",
            "bad-exam-date",
            "is not a date.",
            "Use a date such as 2026-06-01, 2026-06 or June 2026.",
        )
        results["exam_date"] = dates
    else:
        results["exam_date"] = pd.NaT
    return results


# Grade spellings of the DfE points list beside the codes schoolperf reads (e.g. legacy A* is "*",
# single-level VRQ and graded-music grades are P, M, D, D*).
_DFE_GRADE_SPELLINGS = {
    "A*": "*",
    "DISTINCTION*": "D*",
    "DIST*": "D*",
    "DISTINCTION": "D",
    "DIST": "D",
    "MERIT": "M",
    "PASS": "P",
}


def _points_by_qan(
    qan: pd.Series, grades: pd.Series, codes: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Points from the DfE 2019 list for (QAN, grade): the grade as schoolperf reads it, else as
    written, else in the list's own spelling; U is 0. Returns points and the code matched."""
    qan = normalise_qan(qan)
    text = normalise_grades(grades)
    table = qualification_points()
    points = pd.Series(np.nan, index=qan.index)
    matched = codes.copy()
    for candidate in (codes.fillna("?"), text, text.map(_DFE_GRADE_SPELLINGS).fillna("?")):
        found = (qan + "|" + candidate).map(table)
        new = points.isna() & found.notna()
        points[new], matched[new] = found[new], candidate[new]
    ungraded = text == "U"
    return points.mask(ungraded, 0.0), matched.mask(ungraded, "U")


@dataclass(frozen=True)
class RowFacts:
    """What a cohort's rows tell that its warnings report."""

    duplicates: int = 0  # identical result rows ignored
    unrecognised: frozenset[str] = frozenset()  # subjects not in the catalogue
    without_results: int = 0  # pupils whose every grade is blank or X
    undated_conflicts: int = 0  # pupils with results discounting each other, undated
    per_result: frozenset[str] = frozenset()  # headings of other columns a pupil's rows differ in
    # pupils blank in a column that defines groups: ((column, heading), pupils), sorted
    blank_cells: tuple[tuple[tuple[str, str], int], ...] = ()
    # results of a kind that counts nowhere (short courses, IGCSEs): ((kind, results)), sorted
    not_counted_kinds: tuple[tuple[str, int], ...] = ()


def row_facts(
    pupils: pd.DataFrame, results: pd.DataFrame, duplicates: int, check: _Checker
) -> RowFacts:
    """What the rows tell (``check``: what checking them found besides problems)."""
    unrecognised = results.loc[
        (
            (results["matched_by"] == "unrecognised")
            & (results["subject"] != "")
            & (results["role"] != "not_counting")  # a short course or IGCSE says so itself
        ).to_numpy(),
        "subject",
    ]  # (a row without a subject is a pupil without results)
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
        frozenset(str(s) for s in unrecognised.unique()),
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
        warnings.append(f"{facts.duplicates} duplicate result row(s) were ignored.")
    if facts.unrecognised:
        names = ", ".join(repr(s) for s in sorted(facts.unrecognised))
        warnings.append(
            f"{len(facts.unrecognised)} subject(s) are not in the subject catalogue and were "
            f"NOT counted: {names}. If one is an approved qualification, add it with --subjects "
            "(columns subject, role, scale, discount_code, aliases)."
        )
    warnings.extend(kind_warnings(facts.not_counted_kinds))
    if facts.without_results:
        warnings.append(
            f"{facts.without_results} pupil(s) have no results (every grade blank or X); they "
            "count in the cohort with Attainment 8 of 0."
        )
    if facts.undated_conflicts:
        warnings.append(
            f"{facts.undated_conflicts} pupil(s) have two or more results that discount against "
            "each other (same subject or discount code) without an exam date, so the first-entry "
            "rule could not be applied: the better result was counted. Add exam dates to apply "
            "it."
        )
    for (column, heading), pupils in facts.blank_cells:
        warnings.append(
            f"{pupils} pupil(s) have a blank {heading!r} cell, so they are in none of the "
            f"groups it defines ({BLANK_GROUPS[column]}). Where a blank means a value in this "
            "export (such as N), fill the blanks in."
        )
    if facts.per_result:
        names = ", ".join(repr(s) for s in sorted(facts.per_result))
        warnings.append(
            f"Column(s) {names} differ between a pupil's rows, so they are read as about each "
            "result (an awarding body, a season …), not about the pupil: a pupil whose rows "
            "differ has no value in them (for --group)."
        )
    return warnings


MISSING_GROUP_COLUMNS = "No column could be read as"  # how that warning starts
GROUP_COLUMNS = {  # the columns of the groups schools are held to, in words
    "disadvantaged": "disadvantaged (pupil premium)",
    "sen": "SEN",
    "gender": "gender",
}


def _missing_group_columns(
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


def anonymise(cohort: Cohort, key: bytes = b"") -> Cohort:
    """The cohort with every UPN replaced by a stable pseudonym and names removed.

    Pseudonyms are keyed BLAKE2b digests of the UPN (64 bits): the same UPN always gives the
    same pseudonym under the same key (``SCHOOLPERF_PSEUDONYM_KEY``), so runs can be compared.
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
) -> Cohort:
    """Read, validate and model an export; raise :class:`InputError` listing every problem.

    ``ks2_year`` is the KS2 year of pupils without a ``ks2_year`` cell, used to check that their
    KS2 teacher-assessment codes existed that year."""
    path = Path(path)
    table = read_table(path, sheet)
    column_map = read_column_map(columns_file) if columns_file else None
    rename, warnings = canonical_columns(list(table.columns), column_map, path.name)
    warnings = [*table.attrs.get("warnings", []), *warnings]  # the reader's (an encoding)
    headings = {v: k for k, v in rename.items()}
    table = table.rename(columns=rename)
    chosen = detect_layout(list(table.columns)) if layout == "auto" else layout
    check = _Checker(path.name, headings, wide=chosen == "wide")
    if "upn" not in table.columns:
        below = headings_row(table.drop(columns=ROW).itertuples(index=False))
        if below is not None:  # a title above the headings
            raise headings_below(path.name, int(table[ROW].iloc[below]))
        raise InputError(
            [
                Problem(
                    "missing-column",
                    "has no pupil identifier column (UPN, candidate number, admission number …).",
                    "Name the column UPN, or map it with --columns.",
                    file=path.name,
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
        _check_footers(table, check)
    elif chosen == "wide":
        _check_footers(table, check, wide=True)
    by_column = None if by is None else resolve_by(by, list(table.columns), headings)
    if by_column is not None and identifies_pupils(headings.get(by_column, by_column)):
        raise InputError(
            [
                Problem(
                    "bad-by",
                    "names or identifies pupils, so the figures cannot be split by it (--by).",
                    "Give --by a column such as School (a URN or a school's name).",
                    file=path.name,
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
        _check_spellings(table, by_values, by_column, None, check, f"{by_column} value")
        table = table.assign(upn=table[by_column] + "/" + table["upn"])
    if layout == "auto" and "subject" in table.columns and "grade" not in table.columns:
        raise InputError(
            [
                Problem(
                    "missing-column",
                    f"has a subject column ({headings.get('subject', 'subject')!r}) "
                    "but no grade column.",
                    "Name the grade column Grade (or Result), or map it with --columns.",
                    file=path.name,
                )
            ]
        )
    if chosen == "wide":
        # a heading that looks like a result column (Result, Course …) is just a column here
        result_columns = [c for c in RESULT_COLUMNS if c in table.columns]
        restored = {c: headings.pop(c) for c in result_columns}
        table = table.rename(
            columns={
                c: h if h not in RESULT_COLUMNS else f"{h} (column)" for c, h in restored.items()
            }
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
                    file=path.name,
                    row=", ".join(str(r) for r in table.loc[table["upn"] == upn, ROW]),
                    column=headings.get("upn", "upn"),
                )
            )
    pupil_rows = table  # wide: one row per pupil, kept even when every subject cell is blank
    if chosen == "wide":
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
                        file=path.name,
                    )
                ]
            )
        if not subjects:
            raise InputError(
                [
                    Problem(
                        "missing-column",
                        "has no subject and grade columns, and no column whose "
                        "heading is a subject.",
                        "Export one row per result with Subject and Grade "
                        "columns, or one column per subject.",
                        file=path.name,
                    )
                ]
            )
        table = wide_to_long(table, subjects)
    else:
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
                        file=path.name,
                    )
                ]
            )
    known = set(PUPIL_COLUMNS) | {
        "subject",
        "qualification",
        "qan",
        "discount_code",
        "grade",
        "exam_date",
        ROW,
    }
    if chosen == "long":  # in a long export, class and teacher belong to each result
        known |= set(RESULT_CONTEXT)
    extras = [c for c in table.columns if c not in known]
    extras = [c for c in CONTEXT_COLUMNS if c in extras] + [
        c for c in extras if c not in CONTEXT_COLUMNS
    ]
    warnings += _missing_group_columns(pupil_rows, headings, subjects_file)
    pupil, upns = pd.factorize(pupil_rows["upn"], sort=True)
    _check_spellings(pupil_rows, upns, "upn", by_column, check)
    pupils = _pupils(pupil_rows, check, extras, ks2_year, pupil, upns)
    results = _results(table, check, subjects_file, subgrades)
    if check.problems:
        raise InputError(*capped_problems(check.problems, check.unlisted))
    # identical results (same subject, grade and date, however the grade is spelt) count once;
    # sorting first makes the kept spelling independent of row order
    results = as_categories(
        results.assign(
            upn=pd.Categorical.from_codes(pupil, categories=pupils.index)
            if table is pupil_rows and results.index.equals(table.index)  # long: the same rows
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
    facts = row_facts(pupils, results, int(duplicate.sum()), check)
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
