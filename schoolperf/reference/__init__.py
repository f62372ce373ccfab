"""Reference tables shipped with schoolperf: DfE estimates, SDs, points, discount codes, catalogues.

Every table is a CSV file beside this module; ``index.csv`` gives each file's source and licence
(DfE data: Open Government Licence v3.0). Loaders check shape on load and cache the result.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.errors import Problem, ReferenceDataError
from schoolperf.reference.subject_file import catalogue_changes, check_core_roles
from schoolperf.reference.vocabulary import (  # noqa: F401 (the package's own names)
    AS_LEVEL,
    AS_LEVEL_WORDS,
    EBACC_ROLES,
    ELEMENTS,
    ENGLISH_ROLES,
    GROUP_NAMES,
    IGCSE,
    KEY_GROUPS,
    NAME_COLUMNS,
    NOT_COUNTING,
    NOT_IGCSE,
    OPEN_ROLES,
    PERSONAL_COLUMNS,
    QUALIFICATION_COLUMN_KINDS,
    QUALIFICATION_KINDS,
    ROLES,
    ROW,
    SHORT_COURSE,
    SUBSTITUTE_TERMS,
    TERMS,
    TITLE_KINDS,
)
from schoolperf.reference.wording import counted, plural  # noqa: F401

HERE = Path(__file__).resolve().parent
LATEST_ESTIMATES = "2024"
OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
# The DfE ready reckoner's coefficients file, accepted as a user-supplied estimates table too.
_DFE_COEFFICIENT_COLUMNS = {
    "ks2emss_grp": "prior_attainment_group",
    "p8est": "attainment8",
    "p8esteng": "english",
    "p8estmat": "maths",
    "p8estebac": "ebacc",
    "p8estopen": "open",
}


def normalise_label(text: str) -> str:
    """Lower-case a heading or subject title and reduce punctuation to single spaces.

    >>> normalise_label("  KS2 Read. SS ")
    'ks2 read ss'
    >>> normalise_label("Art & Design")
    'art and design'
    """
    text = text.replace("&", " and ").replace("*", " star ").lower()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def read_reference_csv(name: str) -> pd.DataFrame:
    """A shipped table as strings (no type guessing), blank cells as empty strings."""
    return pd.read_csv(HERE / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@dataclass(frozen=True)
class EstimatesTable:
    """A table of A8 estimates by prior-attainment group, with the national SDs for CIs.

    ``table`` has one row per group: ``prior_attainment_group``, ``ks2_low``, ``ks2_high`` and the
    estimates ``attainment8``, ``english``, ``maths``, ``ebacc``, ``open`` (ks4-methodology §3).
    """

    name: str
    table: pd.DataFrame
    national_sd: dict[str, float]
    source: str
    sd_source: str

    @property
    def fine_levels(self) -> bool:
        """True for a table keyed on KS2 fine levels (KS4 to 2019) rather than scaled scores."""
        return bool(self.table["ks2_high"].max() <= 7)

    def group_of(self, prior: np.ndarray) -> np.ndarray:
        """Prior-attainment group (1..34) of each KS2 prior score; 0 where the score is missing.

        Rule: group g covers ``ks2_low`` to ``ks2_high`` of the DfE table (ks4-methodology §2.2).
        """
        upper = self.table["ks2_high"].to_numpy(dtype=float)
        idx = np.searchsorted(upper, np.nan_to_num(prior, nan=-1.0), side="left")
        groups = self.table["prior_attainment_group"].to_numpy()[np.minimum(idx, len(upper) - 1)]
        return np.where(np.isnan(prior), 0, groups)


def _problem(file: str, message: str, fix: str) -> ReferenceDataError:
    return ReferenceDataError(Problem("bad-reference-table", message, fix, file=file))


def shipped_estimates() -> list[str]:
    """Names of the estimates tables shipped with schoolperf, newest first."""
    names = [p.stem for p in (HERE / "estimates").glob("*.csv") if p.stem[:4].isdigit()]
    return sorted(names, key=lambda n: (n[:4], n != n[:4], "revised" in n), reverse=True)


@cache
def _national_sd() -> pd.DataFrame:
    return read_reference_csv("estimates/national_sd.csv").set_index("table")


def _sd_for(name: str) -> dict[str, float]:
    row = _national_sd().loc[name]
    return {"progress8": float(row["progress8"]), **{e: float(row[e]) for e in ELEMENTS}}


def _standard_bounds() -> pd.DataFrame:
    return load_estimates(LATEST_ESTIMATES).table[["prior_attainment_group", "ks2_low", "ks2_high"]]


def _numbers(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Cells of a user table as numbers, or a problem naming the first cell that is not one."""
    numbers = frame.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna()
    if bad.any().any():
        row, column = next((r, c) for r, c in zip(*bad.to_numpy().nonzero(), strict=True))
        raise ReferenceDataError(
            Problem(
                "bad-reference-table",
                "is not a number.",
                "Every cell of this column needs one.",
                file=path.name,
                row=str(row + 2),
                column=frame.columns[column],
                value=str(frame.iat[row, column]),
            )
        )
    return numbers.astype(float)


