"""Similar schools from the DfE's public school-level data, the chosen percentile, and targets.

Method (the DfE's own similar-schools method, ks4-methodology §6.1, groups
state-funded mainstream schools by the attainment their pupils' prior attainment predicts):
* candidates: state-funded mainstream schools only, "other state-funded mainstream schools"
  (§6.1 [NG1][CS1]): ``RECTYPE`` 1 and a mainstream ``NFTYPE`` (``MAINSTREAM_TYPES``), so FE
  colleges (``FESI``), special, independent and any other type are left out; with A8 published
  and at least ``min_pupils`` pupils in P8 (``P8PUP``, else ``TPUP``). Default 6, the DfE's own
  publication minimum: "SUPP - Suppressed ... usually when there are 5 or fewer pupils or
  students covered by the measure" (DfE performance-tables abbreviations, quoted in
  github.com/stefaniemeliss/DfE_data 05d_process_data_spt_ks4.R at commit 14bccad); in the
  2018/19 file ``ATT8SCR`` is ``SUPP`` exactly where ``TPUP`` ≤ 5 and P8 is published down to
  ``P8PUP`` 6 (checked);
* expected attainment of a benchmark school = ``ATT8SCR − 10 × P8`` (unadjusted P8 where the
  file has it: §2.5, it is then exactly the mean A8 estimate of its pupils), at the published
  precision (A8 0.1, P8 0.01); where P8 is missing, the estimate at its average KS2 scaled
  score; of the analysed school, the mean A8 estimate of its P8 pupils;
* similar schools: the N nearest by expected attainment (default 50, the size of the DfE/Ofsted
  2026 model's lists, §6.3), or by the standardised distance on expected attainment and %
  disadvantaged (``--match disadvantaged``); the school itself (``--urn``) is left out; every
  school exactly as near as the N-th is kept too (distances compared to 6 decimals, so float
  noise neither makes nor breaks a tie), so N may grow and the group never depends on URN
  order;
* percentiles: linear interpolation between the peers' values (numpy's default), so the 80th
  percentile is the value 80% of the peers are at or below; none from fewer than 10 values
  (a schoolperf rule: the DfE sets none).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from schoolperf.engine.query import connect
from schoolperf.ingest.benchmark import Benchmark
from schoolperf.measures.attainment8 import fill_slots, pupil_attainment8
from schoolperf.measures.subjects import grade_chances, matrix_grade_points
from schoolperf.reference import ELEMENTS, EstimatesTable

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
# State-funded mainstream school types of the DfE KS4 file's NFTYPE (2018/19: exactly the types
# with RECTYPE 1 other than IND and FESI; RECTYPE 2 = special: ACS, ACCS, CYS, FDS, FS, INDSPEC,
# NMSS). AC/ACC academy sponsor-led/converter, CY community, VA/VC voluntary aided/controlled,
# FD foundation, F free school, CTC/UTC city/university technical college, SS studio school.
# Re-published extracts without NFTYPE may carry a SCHTYPE ("Academy", "Maintained school",
# "College", "Special school", "Independent school"). Any other type is left out.
MAINSTREAM_TYPES = frozenset(
    {"AC", "ACC", "CY", "VA", "VC", "FD", "F", "CTC", "UTC", "SS", "ACADEMY", "MAINTAINED SCHOOL"}
)
MIN_PUPILS = 6  # the DfE publishes a measure for 6+ pupils: "SUPP" = 5 or fewer (see below)
MIN_PEERS = 10  # a schoolperf rule: no percentile from fewer than 10 schools
DISTANCE_PLACES = 6
TARGET_TOLERANCE = 1.0  # A8 points (one grade in one slot): subject targets vs the A8 target
_STEPS = 24  # bisection steps: shares to 6e-8 (national counts differ by more)
ELEMENT_MAXIMUM = {"english": 18, "maths": 18, "ebacc": 27, "open": 27}


@dataclass(frozen=True)
class PeerSettings:
    """``min_pupils``: fewest pupils in P8 (or at the end of KS4 where the file has no P8PUP)
    for a school to be a candidate; default 6, the DfE's own publication minimum (figures for
    5 or fewer pupils are suppressed, ``SUPP``, DfE performance-tables abbreviations)."""

    peers: int = 50
    percentile: float = 80.0
    match: tuple[str, ...] = ()
    urn: str | None = None
    min_pupils: int = MIN_PUPILS


def expected_attainment(schools: pd.DataFrame, estimates: EstimatesTable) -> pd.Series:
    """A8 the school's pupils' prior attainment predicts: ATT8SCR − 10 × P8, else the estimate
    at the school's average KS2 scaled score; at 2 decimals (published A8 has 1, P8 2, the
    estimates 2), so float noise cannot split schools whose published figures tie."""
    from_p8 = schools["attainment8"] - 10 * schools["progress8"]
    groups = estimates.group_of(schools["ks2_scaled"].to_numpy(dtype=float))
    at_ks2 = estimates.table.set_index("prior_attainment_group")["attainment8"].reindex(groups)
    return from_p8.fillna(pd.Series(at_ks2.to_numpy(), index=schools.index)).round(2)


def _cohort(benchmark: Benchmark) -> pd.Series | None:
    """Pupils a school's figures cover: P8PUP, else TPUP; None if the file has neither."""
    for field in ("progress8_pupils", "ks4_pupils"):
        if field in benchmark.columns:
            return benchmark.schools[field]
    return None


