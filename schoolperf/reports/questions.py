"""What a pack asks and warns in words: the questions for the meeting, drawn from what the
figures show, and the caveats every pack carries."""

from __future__ import annotations

from typing import Any

from schoolperf.analysis import Analysis
from schoolperf.reference import GROUP_NAMES
from schoolperf.reports.formatters import pct, score


def meeting_questions(
    analysis: Analysis, key_groups: list[dict[str, Any]], national: dict[str, float]
) -> list[str]:
    """Questions for the meeting, from what the figures show: each key group significantly
    below what it is compared with, an EBacc entry below national, a school P8 not
    distinguishable from average, and subjects."""
    questions = []
    for g in key_groups:
        p8 = g.get("progress8") or {}
        if g["suppressed"] or p8.get("verdict") != "significantly below":
            continue
        few = " With so few pupils, look at each pupil's story." if g["pupils"] < 10 else ""
        against = str(p8["against"])
        against = f"the {against}" if against.startswith("rest of") else against
        name = GROUP_NAMES[g["group"]][1]
        questions.append(
            f"{name[0].upper()}{name[1:]} ({g['pupils']}): Progress 8 of "
            f"{score(p8['value'])} is significantly below that of {against} "
            f"({score(p8['comparator_value'])}). What is the plan, and how will we know it is "
            f"working?{few}"
        )
    school = analysis.school
    entry, entry_national = school.get("ebacc_entry_pct"), national.get("ebacc_entry_pct")
    if entry is not None and entry_national is not None and entry < entry_national:
        questions.append(
            f"{pct(entry)} of pupils entered the EBacc, against {pct(entry_national)} "
            "nationally: is that the curriculum we intend for them?"
        )
    if (
        school.get("progress8_adjusted_ci_low") is not None
        and school["progress8_adjusted_ci_low"] <= 0 <= school["progress8_adjusted_ci_high"]
    ):
        questions.append(
            "Our Progress 8 is not significantly different from the national "
            "average: which subjects or groups pulled it up or down?"
        )
    questions.append(
        "Which subjects' value added stands out, and what explains it (staffing, "
        "curriculum time, entry patterns)?"
    )
    return questions


def substitute_baseline(analysis: Analysis) -> bool:
    """Whether progress is measured from a substitute baseline, not KS2 (``--baseline``)."""
    return str(analysis.school.get("progress8_baseline", "")).startswith("SUBSTITUTE")


def caveats(analysis: Analysis, min_group: int) -> list[str]:
    caveats = [
        "These results are provisional and unvalidated: the DfE's checking exercise and final "
        "tables may differ.",
        "A confidence interval shows the range the school's true score is likely to lie in; a "
        "score is only 'significantly' above or below average when the whole interval is.",
        f"Groups with fewer than {min_group} pupils are suppressed; groups with fewer than 10 "
        "are flagged, because one or two pupils can swing their figures.",
    ]
    if substitute_baseline(analysis):
        caveats.insert(
            0,
            "Progress here is measured from a substitute baseline, not KS2: "
            "it is not the DfE's Progress 8.",
        )
    return caveats
