"""Runs killed at random points: ``analyse``, ``pack`` (Markdown with its charts, and HTML with
its PDF) and ``track`` on the demo cohort, stopped by SIGKILL or SIGTERM after a random delay
within the run's duration, over a folder holding an earlier run's outputs. Every time the folder
holds the whole old set or the whole new set, never a mix; SIGTERM exits 143 and leaves no
staging folder; nothing of the run is left in the temporary folder (a folder of the test's own
as TMPDIR); and the next run leaves the new set and no staging folder.

The one mix SIGKILL can leave is a set whose manifest was written and whose renames were not
all done (microseconds): the staging folder then holds the manifest, and the next run finishes
the renames before anything else. Such a kill is accepted only if finishing it gives the new set.

Three kills of each by default; ``SCHOOLPERF_KILLS=20`` (or ``SCHOOLPERF_DEEP=1``) for the deep
run, and ``SCHOOLPERF_KILL_SEED`` to choose the random delays and signals."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from schoolperf.outputs.staging import MANIFEST, STAGING_PREFIX, recover
from schoolperf.reports.render import chromium
from schoolperf.tracking.cron import ALERT_STATE
from tests.conftest import DEMO

KILLS = int(os.environ.get("SCHOOLPERF_KILLS", "20" if os.environ.get("SCHOOLPERF_DEEP") else "3"))
SEED = int(os.environ.get("SCHOOLPERF_KILL_SEED", "2024"))


def changed(path: Path, grade: str) -> Path:
    """The demo cohort with its first result's grade set to ``grade``."""
    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[13] = grade
    lines[1] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def visible(folder: Path) -> dict[str, bytes]:
    """The files a reader of ``folder`` sees: all but hidden ones and the tracking log."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.suffix != ".log"
    }


def hidden(folder: Path) -> list[str]:
    """What a run left hidden in the output folder but the tracking alert state (kept there
    on purpose, with the set)."""
    return (
        sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ALERT_STATE)
        if folder.exists()
        else []
    )


@dataclass
class Scenario:
    """A command run over ``out``, whose earlier contents are ``setup``'s, in ``base``."""

    base: Path
    out: Path
    command: list[str]
    setup: Callable[[], None]  # makes the old set in ``out`` (run in this process)


def run_schoolperf(args: list[str], temporary: Path, **popen: object) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "TMPDIR": str(temporary),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "schoolperf", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        **popen,
    )


def finish(args: list[str], temporary: Path) -> float:
    """Run to the end; its duration in seconds."""
    started = time.perf_counter()
    process = run_schoolperf(args, temporary)
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    return time.perf_counter() - started


def analyse_scenario(base: Path) -> Scenario:
    old, new, out = changed(base / "old.csv", "9"), changed(base / "new.csv", "4"), base / "o"
    command = ["analyse", str(new), "--by", "Tutor Group", "--out", str(out)]
    old_command = ["analyse", str(old), "--by", "Tutor Group", "--out", str(out)]
    return Scenario(base, out, command, lambda: _in_process(old_command))


def pack_scenario(base: Path, fmt: str) -> Scenario:
    old, new, out = changed(base / "old.csv", "9"), changed(base / "new.csv", "4"), base / "p"
    options = ["--audience", "staff", "--format", fmt, "--out", str(out / f"pack.{fmt}")]
    options += ["--pdf"] if fmt == "html" else []
    return Scenario(
        base, out, ["pack", str(new), *options], lambda: _in_process(["pack", str(old), *options])
    )


def track_scenario(base: Path) -> Scenario:
    drops = base / "drops"
    drops.mkdir()
    changed(drops / "y11_2025-10-15.csv", "3")
    changed(drops / "y11_2026-01-20.csv", "5")
    config = base / "tracking.toml"
    config.write_text(
        '[input]\nfolder = "drops"\nglob = "y11_*.csv"\n[output]\nfolder = "t"\n',
        encoding="utf-8",
    )

    def setup() -> None:
        (drops / "y11_2026-03-30.csv").unlink(missing_ok=True)
        _in_process(["track", "--config", str(config), "--quiet"])
        changed(drops / "y11_2026-03-30.csv", "7")  # the new drop the killed run reads

    return Scenario(base, base / "t", ["track", "--config", str(config), "--quiet"], setup)


def _in_process(args: list[str]) -> None:
    from click.testing import CliRunner

    from schoolperf.cli import cli

    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output


