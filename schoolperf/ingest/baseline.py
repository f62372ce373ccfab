"""A substitute baseline for cohorts without KS2 (2025, 2026): read it and map it onto KS2.

The file has a pupil identifier and a ``baseline`` column (aliases: ``Mean SAS``, ``CAT4 Mean
SAS``, ``Score`` …). Mapping onto the KS2 scaled-score scale is linear by default: the baseline's
national norm (mean and SD; standardised age scores are 100 and 15) is matched to the national
KS2 distribution (``reference/ks2_national_distribution.csv``); or an explicit table with columns
``baseline, ks2`` is interpolated. Results are clipped to the KS2 range 59–120.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.errors import InputError, Problem
from schoolperf.ingest.headers import canonical_columns
from schoolperf.ingest.read import ROW, read_table
from schoolperf.reference import ks2_national_distribution

KS2_RANGE = (59.0, 120.0)


def read_baseline(path: str | Path) -> pd.Series:
    """Baseline score per pupil (index ``upn``)."""
    path = Path(path)
    table = read_table(path)
    rename, _ = canonical_columns(list(table.columns), None, path.name)
    table = table.rename(columns=rename)
    missing = [c for c in ("upn", "baseline") if c not in table.columns]
    if missing:
        raise InputError(
            [
                Problem(
                    "missing-column",
                    f"has no {' or '.join(missing)} column.",
                    "A baseline file has a pupil identifier (UPN) and a Baseline or Mean SAS "
                    "column.",
                    file=path.name,
                )
            ]
        )
    score = pd.to_numeric(table["baseline"], errors="coerce")
    score = score.where(np.isfinite(score))  # "inf" is no score
    bad = (table["baseline"] != "") & score.isna()
    if bad.any():
        raise InputError(
            [
                Problem(
                    "bad-baseline",
                    "is not a number.",
                    "Give a number or leave it blank.",
                    file=path.name,
                    row=str(r),
                    column="baseline",
                    value=v,
                )
                for r, v in zip(table.loc[bad, ROW], table.loc[bad, "baseline"], strict=True)
            ]
        )
    duplicated = table["upn"].duplicated(keep=False) & (table["upn"] != "")
    if duplicated.any():
        raise InputError(
            [
                Problem(
                    "duplicate-pupil",
                    "appears more than once in the baseline file.",
                    "Keep one row per pupil.",
                    file=path.name,
                    row=", ".join(str(r) for r in table.loc[duplicated, ROW]),
                    column="upn",
                )
            ]
        )
    return pd.Series(score.to_numpy(), index=table["upn"], name="baseline").dropna()


def _mapping_table(path: Path) -> pd.DataFrame:
    """An explicit baseline → KS2 table: numeric columns ``baseline`` and ``ks2``, 2+ rows."""

    def problem(message: str) -> InputError:
        return InputError(
            [
                Problem(
                    "bad-baseline-map",
                    message,
                    "Give a CSV with columns baseline and ks2, one row "
                    "per baseline score (two at least).",
                    file=path.name,
                )
            ]
        )

    if not path.is_file():
        raise problem("does not exist.")
    try:
        table = pd.read_csv(path, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise problem(f"could not be read ({exc}).") from None
    if not {"baseline", "ks2"} <= set(table.columns):
        raise problem("needs the columns baseline and ks2.")
    numbers = table[["baseline", "ks2"]].apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(numbers.to_numpy(dtype=float)).all() or len(numbers) < 2:
        raise problem("needs at least two rows, every cell a number.")
    return numbers.sort_values("baseline")


def map_to_ks2(
    scores: pd.Series, mapping: str = "linear", norm: tuple[float, float] = (100.0, 15.0)
) -> tuple[pd.Series, str]:
    """Baseline scores on the KS2 scale, and the method in words."""
    national = ks2_national_distribution()
    if mapping == "linear":
        mean, sd = norm
        if not (sd > 0 and np.isfinite([mean, sd]).all()):
            raise InputError(
                [
                    Problem(
                        "bad-baseline-norm",
                        f"--baseline-norm {mean:g} {sd:g} is not a finite mean and a positive SD.",
                        "Give the baseline's national mean and SD (e.g. 100 15 for SAS).",
                    )
                ]
            )
        mapped = national["mean"] + (scores - mean) / sd * national["sd"]
        method = (
            f"linear: baseline mean {mean:g} and SD {sd:g} matched to the national KS2 mean "
            f"{national['mean']:g} and SD {national['sd']:g} ({national['year']})"
        )
    else:
        table = _mapping_table(Path(mapping))
        mapped = pd.Series(np.interp(scores, table["baseline"], table["ks2"]), scores.index)
        method = f"table {Path(mapping).name} (linear interpolation between its rows)"
    return mapped.clip(*KS2_RANGE), method