def screen(benchmark: Benchmark, estimates: EstimatesTable, min_pupils: int) -> pd.DataFrame:
    """Every benchmark school with ``expected_attainment8`` and why it is not a candidate
    (``left_out``: empty for candidates). Rule: see the module docstring."""
    schools = benchmark.schools.copy()
    schools["expected_attainment8"] = expected_attainment(schools, estimates)
    kind = schools["school_type"].str.strip().str.upper()
    mainstream = schools["rectype"] == 1
    if "school_type" in benchmark.columns:
        mainstream &= kind.isin(MAINSTREAM_TYPES)
    pupils = _cohort(benchmark)
    small = pd.Series(False, index=schools.index) if pupils is None else ~(pupils >= min_pupils)
    reason = np.select(
        [
            schools["attainment8"].isna(),
            ~mainstream.to_numpy(dtype=bool),
            small.to_numpy(dtype=bool),
            schools["expected_attainment8"].isna(),
        ],
        [
            "no A8",
            "not a mainstream school",
            f"fewer than {min_pupils} pupils",
            "no expected attainment (no P8 or KS2)",
        ],
        "",
    )
    return schools.assign(left_out=reason)


def candidates(
    benchmark: Benchmark, estimates: EstimatesTable, min_pupils: int = MIN_PUPILS
) -> pd.DataFrame:
    """State-funded mainstream benchmark schools with A8 published, at least ``min_pupils``
    pupils and an expected attainment (:func:`screen`)."""
    schools = screen(benchmark, estimates, min_pupils)
    return schools[schools["left_out"] == ""].drop(columns="left_out").reset_index(drop=True)


def left_out(screened: pd.DataFrame) -> dict[str, int]:
    """Schools with A8 published that are not candidates, by reason (types named)."""
    out: dict[str, int] = {}
    published = screened[screened["left_out"] != "no A8"]
    types = published.loc[published["left_out"] == "not a mainstream school", "school_type"]
    for kind, n in types.str.upper().replace("", "no type").value_counts().sort_index().items():
        out[f"not a state-funded mainstream school ({kind})"] = int(n)
    for reason in sorted(set(published["left_out"]) - {"", "not a mainstream school"}):
        out[reason] = int((published["left_out"] == reason).sum())
    return out


def peer_group(
    pool: pd.DataFrame, school: dict[str, float], settings: PeerSettings
) -> pd.DataFrame:
    """The ``settings.peers`` nearest schools with their ``distance``, and every school as near
    as the last of them (ties at the boundary all kept, so N may grow).
    Distances are compared at ``DISTANCE_PLACES`` decimals; the order within a tie (expected
    attainment, A8, then URN) is for display only and never decides who is in."""
    pool = pool[pool["urn"] != (settings.urn or "")]
    columns = ["expected_attainment8"]
    if "disadvantaged" in settings.match:
        columns.append("disadvantaged_pct")
        pool = pool[pool["disadvantaged_pct"].notna()]
    squared = pd.Series(0.0, index=pool.index)
    for column in columns:
        spread = pool[column].std(ddof=0) if settings.match else 1.0
        squared += ((pool[column] - school[column]) / spread) ** 2
    distance = np.sqrt(squared).round(DISTANCE_PLACES)
    ranked = pool.assign(distance=distance).sort_values(
        ["distance", "expected_attainment8", "attainment8", "urn"]
    )
    if len(ranked) <= settings.peers:
        return ranked
    return ranked[ranked["distance"] <= ranked["distance"].iloc[settings.peers - 1]]


