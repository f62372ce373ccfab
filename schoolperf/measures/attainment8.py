"""Attainment 8: discounting, the first-entry rule, slot filling, element and pupil scores.

Rule (ks4-methodology §1): English (2 slots, doubled only when both English language and English
literature were entered; the other English may count in open), maths (2 slots), EBacc (the best 3
EBacc-eligible results; combined science may fill two slots at the mean of its grades; EBacc entry
rules do not apply), open (the best 3 of the rest, non-GCSEs only here). Empty slots score 0.

The rules are one DuckDB query over Arrow (:data:`SLOTS_SQL`): each rule is a common table
expression named after it, with its source beside it: ``results`` (why a result counts
nowhere, what it discounts against, the element pool it may fill), ``shared``/``contested``/
``first_entry``/``discounted`` (one result per pupil and discount code counts, and why each
other does not), ``units`` (combined science is two), ``english``, ``maths``, ``ebacc``,
``open_element`` (the four elements), ``slots`` and ``not_counted`` (every unit exactly once).
:data:`A8_SQL` adds up the slots.

Rankings never fall back on row order: every window orders by the points, then the subject
title, grade, exam date and unit, then the result's position. Text keys are ranked as integers
in text order (``subject_key``, ``grade_key``). Only the columns the rules read go through
DuckDB; the slot audit's other columns are taken from the input by Arrow, in row order (each
result's units in turn), placed by a scatter of the query's rows: no sort.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schoolperf.engine.query import as_arrow, in_order, run_query, text_order
from schoolperf.frames import arrow_text, positions_in
from schoolperf.measures.eligibility import AS_EXCEPTION_ROLES, NOT_COUNTED_REASONS
from schoolperf.reference import (
    AS_LEVEL,
    EBACC_ROLES,
    ELEMENTS,
    ENGLISH_ROLES,
    NOT_COUNTING,
    OPEN_ROLES,
)

# why a result, or a unit of one, fills no slot (the slot audit's words)
NO_RESULT = "no result (blank, X or absent)"
NOT_A_QUALIFICATION = "not a qualification that counts in the performance tables"
UNRECOGNISED = "subject not recognised, so not counted: add it with --subjects if it is approved"
SURPLUS_MATHS = "surplus maths: only one maths qualification counts"
SURPLUS_OPEN = "surplus: the three open slots hold better results"
# an undated result is taken as sat on this day, after every dated one
LATEST = pd.Timestamp.max.normalize()


def element_order(element: pd.Series) -> np.ndarray:
    """Each slot's element's position in ``ELEMENTS`` (NaN where it filled none; whole
    numbers when every slot filled one, as a mapping of the names gives)."""
    position = positions_in(element, ELEMENTS)
    return position if (position >= 0).all() else np.where(position >= 0, position, np.nan)


# the columns the rules read
RULE_COLUMNS = (
    "upn",
    "subject_title",
    "role",
    "discount_code",
    "grade_code",
    "points",
    "units",
    "entry",
    "exam_date",
    "kind",
)
TEXT_COLUMNS = ("upn", "subject_title", "role", "discount_code", "grade_code", "kind")
# what fill_slots adds to the results' columns, in its order
ADDED_COLUMNS = (
    "reason",
    "counts",
    "unit",
    "result_id",
    "element",
    "slot",
    "weight",
    "slot_points",
)


def _text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _texts(values: Sequence[str]) -> str:
    """A SQL list of string literals, for ``IN``."""
    return "(" + ", ".join(_text(v) for v in values) + ")"


_KIND_REASONS = " ".join(
    f"WHEN {_text(kind)} THEN {_text(why)}" for kind, why in NOT_COUNTED_REASONS.items()
)
# an element's points in slot-audit row order (min_by: the values of the least rows, in row
# order; a pupil fills at most 10 slots), added one after another, so the sum never depends on
# how the query was run
_ELEMENT_SUMS = ",\n        ".join(
    f"coalesce(list_sum(min_by(slot_points, row, 10) FILTER (WHERE element = {_text(e)})), 0)"
    f" AS {e}"
    for e in ELEMENTS
)
# Best first: better points, ties by subject title, grade code, exam date and unit, never by row
# order (a figure never changes with row order); missing values last; the result's position
# last, so that no two units tie.
BEST_FIRST = (
    "points DESC NULLS LAST, subject_key NULLS LAST, grade_key NULLS LAST, "
    "exam_date NULLS LAST, unit, pos"
)

SLOTS_SQL = f"""
WITH
results AS (
    -- Which results count nowhere (eligibility: ks4-methodology §1.2, §1.3,
    -- §1.6): no entry; short courses and IGCSEs (role not_counting, the reason by kind);
    -- subjects not recognised. What a result discounts against (discount_key): its discount
    -- code, or without one its subject. An undated result is sat after every dated one. The
    -- element pool each result may fill (its role). Only what the rules read is
    -- kept: the windows below sort every column they carry.
    SELECT
        pos,
        pupil_key,
        subject_key,
        grade_key,
        CASE WHEN isnan(points) THEN NULL ELSE points END AS points,
        units,
        exam_date,
        coalesce(exam_date, TIMESTAMP '{LATEST:%Y-%m-%d}') AS sat,
        CASE WHEN discount_code = '' THEN 'subject:' || subject_title ELSE discount_code END
            AS code,
        -- AS level exception discounting (eligibility.AS_EXCEPTION_ROLES, ks4-methodology §1.3)
        coalesce(kind = {_text(AS_LEVEL)} AND role IN {_texts(AS_EXCEPTION_ROLES)}, false)
            AS as_exception,
        CASE
            WHEN NOT entry THEN {_text(NO_RESULT)}
            WHEN role = {_text(NOT_COUNTING)} THEN CASE kind {_KIND_REASONS}
                ELSE {_text(NOT_A_QUALIFICATION)} END
            WHEN role = 'unrecognised' THEN {_text(UNRECOGNISED)}
            ELSE ''
        END AS excluded,
        CASE
            WHEN role IN {_texts(ENGLISH_ROLES)} THEN 'english'
            WHEN role = 'maths' THEN 'maths'
            WHEN role IN {_texts(EBACC_ROLES)} THEN 'ebacc'
            WHEN role IN {_texts(OPEN_ROLES)} THEN 'open'
            ELSE ''
        END AS pool,
        coalesce(role = 'english_literature', false) AS literature
    FROM rules_in
),
shared AS (
    -- Discounting (ks4-methodology §1.6) only ever ranks results that share their pupil and
    -- code with another: most results are alone, and are not sorted at all.
    SELECT pupil_key, code FROM results WHERE excluded = '' GROUP BY ALL HAVING count(*) > 1
),
contested AS (
    -- One result per pupil and discount code counts (ks4-methodology §1.6, DfE discounting
    -- guidance): an AS level in English or maths before the GCSE whatever the date (§1.3),
    -- then the first entry, then on the same date the better result, ties as BEST_FIRST.
    SELECT
        * EXCLUDE (excluded),
        row_number() OVER (
            PARTITION BY pupil_key, code
            ORDER BY as_exception DESC, sat, points DESC NULLS LAST, subject_key NULLS LAST,
                grade_key NULLS LAST, exam_date NULLS LAST, pos
        ) AS entry_rank
    FROM results SEMI JOIN shared USING (pupil_key, code)
    WHERE excluded = ''
),
first_entry AS (  -- the results that count
    SELECT * EXCLUDE (excluded) FROM results ANTI JOIN shared USING (pupil_key, code)
    WHERE excluded = ''
    UNION ALL BY NAME
    SELECT * EXCLUDE (entry_rank) FROM contested WHERE entry_rank = 1
),
discounted AS (
    -- Why each result that loses to another of its pupil and code does not count.
    SELECT
        lost.pos,
        lost.units,
        lost.points,
        CASE
            WHEN won.as_exception AND NOT lost.as_exception
                THEN 'discounted: ' || won_subject.subject_title
                    || ' counts instead (an AS level in English or maths always discounts the '
                    || 'GCSE in the same subject)'
            WHEN won.subject_key = lost.subject_key AND won.sat < lost.sat
                THEN 'not first entry: the '
                    || coalesce(strftime(won.exam_date, '%Y-%m-%d'), 'no date') || ' entry counts'
            ELSE 'discounted: ' || won_subject.subject_title
                || ' has the same discount code (' || lost.code || ') and counts instead'
        END AS reason
    FROM contested AS lost
    JOIN contested AS won ON won.pupil_key = lost.pupil_key AND won.code = lost.code
        AND won.entry_rank = 1 AND lost.entry_rank > 1
    JOIN (SELECT DISTINCT subject_key, subject_title FROM rules_in) AS won_subject
        ON won_subject.subject_key IS NOT DISTINCT FROM won.subject_key
),
units AS (
    -- A result fills one slot; combined science two, each at its per-slot points (§1.4):
    -- units 0 and 1. Only units of results that count compete.
    SELECT
        pos, pupil_key, points, subject_key, grade_key, exam_date, pool, literature,
        unnest(range(units)) AS unit
    FROM first_entry
),
english AS (
    -- English element (§1.2): the better English, weight 2 only when both English language
    -- and English literature count, else 1; the other English may count in open.
    SELECT
        *,
        row_number() OVER best AS rank,
        CASE WHEN bool_or(literature) OVER pupil AND bool_or(NOT literature) OVER pupil
            THEN 2 ELSE 1 END AS english_weight  -- literature and language both count
    FROM units
    WHERE pool = 'english'
    WINDOW pupil AS (PARTITION BY pupil_key), best AS (PARTITION BY pupil_key ORDER BY {BEST_FIRST})
),
maths AS (
    -- Maths element (§1.3): the maths result, weight 2; any further maths cannot count.
    SELECT *, row_number() OVER (PARTITION BY pupil_key ORDER BY {BEST_FIRST}) AS rank
    FROM units
    WHERE pool = 'maths'
),
ebacc AS (
    -- EBacc element (§1.4): the best 3 units of EBacc subjects (EBacc entry rules do not apply).
    SELECT *, row_number() OVER (PARTITION BY pupil_key ORDER BY {BEST_FIRST}) AS rank
    FROM units
    WHERE pool = 'ebacc'
),
open_element AS (
    -- Open element (§1.5): the best 3 of the other English, the EBacc units left over and
    -- the approved other qualifications.
    SELECT *, row_number() OVER (PARTITION BY pupil_key ORDER BY {BEST_FIRST}) AS rank
    FROM (
        SELECT * EXCLUDE (rank, english_weight) FROM english WHERE rank > 1
        UNION ALL BY NAME
        SELECT * EXCLUDE (rank) FROM ebacc WHERE rank > 3
        UNION ALL BY NAME
        SELECT * FROM units WHERE pool = 'open'
    )
),
slots AS (
    -- Every unit of a result that counts once, with its element ('' for none), slot, weight
    -- (0: it fills none) and the reason it fills none ('' where it counts but fills none).
    SELECT pos, unit, points, '' AS reason, 'english' AS element, 1 AS slot,
        english_weight AS weight
    FROM english WHERE rank = 1
    UNION ALL
    SELECT pos, unit, points, '', 'maths', 1, 2 FROM maths WHERE rank = 1
    UNION ALL
    SELECT pos, unit, points, {_text(SURPLUS_MATHS)}, '', 0, 0 FROM maths WHERE rank > 1
    UNION ALL
    SELECT pos, unit, points, '', 'ebacc', rank, 1 FROM ebacc WHERE rank <= 3
    UNION ALL
    SELECT pos, unit, points, '', 'open', rank, 1 FROM open_element WHERE rank <= 3
    UNION ALL
    SELECT pos, unit, points, {_text(SURPLUS_OPEN)}, '', 0, 0 FROM open_element WHERE rank > 3
    UNION ALL  -- counts, in no element's pool
    SELECT pos, unit, points, '', '', 0, 0 FROM units WHERE pool = ''
),
not_counted AS (
    -- Every unit of a result that does not count, with the reason.
    SELECT pos, unnest(range(units)) AS unit, points, excluded AS reason
    FROM results
    WHERE excluded <> ''
    UNION ALL
    SELECT pos, unnest(range(units)) AS unit, points, reason FROM discounted
)
SELECT
    pos,
    unit,
    reason,
    true AS counts,
    element,
    CAST(slot AS BIGINT) AS slot,
    CAST(weight AS BIGINT) AS weight,
    coalesce(points, 0) * weight AS slot_points  -- an empty or ungraded slot scores 0
