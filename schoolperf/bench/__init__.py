"""The benchmark: ``python -m schoolperf.bench``.

It writes the national file (:mod:`schoolperf.bench.national`: 600,000 synthetic pupils, about
4.9 million results), then times, in turn and each in a fresh process, the same file three ways:
a bare ``pyarrow.csv.read_csv`` of it; the reference query (:mod:`schoolperf.bench.reference`,
plain DuckDB SQL writing a pupil table and a per-result audit); and ``schoolperf analyse FILE
--out DIR`` (pupils, slot audit and summary as CSV), whole and with ``--by school``. Each is run
``--repeat`` times, interleaved, and the medians printed with their ratios, so the ratios hold
on a busy machine. Then the small runs users wait for: ``--help``, the demo cohort end to end,
and the demo's pack.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from schoolperf.reference import counted

BARE_READ = "import sys, pyarrow.csv as c; c.read_csv(sys.argv[1])"
# the demo cohort of the repository: beside the package (an editable install), or in the folder
# the benchmark is run from (the repository's root)
DEMO = next(
    (
        folder / "fixtures" / "demo_cohort.csv"
        for folder in (Path(__file__).resolve().parents[2], Path.cwd())
        if (folder / "fixtures" / "demo_cohort.csv").is_file()
    ),
    Path("fixtures") / "demo_cohort.csv",
)


def timed(command: list[str]) -> tuple[float, int]:
    """Wall time and peak resident memory (bytes) of ``command`` in a fresh process, from the
    system's own account of it (``wait4``: no sampling); exits where it fails."""
    # as an installed copy runs: its compiled modules cached after the first run
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, text=True, env=environment
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()
    if process.returncode:
        sys.exit(f"benchmark command failed: {' '.join(command)}\n{stderr}")
    kilobytes = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS
    return wall, usage.ru_maxrss * kilobytes


def _runs(source: Path, folder: Path) -> dict[str, list[str]]:
    """The commands timed on the national file, by the name printed."""
    analyse = [sys.executable, "-m", "schoolperf", "analyse", str(source)]
    return {
        "bare pyarrow read": [sys.executable, "-c", BARE_READ, str(source)],
        "reference query": [sys.executable, "-m", "schoolperf.bench.reference", str(source)]
        + ["--out", str(folder / "reference")],
        "schoolperf analyse": [*analyse, "--out", str(folder / "whole")],
        "schoolperf analyse --by school": [*analyse, "--by", "school"]
        + ["--out", str(folder / "by-school")],
    }


def _small_runs(folder: Path) -> dict[str, list[str]]:
    """The commands of a school's day, on the demo cohort."""
    schoolperf = [sys.executable, "-m", "schoolperf"]
    return {
        "schoolperf --help": [*schoolperf, "--help"],
        "analyse of the demo cohort": [*schoolperf, "analyse", str(DEMO)]
        + ["--out", str(folder / "demo")],
        "pack of the demo cohort": [*schoolperf, "pack", str(DEMO), "--audience"]
        + ["governors", "--out", str(folder / "pack.html")],
    }


def measure(commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float]]:
    """Median wall time and median peak memory of each command, run ``repeat`` times in turn
    (each round runs every command once, so a busy spell slows them alike)."""
    found: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            found[name].append(timed(command))
    return {
        name: (statistics.median(w for w, _ in runs), statistics.median(p for _, p in runs))
        for name, runs in found.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m schoolperf.bench", description=__doc__)
    parser.add_argument("--pupils", type=int, default=600_000)
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each command (median).")
    parser.add_argument("--keep", type=Path, help="Folder to keep the file and outputs in.")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        _run(args, args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="schoolperf-bench-") as folder:  # removed after
        _run(args, Path(folder))


def _run(args: argparse.Namespace, folder: Path) -> None:
    """Write the national file in ``folder``, then time every command and print the medians."""
    source = folder / "national.csv"
    start = time.perf_counter()
    # in a process of its own: a child's peak memory counts what its parent held when it
    # started it, so the parent stays small
    write = "import sys; from schoolperf.bench.national import write_national as w; "
    write += "print(w(sys.argv[1], int(sys.argv[2])))"
    written = subprocess.run(
        [sys.executable, "-c", write, str(source), str(args.pupils)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = int(written.stdout)
    print(
        f"national file: {args.pupils:,} pupils, {rows:,} result rows, "
        f"{source.stat().st_size / 1e6:,.0f} MB, written in {time.perf_counter() - start:.1f} s"
    )
    print(f"medians of {counted(args.repeat, 'run')}, each command in a fresh process, in turn:")
    found = measure(_runs(source, folder), args.repeat)
    bare = found["bare pyarrow read"][0]
    reference = found["reference query"][0]
    for name, (wall, peak) in found.items():
        print(
            f"  {name:<32} {wall:7.2f} s  peak {peak / 1e9:5.2f} GB  "
            f"{wall / bare:5.1f}× bare read  {wall / reference:5.2f}× reference"
        )
    if not DEMO.is_file():  # installed without the repository's fixtures
        print("the demo cohort (fixtures/demo_cohort.csv) is not here: run from the repository")
        return
    print("the demo cohort:")
    for name, (wall, peak) in measure(_small_runs(folder), args.repeat).items():
        print(f"  {name:<32} {wall:7.2f} s  peak {peak / 1e9:5.2f} GB")