def compare(
    peers: pd.DataFrame, school: dict[str, float | None], percentile: float
) -> list[dict[str, object]]:
    """For each measure: the school's value, the peers' median and chosen percentile (None
    from fewer than ``MIN_PEERS`` values), the gap, and the school's rank among the peers and
    itself (1 = highest)."""
    rows = []
    for measure in COMPARED:
        values = peers[measure].dropna()
        mine = school.get(measure)
        if values.empty:
            continue
        enough = len(values) >= MIN_PEERS
        row: dict[str, object] = {
            "measure": measure,
            "school": mine,
            "peers_with_value": len(values),
            "median": float(np.percentile(values, 50)) if enough else None,
            "percentile_value": float(np.percentile(values, percentile)) if enough else None,
        }
        if mine is None or mine != mine:
            row.update(gap=None, rank=None, out_of=None)
        else:
            row.update(
                gap=float(mine) - row["percentile_value"] if enough else None,
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


def method_text(
    benchmark: Benchmark,
    settings: PeerSettings,
    peers: int,
    expected: float,
    details: tuple[str, ...] = (),
) -> str:
    """The comparison's method in words, for every output (``details``: further sentences)."""
    matched = "expected attainment" + (
        " and % disadvantaged (standardised distance)" if settings.match else ""
    )
    notes = "; ".join(benchmark.notes)
    return (
        f"Compared with the {peers} mainstream schools nearest to this school by {matched} (the "
        f"Attainment 8 their pupils' prior attainment predicts; this school: {expected:.1f}). "
        f"Source: {benchmark.description}. The {percentile_words(settings.percentile)} "
        f"percentile is the value {settings.percentile:g}% of those schools are at or below."
        + "".join(f" {d}" for d in details)
        + (f" Notes: {notes}." if notes else "")
    )


def peer_sentences(
    bench: Benchmark,
    settings: PeerSettings,
    excluded: dict[str, int],
    used: int,
    tied: int,
    peers: pd.DataFrame,
) -> tuple[list[str], list[str]]:
    """Who may be a peer, and ties, in words; and warnings where the file does not allow the
    rules to be applied."""
    other = {k[k.index("(") + 1 : -1]: n for k, n in excluded.items() if k.startswith("not a")}
    out, warnings = [], []
    if "school_type" in bench.columns:
        out.append(
            "Only state-funded mainstream schools can be similar schools"
            + (
                f": {sum(other.values())} schools of other types with published results are "
                f"left out ({', '.join(other)})."
                if other
                else "."
            )
        )
    else:
        warnings.append(
            "The benchmark file gives no school type, so FE colleges, special and independent "
            "schools could not be left out of the similar schools."
        )
        out.append(warnings[-1])
    counted = next((f for f in ("progress8_pupils", "ks4_pupils") if f in bench.columns), None)
    if counted is None:
        warnings.append(
            "The benchmark file gives no pupil numbers (P8PUP or TPUP), so schools with very "
            "few pupils could not be left out of the similar schools."
        )
        out.append(warnings[-1])
    else:
        small = excluded.get(f"fewer than {settings.min_pupils} pupils", 0)
        out.append(
            f"Schools with fewer than {settings.min_pupils} pupils "
            + ("in Progress 8 (P8PUP)" if counted == "progress8_pupils" else "at KS4 (TPUP)")
            + f" are left out ({small}); the DfE publishes no figures for 5 or fewer."
        )
    if tied:
        out.append(
            f"{settings.peers} were asked for; {used} are used, because every school as near as "
            f"the {ordinal(settings.peers)} (distance {peers['distance'].max():.2f}) is kept, "
            "so the group does not depend on the order of URNs."
        )
    out.append(f"No median or percentile is given from fewer than {MIN_PEERS} schools.")
    return out, warnings


def figure_sentences(bench: Benchmark, figure: str) -> list[str]:
    """Which P8 is compared: the same kind as the benchmark's (§2.4, §2.5)."""
    out = [f"Progress 8 is compared {figure} with {figure} (the benchmark file gives {figure} P8)."]
    if figure == "adjusted":
        out.append(
            "With only adjusted P8 in the file, ATT8SCR − 10 × P8 slightly overstates the "
            "expected attainment of schools with pupils' scores adjusted."
        )
    return out


def _grade_scale(entries: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per entry, the national grade distribution of similar pupils (DfE transition matrices,
    the entry's subject and KS2 band), lowest grade first: the grades, their points, the
    cumulative shares, and whether the entry has a distribution at all."""
    chances = grade_chances(entries)
    grades = [c.removeprefix("chance_") for c in chances.columns]
    points = np.array([matrix_grade_points(g) for g in grades])
    order = np.argsort(points, kind="stable")
    shares = chances.to_numpy()[:, order]
    known = ~np.isnan(shares).all(axis=1)
    return np.array(grades)[order], points[order], np.cumsum(np.nan_to_num(shares), axis=1), known


def _grade_at(cumulative: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Index of the lowest grade whose cumulative share reaches ``share`` (one per entry), so
    at 0.8 the grade the top 20% of similar pupils nationally reach."""
    index = (cumulative < share[:, None] - 1e-12).sum(axis=1)
    return np.minimum(index, cumulative.shape[1] - 1)


def grade_targets(entries: pd.DataFrame, percentile: float | np.ndarray) -> pd.DataFrame:
    """Per pupil and subject: the grade at the chosen percentile (one for all entries, or one
    per entry) of similar pupils nationally (same KS2 band, DfE transition matrices), and the
    chance of reaching at least that grade."""
    grades, points, cumulative, known = _grade_scale(entries)
    share = np.broadcast_to(np.asarray(percentile, dtype=float) / 100, (len(entries),))
    index = _grade_at(cumulative, np.nan_to_num(share, nan=0.0))
    below = np.concatenate([np.zeros((len(entries), 1)), cumulative], axis=1)
    at_least = 1 - below[np.arange(len(entries)), index]
    known = known & ~np.isnan(share)
    return pd.DataFrame(
        {
            "target_grade": np.where(known, grades[index], None),
            "target_points": np.where(known, points[index], np.nan),
            "chance_of_target_or_better": np.where(known, at_least, np.nan),
        },
        index=entries.index,
    )


_SLOTTING = {"reason", "counts", "unit", "result_id", "element", "slot", "weight", "slot_points"}


def _a8_of_targets(
    results: pd.DataFrame,
    slot_of: np.ndarray,
    target_points: np.ndarray,
    pupils: pd.Index,
    connection: duckdb.DuckDBPyConnection,
) -> np.ndarray:
    """A8 by the A8 rules (:func:`fill_slots`, :func:`pupil_attainment8`) of each pupil's
    results with the target points in place of the points of results that have a target."""
    points = results["points"].to_numpy(dtype=float).copy()
    has = slot_of >= 0
    points[has] = target_points[slot_of[has]]
    # a planned entry (no grade yet) counts with its target, as its result would
    entered = results["entry"].to_numpy(dtype=bool) | has
    units = fill_slots(results.assign(points=points, entry=entered), connection)
    return pupil_attainment8(units, pupils, connection)["attainment8"].to_numpy()


def consistent_subject_targets(
    results: pd.DataFrame, entries: pd.DataFrame, target: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Subject target grades that add up, by the A8 rules, to each pupil's A8 target.

    Rule: per pupil one national percentile q for all their subjects; a
    subject's target is the grade at q of similar pupils nationally (KS2 band, DfE transition
    matrices, as :func:`grade_targets`); q is found by bisection (all pupils at once) so that
    the target grades, slotted by the A8 rules (ks4-methodology §1) with every other result at
    its own points, land nearest the pupil's A8 target (the higher of two equally near totals).
    Grades are whole steps, so a total within ``TARGET_TOLERANCE`` (1.0) A8 points is not
    always possible; ``within_tolerance`` says where it is. ``results``: the pupils' results
    (one row each, the slot audit's first units); ``entries``: their subject entries;
    ``target``: the A8 target by UPN (NaN: no target, so no subject targets).
    Returns the per-entry targets and, per pupil, ``subject_targets_percentile``,
    ``subject_targets_attainment8`` and ``within_tolerance``.
    """
    results = results.drop(columns=[c for c in results.columns if c in _SLOTTING])
    results = results.astype({c: object for c in results.select_dtypes("category").columns})
    pupils = pd.Index(target.index, name="upn")
    goal = target.to_numpy(dtype=float)
    _, points, cumulative, known = _grade_scale(entries)
    pupil_of = pupils.get_indexer(entries["upn"].astype(object))
    entry_key = pd.MultiIndex.from_arrays(
        [entries["upn"].astype(object), entries["subject_title"].astype(object)]
    )
    result_key = pd.MultiIndex.from_arrays(
        [results["upn"].astype(object), results["subject_title"].astype(object)]
    )
    slot_of = entry_key.get_indexer(result_key)
    slot_of = np.where((slot_of >= 0) & known[np.maximum(slot_of, 0)], slot_of, -1)

    def a8_at(q: np.ndarray) -> np.ndarray:
        share = np.maximum(q, 1e-9)[np.maximum(pupil_of, 0)]
        target_points = points[_grade_at(cumulative, share)]
        return _a8_of_targets(results, slot_of, target_points, pupils, connection)

    def bisect(aim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pupil, the highest q whose total is below ``aim`` and the lowest reaching it
        (to 1e-9 in share terms: totals are float sums, so 1e-9 absorbs their noise)."""
        low, high = np.zeros(len(pupils)), np.ones(len(pupils))
        for _ in range(_STEPS):
            middle = (low + high) / 2
            reaches = a8_at(middle) >= aim - 1e-9
            high, low = np.where(reaches, middle, high), np.where(reaches, low, middle)
        return low, high

    with connect() as connection:  # one engine for every slotting of the bisection
        low, high = bisect(goal)
        at_low, at_high = a8_at(low), a8_at(high)
        take_high = (at_high - goal) <= (goal - at_low)
        q = bisect(np.where(take_high, at_high, at_low))[1]  # the lowest q giving that total
        total = a8_at(q)
    has_target = ~np.isnan(goal) & np.isin(np.arange(len(pupils)), pupil_of[known])
    q = np.where(has_target, q, np.nan)
    per_pupil = pd.DataFrame(
        {
            "subject_targets_percentile": q * 100,
            "subject_targets_attainment8": np.where(has_target, total, np.nan),
            "within_tolerance": pd.array(  # NA: no target
                np.where(has_target, np.abs(total - goal) <= TARGET_TOLERANCE + 1e-9, None),
                dtype="boolean",
            ),
        },
        index=pupils,
    )
    share = np.append(q * 100, np.nan)[pupil_of]  # -1 (a pupil without a target): NaN
    return grade_targets(entries, share), per_pupil


def element_targets(raw: pd.DataFrame, total: pd.Series) -> pd.DataFrame:
    """Element targets scaled to add up to ``total`` exactly, each at most its element's
    maximum (18, 18, 27, 27): any excess over a maximum is shared among the other elements in
    proportion to their targets (ks4-methodology §1.1, A8 = sum of the
    element points)."""
    values = raw.to_numpy(dtype=float)
    goal = total.to_numpy(dtype=float)[:, None]
    share = values / values.sum(axis=1, keepdims=True) * goal
    maximum = np.array([ELEMENT_MAXIMUM[e] for e in ELEMENTS], dtype=float)
    for _ in ELEMENTS:  # each pass caps at least one more element, so four passes suffice
        capped = np.minimum(share, maximum)
        excess = (share - capped).sum(axis=1, keepdims=True)
        free = np.where(capped < maximum, capped, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            spread = np.nan_to_num(free / free.sum(axis=1, keepdims=True) * excess)
        share = capped + spread
    return pd.DataFrame(share, index=raw.index, columns=raw.columns)
