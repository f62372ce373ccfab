"""The prior attainment Progress 8 is measured from (KS2, KS2 fine levels, or a substitute
baseline mapped onto the KS2 scale), and the years the run takes its KS2 codes and national
comparators from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.analysis.model import AnalysisOptions
from schoolperf.cohort import Cohort
from schoolperf.errors import InputError, Problem
from schoolperf.ingest.baseline import map_to_ks2, read_baseline
from schoolperf.measures.prior_attainment import prior_attainment
from schoolperf.reference import (
    EstimatesTable,
    national_comparators,
)


def default_ks2_year(estimates: EstimatesTable, options: AnalysisOptions) -> int:
    """KS2 year for teacher-assessment codes: the option, else five years before the estimates'
    cohort (KS2 in Year 6, KS4 in Year 11), else 2019."""
    if options.ks2_year is not None:
        return options.ks2_year
    year = estimates.name[:4]
    return int(year) - 5 if year.isdigit() else 2019


def comparator_year(estimates: EstimatesTable, options: AnalysisOptions) -> int:
    """The national comparators' year: the option, else the estimates' year when the DfE
    figures for it are shipped, else the latest year with Progress 8 (2024)."""
    years = set(national_comparators()["year"])
    if options.comparator_year is not None:
        if options.comparator_year not in years:
            raise InputError(
                [
                    Problem(
                        "bad-comparator-year",
                        f"{options.comparator_year} has no national figures.",
                        f"Use one of {', '.join(str(y) for y in sorted(years))}.",
                    )
                ]
            )
        return options.comparator_year
    year = estimates.name[:4]
    return int(year) if year.isdigit() and int(year) in years else 2024


def pupil_prior(
    cohort: Cohort, estimates: EstimatesTable, options: AnalysisOptions
) -> tuple[pd.DataFrame, str]:
    """Prior attainment from KS2, or from a substitute baseline mapped onto the KS2 scale."""
    prior = prior_attainment(cohort.pupils, default_ks2_year(estimates, options))
    if estimates.fine_levels and options.baseline_file is None:
        fine = cohort.pupils["ks2_fine_level"]
        prior["ks2_prior"] = fine
        prior["ks2_subjects"] = fine.notna().astype(int) * 2
        prior["ks2_note"] = np.where(fine.isna(), "no KS2 fine level", "")
        prior["ks2_nominal"] = ""
        return prior, f"KS2 fine levels (estimates table {estimates.name})"
    if options.baseline_file is None:
        return prior, "KS2 reading and maths scaled scores"
    scores = read_baseline(options.baseline_file)
    mapped, method = map_to_ks2(scores, options.baseline_map, options.baseline_norm)
    mapped = mapped.reindex(cohort.pupils.index)
    prior["ks2_prior"] = mapped
    prior["ks2_subjects"] = mapped.notna().astype(int) * 2
    prior["ks2_note"] = np.where(mapped.isna(), "not in the baseline file", "")
    prior["ks2_nominal"] = ""
    return prior, (
        f"SUBSTITUTE BASELINE, not KS2: {Path(options.baseline_file).name} mapped onto the KS2 "
        f"scale ({method}); Progress 8 figures are estimates, not DfE Progress 8"
    )
