"""Benchmark: a synthetic national-scale results file, each stage timed, peak memory measured.

Run ``python -m schoolperf.bench`` (``--pupils 600000`` by default: about 5 million result rows,
seeded). It writes the file, times a bare ``pyarrow.csv.read_csv`` of it in a fresh process,
then the whole ``schoolperf analyse`` (CSV in; per-pupil and slot-audit Parquet and summary JSON
out) in a fresh process, and prints each stage's time, the peak memory, and the ratio of the two
wall times. ``--parquet`` also analyses the same rows from a Parquet file. Then it times the run
writing only the issue's outputs (``--no-slot-audit``: pupils and summary). Last it times a
floor: a fresh process that only reads the file and writes the run's two Parquet outputs (see
:data:`FLOOR`), the least any engine producing them spends; and the same for the
``--no-slot-audit`` run's one. Every pupil is synthetic.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SUBJECTS = {  # subject: share of pupils entered (about 8.3 results a pupil, as nationally)
    "English Language": 0.98,
    "English Literature": 0.95,
    "Mathematics": 0.98,
    "Combined Science": 0.78,
    "Biology": 0.22,
    "Chemistry": 0.22,
    "Physics": 0.22,
    "History": 0.5,
    "Geography": 0.48,
    "French": 0.25,
    "Spanish": 0.25,
    "German": 0.06,
    "Religious Studies": 0.45,
    "Art and Design": 0.25,
    "Photography": 0.05,
    "Physical Education": 0.2,
    "Computer Science": 0.18,
    "Business": 0.2,
    "Design and Technology": 0.15,
    "Drama": 0.12,
    "Music": 0.09,
    "Food Preparation and Nutrition": 0.14,
    "Sociology": 0.1,
    "Psychology": 0.05,
    "Media Studies": 0.08,
    "Statistics": 0.12,
    "Citizenship Studies": 0.05,
    "BTEC Tech Award Sport": 0.1,
    "BTEC Tech Award Health and Social Care": 0.08,
    "Cambridge National Creative iMedia": 0.08,
}
STAGE = "BENCH-STAGE"


def generate(path: Path, pupils: int, seed: int = 2024, per_school: int = 200) -> int:
    """Write the synthetic national file; return its number of result rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    count = max(pupils // per_school, 1)
    schools = np.sort(rng.integers(100000, 100000 + count, size=pupils))
    ability = rng.normal(0, 1, pupils)
    reading = np.clip(np.round(104 + 6 * ability + rng.normal(0, 3, pupils)), 80, 120)
    maths = np.clip(np.round(104 + 6 * ability + rng.normal(0, 3, pupils)), 80, 120)
    missing = rng.random(pupils) < 0.06
    names = list(SUBJECTS)
    taken = rng.random((pupils, len(names))) < np.array(list(SUBJECTS.values()))
    triple = taken[:, names.index("Biology")]
    taken[:, names.index("Chemistry")] = triple
    taken[:, names.index("Physics")] = triple
    taken[:, names.index("Combined Science")] &= ~triple
    pupil_index, subject_index = np.nonzero(taken)
    grade = np.clip(
        np.round(4.7 + 1.8 * ability[pupil_index] + rng.normal(0, 1, pupil_index.size)), 0, 9
    ).astype(int)
    grade_text = np.where(grade == 0, "U", grade.astype(str))
    combined = subject_index == names.index("Combined Science")
    low = np.clip(grade - (rng.random(pupil_index.size) < 0.5), 1, 9)
    grade_text = np.where(
        combined & (grade > 0),
        np.char.add(np.char.add(grade.astype(str), "-"), low.astype(str)),
        grade_text,
    )
    technical = np.isin(
        subject_index, [i for i, n in enumerate(names) if n.startswith(("BTEC", "Cambridge"))]
    )
    grade_text = np.where(
        technical,
        np.array(["L1P", "L2P", "L2M", "L2D", "L2D*"])[np.clip(grade // 2, 0, 4)],
        grade_text,
    )
    upn = np.char.add("B", np.char.zfill(np.arange(pupils).astype(str), 9))
    table = pa.table(
        {
            "School": schools[pupil_index].astype(str),
            "UPN": upn[pupil_index],
            "Gender": np.array(["M", "F"])[pupil_index % 2],
            "PP": np.where(rng.random(pupils) < 0.27, "Y", "N")[pupil_index],
            "SEN": np.array(["N", "N", "N", "N", "N", "N", "K", "E"])[pupil_index % 8],
            "KS2 Reading": np.where(missing, "", reading.astype(int).astype(str))[pupil_index],
            "KS2 Maths": np.where(missing, "", maths.astype(int).astype(str))[pupil_index],
            "Subject": np.array(names)[subject_index],
            "Grade": grade_text,
        }
    )
    pacsv.write_csv(table, path)
    return table.num_rows


BARE_READ = "import sys, pyarrow.csv as c; c.read_csv(sys.argv[1])"
# The least any engine writing these outputs with Arrow does: import pyarrow, read the file, and
# write the run's per-pupil and slot-audit Parquet files (loaded first, not timed), each on its
# own thread. Prints the seconds taken, interpreter start aside.
FLOOR = """
import sys, threading, time
start = time.perf_counter()
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
imported = time.perf_counter() - start
source, folder, *outputs = sys.argv[1:]
tables = [pq.read_table(path) for path in outputs]
start = time.perf_counter()
pacsv.read_csv(source)
writers = [
    threading.Thread(
        target=pq.write_table,
        args=(table, f"{folder}/{k}.parquet"),
        kwargs={"write_statistics": False},
    )
    for k, table in enumerate(tables)
]
for writer in writers:
    writer.start()
for writer in writers:
    writer.join()
print(imported + time.perf_counter() - start)
"""


def _tree_memory(root: int) -> int:
    """Memory (bytes) of a process and all its descendants, from /proc (Linux): each one's
    proportional set size, which counts a page shared by several (the loaded libraries, the
    file a parent read and forked its workers with) once over all of them, where the system
    gives it; else each one's resident size, which counts such a page in every process."""
    parents: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        sizes[int(entry.name)] = int(fields[21]) * resource.getpagesize()
    tree, grown = {root}, True
    while grown:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(_proportional(p, sizes.get(p, 0)) for p in tree)


def _proportional(pid: int, resident: int) -> int:
    """A process's proportional set size (bytes), or its ``resident`` size where /proc does not
    give it (an older kernel, or the process gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resident


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall time, peak memory (bytes) of the process and its workers together (see
    :func:`_tree_memory`), and stderr of a fresh process. Memory is sampled every 20 ms where
    /proc exists, else the largest single process's peak is reported."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        peak = 0
        while process.poll() is None:
            if Path("/proc").is_dir():
                peak = max(peak, _tree_memory(process.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read()
    if process.returncode not in (0, 1):
        sys.exit(f"benchmark command failed: {' '.join(command)}\n{stderr}")
    if not peak:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return wall, peak, stderr


def _analysed(source: Path, out: Path, *extra: str) -> tuple[float, int, list[dict[str, object]]]:
    """Wall time, peak memory and stages of the whole ``schoolperf analyse`` of ``source``
    (with the ``extra`` options)."""
    command = [sys.executable, "-m", "schoolperf", "analyse", str(source), "--out", str(out)]
    command += ["--out-format", "parquet", "--summary-only", "--by", "school", "--profile"]
    command += extra
    wall, peak, stderr = timed(command)
    stages = [json.loads(line.split(STAGE, 1)[1]) for line in stderr.splitlines() if STAGE in line]
    return wall, peak, stages


def floor(source: Path, out: Path, names: tuple[str, ...] = ("pupils", "slots")) -> float:
    """Seconds of :data:`FLOOR` on ``source`` and the analysis's outputs ``names`` in
    ``out``."""
    with tempfile.TemporaryDirectory(prefix="schoolperf-floor-") as folder:
        outputs = [str(out / f"{name}.parquet") for name in names]
        command = [sys.executable, "-c", FLOOR, str(source), folder, *outputs]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"benchmark floor failed:\n{done.stderr}")
    return float(done.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m schoolperf.bench", description=__doc__)
    parser.add_argument("--pupils", type=int, default=600_000)
    parser.add_argument("--keep", type=Path, help="Folder to keep the generated file in.")
    parser.add_argument(
        "--parquet",
        action="store_true",
        help="Also analyse the same rows from a Parquet file (typed columns, as Arrow reads "
        "the CSV), timed against the same bare read of the CSV.",
    )
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        _run(args, args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="schoolperf-bench-") as folder:  # removed after
        _run(args, Path(folder))


def _run(args: argparse.Namespace, folder: Path) -> None:
    """Generate the file in ``folder``, then time the bare read, the analyses and the floor."""
    source = folder / "national.csv"
    start = time.perf_counter()
    rows = generate(source, args.pupils)
    print(
        f"generated {args.pupils:,} pupils, {rows:,} result rows, "
        f"{source.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - start:.1f} s"
    )
    sources = [source]
    if args.parquet:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        sources.append(source.with_suffix(".parquet"))
        pq.write_table(pacsv.read_csv(source), sources[-1])
    bare, bare_peak, _ = timed([sys.executable, "-c", BARE_READ, str(source)])
    print(f"bare pyarrow read: {bare:.2f} s (peak {bare_peak / 1e9:.2f} GB)")
    for analysed in sources:
        whole, peak, stages = _analysed(analysed, folder / f"out-{analysed.suffix[1:]}")
        print(f"schoolperf analyse {analysed.name}: {whole:.2f} s (peak {peak / 1e9:.2f} GB)")
        for stage in stages:
            print(f"  {stage['stage']:<10} {stage['seconds']:7.2f} s")
        print(f"ratio (analyse / bare read): {whole / bare:.2f}")
    # the outputs: per-pupil file and summary JSON, no slot audit
    whole, peak, _ = _analysed(source, folder / "out-pupils", "--no-slot-audit")
    print(
        f"schoolperf analyse {source.name} --no-slot-audit: {whole:.2f} s "
        f"(peak {peak / 1e9:.2f} GB), ratio {whole / bare:.2f}"
    )
    least = floor(source, folder / "out-csv")
    print(
        f"floor (bare read, then only writing the outputs, no figures): {least:.2f} s, "
        f"ratio {least / bare:.2f}"
    )
    least = floor(source, folder / "out-pupils", ("pupils",))
    print(
        f"floor of the --no-slot-audit run (pupils only): {least:.2f} s, ratio {least / bare:.2f}"
    )


if __name__ == "__main__":
    main()
