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

from schoolperf.frames import positions_in, pupil_positions, rank_within
from schoolperf.measures.points import threshold_grades
from schoolperf.measures.totals import A8_PROFILE, mean

THRESHOLDS = (4, 5)
_SINGLE_SCIENCES = ("science", "computer_science")
_HUMANITIES = ("history", "geography")


def _counting_results(slots: pd.DataFrame) -> pd.DataFrame:
    """One row per result that counts after discounting, with its high/low grades."""
    counting = (slots["counts"] & (slots["unit"] == 0)).to_numpy()
    results = slots.loc[counting, ["upn", "role", "points", "grade_code", "scale"]]
    results["grade_high"], results["grade_low"] = threshold_grades(results)
    legacy = results["scale"] == "legacy"
    for t in THRESHOLDS:
        # unreformed (A*-G) results count at C or better for either threshold (§1.9 [E3])
        results[f"pass{t}"] = np.where(legacy, results["points"] >= 4, results["grade_low"] >= t)
    return results


_ROLES = (
    "english_language",
    "english_literature",
    "maths",
    "combined_science",
    *_SINGLE_SCIENCES,
    *_HUMANITIES,
    "language",
)


def _by_role(results: pd.DataFrame, pupils: pd.Index) -> dict[str, np.ndarray]:
    """Per pupil (rows, in ``pupils`` order) and role (columns, ``_ROLES``): entries, best
    points, top-two sum and passes at each threshold; 0 where the pupil has none."""
    role = positions_in(results["role"], _ROLES)
    kept = results[role >= 0]
    size = (len(pupils), len(_ROLES))
    key = pupil_positions(kept["upn"], pupils) * len(_ROLES) + role[role >= 0]
    points = np.nan_to_num(kept["points"].to_numpy(dtype=float))
    rank = rank_within(kept, ["upn", "role"], ["points"], [False])

    def total(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(key, weights, minlength=size[0] * size[1]).reshape(size)

    best = np.zeros(size[0] * size[1])
    best[key[rank == 0]] = points[rank == 0]
    return {
        "n": total(),
        "best": best.reshape(size),
        "top2": total(np.where(rank < 2, points, 0.0)),
        **{f"pass{t}": total(kept[f"pass{t}"].to_numpy(dtype=float)) for t in THRESHOLDS},
    }


def _role(table: dict[str, np.ndarray], stat: str, roles: tuple[str, ...]) -> np.ndarray:
    """``stat`` of ``roles``: one column per role."""
    return table[stat][:, [_ROLES.index(r) for r in roles]]


def pupil_headlines(slots: pd.DataFrame, pupils: pd.Index) -> pd.DataFrame:
    """Per pupil: entered/achieved flags for basics and EBacc, and the EBacc APS."""
    table = _by_role(_counting_results(slots), pupils)
    english = ("english_language", "english_literature")
    n_eng = _role(table, "n", english)
    n_single = _role(table, "n", _SINGLE_SCIENCES).sum(axis=1)
    n = {role: _role(table, "n", (role,))[:, 0] for role in ("maths", "combined_science")}
    n_hum = _role(table, "n", _HUMANITIES).sum(axis=1)
    n_lang = _role(table, "n", ("language",))[:, 0]
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
        maths_pass = _role(table, passes, ("maths",))[:, 0] > 0
        science_pass = (_role(table, passes, ("combined_science",))[:, 0] > 0) | (
            (n_single >= 3) & (_role(table, passes, _SINGLE_SCIENCES).sum(axis=1) >= 2)
        )
        humanity_pass = _role(table, passes, _HUMANITIES).sum(axis=1) > 0
        language_pass = _role(table, passes, ("language",))[:, 0] > 0
        out[f"basics_{t}"] = english_pass & maths_pass
        out[f"ebacc_9{t}"] = (
            out["ebacc_entered"].to_numpy()
            & english_pass
            & maths_pass
            & science_pass
            & humanity_pass
            & language_pass
        )
    best = {
        role: _role(table, "best", (role,))[:, 0]
        for role in ("maths", "combined_science", "language")
    }
    english_points = np.where(both_english, _role(table, "best", english).max(axis=1), 0.0)
    # best two across biology/chemistry/physics/computer science, when three were taken
    singles = np.where(n_single >= 3, _best_two_singles(table), 0.0)
    science_points = np.maximum(2 * best["combined_science"], singles)
    humanity_points = _role(table, "best", _HUMANITIES).max(axis=1)
    out["ebacc_aps"] = (
        english_points + best["maths"] + science_points + humanity_points + best["language"]
    ) / 6
    return out


def _best_two_singles(table: dict[str, np.ndarray]) -> np.ndarray:
    """Sum of the two best grades across the single sciences (each role's best and second)."""
    best = _role(table, "best", _SINGLE_SCIENCES)
    second = _role(table, "top2", _SINGLE_SCIENCES) - best
    candidates = np.sort(np.concatenate([best, second], axis=1), axis=1)
    return candidates[:, -1] + candidates[:, -2]


def headline_measures(total: pd.Series) -> dict[str, float | None]:
    """School (or group) percentages and means of the pupil headline columns, from the
    group's :func:`~schoolperf.measures.totals.totals`."""

    def pct(column: str) -> float:
        return mean(total, column) * 100

    out: dict[str, float | None] = {
        "basics_4_pct": pct("basics_4"),
        "basics_5_pct": pct("basics_5"),
        "english_maths_entry_pct": pct("english_maths_entered"),
        "ebacc_entry_pct": pct("ebacc_entered"),
        "ebacc_94_pct": pct("ebacc_94"),
        "ebacc_95_pct": pct("ebacc_95"),
        "ebacc_aps": mean(total, "ebacc_aps"),
        "ebacc_slots_filled": mean(total, "ebacc_slots_filled"),
        "open_slots_filled": mean(total, "open_slots_filled"),
    }
    for threshold in A8_PROFILE:
        out[f"attainment8_{threshold}_plus_pct"] = pct(f"attainment8_{threshold}_plus")
    if not total["pupils"]:  # an empty group: every figure is "not computed"
        return dict.fromkeys(out)
    return out
