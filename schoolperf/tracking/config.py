"""The settings of a tracking run, and the TOML configuration an unattended run takes them from
(its [input], [output], [analysis], [subgrades] and [alerts] tables), checked before any drop is
read or any file written."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolperf.analysis import AnalysisOptions
from schoolperf.errors import InputError, Problem
from schoolperf.measures.points import SubgradeMapping

FORMATS = ("json", "md", "html")


@dataclass(frozen=True)
class TrackSettings:
    """How every drop is analysed, the fall in projected P8 that flags a pupil, the targets
    file, and the alerts' limits."""

    options: AnalysisOptions = AnalysisOptions()
    p8_fall: float = 0.5
    targets_file: str | None = None
    alerts: dict[str, float] = field(default_factory=dict)


def config_problem(path: Path, message: str) -> InputError:
    """A problem with the configuration file, as an input error."""
    return InputError(
        [Problem("bad-config", message, "See the tracking section of the README.", file=path.name)]
    )


def load_config(path: Path) -> dict[str, Any]:
    """The configuration file's tables, with the [input] and [output] tables it must have."""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise config_problem(path, f"could not be read as TOML ({exc}).") from None
    for section in ("input", "output"):
        if section not in config:
            raise config_problem(path, f"has no [{section}] table.")
    return config


def settings_from_config(config: dict[str, Any], base: Path) -> TrackSettings:
    """The run's settings from the configuration (its files relative to ``base``); ValueError or
    TypeError where a key or value is wrong."""
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


def output_settings(output: dict[str, Any]) -> dict[str, Any]:
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
