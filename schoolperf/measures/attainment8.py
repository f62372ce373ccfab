"""Attainment 8: discounting, the first-entry rule, slot filling, element and pupil scores.

Rule (ks4-methodology §1): English (2 slots, doubled only when both English language and English
literature were entered; the other English may count in open), maths (2 slots), EBacc (the best 3
EBacc-eligible results; combined science may fill two slots at the mean of its grades; EBacc entry
rules do not apply), open (the best 3 of the rest, non-GCSEs only here). Empty slots score 0.

Everything works on whole columns: a result becomes one or two *units* (combined science is two),
units are ranked within each pupil and pool, and the ranks pick the slots.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schoolperf.frames import (
    on_distinct,
    positions_in,
    pupil_positions,
    ranked_groups,
    run_starts,
    sort_order,
    sorted_categorical,
)
from schoolperf.measures.eligibility import as_exception, not_counted_reason

ELEMENTS = ("english", "maths", "ebacc", "open")
EBACC_ROLES = (
    "combined_science",
    "science",
    "computer_science",
    "history",
    "geography",
    "language",
)
ENGLISH_ROLES = ("english_language", "english_literature")
OPEN_ROLES = ("open", "open_technical")
_LATEST = pd.Timestamp.max.normalize()
# why a result, or a unit of one, fills no slot (the slot audit's words)
NO_RESULT = "no result (blank, X or absent)"
NOT_A_QUALIFICATION = "not a qualification that counts in the performance tables"
UNRECOGNISED = "subject not recognised, so not counted: add it with --subjects if it is approved"
SURPLUS_MATHS = "surplus maths: only one maths qualification counts"
SURPLUS_OPEN = "surplus: the three open slots hold better results"
# Tie-breaks must not depend on row order (a figure never changes with row order).
_TIE_BREAK = ["subject_title", "grade_code", "exam_date", "unit"]


def _date_text(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("no date")


def discount_key(results: pd.DataFrame) -> pd.Series:
    """What a result discounts against: its discount code, or without one its subject."""

    def key(distinct: pd.DataFrame) -> pd.DataFrame:
        code = distinct["discount_code"]
        return code.where(code != "", "subject:" + distinct["subject_title"]).to_frame("key")

    return on_distinct(results, ["discount_code", "subject_title"], key, True)["key"]


def apply_discounting(results: pd.DataFrame) -> pd.DataFrame:
    """Mark the results that count after discounting, with the reason for each that does not.

    Rule: only one result per discount code counts; the first entry (earliest exam date) counts,
    and on the same date the better result (ks4-methodology §1.6, DfE discounting guidance),
    except that an AS level in English or maths always counts over the GCSE it shares a code
    with (AS level exception discounting, :mod:`schoolperf.measures.eligibility`). A
    result without a discount code discounts only against the same subject. Results without a
    date are taken as sat on one unknown date, after every dated result. Short courses and
    IGCSEs count nowhere (:mod:`schoolperf.measures.eligibility`).
    Adds ``counts`` (bool) and ``reason`` (text, empty where the result counts, as Python
    strings: :func:`fill_slots` adds its own before they become a categorical).
    """
    out = results.copy()
    entry = out["entry"].to_numpy(dtype=bool)
    reason = np.full(len(out), "", dtype=object)
    reason[~entry] = NO_RESULT
    not_counting = entry & (out["role"] == "not_counting").to_numpy()
    kind_reason = not_counted_reason(out)
    reason[not_counting] = np.where(
        kind_reason[not_counting] != "",
        kind_reason[not_counting],
        NOT_A_QUALIFICATION,
    )
    reason[entry & (out["role"] == "unrecognised").to_numpy()] = UNRECOGNISED
    live = reason == ""
    code = discount_key(out)
    exception = as_exception(out)
    ranked = out[live].assign(
        _code=code[live],
        _gcse=~exception[live],  # an AS level in English or maths first, whatever its date
        _date=out.loc[live, "exam_date"].fillna(_LATEST),
        unit=0,
    )
    rank, leader = ranked_groups(
        ranked,
        ["upn", "_code"],
        ["_gcse", "_date", "points", *_TIE_BREAK],
        [True, True, False, True, True, True, True],
    )
    lost = rank > 0  # the result that counts instead is the first of its (pupil, code) group
    losers = ranked[lost]
    winner = leader[lost]
    won_subject = ranked["subject_title"].iloc[winner].to_numpy(dtype=object)
    won_date = ranked["exam_date"].iloc[winner].reset_index(drop=True)
    same_subject = won_subject == losers["subject_title"].to_numpy()
    earlier = ranked["_date"].to_numpy()[winner] < losers["_date"].to_numpy()
    by_exception = ~ranked["_gcse"].to_numpy()[winner] & losers["_gcse"].to_numpy()
    reason[np.flatnonzero(live)[lost]] = np.select(
        [by_exception, same_subject & earlier],
        [
            "discounted: "
            + won_subject
            + " counts instead (an AS level in English or maths always discounts the GCSE "
            "in the same subject)",
            "not first entry: the " + _date_text(won_date).to_numpy() + " entry counts",
        ],
        "discounted: "
        + won_subject
        + " has the same discount code ("
        + losers["_code"].to_numpy()
        + ") and counts instead",
    )
    out["reason"] = pd.Series(reason, index=out.index, dtype=object)
    out["counts"] = reason == ""
    return out


def _units(results: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: combined science gives two units (``unit`` 0 and 1) at its per-slot
    points; every other result one unit."""
    repeats = results["units"].to_numpy(dtype=np.int64)
    rows = np.repeat(np.arange(len(results)), repeats)
    units = results.iloc[rows].reset_index(drop=True)
    units["unit"] = np.arange(len(rows)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    units["result_id"] = results.index.to_numpy()[rows]
    return units


def _rank_order(units: pd.DataFrame) -> np.ndarray:
    """Units by pupil, then best points first, ties broken by ``_TIE_BREAK`` (never by row
    order, so no figure changes with row order)."""
    return sort_order(units, ["upn", "points", *_TIE_BREAK], [True, False, True, True, True, True])


def fill_slots(results: pd.DataFrame) -> pd.DataFrame:
    """Every unit of every result with where it went: ``element``, ``slot``, ``weight`` (0 where
    it did not count) and ``reason``.

    Rule: English element = the better English, weight 2 only when both language and literature
    were entered, else 1 (ks4-methodology §1.2); maths = the maths result, weight 2, any further
    maths cannot count (§1.3); EBacc = the best 3 EBacc units (§1.4); open = the best 3 of the
    other English, leftover EBacc units and approved other qualifications (§1.5).
    """
    counted = apply_discounting(results)
    units = _units(counted)
    live = units["counts"].to_numpy(dtype=bool)
    role = units["role"]
    element = np.full(len(units), -1, dtype=np.int64)  # position in ELEMENTS; -1: none
    slot = np.zeros(len(units), dtype=np.int64)
    weight = np.zeros(len(units), dtype=np.int64)
    reason = units["reason"].to_numpy(dtype=object, copy=True)
    pupil = pd.factorize(units["upn"])[0]
    # every unit in rank order once (pupil, then best first): a pool's units keep that order,
    # so each pool's ranks are counted along it, with no sort of its own
    order = _rank_order(units)
    place = np.empty(len(units), dtype=np.int64)

    def ranked(pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pool's unit positions, and each one's rank within its pupil."""
        in_order = order[pool[order]]
        place[in_order] = np.arange(len(in_order)) - run_starts(pupil[in_order])
        where = np.flatnonzero(pool)
        return where, place[where]

    where, rank = ranked(live & role.isin(ENGLISH_ROLES).to_numpy())
    entered = np.zeros((pupil.max(initial=-1) + 1, 2), dtype=bool)
    entered[pupil[where], (role.iloc[where] == "english_literature").to_numpy(dtype=int)] = True
    best = where[rank == 0]
    element[best], slot[best] = ELEMENTS.index("english"), 1
    weight[best] = np.where(entered.all(axis=1)[pupil[best]], 2, 1)

    where, rank = ranked(live & (role == "maths").to_numpy())
    maths = where[rank == 0]
    element[maths], slot[maths], weight[maths] = ELEMENTS.index("maths"), 1, 2
    reason[where[rank > 0]] = SURPLUS_MATHS

    where, rank = ranked(live & role.isin(EBACC_ROLES).to_numpy())
    chosen = where[rank < 3]
    element[chosen], slot[chosen], weight[chosen] = ELEMENTS.index("ebacc"), rank[rank < 3] + 1, 1

    pool = role.isin(OPEN_ROLES + EBACC_ROLES + ENGLISH_ROLES).to_numpy()
    where, rank = ranked(live & (element < 0) & (reason == "") & pool)
    chosen = where[rank < 3]
    element[chosen], slot[chosen], weight[chosen] = ELEMENTS.index("open"), rank[rank < 3] + 1, 1
    reason[where[rank >= 3]] = SURPLUS_OPEN
    units["element"] = _element_text(element)
    units["slot"] = slot
    units["weight"] = weight
    units["reason"] = sorted_categorical(reason)
    units["slot_points"] = units["points"].fillna(0) * units["weight"]
    return units


def _element_text(element: np.ndarray) -> pd.Categorical | np.ndarray:
    """Element positions (-1: none) as the element names ("" for none), as a categorical of
    the names that occur in text order (what :func:`schoolperf.frames.as_categories` makes of
    them); no rows: an empty text column, as before."""
    if not len(element):
        return np.array([], dtype=object)
    names = ["", *ELEMENTS]
    text = pd.Categorical.from_codes(element + 1, names)
    return text.reorder_categories(sorted(names)).remove_unused_categories()


def element_order(element: pd.Series) -> np.ndarray:
    """Each slot's element's position in ``ELEMENTS`` (NaN where it filled none; whole
    numbers when every slot filled one, as a mapping of the names gives)."""
    position = positions_in(element, ELEMENTS)
    return position if (position >= 0).all() else np.where(position >= 0, position, np.nan)


def pupil_attainment8(units: pd.DataFrame, pupils: pd.Index) -> pd.DataFrame:
    """Per pupil: ``attainment8`` and its four elements, plus EBacc and open slots filled.

    Rule: A8 is the sum of the 10 weighted slots (ks4-methodology §1.1); pupils without results
    score 0.
    """
    filled = units[units["weight"] > 0]
    key = pupil_positions(filled["upn"], pupils) * len(ELEMENTS)
    key += positions_in(filled["element"], ELEMENTS)
    size = (len(pupils), len(ELEMENTS))
    points = filled["slot_points"].to_numpy(dtype=float)
    elements = np.bincount(key, points, minlength=size[0] * size[1]).reshape(size)
    counts = np.bincount(key, minlength=size[0] * size[1]).reshape(size)
    out = pd.DataFrame(elements, index=pupils, columns=[f"attainment8_{e}" for e in ELEMENTS])
    out.insert(0, "attainment8", elements.sum(axis=1))
    out["ebacc_slots_filled"] = counts[:, ELEMENTS.index("ebacc")]
    out["open_slots_filled"] = counts[:, ELEMENTS.index("open")]
    out.index.name = "upn"
    return out
