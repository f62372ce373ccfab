"""Which qualifications count at all, and the AS level exception to first-entry discounting.

Rules:
* **GCSE short courses count nowhere.** Short courses stopped counting (as half a GCSE) in the
  performance tables from 2013/14, and the DfE 2019 points list has no short course in it
  (ks4-methodology §1.6, sources [CT1], [RE1], [Q1]).
* **IGCSEs and Level 1/2 Certificates count nowhere.** Since 2017 only reformed GCSE (9–1) and
  AS levels fill the English and maths slots, and legacy IGCSEs are on no DfE list of
  qualifications that count for 2024: the DfE 2019 points list holds none (ks4-methodology
  §1.2, §1.3, sources [Q1], [Q2] overview).
* **AS level exception discounting.** An AS level in English or mathematics discounts the GCSE
  in the same subject (same discount code), and the AS level's points count, whichever was sat
  first: "the AS points will always discount the GCSE points" (AQA [A1]); the DfE's discounting
  guide has a section "AS level exception discounting in English and mathematics" [G7]
  (ks4-methodology §1.3).
"""

from __future__ import annotations

import pandas as pd

from schoolperf.frames import on_distinct
from schoolperf.reference import (
    IGCSE,
    NOT_COUNTING,
    QUALIFICATION_KINDS,
    SHORT_COURSE,
    counted,
    plural,
)

# why a result of each kind counts nowhere (the warning's words)
NOT_COUNTED_BECAUSE = {
    SHORT_COURSE: "short courses have not counted in the performance tables since 2014",
    IGCSE: "not a reformed GCSE (9-1) and on no DfE list of qualifications that count",
}
# the slot audit's reason: the kind, then why
NOT_COUNTED_REASONS = {
    kind: f"{QUALIFICATION_KINDS[kind]}: {why}" for kind, why in NOT_COUNTED_BECAUSE.items()
}
AS_EXCEPTION_ROLES = ("maths", "english_language", "english_literature")


def discount_key(results: pd.DataFrame) -> pd.Series:
    """What a result discounts against: its discount code, or without one its subject."""

    def key(distinct: pd.DataFrame) -> pd.DataFrame:
        code = distinct["discount_code"]
        return code.where(code != "", "subject:" + distinct["subject_title"]).to_frame("key")

    return on_distinct(results, ["discount_code", "subject_title"], key, True)["key"]


def counting_roles(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` with the role ``not_counting`` for every result of a kind that counts
    nowhere (short courses, IGCSEs), whatever its subject."""
    never = results["kind"].isin(list(NOT_COUNTED_REASONS)).to_numpy()
    if not never.any():
        return results
    out = results.copy()
    role = out["role"].astype(object).to_numpy(copy=True)
    role[never] = NOT_COUNTING
    out["role"] = role
    return out


def kind_counts(results: pd.DataFrame) -> tuple[tuple[str, int], ...]:
    """Entered results of each kind that counts nowhere, as (kind, count), sorted."""
    entered = results[results["entry"].to_numpy(dtype=bool)]
    counts = entered["kind"].astype(object).value_counts()
    return tuple(sorted((k, int(n)) for k, n in counts.items() if k in NOT_COUNTED_REASONS))


def _article(kind: str) -> str:
    return "an" if QUALIFICATION_KINDS[kind][0] in "AEIOU" else "a"


def kind_warnings(counts: tuple[tuple[str, int], ...]) -> list[str]:
    """One warning per kind of result that counts nowhere."""
    return [
        f"{counted(n, 'result')} {plural(n, 'was', 'were')} NOT counted anywhere because "
        f"{plural(n, 'it', 'each')} is {_article(kind)} "
        f"{QUALIFICATION_KINDS[kind]}: "
        f"{NOT_COUNTED_BECAUSE[kind]}. The slot audit lists {plural(n, 'it', 'them')}."
        for kind, n in counts
    ]
