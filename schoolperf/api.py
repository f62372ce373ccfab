"""The one call the command line makes: ``analyse(path, options) -> Analysis``.

read → validate → pupil results model (:mod:`schoolperf.cohort`) → measures → an
:class:`Analysis` holding unrounded numbers, which ``to_dict`` turns into docs/contract.md §3 JSON.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from schoolperf.cohort import (
    RESULT_CONTEXT,
    Cohort,
    anonymise,
    load_cohort,
)
from schoolperf.errors import InputError, Problem
from schoolperf.frames import as_categories, pupil_positions, sort_order
from schoolperf.ingest.baseline import map_to_ks2, read_baseline
from schoolperf.ingest.read import ROW
from schoolperf.measures.attainment8 import (
    ELEMENTS,
    element_order,
    fill_slots,
    pupil_attainment8,
)
from schoolperf.measures.groups import (
    SMALL_GROUP,
    STANDARD_GROUPS,
    GroupSpecError,
    gap_table,
    group_columns,
    measures_by,
    requested_groups,
    secondary_suppressions,
    standard_groups,
)
from schoolperf.measures.headlines import headline_measures, pupil_headlines
from schoolperf.measures.points import SubgradeMapping
from schoolperf.measures.prior_attainment import (
    NO_KS2_YEARS,
    prior_attainment,
    prior_attainment_band,
)
from schoolperf.measures.progress8 import (
    adjust_extreme_negative,
    banding,
    confidence_interval,
    pupil_progress8,
)
from schoolperf.measures.subjects import (
    SubjectSums,
    context_rows,
    expected_points,
    relative_performance,
    subject_entries,
    subject_rows,
    subject_sums,
    subject_table,
)
from schoolperf.measures.totals import PupilCells, mean, pupil_cells, totals
from schoolperf.reference import (
    LATEST_ESTIMATES,
    EstimatesTable,
    load_estimates,
    national_comparators,
)
from schoolperf.version import __version__

# what the JSON's pupils array needs of the slots
JSON_SLOT_COLUMNS = [
    "upn",
    "element_order",
    "element",
    "slot",
    "subject_title",
    "grade",
    "points",
    "weight",
]
TREND_MEASURES = [
    "pupils",
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "progress8",
    "progress8_adjusted",
    "basics_4_pct",
    "basics_5_pct",
    "english_maths_entry_pct",
    "ebacc_entry_pct",
    "ebacc_94_pct",
    "ebacc_95_pct",
    "ebacc_aps",
]


@dataclass(frozen=True)
class AnalysisOptions:
    """Everything a run can be told; the CLI's options map one to one onto these fields."""

    estimates: str = LATEST_ESTIMATES
    columns_file: str | None = None
    subjects_file: str | None = None
    sheet: str | None = None
    layout: str = "auto"
    ks2_year: int | None = None
    groups: tuple[str, ...] = ()
    min_group: int = 6
    comparator_year: int | None = None
    baseline_file: str | None = None
    baseline_map: str = "linear"
    baseline_norm: tuple[float, float] = (100.0, 15.0)
    previous: tuple[str, ...] = ()
    label: str | None = None
    subjects_by_group: bool = False
    subgrades: SubgradeMapping | None = None  # tracking files: teachers' sub-grades
    anonymise: bool = False
    by: str | None = None  # a pupil column (e.g. school): measures per value in one pass
    # the outputs include the slot audit (write_outputs writes it): the CLI unless
    # --no-slot-audit
    slot_audit: bool = True


