"""Similar-schools comparison and targets for an analysed cohort (issue 5).

``similar_schools(analysis, …)`` builds the peer group from a DfE KS4 school file and compares;
``targets(analysis, comparison)`` turns the chosen percentile into pupil and subject targets.
The method is in :mod:`schoolperf.measures.similar_schools`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schoolperf.api import Analysis
from schoolperf.errors import InputError, Problem
from schoolperf.ingest.benchmark import Benchmark, read_benchmark
from schoolperf.measures.progress8 import DIVISORS
from schoolperf.measures.similar_schools import (
    COMPARED,
    PeerSettings,
    candidates,
    compare,
    grade_targets,
    method_text,
    ordinal,
    peer_group,
    percentile_words,
)
from schoolperf.reference import ELEMENTS, EstimatesTable, load_estimates

ELEMENT_MAXIMUM = {"english": 18, "maths": 18, "ebacc": 27, "open": 27}
PEER_COLUMNS = [
    "urn",
    "name",
    "expected_attainment8",
    "disadvantaged_pct",
    "distance",
    *COMPARED[:6],
    "progress8_english",
    "progress8_maths",
    "progress8_ebacc",
    "progress8_open",
]


def _school_values(analysis: Analysis) -> dict[str, float | None]:
    pupils = analysis.pupils
    in_p8 = pupils["progress8"].notna()
    values = {k: analysis.school.get(k) for k in COMPARED[:6]}  # the school-level measures
    disadvantaged = analysis.groups.get("disadvantaged", {})
    values["disadvantaged_attainment8"] = disadvantaged.get("attainment8")
    values["disadvantaged_progress8"] = disadvantaged.get("progress8")
    values["expected_attainment8"] = (
        float(pupils.loc[in_p8, "attainment8_estimate"].mean()) if in_p8.any() else float("nan")
    )
    known = pupils["disadvantaged"].notna()
    values["disadvantaged_pct"] = (
        float(pupils.loc[known, "disadvantaged"].astype(float).mean() * 100)
        if known.any()
        else float("nan")
    )
    return values


def similar_schools(
    analysis: Analysis,
    benchmark: str | None = None,
    settings: PeerSettings | None = None,
    benchmark_year: str | None = None,
) -> dict[str, object]:
    """The ``similar_schools`` section: method in words, peers, and the comparison table."""
    settings = settings or PeerSettings()
    school = _school_values(analysis)
    if np.isnan(school["expected_attainment8"]):
        raise InputError(
            [
                Problem(
                    "no-expected-attainment",
                    "has no pupil with KS2 prior attainment, so the school's "
                    "expected attainment (and its similar schools) cannot be worked out.",
                    "Add KS2 scaled scores, or a substitute baseline with --baseline.",
                    file=analysis.file,
                )
            ]
        )
    if "disadvantaged" in settings.match and np.isnan(school["disadvantaged_pct"]):
        raise InputError(
            [
                Problem(
                    "no-disadvantaged-column",
                    "has no disadvantaged column, so schools cannot be matched on % disadvantaged.",
                    "Add the column, or leave out --match.",
                    file=analysis.file,
                )
            ]
        )
    if not 0 < settings.percentile < 100:
        raise InputError(
            [
                Problem(
                    "bad-percentile",
                    f"--percentile {settings.percentile:g} is not between 0 and 100.",
                    "Use e.g. 80.",
                )
            ]
        )
    return compare_with_benchmark(
        school, read_benchmark(benchmark, benchmark_year), analysis.estimates, settings
    )


def similar_schools_for_urn(
    urn: str,
    benchmark: str | None = None,
    settings: PeerSettings | None = None,
    estimates: EstimatesTable | None = None,
) -> dict[str, object]:
    """The comparison for a school of the benchmark file itself, from its published figures."""
    settings = settings or PeerSettings()
    bench = read_benchmark(benchmark)
    estimates = estimates or load_estimates()
    pool = candidates(bench, estimates)
    row = pool[pool["urn"] == urn]
    if row.empty:
        raise InputError(
            [
                Problem(
                    "unknown-urn",
                    f"URN {urn} is not a mainstream school with "
                    "published results in the benchmark file.",
                    "Check the URN.",
                    file=bench.description,
                )
            ]
        )
    school = row.iloc[0].to_dict()
    return compare_with_benchmark(
        school,
        bench,
        estimates,
        PeerSettings(settings.peers, settings.percentile, settings.match, urn),
    )


def compare_with_benchmark(
    school: dict, bench: Benchmark, estimates: EstimatesTable, settings: PeerSettings
) -> dict[str, object]:
    """Peers of ``school`` (its expected attainment and measures) in ``bench``, compared."""
    pool = candidates(bench, estimates)
    if "disadvantaged" in settings.match and pool["disadvantaged_pct"].isna().all():
        raise InputError(
            [
                Problem(
                    "benchmark-lacks-disadvantaged",
                    "has no % disadvantaged column.",
                    "Use a DfE file with PTFSM6CLA1A, or leave out --match.",
                    file=bench.description,
                )
            ]
        )
    peers = peer_group(pool, school, settings)
    rows = compare(peers, school, settings.percentile)
    for row in rows:
        if row["rank"] is not None:
            row["rank_text"] = f"{ordinal(row['rank'])} of {row['out_of']}"
    return {
        "benchmark": bench.description,
        "method": method_text(bench, settings, len(peers), school["expected_attainment8"]),
        "matching": ["expected attainment", *(["% disadvantaged"] if settings.match else [])],
        "peers_requested": settings.peers,
        "peers": len(peers),
        "percentile": settings.percentile,
        "school_expected_attainment8": school["expected_attainment8"],
        "school_disadvantaged_pct": school["disadvantaged_pct"],
        "excluded_urn": settings.urn,
        "measures": rows,
        "peer_list": peers[[c for c in PEER_COLUMNS if c in peers.columns]]
        .astype(object)
        .where(peers[[c for c in PEER_COLUMNS if c in peers.columns]].notna(), None)
        .to_dict("records"),
    }


def targets(
    analysis: Analysis, comparison: dict[str, object]
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Pupil A8 and element targets and per-subject target grades, and the method in words.

    Target A8 = the pupil's A8 estimate + 10 × the peers' percentile P8 (capped at 90); element
    targets use the peers' percentile element P8 where the benchmark file has it, otherwise the
    A8 target shared in proportion to the element estimates. Subject target grade = the grade at
    the same percentile of similar pupils nationally (KS2 band, DfE transition matrices), with
    the chance of reaching it or better.
    """
    percentile = float(comparison["percentile"])
    by_measure = {r["measure"]: r for r in comparison["measures"]}
    if "progress8" not in by_measure:
        raise InputError(
            [
                Problem(
                    "benchmark-lacks-progress8",
                    "has no Progress 8 for the similar schools.",
                    "Use a benchmark year with P8.",
                    file=str(comparison["benchmark"]),
                )
            ]
        )
    p8 = float(by_measure["progress8"]["percentile_value"])
    pupils = analysis.pupils
    out = pd.DataFrame(index=pupils.index)
    out["attainment8_estimate"] = pupils["attainment8_estimate"]
    out["target_attainment8"] = (pupils["attainment8_estimate"] + 10 * p8).clip(upper=90)
    peers = pd.DataFrame(comparison["peer_list"])
    element_method = "the A8 target shared in proportion to the element estimates"
    for element in ELEMENTS:
        estimate = pupils[f"attainment8_{element}_estimate"]
        column = f"progress8_{element}"
        values = (
            pd.to_numeric(peers.get(column), errors="coerce").dropna()
            if column in peers
            else pd.Series(dtype=float)
        )
        if len(values):
            target = estimate + DIVISORS[element] * float(np.percentile(values, percentile))
            element_method = "each element's estimate plus the peers' percentile element P8"
        else:
            target = estimate * out["target_attainment8"] / pupils["attainment8_estimate"]
        out[f"target_attainment8_{element}"] = target.clip(upper=ELEMENT_MAXIMUM[element])
    out["attainment8"] = pupils["attainment8"]
    method = (
        f"Targets at the {percentile_words(percentile)} percentile of similar schools. "
        f"{comparison['method']} Pupil target A8 = the pupil's DfE A8 estimate + 10 x the "
        f"peers' {percentile_words(percentile)}-percentile Progress 8 ({p8:+.2f}), at most 90; "
        f"element targets: {element_method}. Subject target grade = the grade reached by the "
        f"top {100 - percentile:g}% of pupils nationally with the same KS2 band (DfE 2023/24 "
        "KS2-KS4 transition matrices), with the national chance of that grade or better."
    )
    entries = analysis.subject_entries
    subject_targets = pd.concat(
        [
            entries[["upn", "subject_title", "grade", "ks2_band"]],
            grade_targets(entries, percentile),
        ],
        axis=1,
    )
    double = subject_targets["target_grade"].astype(str).str.fullmatch(r"\d\d")
    subject_targets.loc[double, "target_grade"] = (
        subject_targets.loc[double, "target_grade"].str[0]
        + "-"
        + subject_targets.loc[double, "target_grade"].str[1]
    )
    return out.reset_index(), subject_targets, method