@cache
def load_estimates(name_or_path: str = LATEST_ESTIMATES) -> EstimatesTable:
    """Load a shipped estimates table by name (``2024``, ``2023-revised`` …) or a CSV by path.

    A bare year means that year's latest release (docs/contract.md §3). A user table must have the
    shipped columns, or the DfE ready reckoner's ``ks2emss_grp, p8est, p8esteng …`` columns;
    it may add ``sd_progress8, sd_english …`` columns, else the latest shipped SDs are used.
    """
    shipped = shipped_estimates()
    if name_or_path in shipped or any(n.startswith(f"{name_or_path}-") for n in shipped):
        # A bare year: that year's latest release (revised over provisional).
        releases = [name_or_path, f"{name_or_path}-revised", f"{name_or_path}-provisional"]
        name = next(n for n in releases if n in shipped)
        table = read_reference_csv(f"estimates/{name}.csv")
        table = table.astype({c: float for c in table.columns if c != "prior_attainment_group"})
        table["prior_attainment_group"] = table["prior_attainment_group"].astype(int)
        return EstimatesTable(
            name,
            table,
            _sd_for(name),
            f"DfE KS4 ready reckoner model values ({name})",
            f"DfE national pupil-level SDs ({name})",
        )
    path = Path(name_or_path)
    if not path.is_file():
        raise _problem(
            str(path),
            "is neither a shipped estimates table nor a file that exists.",
            f"Use one of {', '.join(shipped)}, or the path of a CSV of estimates.",
        )
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _problem(
            str(path), f"could not be read as a CSV ({exc}).", "Save it as UTF-8 CSV."
        ) from None
    table = table.rename(columns=_DFE_COEFFICIENT_COLUMNS)
    needed = ["prior_attainment_group", "attainment8", *ELEMENTS]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise _problem(
            str(path),
            f"is missing the {plural(len(missing), 'column')} {', '.join(missing)}.",
            "An estimates table needs prior_attainment_group, attainment8, english, maths, "
            "ebacc and open (or the DfE ready reckoner's ks2emss_grp, p8est … columns).",
        )
    optional = [c for c in ("minimum_progress8",) if c in table.columns]
    numeric = _numbers(table[needed + optional], path)
    groups = numeric["prior_attainment_group"]
    if (groups % 1 != 0).any() or sorted(groups.astype(int)) != list(range(1, 35)):
        raise _problem(
            str(path),
            "must have exactly one row for each prior-attainment group 1 to 34.",
            "Check the prior_attainment_group column.",
        )
    numeric["prior_attainment_group"] = numeric["prior_attainment_group"].astype(int)
    numeric = numeric.sort_values("prior_attainment_group", ignore_index=True)
    bounds = _standard_bounds()
    if {"ks2_low", "ks2_high"} <= set(table.columns):
        bounds = _numbers(table[["prior_attainment_group", "ks2_low", "ks2_high"]], path)
        bounds["prior_attainment_group"] = bounds["prior_attainment_group"].astype(int)
    numeric = bounds.merge(numeric, on="prior_attainment_group").sort_values(
        "prior_attainment_group", ignore_index=True
    )
    sd_columns = [f"sd_{k}" for k in ("progress8", *ELEMENTS)]
    if set(sd_columns) <= set(table.columns):
        first = _numbers(table[sd_columns].iloc[:1], path).iloc[0]
        sd = {k: float(first[f"sd_{k}"]) for k in ("progress8", *ELEMENTS)}
        sd_source = f"{path.name} (its own SD columns)"
    else:
        sd = _sd_for(LATEST_ESTIMATES)
        sd_source = f"DfE national pupil-level SDs ({LATEST_ESTIMATES}); {path.name} gives none"
    return EstimatesTable(str(path), numeric, sd, f"user table {path.name}", sd_source)


