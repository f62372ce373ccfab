"""The yardstick: the A8/P8 rules an analyst would write in plain DuckDB SQL, reading the
national file and writing a pupil table and a per-result audit as CSV.

A simplified rule set (the first entry per discount code for the subjects :mod:`national`
writes, English doubled, combined science in two slots, the EBacc and open pools' best three,
the 2024 estimates), with no input checks, groups or subjects: a yardstick for speed, not a
second opinion on the rules. Run ``python -m schoolperf.bench.reference FILE --out DIR``.
"""

from __future__ import annotations

import sys
import time
from importlib.resources import files
from pathlib import Path

ESTIMATES = files("schoolperf.reference") / "estimates" / "2024.csv"

SQL = """
WITH r AS (
  SELECT upn, subject, qualification, upper(trim(grade)) AS g, exam_date,
         CASE WHEN subject IN ('English Language','English Literature') THEN 'eng'
              WHEN subject = 'Mathematics' THEN 'maths'
              WHEN subject = 'Combined Science' OR subject IN ('Biology','Chemistry','Physics',
                   'Computer Science','History','Geography','French','Spanish','German','Latin')
                   THEN 'ebacc'
              ELSE 'open' END AS role,
         CASE WHEN subject IN ('Physical Education','BTEC Tech Award Sport') THEN 'MA1'
              WHEN subject IN ('Drama','BTEC Tech Award Performing Arts') THEN 'LC11'
              ELSE subject END AS dcode
  FROM read_csv_auto('{file}', all_varchar=true)
),
p AS (
  SELECT *,
    CASE WHEN g IN ('', 'X', 'ABS', 'Q') OR g IS NULL THEN NULL
         WHEN g = 'U' THEN 0.0
         WHEN qualification = 'Double Award' THEN
              (CAST(substr(replace(replace(g,'-',''),'/',''),1,1) AS DOUBLE)
             + CAST(substr(replace(replace(g,'-',''),'/',''),2,1) AS DOUBLE)) / 2
         WHEN qualification = 'Technical Award' THEN
              CASE g WHEN 'L2D*' THEN 8.5 WHEN 'L2D' THEN 7 WHEN 'L2M' THEN 5.5 WHEN 'L2P' THEN 4
                     WHEN 'L1D' THEN 3 WHEN 'L1M' THEN 2 WHEN 'L1P' THEN 1.25 END
         ELSE CAST(g AS DOUBLE) END AS pts,
    CASE WHEN qualification = 'Double Award' THEN 2 ELSE 1 END AS slots
  FROM r
),
firsts AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY upn, dcode ORDER BY exam_date, pts DESC) AS k
    FROM p WHERE pts IS NOT NULL) WHERE k = 1
),
eng AS (
  SELECT upn, count(*) AS n, max(pts) AS hi, min(pts) AS lo FROM firsts WHERE role = 'eng'
  GROUP BY upn
),
slot_rows AS (
  SELECT upn, role, pts FROM firsts WHERE role IN ('ebacc', 'open')
  UNION ALL SELECT upn, role, pts FROM firsts WHERE slots = 2
),
eb AS (
  SELECT upn, pts, row_number() OVER (PARTITION BY upn ORDER BY pts DESC) AS k
  FROM slot_rows WHERE role = 'ebacc'
),
open_pool AS (
  SELECT upn, pts FROM eb WHERE k > 3
  UNION ALL SELECT upn, pts FROM slot_rows WHERE role = 'open'
  UNION ALL SELECT upn, lo FROM eng WHERE n = 2
),
op AS (
  SELECT upn, sum(pts) AS open FROM (
    SELECT upn, pts, row_number() OVER (PARTITION BY upn ORDER BY pts DESC) AS k
    FROM open_pool) WHERE k <= 3
  GROUP BY upn
),
pupils AS (
  SELECT upn, any_value(ks2_reading) AS kr, any_value(ks2_maths) AS km
  FROM read_csv_auto('{file}', all_varchar=true) GROUP BY upn
),
prior AS (
  SELECT upn, CASE WHEN kr IS NULL AND km IS NULL THEN NULL
                   ELSE (coalesce(TRY_CAST(kr AS DOUBLE), TRY_CAST(km AS DOUBLE))
                       + coalesce(TRY_CAST(km AS DOUBLE), TRY_CAST(kr AS DOUBLE))) / 2 END AS ks2
  FROM pupils
),
a8 AS (
  SELECT pr.upn, pr.ks2,
    coalesce(CASE WHEN e.n = 2 THEN 2 * e.hi ELSE e.hi END, 0) AS english,
    coalesce((SELECT 2 * pts FROM firsts f WHERE f.upn = pr.upn AND f.role = 'maths'), 0)
      AS maths,
    coalesce((SELECT sum(pts) FROM eb WHERE eb.upn = pr.upn AND k <= 3), 0) AS ebacc,
    coalesce(op.open, 0) AS open
  FROM prior pr LEFT JOIN eng e USING (upn) LEFT JOIN op USING (upn)
),
grp AS (
  SELECT *, CASE WHEN ks2 IS NULL THEN NULL WHEN ks2 <= 82 THEN 1 WHEN ks2 <= 86 THEN 2
                 WHEN ks2 <= 87.5 THEN 3 WHEN ks2 <= 89 THEN 4 WHEN ks2 <= 90.5 THEN 5
                 WHEN ks2 <= 92 THEN 6
                 ELSE least(34, CAST(ceil(ks2) AS INTEGER) - 86) END AS pag
  FROM a8
)
SELECT g.upn, english + maths + ebacc + open AS attainment8, english AS attainment8_english,
       maths AS attainment8_maths, ebacc AS attainment8_ebacc, open AS attainment8_open,
       (english + maths + ebacc + open - e.p8est) / 10 AS progress8
FROM grp g LEFT JOIN (
  SELECT prior_attainment_group AS ks2emss_grp, attainment8 AS p8est
  FROM read_csv_auto('{estimates}')
) e ON e.ks2emss_grp = g.pag
"""

AUDIT = """
SELECT p.upn, p.subject, p.g AS grade_text, p.pts, p.slots,
       row_number() OVER (PARTITION BY p.upn, p.dcode ORDER BY p.exam_date, p.pts DESC)
         AS entry_rank
FROM p
"""


def write_outputs(file: Path, out: Path) -> tuple[int, float, float]:
    """The reference query on ``file``: ``pupils.csv`` and ``slots.csv`` in ``out``; returns
    the pupils, their mean A8 and mean P8."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    pupils = SQL.format(file=file, estimates=ESTIMATES)
    connection.execute(f"CREATE TABLE pupils AS {pupils}")
    connection.execute(f"COPY pupils TO '{out / 'pupils.csv'}' (HEADER)")
    audit = pupils.split("eng AS (")[0].rstrip().rstrip(",") + AUDIT
    connection.execute(f"COPY ({audit}) TO '{out / 'slots.csv'}' (HEADER)")
    found = connection.execute("SELECT count(*), avg(attainment8), avg(progress8) FROM pupils")
    return found.fetchone()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[1] != "--out":
        sys.exit("usage: python -m schoolperf.bench.reference FILE --out DIR")
    start = time.perf_counter()
    count, attainment8, progress8 = write_outputs(Path(args[0]), Path(args[2]))
    print(
        f"reference query: {count} pupils in {time.perf_counter() - start:.2f} s; "
        f"A8 {attainment8:.4f}, P8 {progress8:.4f}"
    )


if __name__ == "__main__":
    main()
