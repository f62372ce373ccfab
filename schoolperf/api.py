"""The one call the command line makes: ``analyse(path, options) -> Analysis``.

read → validate → pupil results model (:mod:`schoolperf.cohort`) → measures → an
:class:`Analysis` holding unrounded numbers, which ``to_dict`` turns into CONTRACT.md §3 JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from schoolperf import __version__
from schoolperf.cohort import Cohort, load_cohort
from schoolperf.measures.attainment8 import ELEMENTS, fill_slots, pupil_attainment8
from schoolperf.measures.prior_attainment import (
    NO_KS2_YEARS,
    prior_attainment,
    prior_attainment_band,
)
from schoolperf.measures.progress8 import banding, confidence_interval, pupil_progress8
from schoolperf.reference import LATEST_ESTIMATES, EstimatesTable, load_estimates

SLOT_FIELDS = ["element", "slot", "subject", "grade", "points", "weight"]


@dataclass(frozen=True)
class AnalysisOptions:
    """Everything a run can be told; the CLI's options map one to one onto these fields."""

    estimates: str = LATEST_ESTIMATES
    columns_file: str | None = None
    subjects_file: str | None = None
    sheet: str | None = None
    layout: str = "auto"
    ks2_year: int | None = None


@dataclass
class Analysis:
    """The result of a run: per-pupil table, slot audit, school figures and warnings."""

    file: str
    estimates: EstimatesTable
    pupils: pd.DataFrame
    slots: pd.DataFrame
    school: dict[str, object]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """CONTRACT.md §3: unrounded numbers, ``None`` (JSON null) for anything not computed."""
        return {
            "schoolperf_version": __version__,
            "estimates": self.estimates.name,
            "school": {k: _plain(v) for k, v in self.school.items()},
            "groups": {},
            "pupils": pupil_records(self.pupils, self.slots),
            "warnings": list(self.warnings),
        }


def _plain(value: object) -> object:
    """A JSON-safe scalar: numpy numbers to Python, NaN/NA to None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


PUPIL_JSON_FIELDS = [
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "ks2_prior",
    "prior_attainment_group",
    "attainment8_estimate",
    "progress8",
    "progress8_english",
    "progress8_maths",
    "progress8_ebacc",
    "progress8_open",
]


def pupil_records(pupils: pd.DataFrame, slots: pd.DataFrame) -> list[dict[str, object]]:
    """The ``pupils`` array of the JSON, built column-wise through Arrow (no per-pupil loop);
    Arrow turns NaN into null."""
    filled = slots[slots["weight"] > 0].sort_values(["upn", "element_order", "slot"])
    filled = filled.assign(
        subject=filled["subject_title"],
        grade=filled["grade_text"],
        points=filled["points"].astype(float),
        weight=filled["weight"].astype(int),
        slot=filled["slot"].astype(int),
    )
    counts = filled.groupby("upn").size().reindex(pupils.index, fill_value=0).to_numpy()
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int32())
    structs = pa.Table.from_pandas(filled[SLOT_FIELDS], preserve_index=False).to_struct_array()
    table = pa.Table.from_pandas(
        pupils[PUPIL_JSON_FIELDS].reset_index(), preserve_index=False
    ).append_column("progress8_note", pa.array(pupils["progress8_note"].astype(str)))
    table = table.append_column(
        "slots", pa.ListArray.from_arrays(offsets, structs.combine_chunks())
    )
    return table.to_pylist()


def _default_ks2_year(estimates: EstimatesTable, options: AnalysisOptions) -> int:
    """KS2 year for teacher-assessment codes: the option, else five years before the estimates'
    cohort (KS2 in Year 6, KS4 in Year 11), else 2019."""
    if options.ks2_year is not None:
        return options.ks2_year
    year = estimates.name[:4]
    return int(year) - 5 if year.isdigit() else 2019


def school_measures(pupils: pd.DataFrame, estimates: EstimatesTable) -> dict[str, object]:
    """The ``school`` block: A8 means over the cohort, P8 means over pupils with prior
    attainment, CIs from the table's national SDs and the DfE banding (§1.1, §2.5, §2.6)."""
    school: dict[str, object] = {"pupils": len(pupils)}
    for column in ["attainment8", *(f"attainment8_{e}" for e in ELEMENTS)]:
        school[column] = pupils[column].mean() if len(pupils) else None
    in_p8 = pupils[pupils["progress8"].notna()]
    n = len(in_p8)
    school["progress8_pupils"] = n
    school["progress8_excluded"] = len(pupils) - n
    for key, sd_key in [("progress8", "progress8"), *((f"progress8_{e}", e) for e in ELEMENTS)]:
        score = in_p8[key].mean() if n else float("nan")
        ci = confidence_interval(score, n, estimates.national_sd[sd_key])
        school[key] = score
        school[f"{key}_ci_low"], school[f"{key}_ci_high"] = ci if ci else (None, None)
        if key == "progress8":
            school["progress8_banding"] = banding(score, ci)
    return school


