"""The unattended tracking run for cron: a folder of drops, dated outputs written as one set
(:class:`~schoolperf.outputs.staging.OutputSet`), one history row per drop, a lock against
overlapping runs, a log without pupil data, exit status 1 when an alert fires. The files it
writes are never read as drops, and it never writes over a file it reads."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schoolperf.analysis import Analysis
from schoolperf.errors import AlreadyRunning, InputError, Problem
from schoolperf.outputs.staging import OutputSet, protect_inputs
from schoolperf.reference import counted
from schoolperf.tracking.config import (
    TrackSettings,
    config_problem,
    load_config,
    output_settings,
    settings_from_config,
)
from schoolperf.tracking.drops import find_drops, order_drops
from schoolperf.tracking.summary import for_audience, history_table, track

LOCK_NAME = ".schoolperf-track.lock"


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
            raise AlreadyRunning(
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


ALERT_STATE = ".schoolperf-track-alerts.json"


def alert_state(document: dict[str, Any]) -> dict[str, Any]:
    """What a run keeps to know an alert is a repeat: the latest drop and the alerts fired."""
    fired = {a["alert"]: a["value"] for a in document["alerts"] if a["fired"]}
    return {"latest_drop": document["drops"][-1]["label"], "fired": fired}


def repeat_alerts(document: dict[str, Any], state: Path, again: bool) -> None:
    """Mark each alert ``new`` unless the last run reported it for the same latest drop with
    the same value (an unchanged re-run); with ``again`` (``repeat_alerts = true``) every
    alert fired is new."""
    try:
        last = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = {}
    same_drop = (
        isinstance(last, dict) and last.get("latest_drop") == alert_state(document)["latest_drop"]
    )
    before = last.get("fired", {}) if same_drop and isinstance(last.get("fired"), dict) else {}
    for alert in document["alerts"]:
        repeated = alert["fired"] and before.get(alert["alert"]) == alert["value"]
        alert["new"] = bool(alert["fired"] and (again or not repeated))


def _log(path: Path, message: str) -> None:
    """Append one line to the run log: counts and labels only, never pupil data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{stamp} {message}\n")


def run_config(path: Path) -> tuple[int, dict[str, Any] | None, list[Path]]:
    """One unattended run. Returns (exit status, document, files written)."""
    config = load_config(path)
    base = path.parent
    out = base / config["output"].get("folder", "tracking")
    log = out / config["output"].get("log", "tracking.log")
    try:
        settings = settings_from_config(config, base)
        output = output_settings(config["output"])
    except (TypeError, ValueError) as exc:
        raise config_problem(path, str(exc)) from None
    folder = base / config["input"].get("folder", ".")
    pattern = config["input"].get("glob", "*.csv")
    lock = out / LOCK_NAME
    # a log named *.log is never a drop; one named like a drop is refused below, not skipped
    paths = find_drops(folder, pattern, out, [lock, *([log] if log.suffix == ".log" else [])])
    if not paths:
        raise config_problem(path, f"finds no drops in {folder} matching {pattern!r}.")
    inputs = [
        ("--config", path),
        *(("a drop", p) for p in paths),
        *settings.options.paths_read(),
        ("[analysis] targets", settings.targets_file),
    ]
    protect_inputs(inputs, [log, lock])  # both written before the outputs, even on bad input
    held = Lock(lock)
    try:
        held.__enter__()
    except AlreadyRunning:
        _log(log, "refused: another tracking run holds the lock; nothing done")
        raise
    try:
        with OutputSet(out, inputs) as outputs:
            try:
                document, analyses = track(order_drops(paths), settings)
            except InputError as error:
                _log(log, f"bad input: {counted(error.count, 'problem')}; nothing written")
                raise
            # an alert already reported for this latest drop is not fired again unless asked
            state = out / ALERT_STATE
            repeat_alerts(document, state, bool(output.get("repeat_alerts")))
            outputs.check([state])
            outputs.write(state, json.dumps(alert_state(document), indent=1) + "\n")
            written = write_outputs(document, analyses, out, output, settings, outputs)
            fired = [a for a in document["alerts"] if a["fired"] and a["new"]]
            _log(
                log,
                f"{counted(len(paths), 'drop')}, latest {document['drops'][-1]['label']}; "
                f"{counted(len(written), 'file')} written; alerts fired: "
                f"{', '.join(a['alert'] for a in fired) or 'none'}",
            )
    finally:
        held.__exit__()
    return (1 if fired else 0), document, written


def write_outputs(
    document: dict[str, Any],
    analyses: list[Analysis],
    out: Path,
    output: dict[str, Any],
    settings: TrackSettings,
    outputs: OutputSet | None = None,
) -> list[Path]:
    """Dated outputs (named after the latest drop) and the history, written as one set: into
    ``outputs`` (an open :class:`~schoolperf.outputs.staging.OutputSet` for ``out``, committed
    here), else a set of their own."""
    from schoolperf.reports.tracking import render_tracking

    if outputs is None:
        with OutputSet(out) as own:
            return write_outputs(document, analyses, out, output, settings, own)
    latest = re.sub(r"[^\w.-]+", "-", document["drops"][-1]["label"])
    document = for_audience(document, output["audience"], settings.options.min_group)
    formats = output.get("formats", ["json", "md", "html"])
    history = out / "history.csv"
    outputs.check([*(out / f"tracking_{latest}.{fmt}" for fmt in formats), history])
    for fmt in formats:
        text = (
            json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            if fmt == "json"
            else render_tracking(document, fmt, output["audience"], settings.options.min_group)
        )
        outputs.write(out / f"tracking_{latest}.{fmt}", text)
    outputs.write(history, history_table(document))
    return outputs.commit()
