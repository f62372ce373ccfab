"""Collecting an export's problems: :class:`Checker` (one problem per bad cell, at most
MAX_PROBLEMS of a kind listed), :func:`capped_problems`, and the checks that look across rows:
totals and footer rows, one value spelt in several ways, KS2 codes of another KS2 year."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from schoolperf.cohort.model import MAX_PROBLEMS
from schoolperf.errors import Problem, Unlisted, may_be_personal
from schoolperf.ingest.read import ROW, squeezed
from schoolperf.measures.prior_attainment import nominal_scores
from schoolperf.reference import PERSONAL_COLUMNS, ks2_teacher_assessment

ROWS_NAMED = 10  # rows named in a problem that spans rows; the rest are counted


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
class Checker:
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
        self.rows(pupils, mask, column, code, message, fix, unit="pupils")

    def rows(
        self,
        frame: pd.DataFrame,
        mask: pd.Series,
        column: str,
        code: str,
        message: str,
        fix: str,
        columns: pd.Series | None = None,
        unit: str = "rows",
    ) -> None:
        """One problem per distinct value of ``column`` where ``mask`` holds, naming its rows
        (the first :data:`ROWS_NAMED`) and how many there are, so a flood of one bad code is one
        line ("'K - SEN Support' … in 180 rows"); ``columns``: each row's heading, where the
        heading differs by row (a wide export's subject columns); ``unit``: what ``frame``'s
        rows are (rows of the file, or pupils)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():  # the usual case: no copy of a large frame
            return
        heading = self.headings.get(column, column)
        bad = frame.loc[mask]
        keyed = pd.DataFrame(
            {
                "row": bad[ROW].to_numpy(),
                "value": bad[column].astype(str).to_numpy(),
                "name": columns[mask].to_numpy() if columns is not None else heading,
                "who": bad["upn"].to_numpy() if "upn" in bad.columns else np.arange(len(bad)),
            }
        ).sort_values("row", kind="stable")
        grouped = keyed.groupby(["name", "value"], sort=False)
        keyed["group"] = grouped.ngroup()  # numbered by first row: the order listed
        sizes = grouped.size().to_numpy()
        pupils = grouped["who"].nunique().to_numpy()
        listed = keyed[keyed["group"] < MAX_PROBLEMS]
        for name, count in keyed.loc[keyed["group"] >= MAX_PROBLEMS, "name"].value_counts().items():
            self.unlisted[self.file, code, name] += int(count)
        named = listed.groupby("group", sort=True).head(ROWS_NAMED).groupby("group")["row"]
        firsts = listed.groupby("group", sort=True)[["name", "value"]].first()  # (in one pass)
        identifying = column in PERSONAL_COLUMNS
        for group, rows in named:
            first = firsts.loc[group]
            count = int(sizes[group])
            shown = ", ".join(str(r) for r in rows) + (", …" if count > ROWS_NAMED else "")
            text = str(first["value"])
            self.problems.append(
                Problem(
                    code,
                    message if count == 1 else f"{message.rstrip('.')} (in {count:,} {unit}).",
                    fix,
                    file=self.file,
                    row=shown,
                    column=first["name"],
                    value=text,
                    personal=identifying or may_be_personal(text, int(pupils[group])),
                )
            )


def upper(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the column's distinct values, and those values in upper
    case with single spaces: the text work runs once per distinct value."""
    codes, values = pd.factorize(column.astype(str).fillna(""))  # a missing cell is blank
    text = pd.Series(values).str.strip().str.upper().str.replace(r"\s+", " ", regex=True)
    return codes, text


def spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` (one per distinct value) spread to the rows by their ``codes``."""
    return pd.Series(values.to_numpy()[codes], index=index, dtype=values.dtype)


FOOTER = (
    r"^(?:total|totals|grand total|count|average|mean|sum|printed|page|number of|report)\b"
    r"|\b(?:pupils|students|candidates|records|rows)\b"
)


def check_footers(table: pd.DataFrame, check: Checker, wide: bool = False) -> None:
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


def _squeezed(text: pd.Series | pd.Index) -> pd.Series:
    """:func:`~schoolperf.ingest.read.squeezed` text."""
    import pyarrow as pa

    return pd.Series(squeezed(pa.array(pd.Series(text, dtype="str"))).to_pandas())


def check_spellings(
    rows: pd.DataFrame,
    distinct: pd.Index,
    column: str,
    within: str | None,
    check: Checker,
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
    code = "upn-spellings" if column == "upn" else "value-spellings"
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


def check_ks2_codes(
    firsts: pd.DataFrame, pupils: pd.DataFrame, year: pd.Series, check: Checker
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
