"""Recognise each result's subject: its canonical title, A8 role, grade scale and discount code.

A result is matched, in order, by its DfE qualification number (``qan``, against the DfE 2019–2021
lists) and then by its subject title against the catalogue (``reference/subjects.csv`` plus a
user's ``--subjects`` file). Titles are compared after normalisation and with qualification
words such as "GCSE (9-1)" removed. A technical award the catalogue links to its DfE
qualification number is scored on that qualification's own grades and points, however it is
entered (ks4-methodology §1.8: "look points up per qualification number rather than by type").

The kind of qualification (``kind``: a GCSE short course, an IGCSE or Level 1/2 Certificate, an
AS level, or blank) is read from the subject title and from the ``qualification`` column wherever
it is given; what each kind counts for is decided in :mod:`schoolperf.measures.eligibility`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from schoolperf.reference import (
    AS_LEVEL,
    AS_LEVEL_WORDS,
    IGCSE,
    NOT_IGCSE,
    QUALIFICATION_COLUMN_KINDS,
    QUALIFICATION_KINDS,
    SHORT_COURSE,
    TITLE_KINDS,
    btec_small_for_large,
    igcse_style_qans,
    normalise_label,
    qualification_lists,
    subject_catalogue,
)

# "igcse" and "short course" are not noise: they name qualifications that are not GCSEs
_NOISE = (
    r"(?:gcse|9 1|full course|level 1 level 2|level 1 2|l1 2|l1 l2|aqa|pearson edexcel|pearson"
    r"|edexcel|ocr|wjec eduqas|eduqas|wjec|ccea)"
)
_LEADING_NOISE = re.compile(rf"^(?:{_NOISE}\s*)+")
_TRAILING_NOISE = re.compile(rf"(?:\s*{_NOISE})+$")
UNRECOGNISED = "unrecognised"
NOT_GCSE_KINDS = (SHORT_COURSE, IGCSE)


def _stripped(label: pd.Series) -> pd.Series:
    return label.str.replace(_LEADING_NOISE, "", regex=True).str.replace(
        _TRAILING_NOISE, "", regex=True
    )


def normalise_qan(qan: pd.Series) -> pd.Series:
    """QAN as the DfE lists write it (``601/8131/X`` → ``6018131X``), a Pearson BTEC large
    qualification replaced by the small one it is credited as (ks4-methodology §1.6)."""
    text = qan.astype(str).str.upper().str.replace(r"[\s/]", "", regex=True)
    return text.map(btec_small_for_large()).fillna(text)


def qualification_kind(label: pd.Series, qualification: pd.Series | None) -> pd.Series:
    """Each result's kind of qualification (``short_course``, ``igcse``, ``as_level`` or ``""``):
    from its normalised subject title first, then from the ``qualification`` column."""
    kind = pd.Series("", index=label.index, dtype=object)
    for name, pattern in TITLE_KINDS.items():
        kind = kind.mask((kind == "") & label.str.contains(pattern), name)
    written = pd.Series("", index=label.index)
    if qualification is not None:
        written = qualification.astype(str).map(normalise_label)
        for name, pattern in QUALIFICATION_COLUMN_KINDS.items():
            kind = kind.mask((kind == "") & written.str.contains(pattern), name)
    # a Cambridge National or other technical "Level 1/2 Certificate" is not an IGCSE
    technical = label.str.contains(NOT_IGCSE) | written.str.contains(NOT_IGCSE)
    return kind.mask((kind == IGCSE) & technical, "")


def resolve_subjects(results: pd.DataFrame, subjects_file: str | None = None) -> pd.DataFrame:
    """Columns ``subject_title, role, scale, discount_code, matrix_subject, matched_by, kind,
    points_qan`` for each result row.

    ``matched_by`` is ``qan``, ``catalogue`` or ``unrecognised``. An unrecognised subject gets
    the role ``unrecognised``: it does not count (only approved qualifications count in A8, and
    schoolperf will not guess that one is); the caller names each in a warning. ``points_qan``
    is the DfE qualification number whose points list scores the result (scale ``qan``), from
    the export's QAN or the catalogue's; blank where the catalogue's grade scale scores it.
    """
    catalogue = subject_catalogue(subjects_file).set_index("alias")
    subject = results["subject"].astype(str)
    label = subject.map(normalise_label)
    kind = qualification_kind(label, results.get("qualification"))
    # an AS level not in the catalogue under its own title is looked up as its subject
    # ("GCE AS Level Maths" as "maths")
    as_subject = label.str.replace(AS_LEVEL_WORDS, " ", regex=True).str.split().str.join(" ")
    as_subject = as_subject.where((kind == AS_LEVEL) & ~label.isin(catalogue.index), label)
    key = as_subject.where(as_subject.isin(catalogue.index), _stripped(as_subject))
    known = key.isin(catalogue.index)
    matched = catalogue.reindex(key.where(known))
    catalogue_qan = matched["qan"].fillna("") if "qan" in matched else pd.Series("", index=key)
    out = pd.DataFrame(
        {
            "subject_title": matched["subject"].to_numpy(),
            "role": matched["role"].to_numpy(),
            "scale": matched["scale"].to_numpy(),
            "discount_code": matched["discount_code"].to_numpy(),
            "matrix_subject": matched["matrix_subject"].fillna("").to_numpy(),
            "matched_by": "catalogue",
            "kind": kind.to_numpy(),
            "points_qan": normalise_qan(catalogue_qan).where(catalogue_qan != "", "").to_numpy(),
        },
        index=results.index,
    )
    unknown = ~known.to_numpy()
    out.loc[unknown, "subject_title"] = subject[unknown]
    out.loc[unknown, "role"] = UNRECOGNISED
    out.loc[unknown, "scale"] = ""
    out.loc[unknown, "discount_code"] = ""
    out.loc[unknown, "matched_by"] = "unrecognised"
    out.loc[out["points_qan"] != "", "scale"] = "qan"

    if "qan" in results.columns:
        qan = normalise_qan(results["qan"])
        lists = qualification_lists().set_index("qan")
        by_qan = qan.isin(lists.index) & (qan != "")
        found = lists.reindex(qan[by_qan])
        out.loc[by_qan, "role"] = found["role"].to_numpy()
        out.loc[by_qan, "scale"] = "qan"
        out.loc[by_qan, "points_qan"] = qan[by_qan]
        out.loc[by_qan, "discount_code"] = found["discount_code"].to_numpy()
        out.loc[by_qan, "matched_by"] = "qan"
        # the DfE list says what the qualification is, whatever the qualification column says
        gce_as = found["qualification_type"].eq("GCE AS level").to_numpy()
        out.loc[by_qan, "kind"] = np.where(gce_as, AS_LEVEL, "")
        out.loc[qan.isin(igcse_style_qans()) & (qan != ""), "kind"] = IGCSE
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
    out.loc[(out["kind"] == IGCSE) & (out["role"] == "open_technical"), "kind"] = ""
    # a short course or IGCSE is named as the export names it, with its kind where only the
    # qualification column gave it ("English Language (International GCSE)")
    other = out["kind"].isin(NOT_GCSE_KINDS).to_numpy()
    if other.any():
        titled = label.str.contains("|".join(TITLE_KINDS[k].pattern for k in NOT_GCSE_KINDS))
        given = (
            results["qualification"].astype(str).str.strip() if "qualification" in results else ""
        )
        given = pd.Series(given, index=results.index).where(
            lambda g: g != "", out["kind"].map(QUALIFICATION_KINDS)
        )
        out.loc[other, "subject_title"] = subject[other].where(
            titled[other], subject[other] + " (" + given[other] + ")"
        )
        out.loc[other, "matrix_subject"] = ""
    # an AS level is scored on the AS scale, named as such, and has no GCSE transition matrix
    as_level = (out["kind"] == AS_LEVEL) & (out["matched_by"] != "unrecognised")
    out.loc[as_level & (out["scale"] != "qan"), "scale"] = "as_level"
    named = out["subject_title"].astype(str)
    out.loc[as_level, "subject_title"] = named[as_level].where(
        named[as_level].str.match(r"(?i)(gce )?as\b"), "AS " + named[as_level]
    )
    out.loc[as_level, "matrix_subject"] = ""
    return out
