"""Similar-schools comparison and targets for an analysed cohort.

``similar_schools(analysis, …)`` builds the peer group from a DfE KS4 school file and compares;
``targets(analysis, comparison)`` turns the chosen percentile into pupil and subject targets.
The method is in :mod:`schoolperf.measures.similar_schools`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from schoolperf.analysis import Analysis
from schoolperf.errors import InputError, Problem
from schoolperf.ingest.benchmark import (
    Benchmark,
    estimates_year,
    read_benchmark,
    table_for_year,
)
from schoolperf.measures.progress8 import DIVISORS, adjust_extreme_negative, pupil_progress8
from schoolperf.measures.similar_schools import (
    COMPARED,
    MIN_PEERS,
    TARGET_TOLERANCE,
    PeerSettings,
    compare,
    consistent_subject_targets,
    element_targets,
    figure_sentences,
    left_out,
    method_text,
    ordinal,
    peer_group,
    peer_sentences,
    percentile_words,
    screen,
)
from schoolperf.reference import ELEMENTS, EstimatesTable, load_estimates, shipped_estimates
from schoolperf.reference.wording import counted

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
ELEMENT_COLUMNS = [f"attainment8_{e}" for e in ELEMENTS]


def _progress(analysis: Analysis, table: EstimatesTable) -> pd.DataFrame:
    """Per pupil: A8 estimate, P8 and adjusted P8 on ``table`` (the analysis's own figures when
    it is the analysis's table; otherwise worked out again by the P8 rules, ks4-methodology
    §2.1–2.4, from the pupils' A8 and KS2 prior attainment)."""
    pupils = analysis.pupils
    columns = ["attainment8_estimate", "progress8", "progress8_adjusted"]
    if table.name == analysis.estimates.name:
        return pupils[columns]
    progress = pupil_progress8(
        pupils[["attainment8", *ELEMENT_COLUMNS]], pupils["ks2_prior"], table
    )
    progress["progress8_adjusted"] = adjust_extreme_negative(progress, table)[0]
    return progress[columns]


def _mean(values: pd.Series) -> float | None:
    return float(values.mean()) if values.notna().any() else None


def _school_values(analysis: Analysis, table: EstimatesTable | None = None) -> dict:
    """The analysed school's figures to compare, with both P8 figures (``progress8_unadjusted``
    and ``progress8_adjusted``, and the same for disadvantaged pupils) and its expected A8 (the
    mean A8 estimate of its P8 pupils) on ``table`` (default: the analysis's estimates)."""
    progress = _progress(analysis, table or analysis.estimates)
    in_p8 = progress["progress8"].notna()
    values = {k: analysis.school.get(k) for k in COMPARED[:6] if k != "progress8"}
    values["progress8_unadjusted"] = _mean(progress.loc[in_p8, "progress8"])
    values["progress8_adjusted"] = _mean(progress.loc[in_p8, "progress8_adjusted"])
    disadvantaged = analysis.groups.get("disadvantaged", {})
    values["disadvantaged_attainment8"] = disadvantaged.get("attainment8")
    shown = disadvantaged.get("attainment8") is not None  # suppressed groups stay suppressed
    mask = analysis.pupils["disadvantaged"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for figure in ("unadjusted", "adjusted"):
        column = "progress8" if figure == "unadjusted" else "progress8_adjusted"
        found = _mean(progress.loc[in_p8 & mask, column]) if shown else None
        values[f"disadvantaged_progress8_{figure}"] = found
    values["expected_attainment8"] = (
        float(progress.loc[in_p8, "attainment8_estimate"].mean()) if in_p8.any() else float("nan")
    )
    known = analysis.pupils["disadvantaged"].notna()
    values["disadvantaged_pct"] = (
        float(analysis.pupils.loc[known, "disadvantaged"].astype(float).mean() * 100)
        if known.any()
        else float("nan")
    )
    return values


def _like_with_like(values: dict, bench: Benchmark) -> dict:
    """``progress8`` (and disadvantaged) = the school's figure of the kind the benchmark gives
    (adjusted against adjusted, unadjusted against unadjusted)."""
    disadvantaged = bench.disadvantaged_progress8_figure or bench.progress8_figure
    return values | {
        "progress8": values[f"progress8_{bench.progress8_figure}"],
        "disadvantaged_progress8": values[f"disadvantaged_progress8_{disadvantaged}"],
    }


def _problem(code: str, message: str, fix: str, file: str | None = None) -> InputError:
    return InputError([Problem(code, message, fix, file=file)])


def similar_schools(
    analysis: Analysis,
    benchmark: str | None = None,
    settings: PeerSettings | None = None,
    benchmark_year: str | None = None,
) -> dict[str, object]:
    """The ``similar_schools`` section: method in words, peers, the comparison table, and
    ``warnings`` (plain-English strings for stderr)."""
    settings = settings or PeerSettings()
    if not analysis.pupils["progress8"].notna().any():
        raise _problem(
            "no-expected-attainment",
            "has no pupil with KS2 prior attainment, so the school's "
            "expected attainment (and its similar schools) cannot be worked out.",
            "Add KS2 scaled scores, or a substitute baseline with --baseline.",
            analysis.file,
        )
    if "disadvantaged" in settings.match and analysis.pupils["disadvantaged"].isna().all():
        raise _problem(
            "no-disadvantaged-column",
            "has no disadvantaged column, so schools cannot be matched on % disadvantaged.",
            "Add the column, or leave out --match.",
            analysis.file,
        )
    if not 0 < settings.percentile < 100:
        raise _problem(
            "bad-percentile",
            f"--percentile {settings.percentile:g} is not between 0 and 100.",
            "Use e.g. 80.",
        )
    bench = read_benchmark(benchmark, benchmark_year)
    _check_urn(settings.urn, bench)
    if settings.urn is not None:
        settings = dataclasses.replace(settings, urn=settings.urn.strip())
    own = estimates_year(analysis.estimates.name)
    matched = None if analysis.estimates.fine_levels else table_for_year(bench.year)
    table = load_estimates(matched) if matched else analysis.estimates
    details, warnings = _years(analysis.estimates.name, own, bench.year, matched)
    section = compare_with_benchmark(
        _like_with_like(_school_values(analysis, table), bench),
        bench,
        table,
        settings,
        details=details,
        warnings=warnings,
    )
    section["estimates"] = table.name
    section["estimates_year"] = estimates_year(table.name)
    # the school's P8 as the DfE publishes it, for the reader, whichever kind is compared
    section["school_progress8_headline"] = analysis.school.get("progress8_adjusted")
    if matched is None and not analysis.estimates.fine_levels:  # years mixed or not known
        sensitivity = _sensitivity(analysis, bench, settings)
        section["estimates_sensitivity"] = sensitivity
        section["warnings"].append(_spread(sensitivity))
    return section


def _check_urn(urn: str | None, bench: Benchmark) -> None:
    """``--urn`` must be a school of the benchmark file."""
    if urn is not None and urn.strip() not in set(bench.schools["urn"]):
        raise _problem(
            "unknown-urn",
            f"URN {urn} is not in the benchmark file, so this school could not be left out "
            "of its own peer group.",
            "Check the URN (6 digits, from Get Information about Schools), or leave out --urn.",
            bench.description,
        )


def _years(
    name: str, own: str | None, bench_year: str | None, matched: str | None
) -> tuple[tuple[str, ...], list[str]]:
    """Method sentences and warnings on the estimates' year against the benchmark's (the
    school's expected A8 and P8 on the benchmark year's estimates where shipped;
    otherwise which years are mixed, quantified in ``estimates_sensitivity``)."""
    if matched is not None:
        sentence = (
            f"This school's expected attainment and Progress 8 are worked out on the DfE "
            f"{matched} estimates, the benchmark's year ({bench_year})."
        )
        if matched == name:
            return (sentence,), []
        return (sentence,), [
            f"The comparison uses the DfE {matched} estimates (the benchmark's year, "
            f"{bench_year}) for this school's expected attainment and Progress 8, not {name}."
        ]
    if bench_year is None:
        mixed = (
            f"The benchmark's year is not known, so this school's expected attainment (from the "
            f"{name} estimates) may be on another year's scale than the similar schools'."
        )
        return (mixed,), [mixed + " Give the year with --benchmark-year."]
    mixed = (
        f"Years mixed: this school's expected attainment and Progress 8 use the {name} "
        f"estimates ({own or 'year not known'}), the similar schools' their own year "
        f"({bench_year}), for which schoolperf has no DfE estimates table"
        + (
            " (2018/19 estimates were on KS2 fine levels, and the DfE's table was not found: "
            "docs/ks4-methodology.md §3.7)."
            if bench_year == "2018/19"
            else "."
        )
    )
    return (mixed,), [mixed]


def _sensitivity(analysis: Analysis, bench: Benchmark, settings: PeerSettings) -> list[dict]:
    """For each shipped estimates table: this school's expected A8 and P8 on it, its similar
    schools, their percentile P8 and the school's P8 rank among them: how much the choice of
    estimates year moves the school."""
    rows = []
    for name in shipped_estimates():
        table = load_estimates(name)
        school = _like_with_like(_school_values(analysis, table), bench)
        pool = screen(bench, table, settings.min_pupils)
        pool = pool[pool["left_out"] == ""]
        peers = peer_group(pool, school, settings)
        values = peers["progress8"].dropna()
        rank = int((values > school["progress8"]).sum()) + 1
        rows.append(
            {
                "estimates": name,
                "estimates_year": estimates_year(name),
                "school_expected_attainment8": school["expected_attainment8"],
                "school_progress8": school["progress8"],
                "peers": len(peers),
                "progress8_percentile_value": (
                    float(np.percentile(values, settings.percentile))
                    if len(values) >= MIN_PEERS
                    else None
                ),
                "progress8_rank": rank,
                "progress8_rank_text": f"{ordinal(rank)} of {len(values) + 1}",
            }
        )
    return rows


def _spread(rows: list[dict]) -> str:
    """The sensitivity in one sentence."""
    expected = [r["school_expected_attainment8"] for r in rows]
    ranks = sorted(rows, key=lambda r: r["progress8_rank"])
    return (
        f"Across the shipped estimates tables ({', '.join(r['estimates'] for r in rows)}), this "
        f"school's expected attainment ranges from {min(expected):.1f} to {max(expected):.1f} "
        f"and its Progress 8 rank among its similar schools from {ranks[0]['progress8_rank_text']}"
        f" ({ranks[0]['estimates']}) to {ranks[-1]['progress8_rank_text']} "
        f"({ranks[-1]['estimates']}): each table finds its own similar schools, so their number "
        "can differ; each table's figures are in the JSON output (estimates_sensitivity)."
    )


def similar_schools_for_urn(
    urn: str,
    benchmark: str | None = None,
    settings: PeerSettings | None = None,
    estimates: EstimatesTable | None = None,
) -> dict[str, object]:
    """The comparison for a school of the benchmark file itself, from its published figures
    (its own year's figures, like its peers': no years are mixed)."""
    settings = settings or PeerSettings()
    bench = read_benchmark(benchmark)
    estimates = estimates or load_estimates()
    schools = screen(bench, estimates, settings.min_pupils)
    row = schools[schools["urn"] == urn.strip()]
    if row.empty or row["left_out"].iloc[0] != "":
        reason = (
            "is not in"
            if row.empty
            else f"is in it but not a candidate ({row['left_out'].iloc[0]})"
        )
        raise _problem(
            "unknown-urn",
            f"URN {urn} {reason} the benchmark file, so it has no similar schools there.",
            "Check the URN.",
            bench.description,
        )
    school = row.iloc[0].drop("left_out").to_dict()
    return compare_with_benchmark(
        school, bench, estimates, dataclasses.replace(settings, urn=urn.strip())
    )


def compare_with_benchmark(
    school: dict,
    bench: Benchmark,
    estimates: EstimatesTable,
    settings: PeerSettings,
    details: tuple[str, ...] = (),
    warnings: list[str] | None = None,
) -> dict[str, object]:
    """Peers of ``school`` (its expected attainment and measures) in ``bench``, compared."""
    warnings = list(warnings or [])
    if settings.peers < MIN_PEERS:
        raise _problem(
            "too-few-peers",
            f"--peers {settings.peers} is too few: a percentile needs at least {MIN_PEERS} "
            "similar schools.",
            f"Use --peers {MIN_PEERS} or more (default 50).",
        )
    screened = screen(bench, estimates, settings.min_pupils)
    pool = screened[screened["left_out"] == ""].drop(columns="left_out")
    if "disadvantaged" in settings.match and pool["disadvantaged_pct"].isna().all():
        raise _problem(
            "benchmark-lacks-disadvantaged",
            "has no % disadvantaged column.",
            "Use a DfE file with PTFSM6CLA1A, or leave out --match.",
            bench.description,
        )
    if "disadvantaged" in settings.match:  # a school without % disadvantaged cannot be matched
        unknown = int(pool["disadvantaged_pct"].isna().sum())
        screened.loc[
            (screened["left_out"] == "") & screened["disadvantaged_pct"].isna(), "left_out"
        ] = "no % disadvantaged (--match disadvantaged)"
        if unknown:
            warnings.append(
                f"Left out (--match disadvantaged): {counted(unknown, 'candidate school')} with "
                "no % disadvantaged in the benchmark to match on."
            )
    peers = peer_group(pool, school, settings)
    if len(peers) < MIN_PEERS:
        raise _problem(
            "too-few-peers",
            f"has only {len(peers)} usable similar schools: a percentile needs at least "
            f"{MIN_PEERS}.",
            "Use a fuller benchmark file (all schools in England)"
            + (", leave out --match" if settings.match else "")
            + ", or a smaller --min-pupils.",
            bench.description,
        )
    if len(peers) < settings.peers:
        warnings.append(
            f"Only {len(peers)} similar schools could be used, fewer than the "
            f"{settings.peers} asked for: that is every candidate school in the benchmark."
        )
    rows = compare(peers, school, settings.percentile)
    for row in rows:
        if row["rank"] is not None:
            row["rank_text"] = f"{ordinal(row['rank'])} of {row['out_of']}"
        if row["percentile_value"] is None:
            warnings.append(
                f"{row['measure']}: only {row['peers_with_value']} of the similar schools have "
                f"a value, so no median or percentile is given (at least {MIN_PEERS} are needed)."
            )
    excluded = left_out(screened)
    tied = max(len(peers) - settings.peers, 0)
    figure = bench.progress8_figure
    said, warned = peer_sentences(bench, settings, excluded, len(peers), tied, peers)
    warnings.extend(warned)
    sentences = (
        *said,
        *figure_sentences(bench, figure),
        *details,
    )
    columns = [c for c in PEER_COLUMNS if c in peers.columns]
    return {
        "benchmark": bench.description,
        "method": method_text(
            bench, settings, len(peers), school["expected_attainment8"], sentences
        ),
        "matching": ["expected attainment", *(["% disadvantaged"] if settings.match else [])],
        "peers_requested": settings.peers,
        "peers": len(peers),
        "peers_tied_at_boundary": tied,
        "boundary_distance": float(peers["distance"].max()),
        "percentile": settings.percentile,
        "min_pupils": settings.min_pupils,
        "schools_left_out": excluded,
        "benchmark_year": bench.year,
        "school_expected_attainment8": school["expected_attainment8"],
        "school_disadvantaged_pct": school["disadvantaged_pct"],
        "school_progress8_figure": figure,
        "school_disadvantaged_progress8_figure": bench.disadvantaged_progress8_figure,
        "excluded_urn": settings.urn,
        "measures": rows,
        "peer_list": peers[columns]
        .astype(object)
        .where(peers[columns].notna(), None)
        .to_dict("records"),
        "warnings": warnings,
    }


def targets(
    analysis: Analysis, comparison: dict[str, object]
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Pupil A8 and element targets and per-subject target grades, and the method in words.

    Target A8 = the pupil's A8 estimate + 10 × the peers' percentile P8 (capped at 90). Element
    targets: the element estimates (plus the peers' percentile element P8 × its divisor where
    the benchmark has element P8) scaled to add up to the A8 target exactly. Subject target
    grades: one national percentile per pupil, chosen so the target grades added up by the A8
    rules land nearest the A8 target (:func:`consistent_subject_targets`). Pupils without KS2
    have no targets; pupils without entries have A8 and element targets but no subject ones.
    """
    percentile = float(comparison["percentile"])
    by_measure = {r["measure"]: r for r in comparison["measures"]}
    p8 = by_measure.get("progress8", {}).get("percentile_value")
    if p8 is None:
        raise _problem(
            "benchmark-lacks-progress8",
            f"has no Progress 8 for at least {MIN_PEERS} of the similar schools.",
            "Use a benchmark year with P8.",
            str(comparison["benchmark"]),
        )
    p8 = float(p8)
    name = str(comparison.get("estimates") or analysis.estimates.name)
    table = analysis.estimates if name == analysis.estimates.name else load_estimates(name)
    pupils = analysis.pupils
    if table is analysis.estimates:
        estimates = pupils[["attainment8_estimate", *(f"{c}_estimate" for c in ELEMENT_COLUMNS)]]
    else:
        estimates = pupil_progress8(
            pupils[["attainment8", *ELEMENT_COLUMNS]], pupils["ks2_prior"], table
        )
    out = pd.DataFrame(index=pupils.index)
    out["attainment8_estimate"] = estimates["attainment8_estimate"]
    out["target_attainment8"] = (out["attainment8_estimate"] + 10 * p8).clip(upper=90)
    peers = pd.DataFrame(comparison["peer_list"])
    raw = pd.DataFrame(index=pupils.index)
    from_peers = []
    for element in ELEMENTS:
        column = f"progress8_{element}"
        values = (
            pd.to_numeric(peers.get(column), errors="coerce").dropna() if column in peers else []
        )
        lift = 0.0
        if len(values) >= MIN_PEERS:
            lift = DIVISORS[element] * float(np.percentile(values, percentile))
            from_peers.append(element)
        raw[f"target_attainment8_{element}"] = estimates[f"attainment8_{element}_estimate"] + lift
    out[raw.columns] = element_targets(raw, out["target_attainment8"])
    out["attainment8"] = pupils["attainment8"]
    entries = analysis.subject_entries
    results = analysis.slots
    results = results[results["unit"] == 0]
    by_entry, by_pupil = consistent_subject_targets(results, entries, out["target_attainment8"])
    out = out.join(by_pupil)
    element_method = (
        "each element's estimate plus the peers' percentile element P8 (x its divisor), "
        if from_peers
        else "the element estimates "
    ) + "scaled to add up to the A8 target exactly (each at most its maximum)"
    method = (
        f"Targets at the {percentile_words(percentile)} percentile of similar schools. "
        f"{comparison['method']} Pupil target A8 = the pupil's DfE A8 estimate ({table.name}) + "
        f"10 x the peers' {percentile_words(percentile)}-percentile Progress 8 ({p8:+.2f}), at "
        f"most 90; element targets: {element_method}. Subject target grades: for each pupil one "
        "national percentile for all their subjects, the grade similar pupils nationally reach "
        "there (same KS2 band, DfE 2023/24 KS2-KS4 transition matrices), chosen so the target "
        "grades added up by the A8 rules (other results at their own points) land nearest the "
        f"pupil's A8 target; within_tolerance says where that is within {TARGET_TOLERANCE:g} A8 "
        "points. Pupils without KS2 have no targets; pupils without entries have no subject "
        "targets."
    )
    subject_targets = pd.concat(
        [entries[["upn", "subject_title", "grade", "ks2_band"]], by_entry], axis=1
    )
    subject_targets["target_grade"] = _double_grades(subject_targets["target_grade"])
    subject_targets["target_percentile"] = (
        entries["upn"].map(by_pupil["subject_targets_percentile"]).to_numpy()
    )
    subject_targets["grade"] = _double_grades(subject_targets["grade"])
    return out.reset_index(), subject_targets, method


def rounded_targets(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`targets` table as it is written out: points and percentiles to two places, as
    the DfE's estimates are, chances to three (the library's own figures stay unrounded, so
    the element targets add up to the A8 target exactly)."""
    places = {c: 3 if c.startswith("chance") else 2 for c in table.columns}
    return table.round(places)


def _double_grades(grades: pd.Series) -> pd.Series:
    """A combined science grade as it is written ("5-4"), not as its code ("54")."""
    text = grades.astype(str)
    double = text.str.fullmatch(r"\d\d")
    return text.where(~double, text.str[0] + "-" + text.str[1]).where(grades.notna())
