"""The tracking document: the same measures projected from teachers' predicted grades at each
data drop, and how they moved.

``track`` analyses every drop (all are validated before anything is written), then reports each
drop's headline measures overall and per group, the movement between consecutive drops and since
the first, subject movement, the pupils whose projected P8 fell by more than a threshold, the
distance to targets, and configured alerts. ``for_audience`` gives the governors' version, and
``history_table`` one row of headline projections per drop.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from schoolperf.analysis import Analysis, analyse, plain_value
from schoolperf.errors import InputError, Problem
from schoolperf.outputs.files import safe_for_spreadsheet
from schoolperf.reference import plural
from schoolperf.tracking.config import TrackSettings
from schoolperf.tracking.drops import Drop

TRACK_MEASURES = [
    "attainment8",
    "progress8_adjusted",  # the DfE's headline P8 (extreme negative scores adjusted)
    "progress8",
    "basics_4_pct",
    "basics_5_pct",
    "ebacc_aps",
    "ebacc_entry_pct",
]
GROUP_MEASURES = ["attainment8", "progress8_adjusted", "progress8", "basics_5_pct", "ebacc_aps"]
ALERTS = {
    "progress8_below": "projected Progress 8 is {value}, below the alert level of {limit}",
    "attainment8_below": "projected Attainment 8 is {value}, below the alert level of {limit}",
    "basics_5_below": "projected grade 5+ in English and maths is {value}, below the alert "
    "level of {limit}",
    "gap_widening": "the disadvantaged pupils' Progress 8 gap to non-disadvantaged pupils "
    "nationally {moved} since the last drop (alert when it widens by more than {limit})",
    "pupils_falling_above": "{value} pupils' projected Progress 8 fell by more than the "
    "threshold since the last drop (alert above {limit})",
}


def _alert_message(name: str, value: float, limit: float, gap: float | None) -> str:
    """An alert in words, each figure in its own format: P8 signed, A8 to one place, a share
    as a percentage; the gap's value and its change stated apart ("widened by 0.20 to
    −0.62"), so the sign reads the right way."""
    if name == "gap_widening":
        now = "" if gap is None else f" to {gap:+.2f}"
        behind = gap is None or gap < 0  # disadvantaged pupils behind: a fall widens the gap
        if value < 0:
            moved = f"{'widened' if behind else 'fell'} by {-value:.2f}{now}"
        elif value > 0:
            moved = f"{'narrowed' if behind else 'rose'} by {value:.2f}{now}"
        else:
            moved = f"did not change{now}"
        return ALERTS[name].format(moved=moved, limit=f"{limit:.2f}")
    shown = {
        "progress8_below": lambda v: f"{v:+.2f}",
        "attainment8_below": lambda v: f"{v:.1f}",
        "basics_5_below": lambda v: f"{v:.1f}%",
        "pupils_falling_above": lambda v: f"{v:g}",
    }[name]
    return ALERTS[name].format(value=shown(value), limit=shown(limit))


def _change(values: list[float | None]) -> dict[str, float | None]:
    known = [v for v in values if v is not None]
    last = values[-1] if values else None
    previous = values[-2] if len(values) > 1 else None
    first = known[0] if known else None
    return {
        "since_previous": None if last is None or previous is None else last - previous,
        "since_first": None if last is None or first is None or len(values) < 2 else last - first,
    }


def _falling_pupils(before: Analysis, after: Analysis, threshold: float) -> list[dict]:
    p8 = pd.concat(
        [before.pupils["progress8"], after.pupils["progress8"]], axis=1, keys=["before", "after"]
    ).dropna()
    fell = p8[(p8["after"] - p8["before"]) < -threshold].copy()
    fell["change"] = fell["after"] - fell["before"]
    fell = fell.sort_values(["change", "before"]).reset_index()
    return [
        {"upn": r.upn, "from": r.before, "to": r.after, "change": r.change}
        for r in fell.itertuples()
    ]


def _targets(analysis: Analysis, path: str) -> dict[str, Any]:
    """Distance of the latest projections from a targets file (schoolperf targets' CSV, or a
    school's own with columns upn and target_attainment8)."""
    try:
        table = pd.read_csv(path, comment="#", dtype={"upn": str})
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            [
                Problem(
                    "bad-targets",
                    f"could not be read ({exc}).",
                    "Give the CSV written by schoolperf targets.",
                    file=Path(path).name,
                )
            ]
        ) from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    if not {"upn", "target_attainment8"} <= set(table.columns):
        raise InputError(
            [
                Problem(
                    "bad-targets",
                    "needs the columns upn and target_attainment8.",
                    "Give the CSV written by schoolperf targets.",
                    file=Path(path).name,
                )
            ]
        )
    target = table.set_index("upn")["target_attainment8"].astype(float)
    distance = (analysis.pupils["attainment8"] - target.reindex(analysis.pupils.index)).dropna()
    return {
        "pupils_with_target": int(distance.size),
        "mean_distance": float(distance.mean()) if distance.size else None,
        "pupils_below_target": int((distance < 0).sum()),
        "pupils": [{"upn": u, "distance": float(d)} for u, d in distance.sort_values().items()],
    }


def _disadvantaged_gap(analysis: Analysis) -> float | None:
    row = next(
        (
            g
            for g in analysis.gaps
            if g["group"] == "disadvantaged"
            and g["measure"] == "progress8"
            and g["comparator"] == "national"
        ),
        None,
    )
    return None if row is None else row["gap"]


