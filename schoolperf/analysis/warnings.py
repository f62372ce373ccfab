"""The warnings a run gives about its Progress 8: why there is none, who is left out, and
which choices schoolperf made where the DfE guidance is silent."""

from __future__ import annotations

import pandas as pd

from schoolperf.measures.prior_attainment import NO_KS2_YEARS
from schoolperf.reference import EstimatesTable, counted, plural


def progress8_warnings(
    total: pd.Series, estimates: EstimatesTable, columns: frozenset[str]
) -> list[str]:
    """The run's warnings about Progress 8, from the pupils' ``total``: no P8 at all (and why),
    pupils left out for want of KS2, pupils with one KS2 score, and CIs without DfE SDs."""
    warnings = []
    none = int(total["no_ks2_sum"])
    one = int(total["one_ks2_sum"])
    pupils = int(total["pupils"])
    no_ks2_cohorts = (
        f"Pupils in Year 6 in {' and '.join(str(y) for y in NO_KS2_YEARS)} sat no KS2 tests, so "
        "the DfE publishes no Progress 8 for the 2025 and 2026 GCSE cohorts."
    )
    if "ks2_fine_level" in columns and not estimates.fine_levels and none == pupils:
        warnings.append(
            "There is no Progress 8: the export gives KS2 fine levels (cohorts up to 2019), and "
            f"the estimates table {estimates.name} is on the scaled-score scale. Give a "
            "fine-level estimates table with --estimates FILE. Attainment 8 and the prior-"
            "attainment bands are unaffected."
        )
    elif not {"ks2_reading", "ks2_maths"} & columns:
        warnings.append(
            "There is no Progress 8: the export has no KS2 reading or maths column. Add the "
            f"pupils' KS2 scaled scores to compute it. {no_ks2_cohorts} Attainment 8 is "
            "unaffected."
        )
    elif none == pupils:
        warnings.append(
            "There is no Progress 8: no pupil has a KS2 reading or maths score. "
            f"{no_ks2_cohorts} Attainment 8 is unaffected."
        )
    elif none:
        warnings.append(
            f"{counted(none, 'pupil')} {plural(none, 'has', 'have')} no KS2 reading or maths "
            f"score and {plural(none, 'is', 'are')} left out of Progress 8 (but counted in "
            f"Attainment 8); pupils.csv lists {plural(none, 'this pupil', 'them')}."
        )
    if one:
        warnings.append(
            f"{counted(one, 'pupil')} {plural(one, 'has', 'have')} only one KS2 score (reading "
            "or maths); their prior attainment is that score alone, which is a schoolperf "
            "choice: the DfE guidance gives no rule for it. pupils.csv marks "
            f"{plural(one, 'this pupil', 'them')}."
        )
    if estimates.sd_source.endswith("gives none"):
        warnings.append(f"Confidence intervals use {estimates.sd_source}.")
    return warnings
