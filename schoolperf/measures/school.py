"""The school's figures, a group's and each ``--by`` value's, from their pupils: A8 means over
every pupil, P8 means over the pupils with prior attainment, 95% confidence intervals from the
national standard deviations, and the DfE banding of the headline (adjusted) P8
(ks4-methodology §1.1, §2.4, §2.5, §2.6). The one confidence-interval and banding rule is
:mod:`schoolperf.measures.progress8`'s."""

from __future__ import annotations

import pandas as pd

from schoolperf.measures.headlines import headline_measures
from schoolperf.measures.progress8 import banding, bandings, confidence_interval, half_width
from schoolperf.measures.suppression import SMALL_GROUP, suppress, suppress_progress8
from schoolperf.measures.totals import mean
from schoolperf.reference import ELEMENTS, EstimatesTable


def school_measures(total: pd.Series, estimates: EstimatesTable) -> dict[str, object]:
    """The ``school`` block from the pupils' :func:`~schoolperf.measures.totals.totals`: A8
    means over the cohort, P8 means over pupils with prior attainment, CIs from the table's
    national SDs and the DfE banding (§1.1, §2.5, §2.6)."""
    pupils = int(total["pupils"])
    school: dict[str, object] = {"pupils": pupils}
    for column in ["attainment8", *(f"attainment8_{e}" for e in ELEMENTS)]:
        school[column] = mean(total, column) if pupils else None
    n = int(total["progress8_n"])
    school["progress8_pupils"] = n
    school["progress8_excluded"] = pupils - n
    for key, sd_key in [("progress8", "progress8"), *((f"progress8_{e}", e) for e in ELEMENTS)]:
        score = mean(total, key)
        ci = confidence_interval(score, n, estimates.national_sd[sd_key])
        school[key] = score
        school[f"{key}_ci_low"], school[f"{key}_ci_high"] = ci if ci else (None, None)
        if key == "progress8":
            unadjusted_banding = school["progress8_banding"] = banding(score, ci)  # (its place)
    adjusted = mean(total, "progress8_adjusted")
    ci = confidence_interval(adjusted, n, estimates.national_sd["progress8"])
    # the DfE bands its headline P8, the adjusted one (ks4-methodology §2.4, §2.6)
    school["progress8_banding"] = banding(adjusted, ci)
    school["progress8_unadjusted_banding"] = unadjusted_banding
    school["progress8_adjusted"] = adjusted
    school["progress8_adjusted_ci_low"], school["progress8_adjusted_ci_high"] = ci or (None, None)
    school["progress8_adjusted_banding"] = banding(adjusted, ci)
    school["progress8_adjusted_pupils"] = int(total["progress8_was_adjusted_sum"])
    school.update(headline_measures(total))
    return school


def group_measures(
    total: pd.Series, estimates: EstimatesTable, min_group: int
) -> dict[str, object]:
    """A group's measures (from its pupils' totals), keyed as ``school``; figures suppressed
    (null) below ``min_group`` pupils, and ``small_group`` flagged below 10 (the DfE's own
    suppression size)."""
    figures = school_measures(total, estimates)
    n = int(total["pupils"])
    suppressed = n < min_group
    if suppressed:
        figures = suppress(figures)
    elif figures["progress8_pupils"] < min_group:  # P8 resting on too few pupils
        figures = suppress_progress8(figures)
    return {**figures, "small_group": n < SMALL_GROUP, "suppressed": suppressed}


def measures_by(
    pupils: pd.DataFrame, key: pd.Series, national_sd: dict[str, float]
) -> pd.DataFrame:
    """School-style measures for every value of ``key`` (e.g. each school) in one pass.

    The same definitions as the school block (A8 means over all pupils, P8 means over pupils
    with prior attainment, CI = ±1.96 × national SD / √n, DfE banding), computed with groupby.
    """
    means = [
        "attainment8",
        "attainment8_english",
        "attainment8_maths",
        "attainment8_ebacc",
        "attainment8_open",
        "ebacc_aps",
        "ebacc_slots_filled",
        "open_slots_filled",
    ]
    shares = {
        "basics_4": "basics_4_pct",
        "basics_5": "basics_5_pct",
        "ebacc_entered": "ebacc_entry_pct",
        "ebacc_94": "ebacc_94_pct",
        "ebacc_95": "ebacc_95_pct",
        "english_maths_entered": "english_maths_entry_pct",
    }
    progress = ["progress8", "progress8_adjusted", *(f"progress8_{e}" for e in ELEMENTS)]
    # only the columns used are grouped: a national pupil table is wide
    grouped = pupils[[*means, *shares, *progress]].groupby(key.to_numpy(), sort=True)
    out = pd.DataFrame({"pupils": grouped.size()})
    for column in means:
        out[column] = grouped[column].mean()
    for column, name in shares.items():
        out[name] = grouped[column].mean() * 100
    out["progress8_pupils"] = grouped["progress8"].count()
    n = out["progress8_pupils"].to_numpy(dtype=float)
    for column in progress:
        mean = grouped[column].mean()
        element = column.removeprefix("progress8_")
        sd = national_sd[element if element in ELEMENTS else "progress8"]
        half = half_width(sd, n)
        out[column] = mean
        out[f"{column}_ci_low"] = mean - half
        out[f"{column}_ci_high"] = mean + half
    for column, name in (
        ("progress8_adjusted", "progress8_banding"),  # the DfE's: on the adjusted headline
        ("progress8", "progress8_unadjusted_banding"),
        ("progress8_adjusted", "progress8_adjusted_banding"),
    ):
        out[name] = bandings(out[column], out[f"{column}_ci_low"], out[f"{column}_ci_high"])
    out.index.name = key.name or "key"
    return out
