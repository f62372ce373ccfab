"""The settings of a tracking run, and the TOML configuration an unattended run takes them from
(its [input], [output], [analysis], [subgrades] and [alerts] tables), checked before any drop is
read or any file written: every table, value and path, and the targets file."""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from schoolperf.analysis import AnalysisOptions
from schoolperf.errors import InputError, Problem
from schoolperf.ingest.config_files import (
    check_file,
    file_problem,
    finite_number,
    read_toml,
)
from schoolperf.measures.points import SubgradeMapping
from schoolperf.reference import counted, plural

FORMATS = ("json", "md", "html")
CONFIG_FIX = "See the tracking section of the README."
SUBGRADES_FIX = "Write a [subgrades] table, e.g. plus = 0.33."
TARGETS_FIX = "Give the CSV written by schoolperf targets (columns upn and target_attainment8)."
TABLES = ("input", "output", "analysis", "subgrades", "alerts")
# the kind of value each [analysis] key takes (AnalysisOptions' fields, p8_fall and targets)
TEXT_KEYS = {
    "estimates",
    "columns_file",
    "subjects_file",
    "sheet",
    "layout",
    "baseline_file",
    "baseline_map",
    "by",
    "memory_limit",
    "temp_directory",
    "targets",
}
LISTED = 20  # targets that are not numbers listed one by one; the rest counted
WHOLE_NUMBER_KEYS = {"ks2_year", "min_group", "comparator_year"}
YES_NO_KEYS = {"subjects_by_group", "anonymise", "slot_audit"}


@dataclass(frozen=True)
class TrackSettings:
    """How every drop is analysed, the fall in projected P8 that flags a pupil, the targets
    file, and the alerts' limits; refused when made if a number is NaN or infinite or the
    targets file cannot be used."""

    options: AnalysisOptions = AnalysisOptions()
    p8_fall: float = 0.5
    targets_file: str | None = None
    alerts: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        limits = {"--p8-fall": self.p8_fall} | {f"alert {k}": v for k, v in self.alerts.items()}
        fix = "Give a number, e.g. 0.5."
        problems = [
            Problem("bad-number", f"{name} {value} is not a finite number.", fix)
            for name, value in limits.items()
            if finite_number(value) is None
        ]
        if problems:
            raise InputError(problems)
        if self.targets_file is not None:
            check_targets(self.targets_file)


def config_problem(path: Path, message: str, value: object = None) -> InputError:
    """A problem with the configuration file, as an input error."""
    message = message if message.endswith(".") else f"{message}."
    return file_problem(path, "bad-config", message, CONFIG_FIX, value)


def load_config(path: Path) -> dict[str, Any]:
    """The configuration file's tables, with the [input] and [output] tables it must have, each
    a table, and its drops' glob and output paths usable."""
    config = read_toml(path, "bad-config", CONFIG_FIX)
    for section in ("input", "output"):
        if section not in config:
            raise config_problem(path, f"has no [{section}] table.")
    for section in TABLES:
        if not isinstance(config.get(section, {}), dict):
            raise config_problem(
                path, f"has {section} = …, where an [{section}] table belongs.", config[section]
            )
    try:
        _check_paths(config, path.parent)
    except ValueError as exc:
        raise config_problem(path, str(exc)) from None
    return config


def _text(table: dict[str, Any], name: str, key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"[{name}] {key} = {reprlib.repr(value)} must be a name in quotes")
    return value


def _check_paths(config: dict[str, Any], base: Path) -> None:
    """The drops' glob must be relative to the input folder, and the output folder, its lock
    and its log must be where a folder and files can be made; ValueError where they are not."""
    folder = base / _text(config["input"], "input", "folder", ".")
    pattern = _text(config["input"], "input", "glob", "*.csv")
    if Path(pattern).is_absolute() or Path(pattern).drive or pattern.startswith("~"):
        raise ValueError(
            f"[input] glob {pattern!r} is not relative to the input folder: give the folder "
            'as [input] folder and only the file names as glob, e.g. glob = "y11_*.csv"'
        )
    try:
        next(folder.glob(pattern), None)
    except (NotImplementedError, ValueError, OSError) as exc:
        raise ValueError(f"[input] glob {pattern!r} is not a usable pattern ({exc})") from None
    out = base / _text(config["output"], "output", "folder", "tracking")
    log = out / _text(config["output"], "output", "log", "tracking.log")
    for place, what in ((out, "[output] folder"), (log.parent, "[output] log's folder")):
        blocked = next((p for p in (*reversed(place.parents), place) if _not_a_folder(p)), None)
        if blocked is not None:
            raise ValueError(f"{what} {str(place)!r} cannot be made: {str(blocked)!r} is a file")
    for target, what in ((log, "[output] log"), (out / ".schoolperf-track.lock", "lock file")):
        if target.is_dir():
            raise ValueError(f"{what} {str(target)!r} is a folder, not a file")


