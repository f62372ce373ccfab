"""Recognise each result's subject: its canonical title, A8 role, grade scale and discount code.

A result is matched, in order, by its DfE qualification number (``qan``, against the DfE 2019–2021
lists) and then by its subject title against the catalogue (``reference/subjects.csv`` plus a
user's ``--subjects`` file). Titles are compared after normalisation and with qualification
words such as "GCSE (9-1)" removed.
"""

from __future__ import annotations

import re

import pandas as pd

from schoolperf.reference import (
    btec_small_for_large,
    normalise_label,
    qualification_lists,
    subject_catalogue,
)

_NOISE = r"(?:gcse|igcse|9 1|full course|short course|level 1 level 2|level 1 2|l1 2|l1 l2)"
_LEADING_NOISE = re.compile(rf"^(?:{_NOISE}\s*)+")
_TRAILING_NOISE = re.compile(rf"(?:\s*{_NOISE})+$")
UNRECOGNISED = "unrecognised"


def _stripped(label: pd.Series) -> pd.Series:
    return label.str.replace(_LEADING_NOISE, "", regex=True).str.replace(
        _TRAILING_NOISE, "", regex=True
    )


def normalise_qan(qan: pd.Series) -> pd.Series:
    """QAN as the DfE lists write it (``601/8131/X`` → ``6018131X``), a Pearson BTEC large
    qualification replaced by the small one it is credited as (ks4-methodology §1.6)."""
    text = qan.astype(str).str.upper().str.replace(r"[\s/]", "", regex=True)
    return text.map(btec_small_for_large()).fillna(text)


def resolve_subjects(results: pd.DataFrame, subjects_file: str | None = None) -> pd.DataFrame:
    """Columns ``subject_title, role, scale, discount_code, matched_by`` for each result row.

    ``matched_by`` is ``qan``, ``catalogue`` or ``unrecognised``. An unrecognised subject gets
    the role ``unrecognised``: it does not count (only approved qualifications count in A8, and
    schoolperf will not guess that one is); the caller names each in a warning.
    """
    catalogue = subject_catalogue(subjects_file).set_index("alias")
    subject = results["subject"].astype(str)
    label = subject.map(normalise_label)
    key = label.where(label.isin(catalogue.index), _stripped(label))
    known = key.isin(catalogue.index)
    matched = catalogue.reindex(key.where(known))
    out = pd.DataFrame(
        {
            "subject_title": matched["subject"].to_numpy(),
            "role": matched["role"].to_numpy(),
            "scale": matched["scale"].to_numpy(),
            "discount_code": matched["discount_code"].to_numpy(),
            "matrix_subject": matched["matrix_subject"].fillna("").to_numpy(),
            "matched_by": "catalogue",
        },
        index=results.index,
    )
    unknown = ~known.to_numpy()
    out.loc[unknown, "subject_title"] = subject[unknown]
    out.loc[unknown, "role"] = UNRECOGNISED
    out.loc[unknown, "scale"] = ""
    out.loc[unknown, "discount_code"] = ""
    out.loc[unknown, "matched_by"] = "unrecognised"

    if "qan" in results.columns:
        qan = normalise_qan(results["qan"])
        lists = qualification_lists().set_index("qan")
        by_qan = qan.isin(lists.index) & (qan != "")
        found = lists.reindex(qan[by_qan])
        out.loc[by_qan, "role"] = found["role"].to_numpy()
        out.loc[by_qan, "scale"] = "qan"
        out.loc[by_qan, "discount_code"] = found["discount_code"].to_numpy()
        out.loc[by_qan, "matched_by"] = "qan"
        untitled = by_qan & (subject.str.strip() == "")
        titles = found["title"].str.replace(r"^.* in ", "", regex=True)
        out.loc[untitled, "subject_title"] = titles[untitled[by_qan].to_numpy()].to_numpy()
        title_key = out.loc[by_qan, "subject_title"].map(normalise_label)
        out.loc[by_qan, "matrix_subject"] = (
            catalogue["matrix_subject"].reindex(title_key).fillna("").to_numpy()
        )
    if "discount_code" in results.columns:
        given = results["discount_code"].astype(str).str.strip().str.upper()
        out["discount_code"] = given.where(given != "", out["discount_code"])
    return out