@dataclass
class Analysis:
    """The result of a run: per-pupil table, slot audit, school figures and warnings."""

    file: str
    estimates: EstimatesTable
    pupils: pd.DataFrame  # every pupil's figures, by UPN
    slots: pd.DataFrame  # every result unit and where it counted (the slot audit's rows)
    school: dict[str, object]
    warnings: list[str] = field(default_factory=list)
    groups: dict[str, dict[str, object]] = field(default_factory=dict)
    gaps: list[dict[str, object]] = field(default_factory=list)
    trends: dict[str, dict[str, object]] = field(default_factory=dict)
    label: str = ""
    comparator_year: int | None = None
    # each pupil's first entry in each subject, with its residual and value added
    subject_entries: pd.DataFrame = field(default_factory=pd.DataFrame)
    subjects: list[dict[str, object]] = field(default_factory=list)
    subjects_by: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    subjects_by_group: dict[str, list[dict[str, object]] | None] = field(default_factory=dict)
    by: dict[str, dict[str, object]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (--profile)
    slot_audit: bool = True  # the outputs include the slot audit (AnalysisOptions.slot_audit)

    def pupils_json(self) -> pa.Table:
        """The JSON's ``pupils`` array, a row per pupil (:func:`pupil_json_table`)."""
        return pupil_json_table(self.pupils, self.slots[JSON_SLOT_COLUMNS])

    def to_dict(self, pupils: bool = True) -> dict[str, object]:
        """docs/contract.md §3: unrounded numbers, ``None`` (JSON null) for anything not computed;
        ``pupils=False`` leaves out the per-pupil array (for very large files)."""
        return {
            "schoolperf_version": __version__,
            "label": self.label,
            "estimates": self.estimates.name,
            "comparator_year": self.comparator_year,
            "school": _plain_dict(self.school),
            "groups": {k: _plain_dict(v) for k, v in self.groups.items()},
            "gaps": [_plain_dict(row) for row in self.gaps],
            "trends": self.trends,
            "subjects": [_plain_dict(row) for row in self.subjects],
            "subjects_by": {k: [_plain_dict(r) for r in v] for k, v in self.subjects_by.items()},
            "by": self.by,
            "subjects_by_group": {
                k: None if v is None else [_plain_dict(r) for r in v]
                for k, v in self.subjects_by_group.items()
            },
            "pupils": self.pupils_json().to_pylist() if pupils else None,
            "warnings": list(self.warnings),
        }


def plain_value(value: object) -> object:
    """A JSON-safe scalar: numpy numbers to Python, NaN/NA to None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def _plain_dict(values: dict[str, object]) -> dict[str, object]:
    return {k: plain_value(v) for k, v in values.items()}


PUPIL_JSON_FIELDS = [
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "ks2_prior",
    "ks2_nominal",
    "prior_attainment_group",
    "attainment8_estimate",
    "progress8",
    "progress8_english",
    "progress8_maths",
    "progress8_ebacc",
    "progress8_open",
    "progress8_adjusted",
    "progress8_was_adjusted",
    "prior_attainment_band",
    "basics_4",
    "basics_5",
    "ebacc_entered",
    "ebacc_94",
    "ebacc_95",
    "ebacc_aps",
]


def _arrow_text(values: pd.Series) -> pa.Array:
    """Text as Arrow: a categorical as a dictionary array (each text once)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        texts = pa.array(values.cat.categories.to_numpy(dtype=object), pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), texts)
    return pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)


def pupil_json_table(pupils: pd.DataFrame, slots: pd.DataFrame) -> pa.Table:
    """The ``pupils`` array of the JSON as an Arrow table, a row per pupil with its filled
    slots in element and slot order, built column-wise (no per-pupil loop); Arrow turns NaN
    into null and categoricals into dictionaries (their text in the JSON)."""
    filled = slots.loc[slots["weight"].to_numpy() > 0, JSON_SLOT_COLUMNS]
    filled["pupil"] = pupil_positions(filled["upn"], pupils.index)
    filled = filled.iloc[sort_order(filled, ["pupil", "element_order", "slot"], [True] * 3)]
    counts = np.bincount(filled["pupil"].to_numpy(), minlength=len(pupils))
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int32())
    structs = pa.table(
        {
            "element": _arrow_text(filled["element"]),
            "slot": pa.array(filled["slot"].to_numpy(dtype=np.int64)),
            "subject": _arrow_text(filled["subject_title"]),
            "grade": _arrow_text(filled["grade"]),
            "points": pa.array(filled["points"].to_numpy(dtype=float), from_pandas=True),
            "weight": pa.array(filled["weight"].to_numpy(dtype=np.int64)),
        }
    ).to_struct_array()
    table = pa.Table.from_pandas(
        pupils[PUPIL_JSON_FIELDS].reset_index(), preserve_index=False
    ).append_column("progress8_note", pa.array(pupils["progress8_note"].astype(str)))
    return table.append_column("slots", pa.ListArray.from_arrays(offsets, structs.combine_chunks()))