def _progress8_warnings(
    pupils: pd.DataFrame, estimates: EstimatesTable, columns: frozenset[str]
) -> list[str]:
    warnings = []
    none = int((pupils["ks2_subjects"] == 0).sum())
    one = int((pupils["ks2_subjects"] == 1).sum())
    no_ks2_cohorts = (
        f"Pupils in Year 6 in {' and '.join(str(y) for y in NO_KS2_YEARS)} sat no KS2 tests, so "
        "the DfE publishes no Progress 8 for the 2025 and 2026 GCSE cohorts."
    )
    if not {"ks2_reading", "ks2_maths"} & columns:
        warnings.append(
            "There is no Progress 8: the export has no KS2 reading or maths column. Add the "
            f"pupils' KS2 scaled scores to compute it. {no_ks2_cohorts} Attainment 8 is "
            "unaffected."
        )
    elif none == len(pupils):
        warnings.append(
            "There is no Progress 8: no pupil has a KS2 reading or maths score. "
            f"{no_ks2_cohorts} Attainment 8 is unaffected."
        )
    elif none:
        warnings.append(
            f"{none} pupil(s) have no KS2 reading or maths score and are left out of Progress 8 "
            "(they count in Attainment 8); pupils.csv lists them."
        )
    if one:
        warnings.append(
            f"{one} pupil(s) have only one KS2 score (reading or maths); their prior attainment "
            "is that score alone, which is a schoolperf choice: the DfE guidance read gives no "
            "rule for it. pupils.csv marks them."
        )
    if estimates.sd_source.endswith("gives none"):
        warnings.append(f"Confidence intervals use {estimates.sd_source}.")
    return warnings


def analyse_cohort(cohort: Cohort, options: AnalysisOptions = AnalysisOptions()) -> Analysis:
    """Measures for an already loaded cohort (see :func:`analyse`)."""
    estimates = load_estimates(options.estimates)
    slots = fill_slots(cohort.results)
    slots["element_order"] = slots["element"].map({e: i for i, e in enumerate(ELEMENTS)})
    slots["grade_text"] = slots["grade"].astype(str)
    attainment = pupil_attainment8(slots, cohort.pupils.index)
    prior = prior_attainment(cohort.pupils, _default_ks2_year(estimates, options))
    progress = pupil_progress8(attainment, prior["ks2_prior"], estimates)
    pupils = pd.concat([cohort.pupils, attainment, prior, progress], axis=1)
    pupils["prior_attainment_band"] = prior_attainment_band(pupils["ks2_prior"])
    pupils["progress8_note"] = pupils["ks2_note"]
    school = school_measures(pupils, estimates)
    warnings = cohort.warnings + _progress8_warnings(pupils, estimates, cohort.columns)
    return Analysis(cohort.file, estimates, pupils, slots, school, warnings)


def analyse(path: str | Path, options: AnalysisOptions = AnalysisOptions()) -> Analysis:
    """Analyse one results export: A8 and P8 for every pupil and the school.

    Raises :class:`schoolperf.errors.InputError` (every problem at once) for unusable input.
    """
    load_estimates(options.estimates)  # a bad --estimates is reported before the file is read
    cohort = load_cohort(
        path, options.columns_file, options.subjects_file, options.sheet, options.layout
    )
    return analyse_cohort(cohort, options)