FROM slots
UNION ALL
SELECT pos, unit, reason, false, '', 0, 0, coalesce(points, 0) * 0 FROM not_counted  -- weight 0
"""

A8_SQL = f"""
WITH
elements AS (
    -- A8 is the sum of the 10 weighted slots (ks4-methodology §1.1), element by element. Each
    -- element's points are added in slot-audit row order (_ELEMENT_SUMS).
    SELECT
        upn,
        {_ELEMENT_SUMS},
        count(*) FILTER (WHERE element = 'ebacc') AS ebacc_slots_filled,
        count(*) FILTER (WHERE element = 'open') AS open_slots_filled
    FROM slots_in
    WHERE weight > 0
    GROUP BY upn
)
SELECT
    pupils_in.upn,
    {" + ".join(f"coalesce({e}, 0)" for e in ELEMENTS)} AS attainment8,
    {", ".join(f"coalesce({e}, 0) AS attainment8_{e}" for e in ELEMENTS)},
    coalesce(ebacc_slots_filled, 0) AS ebacc_slots_filled,
    coalesce(open_slots_filled, 0) AS open_slots_filled
FROM pupils_in
LEFT JOIN elements USING (upn)  -- pupils without results score 0
ORDER BY pupils_in.row
"""


def _column(table: pa.Table, name: str) -> pa.Array:
    """A column as one array; a text column with no value at all (pandas makes it float NaN)
    or none at all (no kinds: nothing is a short course or an AS level) as text."""
    if name not in table.column_names:
        return pa.nulls(len(table), pa.string())
    column = (
        table[name].unify_dictionaries()
        if pa.types.is_dictionary(table[name].type)
        else table[name]
    )
    values = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if name in TEXT_COLUMNS and values.null_count == len(values) and not arrow_text(values.type):
        return pa.nulls(len(table), pa.string())
    return values


def _rule_columns(table: pa.Table) -> pa.Table:
    """What the rules read: each result's position ``pos``; ``pupil_key``, ``subject_key`` and
    ``grade_key``, the pupil, subject title and grade code as integers in text order."""
    columns = {name: _column(table, name) for name in RULE_COLUMNS}
    return pa.table(
        {
            "pos": np.arange(len(table), dtype=np.int32 if len(table) < 2**31 else np.int64),
            "pupil_key": text_order(columns["upn"]),
            "subject_key": text_order(columns["subject_title"]),
            "grade_key": text_order(columns["grade_code"]),
            **{name: columns[name] for name in RULE_COLUMNS if name not in ("upn", "grade_code")},
        }
    )


def fill_slots_arrow(
    results: pa.Table | pd.DataFrame, connection: duckdb.DuckDBPyConnection | None = None
) -> pa.Table:
    """:func:`fill_slots` as Arrow: every unit of every result (the results' columns, then
    ``reason``, ``counts``, ``unit``, ``result_id``, ``element``, ``slot``, ``weight``,
    ``slot_points``), each result's units in turn, in the results' order. ``reason`` and
    ``element`` are dictionaries of their values in text order."""
    table, ids = as_arrow(results)
    units = run_query(connection, SLOTS_SQL, {"rules_in": _rule_columns(table)})
    # each unit in its place: after the units of every result before its own
    count = table["units"].to_numpy().astype(np.int64)
    pos = units["pos"].to_numpy()
    order = np.empty(len(units), dtype=np.int64)
    order[(np.cumsum(count) - count)[pos] + units["unit"].to_numpy()] = np.arange(len(units))
    rows = pos[order]
    added = {
        name: in_order(units[name], order) for name in ADDED_COLUMNS if name in units.column_names
    }
    added["result_id"] = pa.array(ids[rows])
    out = table.select([c for c in table.column_names if c not in added]).take(rows)
    for name in ADDED_COLUMNS:
        out = out.append_column(name, added[name])
    return out


def slots_to_pandas(slots: pa.Table, results: pd.DataFrame | None = None) -> pd.DataFrame:
    """The slot audit of :func:`fill_slots_arrow` as pandas (dictionaries as categoricals;
    with no units, ``element`` a text column).
    ``results``: the pandas frame it was computed from, whose categoricals' dtypes (Arrow keeps
    their categories, not their categories' name) the same columns then take back."""
    frame = slots.to_pandas()
    for column in results.columns if results is not None else ():
        kind = results[column].dtype
        if isinstance(kind, pd.CategoricalDtype) and column in frame:
            if frame[column].cat.categories.equals(kind.categories):  # the same codes
                codes = frame[column].cat.codes.to_numpy()
                frame[column] = pd.Categorical.from_codes(codes, dtype=kind)
            else:
                frame[column] = frame[column].astype(kind)
    if not len(frame):
        frame["element"] = np.array([], dtype=object)
    return frame


