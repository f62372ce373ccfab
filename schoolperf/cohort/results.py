"""The results: one row per result, its subject recognised, its grade read as a code and scored
in points (by QAN from the DfE list where the subject is a qualification number), and its exam
date parsed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from schoolperf.cohort.checks import Checker
from schoolperf.cohort.model import RESULT_CONTEXT
from schoolperf.errors import may_be_personal
from schoolperf.frames import on_distinct
from schoolperf.ingest.headers import RESULT_COLUMNS
from schoolperf.ingest.read import ROW
from schoolperf.ingest.subjects import normalise_qan, resolve_subjects
from schoolperf.measures.eligibility import counting_roles
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
from schoolperf.reference import qualification_grade_words, qualification_points

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


def parse_exam_dates(dates: pd.Series) -> pd.Series:
    """Exam dates as datetimes from ISO dates, ``2024-06``, ``June 2024``, ``Jun-24``,
    ``30/06/2024``, ``Summer 2024`` (a season as its series' month) …; each distinct text
    parsed once (an export repeats a few exam dates over every row)."""

    def parsed(distinct: pd.DataFrame) -> pd.DataFrame:
        return _parsed_dates(distinct["exam_date"]).to_frame("exam_date")

    frame = dates.astype(str).to_frame("exam_date")
    return on_distinct(frame, ["exam_date"], parsed)["exam_date"].rename(dates.name)


def _parsed_dates(dates: pd.Series) -> pd.Series:
    """:func:`parse_exam_dates` of every text of ``dates``."""
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


def build_results(
    long: pd.DataFrame,
    check: Checker,
    subjects_file: str | None,
    subgrades: SubgradeMapping | None = None,
) -> pd.DataFrame:
    """One row per result with subject role, grade code, points per unit and units."""
    keep = [c for c in ("upn", ROW, *RESULT_COLUMNS, *RESULT_CONTEXT) if c in long.columns]
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
    unknown = results.loc[results["matched_by"] == "unrecognised", ["subject", "upn"]]
    takers = unknown.groupby("subject", observed=True)["upn"].nunique()  # of unknown subjects
    for subject, form in (
        pd.DataFrame({"subject": named, "form": expected}).drop_duplicates().itertuples(index=False)
    ):
        # a subject only a pupil or two take, shaped like a name, may be one: not quoted
        title = (
            "the subject on that row (not named: it may be personal)"
            if subject in takers.index and may_be_personal(str(subject), int(takers[subject]))
            else repr(subject)
        )
        for dated, why in ((False, ""), (True, " Excel may have turned the grade into a date")):
            check.rows(
                bad,
                (named == subject).to_numpy() & (expected == form).to_numpy() & (as_date == dated),
                "grade",
                "unknown-grade",
                f"is not a grade schoolperf can score for {title}.",
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