def reference(scenario: Scenario, temporary: Path) -> tuple[dict, dict, float]:
    """The old set, the new set, and how long the run takes."""
    scenario.setup()
    old = visible(scenario.out)
    saved = scenario.base / "old-set"
    shutil.copytree(scenario.out, saved)
    duration = finish(scenario.command, temporary)
    new = visible(scenario.out)
    assert new != old and hidden(scenario.out) == []
    return old, new, duration


def wait_for_helpers(folder: Path) -> None:
    """Wait (at most 10 seconds) until no process names ``folder`` on its command line: the
    browser a killed run started, and its helpers, end a moment after it."""
    proc = Path("/proc")
    deadline = time.monotonic() + 10
    while proc.is_dir() and time.monotonic() < deadline:
        for entry in proc.glob("[0-9]*"):
            try:
                running = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
                if running and str(folder).encode() in (entry / "cmdline").read_bytes():
                    break
            except (OSError, IndexError):
                continue
        else:
            return
        time.sleep(0.05)


def restore(scenario: Scenario) -> None:
    """Put the old set back in the output folder, as it was before the run."""
    for _ in range(100):  # a killed browser's helpers may still be ending, for milliseconds
        shutil.rmtree(scenario.out, ignore_errors=True)
        if not scenario.out.exists():
            break
        time.sleep(0.02)
    shutil.copytree(scenario.base / "old-set", scenario.out)


def startup(temporary: Path) -> float:
    """Seconds until the command line has started (its signal handlers installed), at most."""
    started = time.perf_counter()
    run_schoolperf(["--version"], temporary).communicate(timeout=60)
    return time.perf_counter() - started


def kill_at_random(scenario: Scenario, tmp_path: Path, label: str) -> dict[str, int]:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    old, new, duration = reference(scenario, temporary)
    before_handlers = 2 * startup(temporary) + 0.2  # a SIGTERM this early may end Python itself
    rng = random.Random(f"{SEED}-{label}")
    first = rng.choice([signal.SIGKILL, signal.SIGTERM])
    seen = {"old": 0, "new": 0, "finished by the next run": 0}
    for kill in range(KILLS):
        restore(scenario)
        stop = first if kill % 2 == 0 else ({signal.SIGKILL, signal.SIGTERM} - {first}).pop()
        delay = duration * (kill + rng.random()) / KILLS  # spread over the whole run
        process = run_schoolperf(scenario.command, temporary)
        time.sleep(delay)
        process.send_signal(stop)
        _, errors = process.communicate(timeout=120)
        wait_for_helpers(scenario.out)
        where = f"{label} kill {kill}: {stop.name} after {delay:.2f}s of {duration:.2f}s"
        status = process.returncode
        if stop == signal.SIGTERM:
            # 143 once its handler is installed; before that Python itself is ended by it
            early = (-signal.SIGTERM,) if delay < before_handlers else ()
            assert status in (0, 143, *early), (where, status, errors)
            assert hidden(scenario.out) == [], (where, errors)
        else:
            assert status in (0, -signal.SIGKILL), (where, status, errors)
        assert list(temporary.iterdir()) == [], where  # nothing of the run outside its folder
        found = visible(scenario.out)
        if status == 0:
            assert found == new, where
        elif found == old or found == new:
            pass
        else:  # killed between the manifest and the last rename: finished by the next run
            committed = [p for p in scenario.out.glob(f"{STAGING_PREFIX}*/{MANIFEST}")]
            assert committed, f"{where}: a mix of the old and new sets"
            recover(scenario.out)
            assert visible(scenario.out) == new, where
            seen["finished by the next run"] += 1
            continue
        seen["new" if found == new and found != old else "old"] += 1
    finish(scenario.command, temporary)  # the next run: staging folders of killed runs go
    assert visible(scenario.out) == new and hidden(scenario.out) == []
    assert list(temporary.iterdir()) == []
    return seen


def test_killed_analyse_leaves_the_old_or_the_new_set(tmp_path):
    seen = kill_at_random(analyse_scenario(tmp_path), tmp_path, "analyse")
    assert sum(seen.values()) == KILLS


def test_killed_markdown_pack_leaves_the_old_or_the_new_set(tmp_path):
    seen = kill_at_random(pack_scenario(tmp_path, "md"), tmp_path, "pack md")
    assert sum(seen.values()) == KILLS


def test_killed_pack_with_pdf_leaves_the_old_or_the_new_set(tmp_path):
    if chromium() is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    seen = kill_at_random(pack_scenario(tmp_path, "html"), tmp_path, "pack pdf")
    assert sum(seen.values()) == KILLS


def test_killed_tracking_run_leaves_the_old_or_the_new_set(tmp_path):
    seen = kill_at_random(track_scenario(tmp_path), tmp_path, "track")
    assert sum(seen.values()) == KILLS