def _alerts(document: dict[str, Any], limits: dict[str, float]) -> list[dict[str, Any]]:
    fired = []
    latest = document["drops"][-1]["school"]
    values = {
        "progress8_below": latest.get("progress8_adjusted"),
        "attainment8_below": latest.get("attainment8"),
        "basics_5_below": latest.get("basics_5_pct"),
        "gap_widening": document["disadvantaged_gap"]["since_previous"],
        "pupils_falling_above": float(len(document["falling_pupils"])),
    }
    for name, limit in sorted(limits.items()):
        value = values[name]
        if value is None:
            continue
        hit = (
            value > limit
            if name == "pupils_falling_above"
            else (value < -limit if name == "gap_widening" else value < limit)
        )
        fired.append(
            {
                "alert": name,
                "limit": limit,
                "value": value,
                "fired": bool(hit),
                "message": _alert_message(
                    name, value, limit, document["disadvantaged_gap"]["by_drop"][-1]
                ),
            }
        )
    return fired


def track(drops: list[Drop], settings: TrackSettings) -> tuple[dict[str, Any], list[Analysis]]:
    """The tracking document (JSON-ready) and each drop's analysis, oldest first."""
    unknown = sorted(set(settings.alerts) - set(ALERTS))
    if unknown:
        raise InputError(
            [
                Problem(
                    "bad-alert",
                    f"{plural(len(unknown), 'alert')} {', '.join(unknown)} "
                    f"{plural(len(unknown), 'is', 'are')} unknown.",
                    f"Use {', '.join(sorted(ALERTS))}.",
                )
            ]
        )
    analyses, errors = [], []
    for drop in drops:
        try:
            analyses.append(analyse(drop.path, replace(settings.options, label=drop.label)))
        except InputError as error:  # report every bad drop, then stop before writing
            errors.append(error)
    if errors:
        raise InputError.merged(errors)
    summaries = []
    for drop, analysis in zip(drops, analyses, strict=True):
        summaries.append(
            {
                "label": drop.label,
                "date": drop.date,
                "file": drop.path.name,
                "pupils": len(analysis.pupils),
                "school": {k: plain_value(analysis.school.get(k)) for k in TRACK_MEASURES},
                "groups": {
                    key: {k: plain_value(g.get(k)) for k in GROUP_MEASURES}
                    | {"pupils": g["pupils"], "suppressed": g["suppressed"]}
                    for key, g in analysis.groups.items()
                },
            }
        )
    movement = {k: _change([s["school"][k] for s in summaries]) for k in TRACK_MEASURES}
    group_keys = list(analyses[-1].groups)
    group_movement = {
        key: {
            k: _change([s["groups"].get(key, {}).get(k) for s in summaries]) for k in GROUP_MEASURES
        }
        for key in group_keys
    }
    subjects = sorted({r["subject"] for a in analyses for r in a.subjects})
    subject_points = {
        s: [
            next((plain_value(r["average_points"]) for r in a.subjects if r["subject"] == s), None)
            for a in analyses
        ]
        for s in subjects
    }
    subject_entries = {
        s: [next((r["entries"] for r in a.subjects if r["subject"] == s), 0) for a in analyses]
        for s in subjects
    }
    gaps = [_disadvantaged_gap(a) for a in analyses]
    document: dict[str, Any] = {
        "drops": summaries,
        "movement": movement,
        "group_movement": group_movement,
        "subjects": {
            s: {"average_points": v, "entries": subject_entries[s], **_change(v)}
            for s, v in subject_points.items()
        },
        "disadvantaged_gap": {"by_drop": gaps, **_change(gaps)},
        "p8_fall_threshold": settings.p8_fall,
        "falling_pupils": _falling_pupils(analyses[-2], analyses[-1], settings.p8_fall)
        if len(analyses) > 1
        else [],
        "targets": _targets(analyses[-1], settings.targets_file) if settings.targets_file else None,
        "estimates": analyses[-1].estimates.name,
        "warnings": analyses[-1].warnings,
    }
    document["alerts"] = _alerts(document, settings.alerts)
    return document, analyses


def for_audience(document: dict[str, Any], audience: str, min_group: int) -> dict[str, Any]:
    """The document as a governor may see it: no pupil rows (counts only), and subjects with
    fewer than ``min_group`` entries suppressed; the staff version is the document itself."""
    if audience == "staff":
        return document
    out = dict(document)
    out["falling_pupils"] = []
    out["falling_pupils_count"] = len(document["falling_pupils"])
    if document["targets"]:
        out["targets"] = {k: v for k, v in document["targets"].items() if k != "pupils"}
    out["subjects"] = {
        s: row
        if min(row["entries"]) >= min_group
        else {
            **row,
            "average_points": [None] * len(row["entries"]),
            "since_previous": None,
            "since_first": None,
            "suppressed": True,
        }
        for s, row in document["subjects"].items()
    }
    return out


def history_table(document: dict[str, Any]) -> str:
    """One row per drop: the history of headline projections (rewritten whole each run), with
    text a spreadsheet would run as a formula (a drop named ``=HYPERLINK(…)``) neutralised."""
    rows = [
        {
            "label": d["label"],
            "date": d["date"],
            "file": d["file"],
            "pupils": d["pupils"],
            **d["school"],
        }
        for d in document["drops"]
    ]
    return safe_for_spreadsheet(pd.DataFrame(rows)).to_csv(index=False, lineterminator="\n")