def fill_slots(
    results: pd.DataFrame, connection: duckdb.DuckDBPyConnection | None = None
) -> pd.DataFrame:
    """Every unit of every result with where it went: ``element``, ``slot``, ``weight`` (0 where
    it did not count), ``slot_points`` and ``reason`` (:data:`SLOTS_SQL`).

    Rule: only one result per discount code counts, the first entry (earliest exam date; on
    one date the better result), but an AS level in English or maths always counts over the
    GCSE it shares a code with (ks4-methodology §1.6); English element = the better English,
    weight 2 only when both language and literature were entered, else 1 (§1.2); maths = the
    maths result, weight 2, any further maths cannot count (§1.3); EBacc = the best 3 EBacc
    units (§1.4); open = the best 3 of the other English, leftover EBacc units and approved
    other qualifications (§1.5).
    """
    return slots_to_pandas(fill_slots_arrow(results, connection), results)


def pupil_attainment8(
    units: pd.DataFrame,
    pupils: pd.Index,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Per pupil of ``pupils`` (by UPN): ``attainment8`` and its four elements, plus the EBacc
    and open slots filled.

    Rule: A8 is the sum of the 10 weighted slots (ks4-methodology §1.1); pupils without
    results score 0.
    """
    return _attainment8_arrow(units, pupils, connection).to_pandas().set_index("upn")


def _attainment8_arrow(
    slots: pa.Table | pd.DataFrame,
    pupils: pd.Index | Sequence[str] | pa.Array,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """:func:`pupil_attainment8` as Arrow: per pupil of ``pupils`` (in that order), ``upn``,
    ``attainment8``, its four elements, and the EBacc and open slots filled."""
    read = ["upn", "element", "weight", "slot_points"]
    table = as_arrow(slots[read])[0] if isinstance(slots, pd.DataFrame) else slots.select(read)
    table = table.append_column("row", pa.array(np.arange(len(table), dtype=np.int64)))
    names = pa.array(pupils.to_numpy() if isinstance(pupils, pd.Index) else pupils, pa.string())
    listed = pa.table({"upn": names, "row": np.arange(len(names), dtype=np.int64)})
    out = run_query(connection, A8_SQL, {"slots_in": table, "pupils_in": listed})
    if not pc.any(pc.greater(table["weight"], 0)).as_py():
        # no slot filled by anyone: whole numbers (0, not 0.0), as the outputs have always
        # written them
        out = out.cast(
            pa.schema([pa.field(f.name, pa.int64()) if f.name != "upn" else f for f in out.schema])
        )
    return out