def _default_ks2_year(estimates: EstimatesTable, options: AnalysisOptions) -> int:
    """KS2 year for teacher-assessment codes: the option, else five years before the estimates'
    cohort (KS2 in Year 6, KS4 in Year 11), else 2019."""
    if options.ks2_year is not None:
        return options.ks2_year
    year = estimates.name[:4]
    return int(year) - 5 if year.isdigit() else 2019


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
        figures = {
            k: (None if k.startswith("progress8") and k != "progress8_pupils" else v)
            for k, v in figures.items()
        }
    return {**figures, "small_group": n < SMALL_GROUP, "suppressed": suppressed}


def suppress(figures: dict[str, object]) -> dict[str, object]:
    """A group's figures with everything but its size blanked."""
    keep = ("pupils", "small_group", "suppressed")
    return {k: (v if k in keep else None) for k, v in figures.items()} | {"suppressed": True}


def _progress8_warnings(
    total: pd.Series, estimates: EstimatesTable, columns: frozenset[str]
) -> list[str]:
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


def _comparator_year(estimates: EstimatesTable, options: AnalysisOptions) -> int:
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


def _prior(
    cohort: Cohort, estimates: EstimatesTable, options: AnalysisOptions
) -> tuple[pd.DataFrame, str]:
    """Prior attainment from KS2, or from a substitute baseline mapped onto the KS2 scale."""
    prior = prior_attainment(cohort.pupils, _default_ks2_year(estimates, options))
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


def _trends(school: dict[str, object], previous: tuple[str, ...]) -> dict[str, dict]:
    """Change in each headline measure since earlier runs' ``summary.json`` files."""
    earlier = []
    for path in previous:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
            figures = document["school"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                [
                    Problem(
                        "bad-previous",
                        f"is not a schoolperf summary.json ({exc}).",
                        "Give the summary.json written by an earlier analyse --out.",
                        file=Path(path).name,
                    )
                ]
            ) from None
        earlier.append((document.get("label") or Path(path).stem, figures))
    earlier.sort(key=lambda item: str(item[0]))
    trends = {}
    for key in TREND_MEASURES:
        current = plain_value(school.get(key))
        history = [{"label": label, "value": figures.get(key)} for label, figures in earlier]
        last = next((h["value"] for h in reversed(history) if h["value"] is not None), None)
        if history:
            trends[key] = {
                "current": current,
                "previous": history,
                "change": None if current is None or last is None else current - last,
            }
    return trends


@dataclass
class PupilResults:
    """What each pupil's own results give: the pupil table, the slot audit, the subject
    entries, and the sums the figures are built from (the pupils by cell, the subject sums,
    the per-``--by`` figures)."""

    pupils: pd.DataFrame
    slots: pd.DataFrame
    entries: pd.DataFrame
    subject_sums: SubjectSums  # what the subject figures are built from
    cells: PupilCells  # what the school, group and gap figures are built from
    by_table: pd.DataFrame | None  # the measures per --by value (e.g. each school)
    baseline: str
    adjustment_method: str


def analyse_cohort(cohort: Cohort, options: AnalysisOptions = AnalysisOptions()) -> Analysis:
    """Measures for an already loaded cohort (see :func:`analyse`)."""
    estimates = load_estimates(options.estimates)
    results = pupil_results(cohort, options, estimates)
    return summarise(cohort.file, results, cohort.warnings, cohort.columns, options, estimates)


