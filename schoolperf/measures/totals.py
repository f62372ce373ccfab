"""Pupil totals: what the school, group and gap figures are built from.

The pupils are counted in *cells*, one per distinct combination of the columns that define the
pupil groups (disadvantaged, gender, SEN, EAL, prior-attainment band and any ``--group``
column). Each cell keeps, for every figure, how many pupils have it, their sum, their squared
deviations from the cell's mean, and the least and greatest value. A group is a set of cells,
so its mean and sample variance come from its cells' totals pooled (Chan, Golub and LeVeque's
parallel variance). Means over cells equal the pupils' means up to the order of the additions
(1e-15).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from schoolperf.frames import distinct_rows
from schoolperf.measures.attainment8 import ELEMENTS

# the pupil figures totalled: means over all pupils, and Progress 8 over pupils with it
ATTAINMENT = ["attainment8", *(f"attainment8_{e}" for e in ELEMENTS)]
PROGRESS = [
    "progress8",
    *(f"progress8_{e}" for e in ELEMENTS),
    "progress8_adjusted",
    "progress8_was_adjusted",
]
HEADLINES = [
    "basics_4",
    "basics_5",
    "english_maths_entered",
    "ebacc_entered",
    "ebacc_94",
    "ebacc_95",
    "ebacc_aps",
    "ebacc_slots_filled",
    "open_slots_filled",
]
A8_PROFILE = (40, 50, 60, 70)  # attainment8_{t}_plus_pct: the share of pupils with A8 ≥ t
# pupils counted for the warnings: no KS2 score, one KS2 score, no prior attainment at all
COUNTED = {
    "no_ks2": lambda p: p["ks2_subjects"] == 0,
    "one_ks2": lambda p: p["ks2_subjects"] == 1,
    "no_prior": lambda p: p["ks2_prior"].isna(),
}
STATS = ("n", "sum", "m2")


def mean_sums(values: np.ndarray, group: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Per group: n (values present), their sum and their squared deviations from the group's
    mean (two-pass): what :func:`pooled_sums` adds up and a mean and its variance come from."""
    present = ~np.isnan(values)
    group, values = group[present], values[present]
    n = np.bincount(group, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.bincount(group, values, minlength=size)
        deviation = values - (total / n)[group]
    return {"n": n, "sum": total, "m2": np.bincount(group, deviation**2, minlength=size)}


def _with_between(n: np.ndarray, total: np.ndarray, m2: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Each set's squared deviations from the pooled ``mean``: M2ₚ + nₚ (meanₚ − mean)²."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return m2 + np.where(n > 0, n * (total / n - mean) ** 2, 0.0)


def pooled_sums(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of sums (columns ``{figure}_n``, ``_sum``, ``_m2`` and plain counts) added up by
    their index: counts and sums added, squared deviations as Chan et al.'s parallel variance,
    M2 = Σ (M2ₚ + nₚ (meanₚ − mean)²)."""
    both = pd.concat(frames)
    levels = list(range(both.index.nlevels))
    merged = both.groupby(level=levels, sort=True).sum()
    for stat in {c.removesuffix("_m2") for c in both.columns if c.endswith("_m2")}:
        mean = (merged[f"{stat}_sum"] / merged[f"{stat}_n"]).reindex(both.index).to_numpy()
        n, total, m2 = (both[f"{stat}_{s}"].to_numpy() for s in STATS)
        deviations = pd.Series(_with_between(n, total, m2, mean), index=both.index)
        merged[f"{stat}_m2"] = deviations.groupby(level=levels, sort=True).sum()
    return merged


def _figure(pupils: pd.DataFrame, column: str) -> np.ndarray:
    return pupils[column].to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True, eq=False)
class PupilCells:
    """Pupils counted by cell: ``keys`` holds each cell's values of the group-defining columns
    (what the group functions read), ``sums`` its pupils and each figure's n, sum and squared
    deviations, row for row (apart, so no column of the file can be taken for a sum)."""

    keys: pd.DataFrame
    sums: pd.DataFrame  # per figure: n, sum, m2, and its least and greatest (min, max)

    @cached_property
    def matrix(self) -> np.ndarray:
        """:attr:`sums` as one float matrix, made once for every group's :func:`totals`."""
        return self.sums.to_numpy(dtype=float)


def pupil_cells(pupils: pd.DataFrame, keys: list[str]) -> PupilCells:
    """One cell per distinct combination of the ``keys`` columns (a missing value is a value
    of its own), with its pupils and each figure's n, sum and squared deviations (Progress 8
    figures over the pupils with a Progress 8 score, as the DfE averages them)."""
    cell, first = distinct_rows(pupils, keys)
    size = len(first)
    without_p8 = pupils["progress8"].isna().to_numpy()
    figures = {c: _figure(pupils, c) for c in ATTAINMENT + HEADLINES}
    figures |= {c: np.where(without_p8, np.nan, _figure(pupils, c)) for c in PROGRESS}
    attainment8 = figures["attainment8"]
    for threshold in A8_PROFILE:
        figures[f"attainment8_{threshold}_plus"] = (attainment8 >= threshold).astype(float)
    figures |= {name: count(pupils).to_numpy(dtype=float) for name, count in COUNTED.items()}
    sums = {"pupils": np.bincount(cell, minlength=size)} | {
        f"{column}_{stat}": total
        for column, values in figures.items()
        for stat, total in mean_sums(values, cell, size).items()
    }
    # the least and greatest of each figure: values all equal have no variance, whatever the
    # rounding of their sums (which grows with their number)
    frame = pd.DataFrame(figures).groupby(cell, sort=True)
    extremes = frame.min().add_suffix("_min").join(frame.max().add_suffix("_max"))
    sums = pd.concat([pd.DataFrame(sums), extremes.reset_index(drop=True)], axis=1)
    return PupilCells(pupils.iloc[first][keys].reset_index(drop=True), sums)


def totals(cells: PupilCells, members: np.ndarray | pd.Series | None = None) -> pd.Series:
    """The cells' totals pooled as :func:`pooled_sums` pools them (only the ``members``
    cells, all for ``None``)."""
    columns = cells.sums.columns
    values = cells.matrix
    if members is not None:
        values = values[np.asarray(members, dtype=bool)]
    out = pd.Series(values.sum(axis=0), index=columns)
    for name, pooled in (("_min", np.fmin), ("_max", np.fmax)):  # missing values left out
        chosen = [c.endswith(name) for c in columns]
        out[chosen] = pooled.reduce(values[:, chosen], axis=0, initial=np.nan)
    for stat in [c.removesuffix("_m2") for c in columns if c.endswith("_m2")]:
        n, total, m2 = (values[:, columns.get_loc(f"{stat}_{s}")] for s in STATS)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total.sum() / n.sum()
        out[f"{stat}_m2"] = _with_between(n, total, m2, mean).sum()
    return out


def mean(total: pd.Series, figure: str) -> float:
    """The mean of ``figure`` over the pupils with it (NaN for none)."""
    n = total[f"{figure}_n"]
    return float(total[f"{figure}_sum"] / n) if n else float("nan")


def variance(total: pd.Series, figure: str) -> float:
    """The sample variance (ddof 1) of ``figure`` (NaN below two pupils); exactly 0 where the
    values are all equal (their least is their greatest), whatever the rounding of their sums,
    so whether a gap is significant never turns on the order of the additions."""
    n = total[f"{figure}_n"]
    if n < 2:
        return float("nan")
    if total[f"{figure}_min"] == total[f"{figure}_max"]:
        return 0.0
    return float(total[f"{figure}_m2"] / (n - 1))
