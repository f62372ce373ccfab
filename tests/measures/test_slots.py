"""Slot filling (:func:`fill_slots`, :func:`pupil_attainment8`): hand-made edge cases, each
checked for the unit it is named after; and on the demo cohort, random cohorts and random
result frames (``SCHOOLPERF_ENGINE_EXAMPLES`` of each, 50 by default) the invariants every slot
audit holds: every unit once, in the results' order; at most one English, one maths, three
EBacc and three open slots, weighted as the rules say; no slot for a unit with a reason; and
each pupil's A8 the sum of their slot points, element by element."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolperf.cohort import load_cohort
from schoolperf.engine.query import connect
from schoolperf.measures.attainment8 import (
    ELEMENTS,
    fill_slots,
    fill_slots_arrow,
    pupil_attainment8,
    slots_to_pandas,
)
from tests.conftest import DEMO, cohort_strategy, write_long, write_rows

EXAMPLES = int(os.environ.get("SCHOOLPERF_ENGINE_EXAMPLES", "50"))
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UNIT_RULES = ["element", "slot", "weight", "reason", "slot_points"]


def assert_same(results: pd.DataFrame, pupils: pd.Index, connection=None) -> pd.DataFrame:
    """The slot audit of ``results`` holds every invariant of the rules; returns it."""
    slots = fill_slots(results, connection)
    units = results["units"].to_numpy(dtype=np.int64)
    assert len(slots) == units.sum()
    # every unit once, each result's units in turn, in the results' order
    expected_ids = np.repeat(results.index.to_numpy(), units)
    assert slots["result_id"].to_numpy().tolist() == expected_ids.tolist()
    assert slots["unit"].to_numpy().tolist() == [u for n in units for u in range(n)]
    filled = slots[slots["weight"] > 0]
    assert (filled["reason"].astype(str) == "").all()
    assert (slots.loc[slots["weight"] == 0, "element"].astype(str) == "").all()
    assert set(filled["weight"]) <= {1, 2}
    per_pupil = filled.groupby([filled["upn"].astype(str), filled["element"].astype(str)]).size()
    most = {"english": 1, "maths": 1, "ebacc": 3, "open": 3}
    for (upn, element), count in per_pupil.items():
        assert count <= most[element], (upn, element)
    assert (filled.loc[filled["element"] == "maths", "weight"] == 2).all()
    assert (filled.loc[filled["element"].isin(["ebacc", "open"]), "weight"] == 1).all()
    slot_points = filled["points"].fillna(0) * filled["weight"]
    assert np.allclose(filled["slot_points"], slot_points)
    a8 = pupil_attainment8(slots, pupils, connection)
    assert a8.index.equals(pupils)
    for element in ELEMENTS:
        mine = filled[filled["element"] == element]
        sums = mine.groupby(mine["upn"].astype(str))["slot_points"].sum()
        expected = sums.reindex(pupils.astype(str), fill_value=0.0).to_numpy()
        assert np.allclose(a8[f"attainment8_{element}"].to_numpy(dtype=float), expected)
    total = a8[[f"attainment8_{e}" for e in ELEMENTS]].sum(axis=1)
    assert np.allclose(a8["attainment8"].to_numpy(dtype=float), total.to_numpy(dtype=float))
    return slots


def test_demo_cohort(tmp_path):
    """With a memory limit and a folder to spill to, as ``--memory-limit`` and ``--temp-dir``
    give them: the demo's A8 as the analysis reports it."""
    from schoolperf.analysis import analyse

    cohort = load_cohort(DEMO)
    with connect(memory_limit="1GB", temp_directory=str(tmp_path / "spill")) as connection:
        slots = assert_same(cohort.results, cohort.pupils.index, connection)
        a8 = pupil_attainment8(slots, cohort.pupils.index, connection)
    assert (slots["weight"] > 0).sum() > 0
    assert a8["attainment8"].mean() == pytest.approx(analyse(DEMO).school["attainment8"])