@cache
def grade_points() -> dict[str, float]:
    """Points per ``"scale|grade"`` key (ks4-methodology §1.8)."""
    table = read_reference_csv("grade_points.csv")
    keys = table["scale"] + "|" + table["grade"]
    return dict(zip(keys, table["points"].astype(float), strict=True))


@cache
def ks2_teacher_assessment() -> pd.DataFrame:
    """KS2 teacher-assessment codes with their nominal scores by KS2 year (ks4-methodology §2.2)."""
    table = read_reference_csv("ks2_teacher_assessment.csv")
    table["ks2_year_from"] = table["ks2_year_from"].astype(int)
    table["ks2_year_to"] = pd.to_numeric(table["ks2_year_to"]).fillna(9999).astype(int)
    table["nominal_score"] = pd.to_numeric(table["nominal_score"])
    return table


@cache
def header_aliases() -> pd.DataFrame:
    """Column-heading aliases: ``alias`` (normalised) → canonical ``column`` with a ``priority``."""
    table = read_reference_csv("header_aliases.csv")
    table["alias"] = table["alias"].map(normalise_label)
    table["priority"] = table["priority"].astype(int)
    return table.sort_values("priority").drop_duplicates("alias", ignore_index=True)


# headings about who a pupil is: names, identifiers, dates of birth, addresses (never quoted in
# a message, never a group or a --by column, never read as about each result)
_IDENTIFIES_PUPILS = re.compile(
    r"surname|forename|(first|last|middle|given|family|full|legal|preferred|known as|pupil|"
    r"student|child)( ?)name|^names?$|\b(dob|uln|upn|adno|postcode|address)\b|date of birth|"
    r"birth ?date|\badm(ission)? ?(no|number|num)\b|candidate (no|number|num|id)\b|"
    r"(pupil|student|learner) (id|no|number|ref)"
)
# a person's name in a heading about staff or a place (Teacher Surname, School Name) is not a
# pupil's
_NOT_PUPILS = re.compile(r"\b(teacher|staff|tutor|school|academy|course|class|board|centre)\b")


@cache  # asked of the same few headings for every problem and group
def identifies_pupils(heading: str) -> bool:
    """A heading (or canonical column) that names or identifies a pupil: another name of the
    pupil identifier or a name column (``Adno``, ``Legal Surname``), or one about who the pupil
    is (``Preferred Forename``, ``Date of Birth``, ``Pupil ID``); not ``School Name`` or
    ``Teacher Name``."""
    label = normalise_label(heading.replace("_", " "))
    if label in _personal_aliases():
        return True
    return bool(_IDENTIFIES_PUPILS.search(label)) and not _NOT_PUPILS.search(label)


@cache
def _personal_aliases() -> frozenset[str]:
    aliases = header_aliases()
    personal = aliases["column"].isin(["upn", "forename", "surname", "name"])
    return frozenset(aliases.loc[personal, "alias"])


# Kinds of qualification that are not plain GCSEs, as a subject title or the ``qualification``
# column names them (normalised text, see :func:`normalise_label`). The rules for each kind are
# in ``schoolperf.measures.eligibility``.
SUBJECT_COLUMNS = ["subject", "role", "scale", "discount_code", "aliases"]


