"""Tracking points: the same measures projected from teachers' predicted grades at each data drop.

``track(drops, settings)`` analyses every drop (all are validated before anything is written),
then reports each drop's headline measures overall and per group, the movement between
consecutive drops and since the first, subject movement, the pupils whose projected P8 fell by
more than a threshold, the distance to targets, and configured alerts. ``run_config`` is the
unattended form for cron: a folder of drops, dated outputs written atomically, one history row per
drop, a lock against overlapping runs, a log without pupil data, exit 1 when an alert fires.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from schoolperf.analysis import Analysis, AnalysisOptions, analyse, plain_value
from schoolperf.errors import InputError, Problem
from schoolperf.measures.points import SubgradeMapping
from schoolperf.outputs.files import check_targets, write_atomic

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
_DATE = re.compile(r"(20\d\d)[-_]?(0[1-9]|1[0-2])(?:[-_]?([0-2]\d|3[01]))?")
ALERTS = {
    "progress8_below": "projected Progress 8 is below {limit:+.2f} ({value:+.2f})",
    "attainment8_below": "projected Attainment 8 is below {limit:.1f} ({value:.1f})",
    "basics_5_below": "projected grade 5+ in English and maths is below {limit:.1f}% "
    "({value:.1f}%)",
    "gap_widening": "the disadvantaged Progress 8 gap to non-disadvantaged pupils nationally "
    "widened by more than {limit:.2f} since the last drop ({value:+.2f})",
    "pupils_falling_above": "more than {limit:g} pupils' projected Progress 8 fell by more than "
    "the threshold ({value:g})",
}


@dataclass(frozen=True)
class Drop:
    path: Path
    label: str
    date: str | None = None


@dataclass(frozen=True)
class TrackSettings:
    options: AnalysisOptions = AnalysisOptions()
    p8_fall: float = 0.5
    targets_file: str | None = None
    alerts: dict[str, float] = field(default_factory=dict)


def _date_in(name: str) -> str | None:
    match = _DATE.search(name)
    if not match:
        return None
    year, month, day = match.groups()
    return f"{year}-{month}-{day or '01'}"


def order_drops(paths: list[Path], labels: list[str] | None = None) -> list[Drop]:
    """Drops in time order: by the date in each file name (2025-10-15, 20251015, 2025-10),
    or in the order given with ``labels``."""
    if labels:
        if len(labels) != len(paths):
            raise InputError(
                [
                    Problem(
                        "bad-labels",
                        f"--labels gives {len(labels)} label(s) for {len(paths)} drop(s).",
                        "Give one label per drop, in time order.",
                    )
                ]
            )
        return [Drop(p, label, _date_in(p.name)) for p, label in zip(paths, labels, strict=True)]
    dated = [(p, _date_in(p.name)) for p in paths]
    undated = [p.name for p, d in dated if d is None]
    if undated:
        raise InputError(
            [
                Problem(
                    "undated-drop",
                    "has no date in its name, so the drops cannot be put in order.",
                    "Name drops like y11_2025-10-15.csv, or give --labels in time order.",
                    file=name,
                )
                for name in undated
            ]
        )
    dated.sort(key=lambda item: (item[1], item[0].name))
    same = sorted({d for _, d in dated if sum(1 for _, e in dated if e == d) > 1})
    if same:
        raise InputError(
            [
                Problem(
                    "same-date-drops",
                    f"Two or more drops carry the date {d}.",
                    "Keep one file per data drop, or give --labels.",
                )
                for d in same
            ]
        )
    return [Drop(p, d, d) for p, d in dated]  # type: ignore[arg-type]


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
                "message": ALERTS[name].format(limit=limit, value=value),
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
                    f"alert(s) {', '.join(unknown)} are unknown.",
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


# ---------------------------------------------------------------- unattended runs (cron)


def _config_problem(path: Path, message: str) -> InputError:
    return InputError(
        [Problem("bad-config", message, "See the tracking section of the README.", file=path.name)]
    )


def load_config(path: Path) -> dict[str, Any]:
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _config_problem(path, f"could not be read as TOML ({exc}).") from None
    for section in ("input", "output"):
        if section not in config:
            raise _config_problem(path, f"has no [{section}] table.")
    return config


class Lock:
    """An exclusive lock file: a second run while one is going refuses to start."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if self._stale():
                self.path.unlink(missing_ok=True)
                return self.__enter__()
            raise InputError(
                [
                    Problem(
                        "already-running",
                        "shows another tracking run is in progress.",
                        "Wait for it to finish (or delete the lock file if no run is going).",
                        file=str(self.path),
                    )
                ]
            ) from None
        with os.fdopen(handle, "w") as f:
            f.write(str(os.getpid()))
        return self

    def _stale(self) -> bool:
        try:
            pid = int(self.path.read_text().strip() or 0)
            if pid <= 0:  # empty or broken lock file: nobody holds it
                return True
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError, FileNotFoundError):
            return True
        except PermissionError:
            return False
        return False

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _log(path: Path, message: str) -> None:
    """Append one line to the run log: counts and labels only, never pupil data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{stamp} {message}\n")


def history_table(document: dict[str, Any]) -> str:
    """One row per drop: the history of headline projections (rewritten whole each run)."""
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
    return pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")


def settings_from_config(config: dict[str, Any], base: Path) -> TrackSettings:
    analysis = dict(config.get("analysis", {}))
    subgrades = SubgradeMapping.from_table(config.get("subgrades", {}))
    targets = analysis.pop("targets", None)
    p8_fall = float(analysis.pop("p8_fall", 0.5))
    analysis.pop("chunk_mb", None)  # no longer used: accepted so existing configs still run
    run_only = {"subgrades", "label", "previous"}
    allowed = set(AnalysisOptions.__dataclass_fields__) - run_only
    unknown = sorted(set(analysis) - allowed)
    if unknown:
        raise ValueError(f"unknown [analysis] key(s): {', '.join(unknown)}")
    for key in ("columns_file", "subjects_file", "baseline_file"):
        if analysis.get(key):
            analysis[key] = str(base / analysis[key])
    if "groups" in analysis:
        groups = analysis["groups"]
        analysis["groups"] = (groups,) if isinstance(groups, str) else tuple(groups)
    options = AnalysisOptions(**analysis, subgrades=subgrades)
    return TrackSettings(
        options,
        p8_fall,
        str(base / targets) if targets else None,
        {k: float(v) for k, v in config.get("alerts", {}).items()},
    )


FORMATS = ("json", "md", "html")


def _output_settings(output: dict[str, Any]) -> dict[str, Any]:
    """The [output] table, checked before any drop is read or any file written."""
    formats = output.get("formats", list(FORMATS))
    formats = [formats] if isinstance(formats, str) else list(formats)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"[output] formats {', '.join(unknown)} unknown: use json, md, html")
    audience = str(output.get("audience", "staff")).lower()
    if audience not in ("staff", "governors"):
        raise ValueError("[output] audience must be staff or governors")
    return {**output, "formats": formats, "audience": audience}


def run_config(path: Path) -> tuple[int, dict[str, Any] | None, list[Path]]:
    """One unattended run. Returns (exit status, document, files written)."""
    config = load_config(path)
    base = path.parent
    out = base / config["output"].get("folder", "tracking")
    log = out / config["output"].get("log", "tracking.log")
    try:
        settings = settings_from_config(config, base)
        output = _output_settings(config["output"])
    except (TypeError, ValueError) as exc:
        raise _config_problem(path, str(exc)) from None
    folder = base / config["input"].get("folder", ".")
    paths = sorted(folder.glob(config["input"].get("glob", "*.csv")))
    if not paths:
        raise _config_problem(
            path, f"finds no drops in {folder} matching {config['input'].get('glob', '*.csv')!r}."
        )
    with Lock(out / ".schoolperf-track.lock"):
        try:
            document, analyses = track(order_drops(paths), settings)
        except InputError as error:
            _log(log, f"bad input: {error.count} problem(s); nothing written")
            raise
        written = write_outputs(document, analyses, out, output, settings)
        fired = [a for a in document["alerts"] if a["fired"]]
        _log(
            log,
            f"{len(paths)} drop(s), latest {document['drops'][-1]['label']}; "
            f"{len(written)} file(s) written; alerts fired: "
            f"{', '.join(a['alert'] for a in fired) or 'none'}",
        )
    return (1 if fired else 0), document, written


def write_outputs(
    document: dict[str, Any],
    analyses: list[Analysis],
    out: Path,
    output: dict[str, Any],
    settings: TrackSettings,
) -> list[Path]:
    """Dated outputs (named after the latest drop) and the history, each written atomically."""
    from schoolperf.reports.tracking import render_tracking

    latest = re.sub(r"[^\w.-]+", "-", document["drops"][-1]["label"])
    document = for_audience(document, output["audience"], settings.options.min_group)
    written = []
    formats = output.get("formats", ["json", "md", "html"])
    check_targets([*(out / f"tracking_{latest}.{fmt}" for fmt in formats), out / "history.csv"])
    for fmt in formats:
        target = out / f"tracking_{latest}.{fmt}"
        text = (
            json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            if fmt == "json"
            else render_tracking(document, fmt, output["audience"], settings.options.min_group)
        )
        write_atomic(target, text)
        written.append(target)
    history = out / "history.csv"
    write_atomic(history, history_table(document))
    return [*written, history]
