"""A timing experiment, not part of schoolperf: how fast the allowed libraries (numpy and
pyarrow, no pandas) could analyse the benchmark's national file if the engine were rebuilt on
integer codes from reading to output (issue 9).

The rules are simplified and the figures are not schoolperf's: subject roles and grade points
from small tables here, no exam dates (so no first-entry rule), one discount code per subject,
basics and EBacc entry roughly, P8 from the shipped 2024 estimates by the mean of the two KS2
scores, no CIs, no text reasons (codes), no subject table. What it keeps is the shape of the
work: every cell checked once per distinct value, pupils coded, results ranked within pupils
(combined science as two units), discounting, the four slot pools, per-pupil A8/P8 and headline
flags, per-school and per-group sums, and three outputs (pupils and slot audit as Parquet, a
JSON summary), each step timed.

    python tools/lean_prototype.py national.csv OUT_FOLDER [WORKERS]

(the file from ``python -m schoolperf.bench --keep FOLDER``). With ``WORKERS`` (e.g. 2), the
file is read once, its schools shared out among that many forked processes, and each writes
its own outputs (``pupils-0.parquet``, ...): the time two cores could give, before any merge
of the outputs into one file.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

_START = time.perf_counter()

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

ESTIMATES = Path(__file__).parents[1] / "schoolperf/reference/estimates/2024.csv"
ROLES = {  # subject: (role, discount code); every other subject is open
    "English Language": (0, 0),
    "English Literature": (1, 1),
    "Mathematics": (2, 2),
    "Combined Science": (3, 3),
    "Biology": (4, 4),
    "Chemistry": (4, 5),
    "Physics": (4, 6),
    "Computer Science": (5, 7),
    "History": (6, 8),
    "Geography": (7, 9),
    "French": (8, 10),
    "Spanish": (8, 11),
    "German": (8, 12),
}
OPEN = 9
TECHNICAL = {"L1P": 1.25, "L2P": 4.0, "L2M": 5.5, "L2D": 7.0, "L2D*": 8.5}
TIMES: dict[str, float] = {}


def lap(name: str, last: list[float] = [_START]) -> None:  # noqa: B006 (the last lap's end)
    now = time.perf_counter()
    TIMES[name] = round(now - last[0], 3)
    last[0] = now


def codes(table: pa.Table, name: str) -> tuple[np.ndarray, pa.Array]:
    """A dictionary column's codes over one dictionary, and that dictionary."""
    column = table.column(name).unify_dictionaries()
    indices = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in column.chunks]
    return np.concatenate(indices), column.chunk(0).dictionary


def grade_points(grade: str) -> float:
    if grade in TECHNICAL:
        return TECHNICAL[grade]
    if "-" in grade:  # combined science, per slot
        high, low = grade.split("-")
        return (int(high) + int(low)) / 2
    return 0.0 if grade == "U" else float(grade) if grade.isdigit() else np.nan


def rank_within(pool: np.ndarray, start_of: np.ndarray) -> np.ndarray:
    """Each unit's rank within its pupil among the ``pool`` units (units in rank order)."""
    running = np.cumsum(pool)
    return running - (running[start_of] - pool[start_of]) - 1


def first_of(keys: np.ndarray, chosen: np.ndarray, size: int) -> np.ndarray:
    """Per key value, the first ``chosen`` position holding it (-1 for none)."""
    first = np.full(size, -1, dtype=np.int64)
    where = np.flatnonzero(chosen)
    first[keys[where][::-1]] = where[::-1]
    return first