def _not_a_folder(path: Path) -> bool:
    return path.exists() and not path.is_dir()


def settings_from_config(config: dict[str, Any], base: Path) -> TrackSettings:
    """The run's settings from the configuration (its files relative to ``base``); ValueError or
    TypeError where a key or value is wrong."""
    analysis = dict(config.get("analysis", {}))
    subgrades = subgrades_from_table(config.get("subgrades", {}))
    _check_analysis_values(analysis)
    targets = analysis.pop("targets", None)
    p8_fall = analysis.pop("p8_fall", 0.5)
    analysis.pop("chunk_mb", None)  # no longer used: accepted so existing configs still run
    run_only = {"subgrades", "label", "previous"}
    allowed = set(AnalysisOptions.__dataclass_fields__) - run_only
    unknown = sorted(set(analysis) - allowed)
    if unknown:
        raise ValueError(f"unknown [analysis] {plural(len(unknown), 'key')}: {', '.join(unknown)}")
    for key in ("columns_file", "subjects_file", "baseline_file"):
        if analysis.get(key):
            analysis[key] = str(base / analysis[key])
    if "groups" in analysis:
        groups = analysis["groups"]
        analysis["groups"] = (groups,) if isinstance(groups, str) else tuple(groups)
    if "baseline_norm" in analysis:
        analysis["baseline_norm"] = tuple(float(v) for v in analysis["baseline_norm"])
    options = AnalysisOptions(**analysis, subgrades=subgrades)
    alerts = config.get("alerts", {})
    bad = sorted(k for k, v in alerts.items() if finite_number(v) is None)
    if bad:
        given = ", ".join(f"{k} = {reprlib.repr(alerts[k])}" for k in bad)
        raise ValueError(f"[alerts] {given}: each limit must be a number (not NaN or infinite)")
    return TrackSettings(
        options,
        float(p8_fall),
        str(base / targets) if targets else None,
        {k: float(v) for k, v in alerts.items()},
    )


def _check_analysis_values(analysis: dict[str, Any]) -> None:
    """ValueError naming the first [analysis] value of the wrong kind."""
    for key, value in analysis.items():
        if key == "layout":
            ok = value in ("auto", "long", "wide")
        elif key in TEXT_KEYS:
            ok = isinstance(value, str)
        elif key in WHOLE_NUMBER_KEYS:
            ok = isinstance(value, int) and not isinstance(value, bool)
            ok = ok and (key != "min_group" or value >= 0)
        elif key in YES_NO_KEYS:
            ok = isinstance(value, bool)
        elif key == "groups":
            ok = isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(g, str) for g in value)
            )
        elif key == "baseline_norm":
            ok = isinstance(value, list) and len(value) == 2
            ok = ok and all(finite_number(v) is not None for v in value)
        elif key == "p8_fall":
            ok = finite_number(value) is not None
        else:
            continue  # unknown keys are named by the caller
        if not ok:
            raise ValueError(
                f"[analysis] {key} = {reprlib.repr(value)} is not {_KINDS.get(key, key)}"
            )


_KINDS = {
    **{k: "a name in quotes" for k in TEXT_KEYS},
    **{k: "a whole number" for k in WHOLE_NUMBER_KEYS},
    "min_group": "a whole number, 0 or more",
    "layout": '"auto", "long" or "wide"',
    **{k: "true or false" for k in YES_NO_KEYS},
    "groups": 'a group name in quotes, or a list of them (e.g. ["disadvantaged"])',
    "baseline_norm": "two numbers, the mean and SD (e.g. [100, 15])",
    "p8_fall": "a number of Progress 8 points (e.g. 0.5; not NaN or infinite)",
}