def _catalogue_from(table: pd.DataFrame, file: str) -> pd.DataFrame:
    if "matrix_subject" not in table.columns:  # optional: the DfE transition-matrix subject
        table = table.assign(matrix_subject="")
    if "qan" not in table.columns:  # optional: the DfE qualification number that scores it
        table = table.assign(qan="")
    missing = [c for c in SUBJECT_COLUMNS if c not in table.columns]
    if missing:
        raise _problem(
            file,
            f"is missing the {plural(len(missing), 'column')} {', '.join(missing)}.",
            f"A subject catalogue has the columns {', '.join(SUBJECT_COLUMNS)}.",
        )
    bad_roles = sorted(set(table["role"]) - ROLES)
    if bad_roles:
        raise _problem(
            file,
            f"has unknown {plural(len(bad_roles), 'role')} {', '.join(bad_roles)}.",
            f"Use one of {', '.join(sorted(ROLES))}.",
        )
    scales = {key.split("|")[0] for key in grade_points()}
    bad_scales = sorted(set(table["scale"]) - scales)
    if bad_scales:
        raise _problem(
            file,
            f"has unknown grade {plural(len(bad_scales), 'scale')} {', '.join(bad_scales)}.",
            f"Use one of {', '.join(sorted(scales))}.",
        )
    names = table[["subject"]].assign(alias=table["subject"])
    aliases = table[["subject", "aliases"]].assign(alias=table["aliases"].str.split("|"))
    aliases = aliases.explode("alias")[["subject", "alias"]]
    rows = pd.concat([names, aliases], ignore_index=True)
    rows["alias"] = rows["alias"].fillna("").map(normalise_label)
    rows = rows[rows["alias"] != ""].drop_duplicates("alias", keep="first")
    return rows.merge(table.drop(columns="aliases"), on="subject")


@cache
def subject_catalogue(extra: str | None = None) -> pd.DataFrame:
    """Subject catalogue, one row per normalised ``alias``; a user file's rows win over ours."""
    shipped = _catalogue_from(read_reference_csv("subjects.csv"), "subjects.csv")
    if extra is None:
        return shipped
    combined = pd.concat([_user_subjects(extra), shipped], ignore_index=True)
    return combined.drop_duplicates("alias", keep="first", ignore_index=True)


@cache
def _user_subjects(extra: str) -> pd.DataFrame:
    """A ``--subjects`` file's catalogue rows, checked (:mod:`.subject_file`)."""
    path = Path(extra)
    try:
        user = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _problem(str(path), f"could not be read ({exc}).", "Give a UTF-8 CSV.") from None
    if "aliases" not in user.columns:
        user["aliases"] = ""
    user_rows = _catalogue_from(user, str(path))
    check_core_roles(user_rows, subject_catalogue(), str(path))
    return user_rows


def subject_file_changes(extra: str | None) -> list[str]:
    """The shipped subjects a ``--subjects`` file changes, for a warning."""
    if extra is None:
        return []
    return catalogue_changes(_user_subjects(extra), subject_catalogue())


@cache
def qualification_lists() -> pd.DataFrame:
    """One row per DfE qualification number: role, discount code and title (DfE 2019–2021 lists).

    Rule: roles from the EBacc list (English, English Literature, Maths, Science single/double,
    Humanities, Languages); other qualifications in the performance-points list count in open
    only (ks4-methodology §1.2–§1.5). The newest discount list naming a QN gives its code.
    """
    points = read_reference_csv("qualifications/performance_points_2019.csv")
    quals = points.drop_duplicates("Qualification Number")[
        ["Qualification Number", "Qualification Title", "Qualification Type"]
    ].rename(
        columns={
            "Qualification Number": "qan",
            "Qualification Title": "title",
            "Qualification Type": "qualification_type",
        }
    )
    codes = []
    for year in (2021, 2020, 2019):
        table = read_reference_csv(f"qualifications/discount_codes_{year}.csv")
        codes.append(
            table[["Qualification Number", f"{year} KS4 Discount Code"]].set_axis(
                ["qan", "discount_code"], axis=1
            )
        )
    discount = pd.concat(codes).drop_duplicates("qan")
    ebacc = read_reference_csv("qualifications/ebacc_eligible_qualifications_2016_2021.csv")
    ebacc = ebacc[ebacc["EBacc sheet"] != "Archived"].drop_duplicates("QN")
    sheet_role = {
        "English": "english_language",
        "English Literature": "english_literature",
        "Maths": "maths",
        "Languages": "language",
    }
    role = ebacc["EBacc sheet"].map(sheet_role)
    title = ebacc["Qualification Title"].str.lower()
    science = ebacc["EBacc sheet"] == "Science"
    role = role.mask(science & (ebacc["Indicator Type"] == "Double"), "combined_science")
    role = role.mask(science & title.str.contains("computer"), "computer_science")
    role = role.mask(science & role.isna(), "science")
    humanities = ebacc["EBacc sheet"] == "Humanities"
    role = role.mask(humanities & title.str.contains("geograph"), "geography")
    role = role.mask(humanities & role.isna(), "history")
    ebacc_roles = pd.DataFrame({"qan": ebacc["QN"], "role": role})
    quals = quals.merge(ebacc_roles, on="qan", how="left").merge(discount, on="qan", how="left")
    gcse_like = quals["qualification_type"].str.contains("GCSE|GCE", regex=True)
    quals["role"] = quals["role"].fillna(gcse_like.map({True: "open", False: "open_technical"}))
    quals["discount_code"] = quals["discount_code"].fillna("")
    return quals.reset_index(drop=True)


