"""Subject analysis: how each subject did, relative to the pupils' other subjects, and against
the nation through the DfE KS2→KS4 transition matrices.

* Entries: one per pupil per subject, the first entry (earliest date, then best) of every
  recognised result with a grade (X/blank are not entries).
* Relative performance (subject residual): the pupil's points in the subject minus the mean of
  their points in their other subjects (pupils with at least two subjects).
* Value added against the nation: points minus the national expected points for pupils in the
  same KS2 band, from the DfE 2023/24 transition matrices (combined science from its own matrix,
  per-slot points); the matrix also gives the chance of each grade.
Means come with n and a 95% CI (mean ± 1.96 × SD/√n, SD of the pupils' own values).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from schoolperf.frames import on_distinct, rank_within, sort_order
from schoolperf.measures.points import is_double_grade, threshold_grades
from schoolperf.measures.progress8 import half_width
from schoolperf.measures.totals import mean_sums
from schoolperf.reference import transition_matrices

GRADES = ["9", "8", "7", "6", "5", "4", "3", "2", "1", "U"]


def matrix_subjects() -> set[str]:
    """Subjects the national transition matrices cover."""
    return set(transition_matrices()["matrix_subject"])


THRESHOLDS = (4, 5, 7)
ENTRY_COLUMNS = [
    "upn",
    "subject_title",
    "scale",
    "grade",
    "grade_code",
    "points",
    "role",
    "matrix_subject",
    "exam_date",
]


def subject_entries(
    slots: pd.DataFrame, context: tuple[str, ...] = (), planned: bool = False
) -> pd.DataFrame:
    """One row per pupil per recognised subject with a result: the first entry (§1.6 order);
    with ``planned`` (target setting before results), a subject entered without a grade yet
    too. Results that count nowhere (short courses, IGCSEs, other qualifications the
    performance tables leave out) are not subjects here either, so they never move another
    subject's relative performance."""
    columns = ENTRY_COLUMNS + [c for c in context if c in slots.columns]
    # only the columns kept: the slot audit is wide, and copying it is most of the work here
    entered = slots["entry"] | (planned & (slots["grade"].astype(str).str.strip() == ""))
    keep = (slots["unit"] == 0) & entered & ~slots["role"].isin(["unrecognised", "not_counting"])
    results = slots.loc[keep.to_numpy(), columns]
    first = 0 == rank_within(
        results,
        ["upn", "subject_title"],
        ["exam_date", "points", "grade_code"],
        [True, False, True],
    )
    entries = results.loc[first, columns]
    entries = entries.iloc[sort_order(entries, ["upn", "subject_title"], [True, True])].copy()

    def grade_group(distinct: pd.DataFrame) -> pd.DataFrame:
        code = distinct["grade_code"].astype(str)
        group = np.where(is_double_grade(distinct), code.str[0] + "-" + code.str[1], code)
        return pd.DataFrame({"grade_group": group})

    entries["grade_low"] = threshold_grades(entries)[1]
    found = on_distinct(entries, ["grade_code", "scale", "role"], grade_group)
    entries["grade_group"] = found["grade_group"].astype("category")
    return entries.reset_index(drop=True)


def relative_performance(entries: pd.DataFrame) -> pd.Series:
    """Each entry's points minus the mean of the pupil's other subjects (NaN if none)."""
    by_pupil = entries.groupby("upn")["points"]
    total, count = by_pupil.transform("sum"), by_pupil.transform("count")
    others = (total - entries["points"]) / (count - 1)
    return (entries["points"] - others).where(count > 1)


@cache
def _matrix_tables() -> tuple[pd.DataFrame, pd.Series]:
    """The DfE transition matrices as shares of each (subject, KS2 band) row reaching each
    grade, and the KS2 bands in order with their upper bounds (index: band)."""
    matrices = transition_matrices()
    bands = matrices[["ks2_band", "ks2_low", "ks2_high"]].drop_duplicates().sort_values("ks2_low")
    counts = matrices.pivot_table(
        index=["matrix_subject", "ks2_band"], columns="grade", values="pupils", aggfunc="sum"
    ).fillna(0)
    return counts.div(counts.sum(axis=1), axis=0), bands.set_index("ks2_band")["ks2_high"]


def _matrix_rows(entries: pd.DataFrame, band: np.ndarray) -> np.ndarray:
    """Each entry's row of the shares table (-1: no matrix for the subject, or no band; band
    is the position in the bands, -1 for none), looked up once per distinct subject and band,
    then spread by integer codes."""
    shares, bands = _matrix_tables()
    subject, subjects = pd.factorize(entries["matrix_subject"].fillna(""))
    pairs = pd.MultiIndex.from_product([subjects, bands.index])
    row = shares.index.get_indexer(pairs).reshape(len(subjects), len(bands))
    return np.where(band >= 0, row[subject, np.maximum(band, 0)], -1) if len(bands) else band


