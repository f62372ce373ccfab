"""The sorting and ranking helpers equal the pandas idioms they replace, on generated frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolperf.frames import (
    as_categories,
    distinct_rows,
    rank_within,
    repeated_rows,
    sort_order,
    sorted_categorical,
)

_TEXT = st.sampled_from(["", "a", "b", "B", "maths", "zz"])


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 40))
    column = st.lists
    frame = pd.DataFrame(
        {
            "pupil": draw(
                column(st.sampled_from(["P1", "P2", "P3", "P10"]), min_size=size, max_size=size)
            ),
            "subject": draw(column(_TEXT, min_size=size, max_size=size)),
            "points": draw(
                column(
                    st.one_of(st.none(), st.sampled_from([0.0, 1.5, 4.0, 9.0, -2.25, 1e12])),
                    min_size=size,
                    max_size=size,
                )
            ),
            "unit": draw(column(st.integers(-3, 2**40), min_size=size, max_size=size)),
            "date": draw(
                column(
                    st.one_of(
                        st.none(), st.sampled_from(["2026-06-01", "2025-11-05", "2026-05-20"])
                    ),
                    min_size=size,
                    max_size=size,
                )
            ),
        }
    )
    frame["points"] = frame["points"].astype(float)
    frame["date"] = pd.to_datetime(frame["date"])
    if draw(st.booleans()):  # as the pipeline holds them: categoricals with sorted categories
        frame = frame.astype({"pupil": "category", "subject": "category"})
    return frame


@settings(max_examples=300, deadline=None)
@given(frames(), st.lists(st.booleans(), min_size=5, max_size=5))
def test_sort_order_is_a_stable_sort_values(frame: pd.DataFrame, ascending: list[bool]) -> None:
    columns = ["pupil", "subject", "points", "unit", "date"]
    expected = frame.reset_index(drop=True).sort_values(
        columns, ascending=ascending, kind="stable", na_position="last"
    )
    assert list(sort_order(frame, columns, ascending)) == list(expected.index)


@settings(max_examples=300, deadline=None)
@given(frames(), st.lists(st.booleans(), min_size=3, max_size=3), st.integers(0, 2))
def test_rank_within_is_sort_then_cumcount(
    frame: pd.DataFrame, ascending: list[bool], grouping: int
) -> None:
    groups = [["pupil"], ["pupil", "subject"], []][grouping]
    order = ["points", "date", "unit"]
    frame = frame.reset_index(drop=True)
    ranked = frame.sort_values(
        groups + order, ascending=[True] * len(groups) + ascending, kind="stable"
    )
    expected = (
        ranked.groupby(
            [frame[g].astype(object) for g in groups] or np.zeros(len(frame)), dropna=False
        )
        .cumcount()
        .sort_index()
        if len(frame)
        else pd.Series([], dtype=int)
    )
    assert list(rank_within(frame, groups, order, ascending)) == list(expected)


@settings(max_examples=300, deadline=None)
@given(frames(), st.integers(1, 4))
def test_repeated_rows_is_duplicated_of_a_sorted_frame(frame: pd.DataFrame, keys: int) -> None:
    """Neighbours compared by codes and ticks mark exactly the rows ``duplicated`` marks once
    the frame is sorted by the columns (missing text and missing dates equal to each other);
    a column of another type (points) is left to ``duplicated``."""
    columns = ["pupil", "subject", "date", "points"][:keys]
    subject = frame["subject"].where(frame["subject"] != "b")  # "b" as a missing subject
    frame = frame.assign(subject=subject).astype({"pupil": "category", "subject": "category"})
    frame = frame.iloc[sort_order(frame, columns, [True] * len(columns))]
    expected = frame.duplicated(columns).to_numpy()
    assert repeated_rows(frame, columns).tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(frames(), st.integers(1, 5))
def test_distinct_rows_numbers_combinations_as_they_first_appear(
    frame: pd.DataFrame, keys: int
) -> None:
    """Each row's combination, numbered in order of first appearance (as ``factorize`` of the
    rows numbers them, a missing value one value of its own), and each one's first row."""
    columns = ["pupil", "subject", "date", "points", "unit"][:keys]
    frame = frame.reset_index(drop=True)
    rows = [tuple("missing" if pd.isna(v) else v for v in row) for row in frame[columns].values]
    expected, _ = pd.factorize(pd.Series(rows, dtype=object))
    ids, first = distinct_rows(frame, columns)
    assert ids.tolist() == expected.tolist()
    assert first.tolist() == [expected.tolist().index(i) for i in range(len(first))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=4), max_size=30))
def test_sorted_categorical_is_what_as_categories_makes(texts: list[str]) -> None:
    """Python strings straight to a categorical: the same codes, categories, order and types
    as a text column turned into one (code point order is UTF-8 byte order)."""
    values = np.array(texts, dtype=object)
    made = pd.Series(sorted_categorical(values))
    expected = as_categories(pd.DataFrame({"text": values}))["text"]
    assert made.dtype == expected.dtype
    assert made.cat.categories.dtype == expected.cat.categories.dtype
    assert made.cat.codes.tolist() == expected.cat.codes.tolist()


def test_slot_columns_keep_the_types_of_their_text(tmp_path) -> None:
    """Categoricals built from codes (elements, grade codes) hold only the values that occur,
    typed as ``astype("category")`` types them, as before the codes were spread directly."""
    from schoolperf.analysis import analyse

    path = tmp_path / "maths.csv"
    path.write_text("UPN,Subject,Grade\nA,Mathematics,5\nB,Mathematics,6\nC,Mathematics,X\n")
    slots = analyse(path).slots
    assert list(slots["element"].cat.categories) == ["", "maths"]
    expected = pd.Series(["5"]).astype("category").cat.categories.dtype
    assert slots["grade_code"].cat.categories.dtype == expected
    assert slots["element_order"].isna().sum() == 1  # C's X filled no element
