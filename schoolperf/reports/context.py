"""What a results pack shows, built once from an :class:`Analysis` for both HTML and Markdown.

The governor audience gets no pupil-level data at all: pupil lists are never built for it, charts
show group means only, and groups below the suppression size appear as suppressed. Sections follow
the results-meeting packs of established peer tools (status, context, headlines, elements, prior
bands, groups and gaps, subjects, profile, similar schools, pupil lists for staff, questions,
method).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from schoolperf.analysis import Analysis
from schoolperf.cohort import MISSING_GROUP_COLUMNS
from schoolperf.measures.groups import GAP_MEASURES, key_group_gaps
from schoolperf.measures.similar_schools import ordinal, percentile_words
from schoolperf.reference import (
    GROUP_NAMES,
    SUBSTITUTE_TERMS,
    TERMS,
    attribution_lines,
    national_comparators,
)
from schoolperf.reports import charts
from schoolperf.reports.questions import caveats, meeting_questions, substitute_baseline
from schoolperf.version import __version__

AUDIENCES = ("governors", "staff")
GROUP_LABELS = {key: heading for key, (heading, _) in GROUP_NAMES.items()}
MEASURE_LABELS = {
    "attainment8": "Attainment 8",
    "progress8_adjusted": "Progress 8",  # the DfE's headline: extreme negative scores adjusted
    "progress8": "Progress 8 (unadjusted)",
    "basics_4_pct": "Grade 4+ in English and maths",
    "basics_5_pct": "Grade 5+ in English and maths",
    "ebacc_entry_pct": "Entering the EBacc",
    "ebacc_94_pct": "EBacc at grades 9-4",
    "ebacc_95_pct": "EBacc at grades 9-5",
    "ebacc_aps": "EBacc average point score",
    "english_maths_entry_pct": "Entering English and maths",
}
PERCENT = {k for k in MEASURE_LABELS if k.endswith("_pct")}
LIST_LENGTH = 10


def _label(key: str) -> str:
    return GROUP_LABELS.get(key, key.replace("_", " "))


def school_name(analysis: Analysis, data_dates: pd.Series) -> str:
    """What the pack is titled by: ``--label`` where given, else the school column's one value,
    else the results' season ("Summer 2024"); never the file's name."""
    if analysis.label and analysis.label != Path(analysis.file).stem:
        return analysis.label
    if "school" in analysis.pupils.columns:
        schools = analysis.pupils["school"].dropna().astype(str).unique()
        if len(schools) == 1 and schools[0].strip():
            return schools[0].strip()
    if len(data_dates):
        newest = data_dates.max()
        return f"Summer {newest.year}" if 5 <= newest.month <= 8 else f"{newest:%B %Y}"
    return "this cohort"


def _day(date: pd.Timestamp) -> str:
    """A date as a reader writes it: "1 June 2024"."""
    return f"{date.day} {date:%B %Y}"


def _national(year: int, group: str = "all") -> dict[str, float]:
    table = national_comparators()
    rows = table[(table["year"] == year) & (table["group"] == group)]
    return dict(zip(rows["measure"], rows["value"], strict=True))


def _cohort(analysis: Analysis) -> dict[str, Any]:
    p = analysis.pupils
    n = len(p)

    def share(mask: pd.Series) -> float | None:
        return float(mask.mean() * 100) if n else None

    bands = p["prior_attainment_band"].value_counts()
    return {
        "pupils": n,
        "boys_pct": share(p["gender"] == "M") if p["gender"].notna().any() else None,
        "girls_pct": share(p["gender"] == "F") if p["gender"].notna().any() else None,
        "disadvantaged_pct": share(p["disadvantaged"] == True)  # noqa: E712
        if p["disadvantaged"].notna().any()
        else None,
        "sen_support_pct": share(p["sen"] == "K") if p["sen"].notna().any() else None,
        "ehcp_pct": share(p["sen"] == "E") if p["sen"].notna().any() else None,
        "eal_pct": share(p["eal"] == True) if p["eal"].notna().any() else None,  # noqa: E712
        "ks2_average": float(p["ks2_prior"].mean()) if p["ks2_prior"].notna().any() else None,
        "bands": [
            {
                "band": b,
                "pupils": int(bands.get(b, 0)),
                "pct": share(p["prior_attainment_band"] == b),
            }
            for b in ("low", "middle", "high")
        ],
        "without_prior": int(p["ks2_prior"].isna().sum()),
        "without_prior_pct": share(p["ks2_prior"].isna()),
    }


def _headlines(analysis: Analysis, national: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for key in (
        "attainment8",
        "progress8_adjusted",  # the DfE's headline P8 (§2.4); the unadjusted one is beside it
        "basics_4_pct",
        "basics_5_pct",
        "ebacc_entry_pct",
        "ebacc_94_pct",
        "ebacc_95_pct",
        "ebacc_aps",
    ):
        trend = analysis.trends.get(key, {})
        previous = trend.get("previous") or []
        rows.append(
            {
                "key": key,
                "label": MEASURE_LABELS[key],
                "value": analysis.school.get(key),
                "percent": key in PERCENT,
                "national": national.get(key.removesuffix("_adjusted")),
                "previous": previous[-1]["value"] if previous else None,
                "previous_label": previous[-1]["label"] if previous else None,
                "change": trend.get("change"),
            }
        )
    return rows


def _groups(analysis: Analysis) -> list[dict[str, Any]]:
    rows = []
    for key, g in analysis.groups.items():
        rows.append(
            {
                "key": key,
                "label": _label(key),
                "pupils": g["pupils"],
                "suppressed": g["suppressed"],
                "small": g["small_group"],
                "attainment8": g.get("attainment8"),
                "progress8": g.get("progress8_adjusted"),  # as in the gap table (§2.4)
                "ci_low": g.get("progress8_adjusted_ci_low"),
                "ci_high": g.get("progress8_adjusted_ci_high"),
                "basics_5_pct": g.get("basics_5_pct"),
                "ebacc_aps": g.get("ebacc_aps"),
            }
        )
    return rows


def _gaps(analysis: Analysis) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "label": _label(row["group"]),
            # a gap row's progress8 is the adjusted P8 (groups.PUPIL_COLUMN), as the groups show
            "measure_label": MEASURE_LABELS[
                "progress8_adjusted" if row["measure"] == "progress8" else row["measure"]
            ],
            "percent": row["measure"] in PERCENT,
        }
        for row in analysis.gaps
        if (row["comparator"] == "national" and row["comparator_value"] is not None)
        or (row["comparator"] == "school" and row["group"] in REST_COMPARED)
    ]


# the groups compared with the rest of the school in the staff gap table (one of each pair)
REST_COMPARED = ("disadvantaged", "boys", "sen_support", "ehcp", "eal")


def _no_national(analysis: Analysis) -> dict[str, list[str]]:
    """The groups and measures with no national figure, each group once (their rows are left
    out of the gap table instead of saying "not tested" on each): under ``rest`` those the
    table compares with the rest of the school, under ``none`` those it does not show."""
    missing: dict[str, list[str]] = {}
    for row in analysis.gaps:
        if row["comparator"] == "national" and row["comparator_value"] is None:
            measure = "progress8_adjusted" if row["measure"] == "progress8" else row["measure"]
            missing.setdefault(row["group"], []).append(MEASURE_LABELS[measure])
    named = {
        k: f"{GROUP_NAMES[k][1] if k in GROUP_NAMES else k}"
        + ("" if len(measures) == len(GAP_MEASURES) else f" ({', '.join(measures)})")
        for k, measures in missing.items()
    }
    return {
        "rest": [text for k, text in named.items() if k in REST_COMPARED],
        "none": [text for k, text in named.items() if k not in REST_COMPARED],
    }


def _pupil_lists(analysis: Analysis) -> dict[str, list[dict[str, Any]]]:
    """Staff only: the pupils to discuss."""
    p = analysis.pupils.reset_index()
    names = [c for c in ("forename", "surname", "name") if c in p.columns]

    def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
        frame = frame[["upn", *names, *columns]]
        return frame.astype(object).where(frame.notna(), None).to_dict("records")

    negative = p.dropna(subset=["progress8"]).sort_values(["progress8", "upn"]).head(LIST_LENGTH)
    missing = p[p["ks2_prior"].isna()].sort_values("upn")
    slots = analysis.slots
    unused = slots[
        (slots["weight"] == 0)
        & slots["entry"]
        & (slots["unit"] == 0)
        & ~slots["counts"]  # discounted, or no qualification that counts (not surplus)
    ]
    unused = unused.merge(p[["upn", *names]], on="upn").sort_values(["upn", "subject_title"])
    entries = analysis.subject_entries.dropna(subset=["residual"])
    residuals = (
        entries.sort_values(["residual", "upn"])
        .head(LIST_LENGTH)
        .merge(p[["upn", *names]], on="upn")
    )
    return {
        "most_negative_p8": records(
            negative, ["attainment8", "attainment8_estimate", "progress8", "progress8_adjusted"]
        ),
        "missing_ks2": records(missing, ["attainment8", "progress8_note"]),
        "not_counted": unused[["upn", *names, "subject_title", "grade", "reason"]]
        .astype(object)
        .to_dict("records"),
        "lowest_residuals": residuals[["upn", *names, "subject_title", "grade", "residual"]]
        .astype(object)
        .to_dict("records"),
    }


def build_context(
    analysis: Analysis, audience: str, min_group: int = 6, comparison: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything the pack templates show. ``audience`` is ``governors`` or ``staff``."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}")
    year = analysis.comparator_year or 2024
    national = _national(year)
    gaps = _gaps(analysis)
    key_groups = key_group_gaps(analysis.gaps)
    staff = audience == "staff"
    results = analysis.slots
    data_dates = results.loc[results["entry"], "exam_date"].dropna()
    similar = comparison and _similar(comparison)
    substitute = substitute_baseline(analysis)
    prior = "substitute baseline (on the KS2 scale)" if substitute else "KS2 prior attainment"
    charts_made = [
        charts.forest(
            [
                {
                    "label": g["label"],
                    "value": g["progress8"],
                    "ci_low": g["ci_low"],
                    "ci_high": g["ci_high"],
                }
                for g in _groups(analysis)
                if not g["suppressed"]
            ],
            "p8-groups",
            "Progress 8 by pupil group (0: the average of pupils in mainstream schools)",
            "Progress 8 with 95% confidence interval",
        ),
        charts.attainment_against_prior(
            analysis.pupils,
            analysis.estimates.table,
            pupil_level=staff,
            min_group=min_group,
            prior=prior,
        ),
        charts.elements(analysis.school, national, year),
        charts.forest(
            [
                {
                    "label": s["subject"],
                    "value": s["value_added"],
                    "ci_low": s["value_added_ci_low"],
                    "ci_high": s["value_added_ci_high"],
                }
                for s in analysis.subjects
                if s["value_added_pupils"] >= min_group
            ],
            "subject-va",
            "Subject value added against national (points per entry)",
            "points per entry above or below national (0), with 95% confidence interval",
        ),
        charts.grade_distribution(_gcse_grade_counts(analysis)),
        similar
        and charts.similar_schools(
            similar["measures"], similar["peer_list"], SIMILAR_LABELS, similar["percentile_text"]
        ),
    ]
    return {
        "audience": audience,
        "staff": staff,
        "title": f"Results pack: {school_name(analysis, data_dates)}"
        + (" (staff version, with pupil names)" if staff else ""),
        "label": analysis.label,
        "version": __version__,
        "banner": {
            "status": "Provisional and unvalidated",
            "data_date": _day(data_dates.max()) if len(data_dates) else None,
            "estimates": analysis.estimates.name,
            # governors read what the baseline is, the staff also which file it came from
            "baseline": analysis.school.get("progress8_baseline")
            if staff or not substitute
            else "a substitute baseline (not KS2), mapped onto the KS2 scale",
            "excluded": analysis.school.get("progress8_excluded"),
            "adjustment": analysis.school.get("progress8_adjustment_method"),
            # groups missing because no column could be read for them: said where read first
            "missing_groups": [w for w in analysis.warnings if w.startswith(MISSING_GROUP_COLUMNS)],
            "years_mixed": _years_mixed(similar, data_dates),
        },
        "cohort": _cohort(analysis),
        "prior_scale": "substitute baseline, on the KS2 scale"
        if substitute
        else "KS2 scaled score",
        "school": analysis.school,
        "national": national,
        "comparator_year": year,
        "headlines": _headlines(analysis, national),
        "key_groups": key_groups,
        # beside boys, for comparison: girls, as the DfE compares them
        "girls": next(iter(key_group_gaps(analysis.gaps, {"girls": "Girls"})), None),
        "groups": _groups(analysis),
        "gaps": gaps,
        "no_national": _no_national(analysis),
        "subjects": _subjects(analysis, staff, min_group),
        "similar": similar,
        "pupil_lists": _pupil_lists(analysis) if staff else None,
        "questions": meeting_questions(analysis, key_groups, national),
        "caveats": caveats(analysis, min_group),
        "warnings": analysis.warnings,
        "sources": attribution_lines(),
        "charts": {c.name: c for c in charts_made if c is not None},
        "min_group": min_group,
        "terms": [(t, SUBSTITUTE_TERMS.get(t, d) if substitute else d) for t, d in TERMS],
    }


def _years_mixed(similar: dict[str, Any] | None, data_dates: pd.Series) -> str | None:
    """Where similar schools' results are of another year than this school's, the sentence the
    status box says it in."""
    if not similar or not len(data_dates):
        return None
    newest = data_dates.max()
    start = newest.year if newest.month >= 9 else newest.year - 1
    year = f"{start}/{(start + 1) % 100:02d}"
    theirs = str(similar.get("benchmark_year") or "")
    if not theirs or theirs == year:
        return None
    return (
        f"The similar-schools section ranks this school's {year} results against other "
        f"schools' {theirs} results: national results have moved since, so read the ranks "
        "with care."
    )


SIMILAR_LABELS = MEASURE_LABELS | {
    "progress8": "Progress 8",
    "disadvantaged_attainment8": "Disadvantaged pupils' Attainment 8",
    "disadvantaged_progress8": "Disadvantaged pupils' Progress 8",
}


def _similar(comparison: dict[str, Any]) -> dict[str, Any]:
    """The similar-schools section: each measure named in words, with its sentence."""
    percentile = percentile_words(float(comparison["percentile"]))
    rank_range, ranks = _rank_range(comparison)
    uncertain = f"anywhere from {ranks}" if ranks else ""
    measures = [
        {
            **row,
            "label": SIMILAR_LABELS.get(row["measure"], row["measure"]),
            "sentence": charts.similar_sentence(row, percentile)
            + (
                f"; with other years' national estimates, {uncertain}"
                if uncertain and row["measure"] == "progress8"
                else ""
            ),
            "rank_note": uncertain if row["measure"] == "progress8" else "",
        }
        for row in comparison["measures"]
    ]
    return {
        **comparison,
        "percentile_text": percentile,
        "measures": measures,
        "rank_range": rank_range,
    }


def _rank_range(comparison: dict[str, Any]) -> tuple[str | None, str | None]:
    """How far the Progress 8 rank moves with the DfE's other estimates tables, in a sentence
    a governor can read and in short ("11th to 56th"); ``None`` where it does not move."""
    ranks = [r for r in comparison.get("estimates_sensitivity") or [] if r.get("progress8_rank")]
    if len({r["progress8_rank"] for r in ranks}) < 2:
        return None, None
    low = min(ranks, key=lambda r: r["progress8_rank"])
    high = max(ranks, key=lambda r: r["progress8_rank"])
    years = sorted({str(r["estimates_year"]) for r in ranks})
    between = f"{ordinal(low['progress8_rank'])} to {ordinal(high['progress8_rank'])}"
    return (
        f"The Progress 8 rank is uncertain here: anywhere from {between}, depending on which "
        f"year's national estimates ({years[0]} to {years[-1]}) set this school's expected "
        "progress. This school's own Progress 8 is not in doubt: only its place among these "
        "schools is."
    ), between


def _subjects(analysis: Analysis, staff: bool, min_group: int) -> list[dict[str, Any]]:
    """Subject rows; for governors, subjects with fewer entries than ``min_group`` are
    suppressed like small groups."""
    rows = []
    # in the order a reader looks a subject up: alphabetical, whatever the case ("BTEC …"
    # after "Biology")
    for row in sorted(analysis.subjects, key=lambda r: str(r["subject"]).casefold()):
        suppressed = not staff and row["entries"] < min_group
        if suppressed:
            row = {"subject": row["subject"], "entries": row["entries"], "suppressed": True}
        rows.append({"suppressed": False, **row})
    return rows


def _gcse_grade_counts(analysis: Analysis) -> dict[str, int]:
    """GCSE grades awarded, all subjects: a combined science grade ("5-4") counts as the two
    grades it is, as it fills two slots."""
    entries = analysis.subject_entries
    single = entries.loc[entries["scale"] == "gcse", "grade_group"].astype(str)
    double = entries.loc[entries["scale"] == "double", "grade_group"].astype(str)
    halves = double.str.split("-", expand=True).stack() if len(double) else double
    grades = pd.concat([single, halves.astype(str)], ignore_index=True)
    return {str(k): int(v) for k, v in grades.value_counts().items()}