def pupil_results(
    cohort: Cohort, options: AnalysisOptions, estimates: EstimatesTable
) -> PupilResults:
    """Slots, A8, headlines, prior attainment, P8 and subject entries of every pupil, and their
    sums: by cell of the group columns, by subject, and per ``--by`` value."""
    slots = fill_slots(cohort.results)
    slots["element_order"] = element_order(slots["element"])
    index = cohort.pupils.index
    attainment = pupil_attainment8(slots, index)
    headlines = pupil_headlines(slots, index)
    prior, baseline = _prior(cohort, estimates, options)
    progress = pupil_progress8(attainment, prior["ks2_prior"], estimates)
    adjusted, was_adjusted, method = adjust_extreme_negative(progress, estimates)
    progress["progress8_adjusted"] = adjusted
    progress["progress8_was_adjusted"] = was_adjusted
    pupils = pd.concat([cohort.pupils, attainment, headlines, prior, progress], axis=1)
    scaled = pupils["ks2_prior"] * (np.nan if estimates.fine_levels else 1.0)
    pupils["prior_attainment_band"] = prior_attainment_band(scaled, pupils["ks2_fine_level"])
    pupils["progress8_note"] = pupils["ks2_note"]
    entries = subject_entries(slots, RESULT_CONTEXT)
    entries["residual"] = relative_performance(entries)
    entries = pd.concat([entries, expected_points(entries, scaled)], axis=1)
    entries["va"] = entries["points"] - entries["expected_points"]
    # repeated texts and small counts at a byte or two a row: a national audit has 5.5M rows
    slots = as_categories(slots, exclude=("upn", ROW))
    slots = slots.astype(dict.fromkeys(("unit", "units", "slot", "weight"), "int8"))
    sums = subject_sums(entries, RESULT_CONTEXT)
    cells = pupil_cells(pupils, group_columns(pupils, list(options.groups)))
    by_table = _by_table(pupils, options.by, cohort.by_column, estimates, cohort.file)
    return PupilResults(pupils, slots, entries, sums, cells, by_table, baseline, method)


def summarise(
    file: str,
    results: PupilResults,
    cohort_warnings: list[str],
    columns: frozenset[str],
    options: AnalysisOptions,
    estimates: EstimatesTable,
) -> Analysis:
    """School, group, gap and subject figures from the sums of the pupils' results."""
    cells = results.cells
    total = totals(cells)
    baseline = results.baseline
    school = school_measures(total, estimates)
    school["progress8_baseline"] = baseline
    school["progress8_adjustment_method"] = results.adjustment_method
    try:
        groups, partitions = _groups(cells.keys, options)
    except GroupSpecError as error:
        raise InputError(
            [
                Problem(
                    "bad-group",
                    f"--group {error.args[0]!r} "
                    + (
                        error.args[1]
                        if len(error.args) > 1
                        else "is neither a pupil group nor a column"
                    )
                    + ".",
                    f"Use {', '.join(STANDARD_GROUPS)} or a column of the file.",
                    file=file,
                )
            ]
        ) from None
    group_figures = {
        k: group_measures(totals(cells, m), estimates, options.min_group) for k, m in groups.items()
    }
    for key in secondary_suppressions(group_figures, partitions):
        group_figures[key] = suppress(group_figures[key])
    year = _comparator_year(estimates, options)
    gaps = gap_table(cells, groups, group_figures, year, estimates.national_sd["progress8"])
    if options.baseline_file is None:
        warnings = cohort_warnings + _progress8_warnings(total, estimates, columns)
    else:
        missing = int(total["no_prior_sum"])
        warnings = [
            *cohort_warnings,
            f"Progress 8 here is measured from a substitute baseline, not KS2 ({baseline}). "
            "These are schoolperf estimates, not DfE Progress 8 figures.",
        ]
        if missing:
            warnings.append(
                f"{missing} pupil(s) are not in the baseline file and are left out of Progress 8."
            )
    small = [k for k, v in group_figures.items() if v["small_group"]]
    if small:
        # a --group on a column (e.g. surname=…) would put pupil data in a log: name columns only
        named = sorted({k if "=" not in k else f"groups by {k.split('=')[0]}" for k in small})
        warnings.append(
            f"{len(small)} group(s) have fewer than {SMALL_GROUP} pupils ({', '.join(named)}); "
            f"their figures are unreliable, and those under {options.min_group} are suppressed."
        )
    sums = results.subject_sums
    subjects = subject_rows(sums, int(total["pupils"]))
    subjects_by = {c: context_rows(sums.context[c], c) for c in RESULT_CONTEXT if c in sums.context}
    absent = sorted({r["subject"] for r in subjects if not r["in_transition_matrices"]})
    if absent:
        warnings.append(
            f"{len(absent)} subject(s) have no national transition matrix, so no value added: "
            f"{', '.join(absent)}."
        )
    analysis = Analysis(
        file,
        estimates,
        results.pupils,
        results.slots,
        school,
        warnings,
        group_figures,
        gaps,
        _trends(school, options.previous),
        options.label or Path(file).stem,
        year,
        results.entries,
        subjects,
        subjects_by,
        {},
        _by_figures(results.by_table),
        slot_audit=options.slot_audit,
    )
    if options.subjects_by_group:
        pupils = analysis.pupils
        entries = analysis.subject_entries
        analysis.subjects_by_group = {
            key: None
            if group_figures[key]["suppressed"]
            else subject_table(entries[entries["upn"].isin(pupils.index[mask])], int(mask.sum()))
            for key, mask in _groups(pupils, options)[0].items()
        }
    return analysis


