"""KS2 prior attainment: scaled scores and teacher-assessment codes → prior score → group.

Rule (ks4-methodology §2.2): prior attainment is the mean of the KS2 reading and maths scaled
scores; pupils working below the level of the tests get a nominal score from their teacher
assessment for their KS2 year (given as its code, or as the nominal score itself, 59 to 79, as
NPD and ASP extracts carry it: a KS2 score below the scaled scores' 80 is a nominal score and is
flagged in ``ks2_nominal``); one valid score alone is used on its own (a schoolperf choice,
flagged per pupil, because no DfE text on single scores was found); none → no P8.
Prior-attainment bands (§4.1): low < 100, middle 100 to < 110, high ≥ 110.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schoolperf.reference import ks2_teacher_assessment

# KS2 years with no KS2 assessments (COVID); TA codes of later years use the 2019 values.
NO_KS2_YEARS = (2020, 2021)
KS2_SCALED = (80, 120)  # KS2 test scaled scores (STA); below 80 only nominal scores exist


def nominal_scores(codes: pd.Series, ks2_year: pd.Series) -> pd.Series:
    """Nominal KS2 score of each teacher-assessment code for the pupil's KS2 year (NaN if the
    code attracts no score or has no value that year)."""
    table = ks2_teacher_assessment()
    frame = pd.DataFrame({"code": codes.to_numpy(), "year": ks2_year.to_numpy()})
    frame["_i"] = np.arange(len(frame))
    frame = frame[frame["code"].isin(table["code"]).to_numpy()]  # most pupils have no code
    matched = frame.merge(table, on="code", how="inner")
    matched = matched[
        (matched["year"] >= matched["ks2_year_from"]) & (matched["year"] <= matched["ks2_year_to"])
    ]
    scores = pd.Series(np.nan, index=range(len(codes)))
    scores[matched["_i"].to_numpy()] = matched["nominal_score"].to_numpy()
    return pd.Series(scores.to_numpy(), index=codes.index)


def prior_attainment(pupils: pd.DataFrame, default_ks2_year: int) -> pd.DataFrame:
    """Per pupil: ``ks2_prior`` (mean of the valid scores), ``ks2_subjects`` (0, 1 or 2),
    ``ks2_nominal`` (``reading``, ``maths``, ``reading and maths`` or ``""``: the scores that are
    DfE nominal scores for working below the test) and ``ks2_note`` (why a pupil has no or a
    partial prior score)."""
    year = pupils["ks2_year"].fillna(default_ks2_year).astype(int)
    scores = {}
    for subject in ("reading", "maths"):
        nominal = nominal_scores(pupils[f"ks2_{subject}_ta"], year)
        scores[subject] = pupils[f"ks2_{subject}"].astype(float).fillna(nominal)
    both = pd.DataFrame(scores)
    out = pd.DataFrame(index=pupils.index)
    out["ks2_prior"] = both.mean(axis=1, skipna=True)
    out["ks2_subjects"] = both.notna().sum(axis=1)
    nominal = both < KS2_SCALED[0]
    out["ks2_nominal"] = np.select(
        [nominal["reading"] & nominal["maths"], nominal["reading"], nominal["maths"]],
        ["reading and maths", "reading", "maths"],
        default="",
    )
    note = np.select(
        [out["ks2_subjects"] == 0, both["reading"].isna(), both["maths"].isna()],
        [
            "no KS2 reading or maths score",
            "KS2 maths only (no reading score)",
            "KS2 reading only (no maths score)",
        ],
        default="",
    )
    out["ks2_note"] = note
    return out


def prior_attainment_band(prior: pd.Series, fine_level: pd.Series | None = None) -> pd.Series:
    """``low``, ``middle`` or ``high`` prior attainment (§4.1): scaled scores < 100, 100 to
    < 110, ≥ 110; where a pupil has only a KS2 fine level (cohorts to 2019), below level 4,
    level 4 (4.0 to < 5.0), above level 4 — the DfE's level-era definition, whose exact fine-level
    cut-offs were not found, so this is a documented approximation."""
    labels = ["low", "middle", "high"]
    band = pd.cut(prior, [-np.inf, 100, 110, np.inf], right=False, labels=labels).astype(object)
    if fine_level is not None:
        fine = pd.cut(fine_level, [-np.inf, 4, 5, np.inf], right=False, labels=labels)
        band = band.where(prior.notna(), fine.astype(object))
    return band.where(band.notna(), None)
