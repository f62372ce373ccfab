"""Progress 8: pupil and element scores against an estimates table, school score, CI, banding.

Rule (ks4-methodology §2–§3): pupil P8 = (A8 − estimate for the pupil's prior-attainment
group)/10; elements (English − est)/2, (maths − est)/2, (EBacc − est)/3, (open − est)/3. School
P8 = mean over pupils with prior attainment (unadjusted here); 95% CI = P8 ± 1.96 × national
SD/√n (DfE ready reckoner server.R); banding per the performance tables (§2.6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schoolperf.reference import ELEMENTS, EstimatesTable, p8_adjustment_constant

DIVISORS = {"attainment8": 10, "english": 2, "maths": 2, "ebacc": 3, "open": 3}
Z95 = 1.96


def pupil_progress8(
    attainment: pd.DataFrame, prior: pd.Series, estimates: EstimatesTable
) -> pd.DataFrame:
    """Per pupil: ``prior_attainment_group``, ``attainment8_estimate`` (+ element estimates),
    ``progress8`` and element scores; NaN for pupils without prior attainment."""
    groups = estimates.group_of(prior.to_numpy(dtype=float))
    table = estimates.table.set_index("prior_attainment_group")
    out = pd.DataFrame(index=attainment.index)
    out["prior_attainment_group"] = pd.array(np.where(groups > 0, groups, None), dtype="Int64")
    looked_up = table.reindex(groups)
    out["attainment8_estimate"] = looked_up["attainment8"].to_numpy()
    for element in ELEMENTS:
        out[f"attainment8_{element}_estimate"] = looked_up[element].to_numpy()
    out["progress8"] = (attainment["attainment8"] - out["attainment8_estimate"]) / 10
    for element in ELEMENTS:
        out[f"progress8_{element}"] = (
            attainment[f"attainment8_{element}"] - out[f"attainment8_{element}_estimate"]
        ) / DIVISORS[element]
    return out


def half_width(sd: float | np.ndarray, n: float | np.ndarray) -> np.ndarray:
    """Half the width of a mean's 95% confidence interval, 1.96 × SD / √n (ks4-methodology
    §2.6, DfE ready reckoner ``1.96*(stdev)/(sqrt(length(p8score)))``); NaN below two values.
    The one CI rule: P8 with the national SD, subjects with their sample SD.

    >>> round(float(half_width(1.41628, 228)), 4), float(half_width(1.4, 1))
    (0.1838, nan)
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return Z95 * np.asarray(sd, dtype=float) / np.sqrt(np.where(n >= 2, n, np.nan))


def confidence_interval(score: float, n: int, national_sd: float) -> tuple[float, float] | None:
    """95% CI of a school (or group) mean from the national SD; None when n < 2."""
    if n < 2 or np.isnan(score):
        return None
    half = float(half_width(national_sd, n))
    return score - half, score + half


def bandings(score: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """DfE performance-tables P8 banding in the DfE's words, for arrays of scores and their CIs
    (None where there is no CI). Rule (ks4-methodology §2.6, [FD2]): well above average: score
    > 0.5 and the CI above 0; above average: CI above 0; average: CI includes 0; below average:
    CI below 0; well below average: score < −0.5 and the CI below 0. The DfE bands the
    *adjusted* P8 (extremely negative pupil scores raised, §2.4): it is the published headline,
    so ``progress8_banding`` is computed on it."""
    score, low, high = (np.asarray(a, dtype=float) for a in (score, low, high))
    return np.select(
        [low > 0, high < 0, ~np.isnan(low)],
        [
            np.where(score > 0.5, "Well above average", "Above average"),
            np.where(score < -0.5, "Well below average", "Below average"),
            "Average",
        ],
        default=None,
    )


def banding(score: float, ci: tuple[float, float] | None) -> str | None:
    """:func:`bandings` of one score and its CI.

    >>> banding(0.36, (0.18, 0.54))
    'Above average'
    >>> banding(0.2, (-0.03, 0.43))
    'Average'
    >>> banding(0.559, (0.281, 0.837)), banding(0.477, (0.199, 0.754))
    ('Well above average', 'Above average')
    """
    if ci is None:
        return None
    return bandings(np.array([score]), np.array([ci[0]]), np.array([ci[1]]))[0]


def adjust_extreme_negative(
    progress: pd.DataFrame, estimates: EstimatesTable
) -> tuple[pd.Series, pd.Series, str]:
    """Pupil P8 with extremely negative scores raised to their group's minimum, a flag of the
    pupils adjusted, and the method in words.

    Rule (ks4-methodology §2.4, DfE "KS4 outliers.sql"): a pupil whose P8 is below the minimum for
    their prior-attainment group gets that minimum; the minimum is constant × the group's SD of
    pupil P8 (constant ≈ −2.895, the 1% point nationally). The DfE does not publish the per-group
    minimums: a table's ``minimum_progress8`` column is used when present, otherwise the
    approximation constant × national P8 SD for every group (the group's mean P8 is ~0 by
    construction, and its SD is close to the national one).
    """
    p8 = progress["progress8"]
    table = estimates.table.set_index("prior_attainment_group")
    if "minimum_progress8" in table.columns:
        minimum = progress["prior_attainment_group"].map(table["minimum_progress8"]).astype(float)
        method = f"DfE-style minimum scores per prior-attainment group from {estimates.name}"
    else:
        constant = p8_adjustment_constant()
        floor = constant * estimates.national_sd["progress8"]
        minimum = pd.Series(floor, index=p8.index)
        method = (
            f"approximation: every pupil's minimum is {constant:.4f} × the national P8 SD "
            f"({estimates.national_sd['progress8']}) = {floor:.3f}, because the DfE does not "
            "publish its per-group minimum scores"
        )
    adjusted = p8 < minimum
    return p8.where(~adjusted, minimum), adjusted & p8.notna(), method
