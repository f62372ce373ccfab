"""The national file: a seeded synthetic cohort in the canonical long layout (600,000 pupils
and about 4.9 million results by default), the file the benchmark times every engine on.
Every pupil is synthetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SUBJECTS = [
    "English Language",
    "English Literature",
    "Mathematics",
    "Combined Science",
    "History",
    "Geography",
    "French",
    "Spanish",
    "Art and Design",
    "Religious Studies",
    "Computer Science",
    "BTEC Tech Award Sport",
    "Biology",
    "Chemistry",
    "Physics",
    "Music",
    "Drama",
    "Physical Education",
    "Design and Technology",
    "Business",
]
TAKEN = [0.97, 0.9, 0.98, 0.0, 0.5, 0.45, 0.3, 0.25, 0.3, 0.6, 0.2, 0.3, 0, 0, 0, 0.1, 0.15]
TAKEN += [0.2, 0.2, 0.2]  # share of pupils entered in each subject
PER_SCHOOL = 180


def write_national(path: Path, pupils: int = 600_000, seed: int = 2026) -> int:
    """Write the national file to ``path``; return its number of result rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, pupils)
    mask = rng.random((pupils, len(SUBJECTS))) < np.array(TAKEN)
    combined = rng.random(pupils) < 0.72
    mask[:, 3] = combined
    mask[:, 12:15] = ~combined[:, None] & (rng.random((pupils, 3)) < 0.95)
    pupil, subject = np.nonzero(mask)
    grade = np.clip(np.rint(5 + 2 * ability[pupil] + rng.normal(0, 1.2, pupil.size)), 1, 9)
    grade = grade.astype(int)
    text = grade.astype(str).astype(object)
    double = subject == 3
    low = np.maximum(1, grade[double] - 1)
    text[double] = np.char.add(np.char.add(grade[double].astype(str), "-"), low.astype(str))
    technical = subject == 11
    text[technical] = rng.choice(["L2D*", "L2D", "L2M", "L2P", "L1P"], technical.sum())
    qualification = np.where(double, "Double Award", np.where(technical, "Technical Award", "GCSE"))
    reading = np.clip(np.rint(104 + 7 * ability + rng.normal(0, 4, pupils)), 80, 120).astype(int)
    maths = np.clip(np.rint(104 + 7 * ability + rng.normal(0, 4, pupils)), 80, 120).astype(int)
    upn = np.char.add("N", np.char.zfill(np.arange(pupils).astype(str), 12))
    table = pa.table(
        {
            "upn": upn[pupil],
            "school": (pupil // PER_SCHOOL).astype(str),
            "gender": np.where(rng.random(pupils) < 0.5, "M", "F")[pupil],
            "disadvantaged": np.where(rng.random(pupils) < 0.27, "Y", "N")[pupil],
            "sen": rng.choice(["N", "K", "E"], pupils, p=[0.83, 0.12, 0.05])[pupil],
            "ks2_reading": reading[pupil],
            "ks2_maths": maths[pupil],
            "subject": np.array(SUBJECTS)[subject],
            "qualification": qualification,
            "grade": text.astype(str),
            "exam_date": np.full(pupil.size, "2026-06-01"),
        }
    )
    pacsv.write_csv(table, path)
    return table.num_rows
