"""Headline measures beside A8/P8: basics, EBacc entry and achievement, EBacc APS, A8 profile.

Rules (ks4-methodology §1.9–§1.10):
* basics 4+/5+: maths ≥ 4 (5) and English language **or** literature ≥ 4 (5);
* EBacc entry: English language **and** literature, maths, science (combined science, or three of
  biology, chemistry, physics and computer science), history or geography, and a language;
* EBacc 9–4 / 9–5: entered, and the threshold met in English (either), maths, science (combined
  science's lower grade, e.g. 5-4 meets 9–4 but not 9–5, per the DfE's reply quoted by 4Matrix;
  or two of the single sciences), a humanity and a language;
* EBacc APS: (English [both taken, else 0] + maths + best two sciences + humanity + language) / 6,
  combined science giving its two grades, single sciences only when three were taken.
Only results that count after discounting are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schoolperf.frames import rank_within
from schoolperf.measures.points import threshold_grades

THRESHOLDS = (4, 5)
A8_PROFILE = (40, 50, 60, 70)
_SINGLE_SCIENCES = ("science", "computer_science")
_HUMANITIES = ("history", "geography")


def _counting_results(slots: pd.DataFrame) -> pd.DataFrame:
    """One row per result that counts after discounting, with its high/low grades."""
    results = slots[slots["counts"] & (slots["unit"] == 0)].copy()
    results["grade_high"], results["grade_low"] = threshold_grades(results)
    legacy = results["scale"] == "legacy"
    for t in THRESHOLDS:
        # unreformed (A*-G) results count at C or better for either threshold (§1.9 [E3])
        results[f"pass{t}"] = np.where(legacy, results["points"] >= 4, results["grade_low"] >= t)
    return results


def _by_role(results: pd.DataFrame, pupils: pd.Index) -> pd.DataFrame:
    """Per pupil and role: entries, best points, top-two sum, passes at each threshold."""
    rank = rank_within(results, ["upn", "role"], ["points"], [False])
    ordered = results.assign(top2=results["points"].where(rank < 2, 0.0))
    grouped = ordered.groupby(["upn", "role"])
    table = pd.concat(
        {
            "n": grouped.size(),
            "best": grouped["points"].max(),
            "top2": grouped["top2"].sum(),
            **{f"pass{t}": grouped[f"pass{t}"].sum() for t in THRESHOLDS},
        },
        axis=1,
    ).unstack("role")
    return table.reindex(pupils).fillna(0)


def _role(table: pd.DataFrame, stat: str, roles: tuple[str, ...]) -> pd.DataFrame:
    columns = pd.MultiIndex.from_product([[stat], roles])
    return table.reindex(columns=columns, fill_value=0)[stat]


def pupil_headlines(slots: pd.DataFrame, pupils: pd.Index) -> pd.DataFrame:
    """Per pupil: entered/achieved flags for basics and EBacc, and the EBacc APS."""
    table = _by_role(_counting_results(slots), pupils)
    english = ("english_language", "english_literature")
    n_eng = _role(table, "n", english)
    n_single = _role(table, "n", _SINGLE_SCIENCES).sum(axis=1)
    n = {role: _role(table, "n", (role,))[role] for role in ("maths", "combined_science")}
    n_hum = _role(table, "n", _HUMANITIES).sum(axis=1)
    n_lang = _role(table, "n", ("language",))["language"]
    both_english = (n_eng > 0).all(axis=1)

    out = pd.DataFrame(index=pupils)
    out["english_maths_entered"] = (n_eng.sum(axis=1) > 0) & (n["maths"] > 0)
    science_entered = (n["combined_science"] > 0) | (n_single >= 3)
    out["ebacc_entered"] = (
        both_english & (n["maths"] > 0) & science_entered & (n_hum > 0) & (n_lang > 0)
    )
    for t in THRESHOLDS:
        passes = f"pass{t}"
        english_pass = _role(table, passes, english).sum(axis=1) > 0
        maths_pass = _role(table, passes, ("maths",))["maths"] > 0
        science_pass = (_role(table, passes, ("combined_science",))["combined_science"] > 0) | (
            (n_single >= 3) & (_role(table, passes, _SINGLE_SCIENCES).sum(axis=1) >= 2)
        )
        humanity_pass = _role(table, passes, _HUMANITIES).sum(axis=1) > 0
        language_pass = _role(table, passes, ("language",))["language"] > 0
        out[f"basics_{t}"] = english_pass & maths_pass
        out[f"ebacc_9{t}"] = (
            out["ebacc_entered"]
            & english_pass
            & maths_pass
            & science_pass
            & humanity_pass
            & language_pass
        )
    best = {
        role: _role(table, "best", (role,))[role]
        for role in ("maths", "combined_science", "language")
    }
    english_points = _role(table, "best", english).max(axis=1).where(both_english, 0.0)
    # best two across biology/chemistry/physics/computer science, when three were taken
    singles = _best_two_singles(table).where(n_single >= 3, 0.0)
    science_points = np.maximum(2 * best["combined_science"], singles)
    humanity_points = _role(table, "best", _HUMANITIES).max(axis=1)
    out["ebacc_aps"] = (
        english_points + best["maths"] + science_points + humanity_points + best["language"]
    ) / 6
    return out


def _best_two_singles(table: pd.DataFrame) -> pd.Series:
    """Sum of the two best grades across the single sciences (each role's best and second)."""
    best = _role(table, "best", _SINGLE_SCIENCES)
    second = _role(table, "top2", _SINGLE_SCIENCES) - best
    candidates = np.sort(np.concatenate([best.to_numpy(), second.to_numpy()], axis=1), axis=1)
    return pd.Series(candidates[:, -1] + candidates[:, -2], index=table.index)


def headline_measures(pupils: pd.DataFrame) -> dict[str, float | None]:
    """School (or group) percentages and means of the pupil headline columns."""

    def pct(column: str) -> float:
        return float(pupils[column].mean() * 100)

    out: dict[str, float | None] = {
        "basics_4_pct": pct("basics_4"),
        "basics_5_pct": pct("basics_5"),
        "english_maths_entry_pct": pct("english_maths_entered"),
        "ebacc_entry_pct": pct("ebacc_entered"),
        "ebacc_94_pct": pct("ebacc_94"),
        "ebacc_95_pct": pct("ebacc_95"),
        "ebacc_aps": float(pupils["ebacc_aps"].mean()),
        "ebacc_slots_filled": float(pupils["ebacc_slots_filled"].mean()),
        "open_slots_filled": float(pupils["open_slots_filled"].mean()),
    }
    for threshold in A8_PROFILE:
        out[f"attainment8_{threshold}_plus_pct"] = float(
            (pupils["attainment8"] >= threshold).mean() * 100
        )
    if pupils.empty:  # an empty group: every figure is "not computed"
        return dict.fromkeys(out)
    return out
