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

from schoolperf.frames import on_distinct, rank_within

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
# Tie-breaks must not depend on row order (a figure never changes with row order).
_TIE_BREAK = ["subject_title", "grade_code", "exam_date", "unit"]


def _date_text(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("no date")


def discount_key(results: pd.DataFrame) -> pd.Series:
    """What a result discounts against: its discount code, or without one its subject."""

    def key(distinct: pd.DataFrame) -> pd.DataFrame:
        code = distinct["discount_code"]
        return code.where(code != "", "subject:" + distinct["subject_title"]).to_frame("key")

    keys = on_distinct(results, ["discount_code", "subject_title"], key)["key"]
    return keys.astype("category")


def apply_discounting(results: pd.DataFrame) -> pd.DataFrame:
    """Mark the results that count after discounting, with the reason for each that does not.

    Rule: only one result per discount code counts; the first entry (earliest exam date) counts,
    and on the same date the better result (ks4-methodology §1.6, DfE discounting guidance). A
    result without a discount code discounts only against the same subject. Results without a
    date are taken as sat on one unknown date, after every dated result.
    Adds ``counts`` (bool) and ``reason`` (text, empty where the result counts).
    """
    out = results.copy()
    out["reason"] = ""
    out.loc[~out["entry"], "reason"] = "no result (blank, X or absent)"
    out.loc[out["entry"] & (out["role"] == "not_counting"), "reason"] = (
        "not a qualification that counts in the performance tables"
    )
    out.loc[out["entry"] & (out["role"] == "unrecognised"), "reason"] = (
        "subject not recognised, so not counted: add it with --subjects if it is approved"
    )
    live = out["reason"] == ""
    code = discount_key(out)
    ranked = out[live].assign(
        _code=code[live], _date=out.loc[live, "exam_date"].fillna(_LATEST), unit=0
    )
    first = 0 == rank_within(
        ranked,
        ["upn", "_code"],
        ["_date", "points", *_TIE_BREAK],
        [True, False, True, True, True, True],
    )
    winner = ranked[first].set_index(["upn", "_code"])
    losers = ranked[~first]
    key = pd.MultiIndex.from_frame(losers[["upn", "_code"]])
    won_subject = winner["subject_title"].reindex(key).to_numpy()
    won_date = winner["exam_date"].reindex(key)
    same_subject = won_subject == losers["subject_title"].to_numpy()
    earlier = won_date.fillna(_LATEST).to_numpy() < losers["_date"].to_numpy()
    reason = np.where(
        same_subject & earlier,
        "not first entry: the " + _date_text(won_date).to_numpy() + " entry counts",
        "discounted: "
        + won_subject
        + " has the same discount code ("
        + losers["_code"].to_numpy()
        + ") and counts instead",
    )
    out.loc[losers.index, "reason"] = reason
    out["counts"] = out["reason"] == ""
    return out


def _units(results: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: combined science gives two units (``unit`` 0 and 1) at its per-slot
    points; every other result one unit."""
    units = results.loc[results.index.repeat(results["units"])].copy()
    units["unit"] = units.groupby(level=0).cumcount()
    units["result_id"] = units.index
    return units.reset_index(drop=True)


def _rank(units: pd.DataFrame) -> pd.Series:
    """Rank of each unit within its pupil, best points first (0 = best), order-independent."""
    rank = rank_within(units, ["upn"], ["points", *_TIE_BREAK], [False, True, True, True, True])
    return pd.Series(rank, index=units.index)


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
    units["element"] = ""
    units["slot"] = 0
    units["weight"] = 0
    live = units["counts"]

    english = units[live & units["role"].isin(ENGLISH_ROLES)]
    both = english.groupby("upn")["role"].nunique().eq(2)
    rank = _rank(english)
    best = rank.index[rank == 0]
    units.loc[best, ["element", "slot"]] = ["english", 1]
    units.loc[best, "weight"] = np.where(units.loc[best, "upn"].map(both), 2, 1)

    maths = units[live & (units["role"] == "maths")]
    rank = _rank(maths)
    units.loc[rank.index[rank == 0], ["element", "slot", "weight"]] = ["maths", 1, 2]
    units.loc[rank.index[rank > 0], "reason"] = "surplus maths: only one maths qualification counts"

    ebacc = units[live & units["role"].isin(EBACC_ROLES)]
    rank = _rank(ebacc)
    chosen = rank.index[rank < 3]
    units.loc[chosen, "element"] = "ebacc"
    units.loc[chosen, "slot"] = rank[rank < 3].to_numpy() + 1
    units.loc[chosen, "weight"] = 1

    open_pool = units[
        live
        & (units["element"] == "")
        & (units["reason"] == "")
        & (units["role"].isin(OPEN_ROLES + EBACC_ROLES + ENGLISH_ROLES))
    ]
    rank = _rank(open_pool)
    chosen = rank.index[rank < 3]
    units.loc[chosen, "element"] = "open"
    units.loc[chosen, "slot"] = rank[rank < 3].to_numpy() + 1
    units.loc[chosen, "weight"] = 1
    units.loc[rank.index[rank >= 3], "reason"] = "surplus: the three open slots hold better results"
    units["slot_points"] = units["points"].fillna(0) * units["weight"]
    return units


def pupil_attainment8(units: pd.DataFrame, pupils: pd.Index) -> pd.DataFrame:
    """Per pupil: ``attainment8`` and its four elements, plus EBacc and open slots filled.

    Rule: A8 is the sum of the 10 weighted slots (ks4-methodology §1.1); pupils without results
    score 0.
    """
    filled = units[units["weight"] > 0]
    elements = filled.pivot_table(
        index="upn", columns="element", values="slot_points", aggfunc="sum"
    )
    elements = elements.reindex(index=pupils, columns=list(ELEMENTS)).fillna(0.0)
    out = elements.add_prefix("attainment8_")
    out.insert(0, "attainment8", elements.sum(axis=1))
    counts = filled.pivot_table(index="upn", columns="element", values="slot", aggfunc="count")
    counts = counts.reindex(index=pupils, columns=["ebacc", "open"]).fillna(0).astype(int)
    out["ebacc_slots_filled"] = counts["ebacc"]
    out["open_slots_filled"] = counts["open"]
    out.index.name = "upn"
    return out