def _groups(
    pupils: pd.DataFrame, options: AnalysisOptions
) -> tuple[dict[str, pd.Series], list[tuple[str, ...]]]:
    """The standard and ``--group`` groups of ``pupils`` (or of their cells), and the
    partitions the ``--group`` columns make."""
    standard = standard_groups(pupils)
    extra, partitions = requested_groups(pupils, list(options.groups), standard)
    return standard | extra, partitions


def _by_table(
    pupils: pd.DataFrame,
    column: str | None,
    name: str | None,
    estimates: EstimatesTable,
    file: str,
) -> pd.DataFrame | None:
    """Measures per value of ``column`` (``--by school``, found in ``pupils`` as ``name``):
    every school of ``pupils`` (a file, or a part of whole schools) in one pass."""
    if column is None:
        return None
    if name is None or name not in pupils.columns:
        raise InputError(
            [
                Problem(
                    "bad-by",
                    f"--by {column!r} is not a column of the file.",
                    "Use a column such as School (URN).",
                    file=file,
                )
            ]
        )
    return measures_by(pupils, pupils[name], estimates.national_sd)


def _by_figures(table: pd.DataFrame | None) -> dict[str, dict[str, object]]:
    """The ``by`` block: each value's measures, as JSON values."""
    if table is None:
        return {}
    # column by column to Python values (thousands of schools × fifty figures)
    columns = {c: [plain_value(v) for v in table[c].tolist()] for c in table.columns}
    return {
        str(key): {c: values[i] for c, values in columns.items()}
        for i, key in enumerate(table.index)
    }


def analyse(path: str | Path, options: AnalysisOptions = AnalysisOptions()) -> Analysis:
    """Analyse one results export: A8 and P8 for every pupil and the school.

    Raises :class:`schoolperf.errors.InputError` (every problem at once) for unusable input.
    """
    estimates = load_estimates(options.estimates)  # reported before the file is read
    start = time.perf_counter()
    cohort = load_options_cohort(path, options, estimates)
    loaded = time.perf_counter()
    analysis = analyse_cohort(cohort, options)
    analysis.timings = {"read+validate": loaded - start, "measures": time.perf_counter() - loaded}
    return analysis


def load_options_cohort(
    path: str | Path,
    options: AnalysisOptions,
    estimates: EstimatesTable | None = None,
) -> Cohort:
    """The validated cohort of ``path`` under ``options`` (what ``validate`` checks)."""
    estimates = estimates or load_estimates(options.estimates)
    cohort = load_cohort(
        path,
        options.columns_file,
        options.subjects_file,
        options.sheet,
        options.layout,
        _default_ks2_year(estimates, options),
        options.subgrades,
        options.by,
    )
    if options.anonymise:
        cohort = anonymise(cohort, os.environ.get("SCHOOLPERF_PSEUDONYM_KEY", "").encode())
    return cohort