@cache
def igcse_style_qans() -> frozenset[str]:
    """Qualification numbers the DfE EBacc list calls "International GCSE-style" (IGCSEs and
    Level 1/2 Certificates, which count for no year from 2018: ks4-methodology §1.2, §1.3)."""
    ebacc = read_reference_csv("qualifications/ebacc_eligible_qualifications_2016_2021.csv")
    return frozenset(ebacc.loc[ebacc["Qualification Type"] == "International GCSE-style", "QN"])


@cache
def btec_small_for_large() -> dict[str, str]:
    """Pearson BTEC large qualification number → the small (Award) one it is credited as
    (DfE discount codes workbook, sheet BTECs; ks4-methodology §1.6)."""
    pairs = read_reference_csv("qualifications/btec_large_small_pairs.csv")
    return dict(
        zip(pairs["Large Qualification Number"], pairs["Small Qualification Number"], strict=True)
    )


@cache
def qualification_points() -> dict[str, float]:
    """Points per ``"QAN|grade code"`` from the DfE 2019 performance points list."""
    points = read_reference_csv("qualifications/performance_points_2019.csv")
    return dict(
        zip(
            points["Qualification Number"] + "|" + points["Pass Grades"],
            points["Pass Points"].astype(float),
            strict=False,
        )
    )


@cache
def _qualification_grades() -> dict[str, str]:
    points = read_reference_csv("qualifications/performance_points_2019.csv")
    points = points.sort_values(["Qualification Number", "Pass Points"], ascending=[True, False])
    grades = points["Grade Text"].str.replace(r"^Grade (?=\S+$)", "", regex=True)
    texts = grades.groupby(points["Qualification Number"], sort=False).agg(", ".join)
    titles = points.groupby("Qualification Number", sort=False)["Qualification Title"].first()
    return {q: f"a grade {titles[q]} awards ({texts[q]}, or U)" for q in texts.index}


def qualification_grade_words(qan: str) -> str | None:
    """The grades a DfE qualification awards, in words, for a message (None if not listed)."""
    return _qualification_grades().get(str(qan))


@cache
def transition_matrices() -> pd.DataFrame:
    """National 2023/24 KS2→KS4 grade counts by subject and KS2 band (DfE transition matrices)."""
    table = read_reference_csv("transition_matrices_2024.csv")
    return table.astype({"ks2_low": float, "ks2_high": float, "pupils": int})


def attribution_lines() -> list[str]:
    """Source lines for outputs: each shipped table with its source, then the OGL attribution."""
    with open(HERE / "index.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [f"{r['file']}: {r['source']}" for r in rows] + [OGL_ATTRIBUTION]


@cache
def p8_adjustment_constant() -> float:
    """The DfE constant of the extreme-negative P8 adjustment (ks4-methodology §2.4)."""
    return float(read_reference_csv("p8_adjustment.csv")["constant"].iloc[0])


@cache
def national_comparators() -> pd.DataFrame:
    """National figures by ``year``, ``group`` and ``measure`` (ks4-methodology §5)."""
    table = read_reference_csv("national_comparators.csv")
    table["year"] = table["year"].astype(int)
    table["value"] = table["value"].astype(float)
    return table


@cache
def ks2_national_distribution() -> dict[str, float]:
    """Mean and SD of national KS2 prior attainment (for mapping substitute baselines)."""
    row = read_reference_csv("ks2_national_distribution.csv").iloc[-1]
    return {"year": int(row["year"]), "mean": float(row["mean"]), "sd": float(row["sd"])}
