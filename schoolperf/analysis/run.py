"""The one call the command line makes: ``analyse(path, options) -> Analysis``.

read → validate → pupil results model (:mod:`schoolperf.cohort`) → measures → an
:class:`~schoolperf.analysis.model.Analysis`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.analysis.model import Analysis, AnalysisOptions, PupilResults, plain_value
from schoolperf.analysis.prior import comparator_year, default_ks2_year, pupil_prior
from schoolperf.analysis.trends import trends_since
from schoolperf.analysis.warnings import progress8_warnings
from schoolperf.cohort import (
    RESULT_CONTEXT,
    Cohort,
    anonymise,
    load_cohort,
    pseudonym_key,
)
from schoolperf.engine.query import connect
from schoolperf.errors import InputError, Problem
from schoolperf.frames import as_categories
from schoolperf.ingest.read import ROW
from schoolperf.measures.attainment8 import (
    element_order,
    fill_slots,
    pupil_attainment8,
)
from schoolperf.measures.groups import (
    STANDARD_GROUPS,
    GroupSpecError,
    IdentifyingGroupError,
    check_group_columns,
    gap_table,
    group_columns,
    requested_groups,
    standard_groups,
    suppress_recoverable,
)
from schoolperf.measures.headlines import pupil_headlines
from schoolperf.measures.prior_attainment import prior_attainment_band
from schoolperf.measures.progress8 import (
    adjust_extreme_negative,
    pupil_progress8,
)
from schoolperf.measures.school import group_measures, measures_by, school_measures
from schoolperf.measures.subjects import (
    context_rows,
    expected_points,
    relative_performance,
    subject_entries,
    subject_rows,
    subject_sums,
    subject_table,
)
from schoolperf.measures.suppression import SMALL_GROUP
from schoolperf.measures.totals import pupil_cells, totals
from schoolperf.reference import (
    GROUP_NAMES,
    EstimatesTable,
    counted,
    load_estimates,
    plural,
)


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
    index = cohort.pupils.index
    try:
        check_group_columns(cohort.pupils, list(options.groups))
    except GroupSpecError as error:
        raise group_problem(error, cohort.file) from None
    with connect(options.memory_limit, options.temp_directory) as connection:
        slots = fill_slots(cohort.results, connection)
        attainment = pupil_attainment8(slots, index, connection)
    slots["element_order"] = element_order(slots["element"])
    headlines = pupil_headlines(slots, index)
    prior, baseline = pupil_prior(cohort, estimates, options)
    progress = pupil_progress8(attainment, prior["ks2_prior"], estimates)
    adjusted, was_adjusted, method = adjust_extreme_negative(progress, estimates)
    progress["progress8_adjusted"] = adjusted
    progress["progress8_was_adjusted"] = was_adjusted
    pupils = pd.concat([cohort.pupils, attainment, headlines, prior, progress], axis=1)
    scaled = pupils["ks2_prior"] * (np.nan if estimates.fine_levels else 1.0)
    pupils["prior_attainment_band"] = prior_attainment_band(scaled, pupils["ks2_fine_level"])
    pupils["progress8_note"] = pupils["ks2_note"]
    entries = subject_entries(slots, RESULT_CONTEXT, planned=not options.results_required)
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
        groups = _groups(cells.keys, options)
    except GroupSpecError as error:
        raise group_problem(error, file) from None
    group_figures = {
        k: group_measures(totals(cells, m), estimates, options.min_group) for k, m in groups.items()
    }
    group_figures, hidden_rest = suppress_recoverable(
        group_figures, groups, cells, options.min_group
    )
    year = comparator_year(estimates, options)
    national_sd = estimates.national_sd["progress8"]
    gaps = gap_table(cells, groups, group_figures, year, national_sd, hidden_rest)
    if options.baseline_file is None:
        warnings = cohort_warnings + progress8_warnings(total, estimates, columns)
    else:
        missing = int(total["no_prior_sum"])
        warnings = [
            *cohort_warnings,
            f"Progress 8 here is measured from a substitute baseline, not KS2 ({baseline}). "
            "These are schoolperf estimates, not DfE Progress 8 figures.",
        ]
        if missing:
            warnings.append(
                f"{counted(missing, 'pupil')} {plural(missing, 'is', 'are')} not in the "
                "baseline file and left out of Progress 8."
            )
    small = [k for k, v in group_figures.items() if v["small_group"] and v["pupils"]]
    if small:
        # a --group on a column (e.g. surname=…) would put pupil data in a log: name columns only
        named = sorted(
            {
                GROUP_NAMES[k][0]
                if k in GROUP_NAMES
                else k
                if "=" not in k
                else f"groups by {k.split('=')[0]}"
                for k in small
            }
        )
        warnings.append(
            f"{counted(len(small), 'group')} {plural(len(small), 'has', 'have')} fewer than "
            f"{SMALL_GROUP} pupils ({', '.join(named)}): figures for so few pupils are "
            f"unreliable, and a group under {options.min_group} is suppressed."
        )
    sums = results.subject_sums
    subjects = subject_rows(sums, int(total["pupils"]))
    subjects_by = {c: context_rows(sums.context[c], c) for c in RESULT_CONTEXT if c in sums.context}
    absent = sorted({r["subject"] for r in subjects if not r["in_transition_matrices"]})
    if absent:
        warnings.append(
            f"{counted(len(absent), 'subject')} {plural(len(absent), 'has', 'have')} no "
            "national transition matrix, so no value added: "
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
        trends_since(school, options.previous),
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
        # only for groups shown whole: a group whose Progress 8 is hidden (secondary
        # suppression) would give it away through its subjects' value added
        shown = {
            k
            for k, f in group_figures.items()
            if not f["suppressed"] and (f["progress8"] is not None or not f["progress8_pupils"])
        }
        analysis.subjects_by_group = {
            key: subject_table(entries[entries["upn"].isin(pupils.index[mask])], int(mask.sum()))
            if key in shown
            else None
            for key, mask in _groups(pupils, options).items()
        }
    return analysis


def group_problem(error: GroupSpecError, file: str) -> InputError:
    """The problem of a ``--group`` that names no group, or a column that names pupils."""
    part, *why = error.args
    identifying = isinstance(error, IdentifyingGroupError)
    return InputError(
        [
            Problem(
                "identifying-group" if identifying else "bad-group",
                f"--group {part!r} {why[0] if why else 'is neither a pupil group nor a column'}.",
                "Group by a column of shared categories (tutor group, house, a code); names "
                "cannot be published."
                if identifying
                else f"Use {', '.join(STANDARD_GROUPS)} or a column of the file.",
                file=file,
            )
        ]
    )


def _groups(pupils: pd.DataFrame, options: AnalysisOptions) -> dict[str, pd.Series]:
    """The standard and ``--group`` groups of ``pupils`` (or of their cells)."""
    standard = standard_groups(pupils)
    return standard | requested_groups(pupils, list(options.groups), standard)


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
    key = pseudonym_key(os.environ) if options.anonymise else None  # refused before reading
    cohort = load_cohort(
        path,
        options.columns_file,
        options.subjects_file,
        options.sheet,
        options.layout,
        default_ks2_year(estimates, options),
        options.subgrades,
        options.by,
        options.results_required,
        options.header_row,
    )
    if key is not None:
        cohort = anonymise(cohort, key)
    return cohort