def expected_points(entries: pd.DataFrame, prior: pd.Series) -> pd.DataFrame:
    """National expected points of each entry, from the pupil's KS2 band (DfE transition
    matrices): ``ks2_band`` and ``expected_points`` (NaN where the subject has no matrix or
    the pupil no KS2 prior). :func:`grade_chances` gives the chance of each grade."""
    shares, bands = _matrix_tables()
    score = entries["upn"].map(prior).astype(float).to_numpy()
    index = np.searchsorted(bands.to_numpy(), score, side="left")
    band = np.where(np.isnan(score) | (index >= len(bands)), -1, index)
    grade_points = pd.Series({g: matrix_grade_points(g) for g in shares.columns})
    expected = shares.mul(grade_points, axis=1).sum(axis=1).to_numpy()
    return pd.DataFrame(
        {
            "ks2_band": pd.Categorical.from_codes(band, categories=bands.index),
            "expected_points": np.append(expected, np.nan)[_matrix_rows(entries, band)],
        },
        index=entries.index,
    )


def grade_chances(entries: pd.DataFrame) -> pd.DataFrame:
    """``chance_<grade>``: the share of pupils nationally with the entry's KS2 band who got
    each grade in the subject (DfE transition matrices); NaN where there is none. Computed on
    demand, as a cohort's entries times 25 grades would be most of a national run's memory."""
    shares, bands = _matrix_tables()
    band = pd.Index(bands.index).get_indexer(entries["ks2_band"].astype(object))
    table = np.vstack([shares.to_numpy(), np.full(len(shares.columns), np.nan)])  # -1: none
    chances = table[_matrix_rows(entries, band)]
    return pd.DataFrame(
        chances, index=entries.index, columns=[f"chance_{g}" for g in shares.columns]
    )


def matrix_grade_points(grade: str) -> float:
    """Points of a transition-matrix grade: 9–1, U = 0, combined science 'ab' = (a+b)/2."""
    if grade == "U":
        return 0.0
    return (int(grade[0]) + int(grade[1])) / 2 if len(grade) == 2 else float(grade)