def output_settings(output: dict[str, Any]) -> dict[str, Any]:
    """The [output] table, checked before any drop is read or any file written."""
    formats = output.get("formats", list(FORMATS))
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise ValueError(
            f"[output] formats = {reprlib.repr(formats)} is not a list of json, md, html"
        )
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"[output] formats {', '.join(unknown)} unknown: use json, md, html")
    audience = str(output.get("audience", "staff")).lower()
    if audience not in ("staff", "governors"):
        raise ValueError("[output] audience must be staff or governors")
    again = output.get("repeat_alerts", False)
    if not isinstance(again, bool):
        raise ValueError("[output] repeat_alerts must be true or false")
    return {**output, "formats": formats, "audience": audience, "repeat_alerts": again}


def subgrades_from_table(table: object) -> SubgradeMapping:
    """A [subgrades] table as the mapping; ValueError where it is not a table or a number in it
    is not a finite number."""
    if not isinstance(table, dict):
        raise ValueError(f"subgrades = {reprlib.repr(table)} is not a [subgrades] table")
    numbers = set(SubgradeMapping.__dataclass_fields__) - {"slash"}
    bad = sorted(k for k, v in table.items() if k in numbers and finite_number(v) is None)
    if bad:
        raise ValueError(f"[subgrades] {', '.join(bad)} must be numbers, e.g. 0.33")
    return SubgradeMapping.from_table(table)


def read_subgrades(path: str | Path | None) -> SubgradeMapping:
    """The [subgrades] table of a TOML file (``--subgrades``); the default mapping without one."""
    if path is None:
        return SubgradeMapping()
    data = read_toml(path, "bad-subgrades", SUBGRADES_FIX)
    try:
        return subgrades_from_table(data.get("subgrades", {}))
    except ValueError as exc:
        message = f"could not be used ({exc})."
        raise file_problem(path, "bad-subgrades", message, SUBGRADES_FIX) from None


def check_targets(path: str | Path) -> None:
    """Refuse a targets file that a tracking run could not use: unreadable, without the columns
    upn and target_attainment8 (once each), a pupil without a UPN or with two targets, or a
    target that is not a number."""
    name = Path(path).name
    check_file(path, "bad-targets", TARGETS_FIX)
    try:
        table = pd.read_csv(path, comment="#", dtype={"upn": str})
    except (OSError, ValueError) as exc:
        raise file_problem(
            path, "bad-targets", f"could not be read ({exc}).", TARGETS_FIX
        ) from None
    columns = [str(c).strip().lower() for c in table.columns]
    if any(columns.count(c) != 1 for c in ("upn", "target_attainment8")):
        message = "needs the columns upn and target_attainment8, once each."
        raise file_problem(path, "bad-targets", message, TARGETS_FIX)
    table.columns = columns
    upn = table["upn"].where(table["upn"].isna(), table["upn"].astype(str).str.strip())
    blank = upn.isna() | (upn == "")
    repeated = upn[upn.duplicated() & ~blank].unique()
    target = table["target_attainment8"]
    bad = target.notna() & ~target.map(_finite)
    problems = [
        Problem(
            "bad-targets",
            f"gives pupil {u!r} a target that is not a number.",
            "Give the target Attainment 8 as a number (e.g. 52.5), or leave it blank.",
            file=name,
            column="target_attainment8",
            value=str(v),
        )
        for u, v in zip(upn[bad][:LISTED], target[bad][:LISTED], strict=True)
    ]
    if blank.any():
        message = f"has {counted(int(blank.sum()), 'row')} without a UPN."
        problems.append(Problem("bad-targets", message, "Give every row a UPN.", file=name))
    if len(repeated):
        message = (
            f"gives {counted(len(repeated), 'pupil')} more than one target (e.g. {repeated[0]!r})."
        )
        problems.append(Problem("bad-targets", message, "Keep one row per pupil.", file=name))
    if problems:
        more = int(bad.sum()) - LISTED
        raise InputError(problems, {(name, "bad-targets", "target_attainment8"): more})


def _finite(value: object) -> bool:
    """Whether ``value`` reads as a number that is neither NaN nor infinite."""
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False