# Each case: pupils as for conftest.write_long, and a (subject, unit, element, weight, reason
# start) the rules give, so each case is known to exercise what it is named after.
EDGE_CASES = {
    "both_englishes": (
        {"P": {"results": [("English Language", "5"), ("English Literature", "7")]}},
        ("English Literature", 0, "english", 2, ""),
    ),
    "english_u_doubles": (
        {"P": {"results": [("English Language", "6"), ("English Literature", "U")]}},
        ("English Language", 0, "english", 2, ""),
    ),
    "english_x_does_not": (
        {"P": {"results": [("English Language", "6"), ("English Literature", "X")]}},
        ("English Language", 0, "english", 1, ""),
    ),
    "equal_englishes": (
        {"P": {"results": [("English Literature", "6"), ("English Language", "6")]}},
        ("English Language", 0, "english", 2, ""),
    ),
    "surplus_maths": (
        {"P": {"results": [("Mathematics", "5"), ("AS Further Mathematics", "B")]}},
        ("Mathematics", 0, "", 0, "surplus maths"),
    ),
    "as_exception": (
        {
            "P": {
                "results": [
                    ("Mathematics", "8", "2023-06-01"),
                    ("AS Mathematics", "E", "2024-06-01"),
                ]
            }
        },
        ("Mathematics", 0, "", 0, "discounted: AS Mathematics counts instead"),
    ),
    "combined_science_split": (
        {
            "P": {
                "results": [
                    ("Combined Science", "6-5"),
                    ("History", "9"),
                    ("French", "8"),
                    ("Drama", "4"),
                ]
            }
        },
        ("Combined Science", 1, "open", 1, ""),
    ),
    "shared_code_same_date": (
        {
            "P": {
                "results": [
                    ("Physical Education", "6", "2024-06-01"),
                    ("BTEC Tech Award Sport", "L2D", "2024-06-01"),
                ]
            }
        },
        ("Physical Education", 0, "", 0, "discounted: BTEC Tech Award Sport has the same"),
    ),
    "shared_code_different_dates": (
        {
            "P": {
                "results": [
                    ("Drama", "5", "2023-06-01"),
                    ("BTEC Tech Award Performing Arts", "L2D*", "2024-06-01"),
                ]
            }
        },
        ("BTEC Tech Award Performing Arts", 0, "", 0, "discounted: Drama has the same"),
    ),
    "first_entry": (
        {"P": {"results": [("Geography", "3", "2023-11-01"), ("Geography", "7", "2024-06-01")]}},
        ("Geography", 0, "ebacc", 1, ""),
    ),
    "undated_after_dated": (
        {"P": {"results": [("Geography", "3", "2023-06-01"), ("Geography", "7")]}},
        ("Geography", 0, "", 0, "not first entry: the 2023-06-01 entry counts"),
    ),
    "no_dates": (
        {"P": {"results": [("History", "4"), ("History", "6"), ("Mathematics", "5")]}},
        ("History", 0, "", 0, "discounted: History has the same discount code (DB)"),
    ),
    "short_course": (
        {"P": {"results": [("Religious Studies Short Course", "7"), ("Mathematics", "5")]}},
        ("Religious Studies Short Course", 0, "", 0, "GCSE short course"),
    ),
    "igcse": (
        {"P": {"results": [("IGCSE English Language", "7"), ("English Literature", "5")]}},
        ("IGCSE English Language", 0, "", 0, "IGCSE or Level 1/2 Certificate"),
    ),
    "unrecognised_subject": (
        {"P": {"results": [("Underwater Basket Weaving", "7"), ("Mathematics", "5")]}},
        ("Underwater Basket Weaving", 0, "", 0, "subject not recognised"),
    ),
    "no_results": (
        {"P": {"results": [("Mathematics", "6")]}, "NONE": {"results": [("", "")]}},
        ("", 0, "", 0, "no result"),
    ),
    "surplus_open": (
        {
            "P": {
                "results": [
                    ("Drama", "4"),
                    ("Art and Design", "5"),
                    ("Music", "6"),
                    ("Business", "7"),
                    ("History", "3"),
                ]
            }
        },
        ("Drama", 0, "", 0, "surplus: the three open slots"),
    ),
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_case(tmp_path, case):
    pupils, (subject, unit, element, weight, reason) = EDGE_CASES[case]
    cohort = load_cohort(write_long(tmp_path / "results.csv", pupils))
    slots = assert_same(cohort.results, cohort.pupils.index)
    of = slots[(slots["subject_title"] == subject).to_numpy() & (slots["unit"] == unit)]
    assert (of["element"] == element).any(), of
    assert (of["weight"] == weight).any(), of
    assert of["reason"].astype(str).str.startswith(reason).any(), of


def test_all_edge_cases_in_one_cohort(tmp_path):
    pupils = {f"{case}-{upn}": p for case, (c, _) in EDGE_CASES.items() for upn, p in c.items()}
    cohort = load_cohort(write_long(tmp_path / "results.csv", pupils))
    assert_same(cohort.results, cohort.pupils.index)


# Hand-made frames for what a loaded cohort never holds but fill_slots takes: identical results
# (only row order tells them apart), no discount code, an undated result against one dated
# after pandas' latest timestamp, no points, text instead of categoricals, rows in no order,
# points whose sums depend on the order they are added in, and pupils without rows.
SUBJECTS = [  # title, role, discount code, kind
    ("English Language", "english_language", "FK2B", ""),
    ("English Literature", "english_literature", "FC4", ""),
    ("AS English Language", "english_language", "FK2B", "as_level"),
    ("IGCSE English Language", "not_counting", "", "igcse"),
    ("Mathematics", "maths", "RB1", ""),
    ("AS Mathematics", "maths", "RB1", "as_level"),
    ("AS Further Mathematics", "maths", "RB1A", "as_level"),
    ("Statistics", "maths", "", ""),
    ("Combined Science", "combined_science", "RA1E", ""),
    ("Biology", "science", "RC1", ""),
    ("Computer Science", "computer_science", "CK1", ""),
    ("History", "history", "DB", ""),
    ("Geography", "geography", "RF4", ""),
    ("French", "language", "FKF", ""),
    ("Drama", "open", "LC11", ""),
    ("BTEC Tech Award Performing Arts", "open_technical", "LC11", ""),
    ("Physical Education", "open", "MA1", ""),
    ("BTEC Tech Award Sport", "open_technical", "MA1", ""),
    ("Art and Design", "open", "", ""),
    ("Religious Studies Short Course", "not_counting", "", "short_course"),
    ("Underwater Basket Weaving", "unrecognised", "", ""),
    ("Citizenship Studies", "not_counting", "", ""),
    ("Mystery", "some_future_role", "ZZ1", ""),
]
POINTS = [0.0, 0.1, 0.2, 0.3, 1.1, 2.5, 3.0, 4.75, 7.0, 8.5, 9.0, np.nan]
DATES = [None, "2023-06-01", "2023-11-01", "2024-06-01", "3024-06-01"]
GRADES = ["", "4", "5", "65", "D2", "U"]


@st.composite
def result_frames(draw) -> tuple[pd.DataFrame, pd.Index]:
    upns = [f"P{i}" for i in range(draw(st.integers(1, 5)))]
    row = st.tuples(
        st.sampled_from(upns),
        st.sampled_from(SUBJECTS),
        st.sampled_from(POINTS),
        st.sampled_from(DATES),
        st.sampled_from(GRADES),
        st.booleans(),
        st.integers(0, 10),
    )
    rows = draw(st.lists(row, min_size=1, max_size=30))  # (fill_slots fails on no rows of text)
    rows += draw(st.lists(st.sampled_from(rows), max_size=5))  # identical results
    frame = pd.DataFrame(
        {
            "upn": [r[0] for r in rows],
            "_row": np.arange(len(rows), dtype=np.int64),
            "subject_title": [r[1][0] for r in rows],
            "role": [r[1][1] for r in rows],
            "discount_code": [r[1][2] if r[6] else "" for r in rows],  # some with none
            "kind": [r[1][3] for r in rows],
            "grade_code": [r[4] or np.nan for r in rows],
            "entry": [r[5] or r[6] > 2 for r in rows],
            "points": [r[2] for r in rows],
            "units": [(2 if r[1][1] == "combined_science" else 1) * (r[6] > 0) for r in rows],
            "exam_date": pd.to_datetime([r[3] for r in rows]).as_unit("us"),
        }
    )
    frame["units"] = frame["units"].astype(np.int64)
    pupils = pd.Index(sorted({*upns, "NO-ROWS"}), name="upn")
    if draw(st.booleans()):  # categoricals as load_cohort makes them: sorted categories
        text = ["subject_title", "role", "discount_code", "kind", "grade_code"]
        frame = frame.astype(dict.fromkeys(text, "category"))
        frame["upn"] = pd.Categorical(frame["upn"], categories=pupils)
    if draw(st.booleans()):  # an index of its own (result_id is the index)
        frame.index = pd.Index(np.arange(len(frame)) * 7 + 3)
    return frame, pupils


@PROFILE
@given(drawn=result_frames())
def test_random_frames(drawn):
    frame, pupils = drawn
    assert_same(frame, pupils)


def test_no_results():
    frame = pd.DataFrame(
        {
            "upn": pd.Categorical([], categories=["A"]),
            "subject_title": pd.Categorical([]),
            "role": pd.Categorical([]),
            "discount_code": pd.Categorical([]),
            "kind": pd.Categorical([]),
            "grade_code": pd.Categorical([]),
            "entry": np.array([], dtype=bool),
            "points": np.array([], dtype=float),
            "units": np.array([], dtype=np.int64),
            "exam_date": pd.to_datetime([]).as_unit("us"),
        }
    )
    assert_same(frame, pd.Index(["A"], name="upn"))
    a8 = pupil_attainment8(fill_slots(frame), pd.Index(["A"], name="upn"))
    assert a8.loc["A"].tolist() == [0, 0, 0, 0, 0, 0, 0]


@PROFILE
@given(cohort=cohort_strategy())
def test_random_cohorts(tmp_path_factory, cohort):
    path = write_rows(Path(tmp_path_factory.mktemp("cohort")) / "r.csv", cohort)
    loaded = load_cohort(path)
    assert_same(loaded.results, loaded.pupils.index)


def test_arrow_input_equals_pandas_input():
    cohort = load_cohort(DEMO)
    arrow = pa.Table.from_pandas(cohort.results, preserve_index=False)
    from_arrow = slots_to_pandas(fill_slots_arrow(arrow), cohort.results)
    expected = fill_slots(cohort.results).reset_index(drop=True)
    expected["result_id"] = np.repeat(np.arange(len(cohort.results)), cohort.results["units"])
    pd.testing.assert_frame_equal(from_arrow, expected, check_exact=True)