def _number(value: object) -> float | None:
    return None if pd.isna(value) else float(value)


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1: missing) and sorted distinct values of a column."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), values.cat.categories
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _numbered(
    first: pd.Series, second: pd.Series
) -> tuple[np.ndarray | slice, np.ndarray, list[tuple[object, object]]]:
    """Groups of two key columns, as ``groupby(sort=True, observed=True)`` makes them: the
    rows with both keys (rows missing one belong to no group), their group numbers, and each
    group's keys in order."""
    a, a_values = _codes(first)
    b, b_values = _codes(second)
    keyed = (a >= 0) & (b >= 0)
    rows = slice(None) if keyed.all() else keyed
    composite = a[rows] * len(b_values) + b[rows]
    present = np.flatnonzero(np.bincount(composite, minlength=len(a_values) * len(b_values)))
    number = np.zeros(len(a_values) * len(b_values), dtype=np.int64)
    number[present] = np.arange(len(present))
    keys = [(a_values[k // len(b_values)], b_values[k % len(b_values)]) for k in present]
    return rows, number[composite], keys


MEANS = {"relative_performance": "residual", "value_added": "va"}  # figure: entries' column


def _means(sums: pd.DataFrame, stat: str) -> pd.DataFrame:
    """Per row of ``sums``: n, mean of ``stat``, and its 95% CI from the sample SD (none below
    two values)."""
    n = sums[f"{stat}_n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums[f"{stat}_sum"].to_numpy() / n
        sd = np.sqrt(sums[f"{stat}_m2"].to_numpy() / (n - 1))
        half = half_width(sd, n)
    mean = np.where(n > 0, mean, np.nan)
    return pd.DataFrame({"n": n, "mean": mean, "ci_low": mean - half, "ci_high": mean + half})


def _keyed(
    entries: pd.DataFrame, second: str, stats: tuple[str, ...]
) -> tuple[np.ndarray | slice, np.ndarray, pd.DataFrame]:
    """Entries by subject and ``second``: the rows with both keys, their group numbers, and
    a frame (index: the two keys, in order) of each group's sums of ``stats``. Group numbers
    follow the keys' codes; :func:`subject_sums` puts the frames in the keys' own order."""
    rows, group, keys = _numbered(entries["subject_title"], entries[second])
    index = pd.MultiIndex.from_tuples(keys, names=["subject_title", second])
    if not keys:  # no entries: an empty index of the two levels
        index = pd.MultiIndex.from_arrays([[], []], names=["subject_title", second])
    frame = pd.DataFrame(index=index)
    for stat in stats:
        values = entries[stat].to_numpy(dtype=float)[rows]
        for name, column in mean_sums(values, group, len(keys)).items():
            frame[f"{stat}_{name}"] = column
    return rows, group, frame


@dataclass(frozen=True)
class SubjectSums:
    """What the subject figures are built from: counts and sums per subject and grade scale
    (and per subject and class/teacher)."""

    subjects: pd.DataFrame  # index (subject_title, scale): counts and sums
    grades: pd.Series  # index (subject_title, scale, grade_group): entries
    context: dict[str, pd.DataFrame]  # column (class, teacher): index (subject_title, column)


def subject_sums(entries: pd.DataFrame, context: tuple[str, ...] = ()) -> SubjectSums:
    """The :class:`SubjectSums` of ``entries`` (and of each ``context`` column they have),
    aggregated in one pass (a national file has millions) by integer group numbers."""
    rows, group, subjects = _keyed(entries, "scale", tuple(MEANS.values()))
    grade, grades = _codes(entries["grade_group"])
    grade, size = grade[rows], len(subjects)

    def total(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(group, weights, minlength=size)

    points = entries["points"].to_numpy(dtype=float)[rows]
    low = entries["grade_low"].to_numpy(dtype=float)[rows]
    subjects["entries"] = total()
    subjects["points_sum"] = total(np.nan_to_num(points))
    subjects["points_n"] = total(~np.isnan(points))
    subjects["in_matrix"] = total(
        entries["matrix_subject"].isin(matrix_subjects()).to_numpy()[rows]
    )
    for t in THRESHOLDS:
        subjects[f"reached_{t}"] = total(low >= t)
    graded, width = grade >= 0, max(len(grades), 1)
    by_grade = np.bincount(group[graded] * width + grade[graded], minlength=size * width)
    found = np.flatnonzero(by_grade)
    grade_index = pd.MultiIndex.from_arrays(
        [
            subjects.index.get_level_values(0)[found // width],
            subjects.index.get_level_values(1)[found // width],
            [str(grades[g]) for g in found % width],
        ],
        names=["subject_title", "scale", "grade_group"],
    )
    context = {c: _keyed(entries, c, ("residual",))[2] for c in context if c in entries.columns}
    # in the keys' own order (text order), as merged parts have it: the same as the codes'
    # order for the sorted categoricals the readers make, so a file read whole keeps its order
    return SubjectSums(
        subjects.sort_index(),
        pd.Series(by_grade[found], index=grade_index).sort_index(),
        {c: frame.sort_index() for c, frame in context.items()},
    )


def subject_table(entries: pd.DataFrame, cohort_size: int) -> list[dict[str, object]]:
    """:func:`subject_rows` of ``entries``."""
    return subject_rows(subject_sums(entries), cohort_size)


def subject_rows(sums: SubjectSums, cohort_size: int) -> list[dict[str, object]]:
    """One row per subject: entries, % of cohort, grade distribution, % 4+/5+/7+, average
    points, relative performance and value added with n and CI."""
    table = sums.subjects
    counted = table["entries"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        average = table["points_sum"].to_numpy() / table["points_n"].to_numpy()
        shares = {t: table[f"reached_{t}"].to_numpy() / counted for t in THRESHOLDS}
    means = {name: _means(table, stat) for name, stat in MEANS.items()}
    grades = {key: found for key, found in sums.grades.groupby(level=[0, 1], sort=False)}
    rows = []
    for k, (subject, scale) in enumerate(table.index):
        # most entered first, then the grade order (numbers down, U last): letters and
        # technical grades keep the order of their counts
        found = grades.get((subject, scale), pd.Series(dtype=np.int64))
        found = {str(g[2]): int(n) for g, n in found.items()}
        counted_grades = dict(sorted(found.items(), key=lambda item: -item[1]))
        row: dict[str, object] = {
            "subject": subject,
            "grade_scale": scale,
            "entries": int(counted[k]),
            "entered_pct": 100 * int(counted[k]) / cohort_size if cohort_size else None,
            "grades": {g: counted_grades[g] for g in _grade_order(pd.Index(list(counted_grades)))},
            "average_points": _number(average[k]),
            "in_transition_matrices": bool(table["in_matrix"].iat[k] > 0),
        }
        for t in THRESHOLDS:
            row[f"grade_{t}_plus_pct"] = float(shares[t][k] * 100)
        for name, stats in means.items():
            row[name] = _number(stats.at[k, "mean"])
            row[f"{name}_pupils"] = int(stats.at[k, "n"])
            row[f"{name}_ci_low"] = _number(stats.at[k, "ci_low"])
            row[f"{name}_ci_high"] = _number(stats.at[k, "ci_high"])
        rows.append(row)
    return rows


def _grade_order(grades: pd.Index) -> list[str]:
    def key(g: str) -> tuple[int, float]:
        if g == "U":
            return (1, 0.0)
        digits = g.replace("-", "")
        return (0, -float(digits) if digits.isdigit() else 0.0)

    return sorted(grades, key=key)


def context_rows(sums: pd.DataFrame, column: str) -> list[dict[str, object]]:
    """Relative performance per subject and class/teacher (``column``), from the
    :class:`SubjectSums` of that column."""
    means = _means(sums, "residual")
    return [
        {
            "subject": subject,
            column: value,
            "pupils": int(stats["n"]),
            "relative_performance": _number(stats["mean"]),
            "relative_performance_ci_low": _number(stats["ci_low"]),
            "relative_performance_ci_high": _number(stats["ci_high"]),
        }
        for (subject, value), (_, stats) in zip(sums.index, means.iterrows(), strict=True)
        if str(value) != ""
    ]