def main(path: str, out: Path, workers: int = 1) -> None:
    lap("import")
    text = pa.dictionary(pa.int32(), pa.string())
    coded = ["School", "Gender", "PP", "SEN", "KS2 Reading", "KS2 Maths", "Subject", "Grade"]
    options = pacsv.ConvertOptions(column_types={c: text for c in coded} | {"UPN": pa.string()})
    table = pacsv.read_csv(path, convert_options=options)
    lap("read")
    if workers == 1:
        analyse(table, out, "")
        return
    # the schools shared out among forked workers, each writing its own files
    import multiprocessing

    school, _ = codes(table, "School")
    shares = [table.filter(pa.array(school % workers == k)) for k in range(workers)]
    lap("share out")
    context = multiprocessing.get_context("fork")
    jobs = [context.Process(target=analyse, args=(s, out, f"-{k}")) for k, s in enumerate(shares)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    lap("workers")
    print(TIMES, f"total {time.perf_counter() - _START:.2f} s")


def analyse(table: pa.Table, out: Path, tag: str) -> None:
    """Everything after the read, for ``table``; outputs named with ``tag``."""
    subject, subjects = codes(table, "Subject")
    grade, grades = codes(table, "Grade")
    names = subjects.to_pylist()
    role_of = np.array([ROLES.get(s, (OPEN, 0))[0] for s in names], dtype=np.int8)
    code_of = np.array([ROLES[s][1] if s in ROLES else 13 + i for i, s in enumerate(names)])
    points_of = np.array([grade_points(g) for g in grades.to_pylist()])
    upns = pc.dictionary_encode(table.column("UPN")).combine_chunks()
    pupil, pupil_count = upns.indices.to_numpy(), len(upns.dictionary)
    first_row = first_of(pupil, np.ones(len(pupil), dtype=bool), pupil_count)
    attributes, problems = {}, 0
    for name in ["School", "Gender", "PP", "SEN", "KS2 Reading", "KS2 Maths"]:
        values, distinct = codes(table, name)
        problems += int((values != values[first_row[pupil]]).sum())  # differs between rows
        attributes[name] = (values[first_row], distinct)

    def ks2(name: str) -> np.ndarray:
        values, distinct = attributes[name]
        return np.array([float(v) if v else np.nan for v in distinct.to_pylist()])[values]

    reading, maths = ks2("KS2 Reading"), ks2("KS2 Maths")
    lap("check and code")
    units = (role_of[subject] == 3).astype(np.int64) + 1  # combined science: two units
    rows = np.repeat(np.arange(len(pupil)), units)
    unit = np.r_[0, rows[1:] == rows[:-1]].astype(np.int8)
    points = points_of[grade][rows]
    best = (np.nan_to_num(points, nan=-1) * 4).astype(np.int64) + 8
    key = pupil[rows].astype(np.int64) * 4096 + (63 - best) * 64 + subject[rows]
    order = np.argsort(key, kind="stable")  # pupil, best first, then subject
    rows, unit, points = rows[order], unit[order], points[order]
    who, role = pupil[rows], role_of[subject[rows]]
    reason = np.where(np.isnan(points), 1, 0).astype(np.int8)  # 1: no result
    discount = who.astype(np.int64) * 64 + code_of[subject[rows]]
    winner = first_of(discount, reason == 0, pupil_count * 64)[discount]
    position = np.arange(len(rows))
    second_unit = (role == 3) & (unit == 1) & (winner == position - 1)
    reason[(reason == 0) & (winner != position) & ~second_unit] = 2  # 2: discounted
    counts = reason == 0
    points = np.nan_to_num(points)
    starts = np.r_[0, np.flatnonzero(who[1:] != who[:-1]) + 1]
    start_of = np.repeat(starts, np.diff(np.r_[starts, len(who)]))
    element = np.full(len(rows), -1, dtype=np.int8)
    slot = np.zeros(len(rows), dtype=np.int8)
    weight = np.zeros(len(rows), dtype=np.int8)
    english = counts & (role <= 1)
    both = np.zeros((pupil_count, 2), dtype=bool)
    both[who[english], role[english]] = True
    chosen = english & (rank_within(english, start_of) == 0)
    element[chosen], slot[chosen] = 0, 1
    weight[chosen] = np.where(both.all(axis=1)[who[chosen]], 2, 1)
    maths_pool = counts & (role == 2)
    rank = rank_within(maths_pool, start_of)
    element[maths_pool & (rank == 0)], slot[maths_pool & (rank == 0)] = 1, 1
    weight[maths_pool & (rank == 0)] = 2
    reason[maths_pool & (rank > 0)] = 3  # 3: surplus maths
    for number, pool in ((2, counts & (role >= 3) & (role <= 8)), (3, None)):
        if pool is None:  # open: what is left that counts, but surplus maths
            pool = counts & (element < 0) & (reason == 0)
        rank = rank_within(pool, start_of)
        chosen = pool & (rank < 3)
        element[chosen], slot[chosen], weight[chosen] = number, rank[chosen] + 1, 1
    reason[(reason == 0) & (weight == 0)] = 4  # 4: surplus
    slot_points = points * weight
    lap("slots")
    cell = who.astype(np.int64) * 4 + np.maximum(element, 0)
    elements = np.bincount(cell, slot_points, minlength=pupil_count * 4).reshape(-1, 4)
    attainment8 = elements.sum(axis=1)
    role_key = who.astype(np.int64) * 16 + role
    first = first_of(role_key, counts, pupil_count * 16)
    best_points = np.where(first >= 0, points[np.maximum(first, 0)], -1).reshape(-1, 16)
    english_best = best_points[:, :2].max(axis=1)
    basics_4 = (english_best >= 4) & (best_points[:, 2] >= 4)
    basics_5 = (english_best >= 5) & (best_points[:, 2] >= 5)
    estimates = np.genfromtxt(ESTIMATES, delimiter=",", names=True)
    prior = np.where(
        np.isnan(reading), maths, np.where(np.isnan(maths), reading, (reading + maths) / 2)
    )
    group = np.clip(np.searchsorted(estimates["ks2_low"], prior, "right") - 1, 0, None)
    expected = estimates["attainment8"][group]
    progress8 = np.where(np.isnan(prior), np.nan, (attainment8 - expected) / 10)
    lap("pupil figures")
    figures = {
        "attainment8": attainment8,
        "progress8": progress8,
        "basics_4": basics_4.astype(float),
        "basics_5": basics_5.astype(float),
    }

    def sums(keys: np.ndarray, size: int) -> dict[str, list[float]]:
        out = {}
        for name, values in figures.items():
            present = ~np.isnan(values)
            n = np.bincount(keys[present], minlength=size)
            total = np.bincount(keys[present], values[present], minlength=size)
            out[name] = (total / np.maximum(n, 1)).tolist()
        return out

    school, school_names = attributes["School"]
    summary = {"schools": sums(school, len(school_names)), "groups": {}}
    for name in ["Gender", "PP", "SEN"]:
        values, distinct = attributes[name]
        summary["groups"][name] = sums(values, len(distinct))
    (out / f"summary{tag}.json").write_text(json.dumps(summary))
    lap("schools, groups and JSON")
    pupils = pa.table(
        {
            "upn": upns.dictionary,
            "school": pa.DictionaryArray.from_arrays(pa.array(school), school_names),
            "attainment8": attainment8,
            "progress8": progress8,
            "basics_4": basics_4,
            "basics_5": basics_5,
        }
    )
    audit = pa.table(
        {
            "upn": pa.DictionaryArray.from_arrays(pa.array(who), upns.dictionary),
            "row": rows + 2,
            "subject": pa.DictionaryArray.from_arrays(pa.array(subject[rows]), subjects),
            "grade": pa.DictionaryArray.from_arrays(pa.array(grade[rows]), grades),
            "points": points,
            "unit": unit,
            "element": element,
            "slot": slot,
            "weight": weight,
            "slot_points": slot_points,
            "reason": reason,
        }
    )
    writers = [
        threading.Thread(target=pq.write_table, args=(frame, out / f"{name}{tag}.parquet"))
        for frame, name in ((pupils, "pupils"), (audit, "slots"))
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    lap("outputs")
    print(tag, TIMES, f"total {time.perf_counter() - _START:.2f} s", f"{pupil_count:,} pupils,")
    print(f"{len(rows):,} units, mean A8 {attainment8.mean():.2f}, cells that differ {problems}")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
