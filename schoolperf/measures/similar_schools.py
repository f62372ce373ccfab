"""Similar schools from the DfE's public school-level data, the chosen percentile, and targets.

Method (issue 5; the DfE's own similar-schools method, ks4-methodology §6.1, groups schools by
the attainment their pupils' prior attainment predicts):
* candidates: mainstream schools (``RECTYPE`` 1, not independent) with A8 published;
* expected attainment of a benchmark school = ``ATT8SCR − 10 × P8`` (unadjusted P8 where the file
  has it), i.e. the mean A8 estimate of its pupils; where P8 is missing, the estimate at its
  average KS2 scaled score; of the analysed school, the mean A8 estimate of its P8 pupils;
* similar schools: the N nearest by expected attainment (default 50, the size of the DfE/Ofsted
  2026 model's lists, §6.3), or by the standardised distance on expected attainment and %
  disadvantaged (``--match disadvantaged``); the school itself (``--urn``) is left out;
* percentiles: linear interpolation between the peers' values (numpy's default), so the 80th
  percentile is the value 80% of the peers are at or below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from schoolperf.ingest.benchmark import Benchmark
from schoolperf.measures.subjects import grade_chances, matrix_grade_points
from schoolperf.reference import EstimatesTable

COMPARED = [
    "attainment8",
    "progress8",
    "basics_4_pct",
    "basics_5_pct",
    "ebacc_aps",
    "ebacc_entry_pct",
    "disadvantaged_attainment8",
    "disadvantaged_progress8",
]
NOT_MAINSTREAM = {"IND", "INDSPEC", "NMSS", "CYS", "ACS", "FSS", "ACCS", "HOSP", "PRU"}


@dataclass(frozen=True)
class PeerSettings:
    peers: int = 50
    percentile: float = 80.0
    match: tuple[str, ...] = ()
    urn: str | None = None


def expected_attainment(schools: pd.DataFrame, estimates: EstimatesTable) -> pd.Series:
    """A8 the school's pupils' prior attainment predicts: ATT8SCR − 10 × P8, else the estimate
    at the school's average KS2 scaled score."""
    from_p8 = schools["attainment8"] - 10 * schools["progress8"]
    groups = estimates.group_of(schools["ks2_scaled"].to_numpy(dtype=float))
    at_ks2 = estimates.table.set_index("prior_attainment_group")["attainment8"].reindex(groups)
    return from_p8.fillna(pd.Series(at_ks2.to_numpy(), index=schools.index))


def candidates(benchmark: Benchmark, estimates: EstimatesTable) -> pd.DataFrame:
    """Mainstream benchmark schools with A8 published and an expected attainment."""
    schools = benchmark.schools.copy()
    mainstream = (schools["rectype"] == 1) & ~schools["school_type"].str.upper().isin(
        NOT_MAINSTREAM
    )
    schools["expected_attainment8"] = expected_attainment(schools, estimates)
    usable = mainstream & schools["attainment8"].notna() & schools["expected_attainment8"].notna()
    return schools[usable].reset_index(drop=True)


def peer_group(
    pool: pd.DataFrame, school: dict[str, float], settings: PeerSettings
) -> pd.DataFrame:
    """The ``settings.peers`` nearest schools, with their ``distance``; ties broken by URN."""
    pool = pool[pool["urn"] != (settings.urn or "")]
    columns = ["expected_attainment8"]
    if "disadvantaged" in settings.match:
        columns.append("disadvantaged_pct")
        pool = pool[pool["disadvantaged_pct"].notna()]
    squared = pd.Series(0.0, index=pool.index)
    for column in columns:
        spread = pool[column].std(ddof=0) if settings.match else 1.0
        squared += ((pool[column] - school[column]) / spread) ** 2
    ranked = pool.assign(distance=np.sqrt(squared)).sort_values(["distance", "urn"])
    return ranked.head(settings.peers)


def compare(
    peers: pd.DataFrame, school: dict[str, float | None], percentile: float
) -> list[dict[str, object]]:
    """For each measure: the school's value, the peers' median and chosen percentile, the gap,
    and the school's rank among the peers and itself (1 = highest)."""
    rows = []
    for measure in COMPARED:
        values = peers[measure].dropna()
        mine = school.get(measure)
        if values.empty:
            continue
        row: dict[str, object] = {
            "measure": measure,
            "school": mine,
            "peers_with_value": len(values),
            "median": float(np.percentile(values, 50)),
            "percentile_value": float(np.percentile(values, percentile)),
        }
        if mine is None or mine != mine:
            row.update(gap=None, rank=None, out_of=None)
        else:
            row.update(
                gap=float(mine) - row["percentile_value"],
                rank=int((values > mine).sum()) + 1,
                out_of=len(values) + 1,
            )
        rows.append(row)
    return rows


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def percentile_words(percentile: float) -> str:
    """``80`` → ``80th``; ``80.5`` → ``80.5th``.

    >>> percentile_words(80.0), percentile_words(0.5), percentile_words(91)
    ('80th', '0.5th', '91st')
    """
    return ordinal(int(percentile)) if float(percentile).is_integer() else f"{percentile:g}th"


def method_text(benchmark: Benchmark, settings: PeerSettings, peers: int, expected: float) -> str:
    """The comparison's method in words, for every output."""
    matched = "expected attainment" + (
        " and % disadvantaged (standardised distance)" if settings.match else ""
    )
    notes = "; ".join(benchmark.notes)
    return (
        f"Compared with the {peers} mainstream schools in {benchmark.description} nearest to "
        f"this school by {matched}: the Attainment 8 their pupils' prior attainment predicts "
        f"(this school: {expected:.1f}). The {percentile_words(settings.percentile)} percentile is "
        f"the value {settings.percentile:g}% of those schools are at or below."
        + (f" Notes: {notes}." if notes else "")
    )


def grade_targets(entries: pd.DataFrame, percentile: float) -> pd.DataFrame:
    """Per pupil and subject: the grade at the chosen percentile of similar pupils nationally
    (same KS2 band, DfE transition matrices), and the chance of reaching at least that grade."""
    chances = grade_chances(entries)
    grades = [c.removeprefix("chance_") for c in chances.columns]
    points = np.array([matrix_grade_points(g) for g in grades])
    order = np.argsort(points)
    shares = chances.to_numpy()[:, order]
    cumulative = np.cumsum(np.nan_to_num(shares), axis=1)
    # the lowest grade whose cumulative share reaches the percentile
    index = (cumulative < percentile / 100 - 1e-12).sum(axis=1)
    index = np.minimum(index, len(order) - 1)
    sorted_grades = np.array(grades)[order]
    at_least = (
        1
        - np.concatenate([np.zeros((len(entries), 1)), cumulative], axis=1)[
            np.arange(len(entries)), index
        ]
    )
    known = ~np.isnan(shares).all(axis=1)
    return pd.DataFrame(
        {
            "target_grade": np.where(known, sorted_grades[index], None),
            "target_points": np.where(known, points[order][index], np.nan),
            "chance_of_target_or_better": np.where(known, at_least, np.nan),
        },
        index=entries.index,
    )
