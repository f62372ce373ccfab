"""Pupil totals by cell: the figures of a group pooled from its cells, of a file whole or in
parts, are its pupils' own means and variances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolperf.analysis import analyse
from schoolperf.measures.totals import (
    ATTAINMENT,
    HEADLINES,
    PROGRESS,
    mean,
    pupil_cells,
    totals,
    variance,
)
from tests.conftest import DEMO

_SCORE = st.floats(-30, 90, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def _pupils(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))

    def column(values: st.SearchStrategy) -> list:
        return draw(st.lists(values, min_size=n, max_size=n))

    frame = pd.DataFrame(
        {
            "gender": column(st.sampled_from(["M", "F", None])),
            "disadvantaged": pd.array(column(st.sampled_from([True, False, None])), "object"),
            "ks2_subjects": column(st.integers(0, 2)),
        }
    )
    for name in ATTAINMENT + HEADLINES + PROGRESS:
        frame[name] = column(_SCORE)
    frame["ks2_prior"] = np.where(frame["ks2_subjects"] > 0, 100.0, np.nan)
    for name in PROGRESS:  # no Progress 8 without prior attainment
        frame[name] = frame[name].where(frame["ks2_subjects"] > 0)
    frame["progress8_was_adjusted"] = column(st.booleans())  # a flag, false without P8 too
    frame["ebacc_aps"] = frame["ebacc_aps"].where(column(st.booleans()))  # some missing
    return frame


@settings(max_examples=150, deadline=None)
@given(pupils=_pupils(), data=st.data())
def test_a_groups_totals_are_its_pupils_figures(pupils, data):
    cells = pupil_cells(pupils, ["gender", "disadvantaged"])
    gender = data.draw(st.sampled_from(["M", "F"]))
    members = pupils["gender"] == gender
    total = totals(cells, cells.keys["gender"] == gender)
    chosen = pupils[members]
    assert total["pupils"] == len(chosen)
    with_p8 = chosen[chosen["progress8"].notna()]
    for name in ["attainment8", "ebacc_aps", "progress8", "progress8_open", "basics_4"]:
        values = (with_p8 if name.startswith("progress8") else chosen)[name].dropna()
        assert total[f"{name}_n"] == len(values)
        if len(values):
            assert mean(total, name) == pytest.approx(values.mean(), rel=1e-9, abs=1e-9)
        else:
            assert np.isnan(mean(total, name))
        if len(values) >= 2:
            assert variance(total, name) == pytest.approx(values.var(ddof=1), rel=1e-9, abs=1e-9)
        else:
            assert np.isnan(variance(total, name))
    assert total["progress8_was_adjusted_sum"] == with_p8["progress8_was_adjusted"].sum()
    assert total["no_ks2_sum"] == (chosen["ks2_subjects"] == 0).sum()
    assert total["attainment8_50_plus_sum"] == (chosen["attainment8"] >= 50).sum()
    everyone = totals(cells)
    assert everyone["pupils"] == len(pupils)
    assert mean(everyone, "attainment8") == pytest.approx(pupils["attainment8"].mean(), rel=1e-9)


def test_gap_standard_errors_are_the_pupils_own():
    """An independent check of the gap table on the demo: the SE of a mean gap is
    √(s₁²/n₁ + s₂²/n₂) of the two groups' own pupils, of a share gap √(p₁q₁/n₁ + p₂q₂/n₂)."""
    analysis = analyse(DEMO)
    pupils = analysis.pupils
    known = pupils["disadvantaged"].notna()
    group = pupils[known & (pupils["disadvantaged"] == True)]  # noqa: E712 (object column)
    rest = pupils[known & (pupils["disadvantaged"] == False)]  # noqa: E712
    rows = {
        (r["measure"], r["comparator"]): r for r in analysis.gaps if r["group"] == "disadvantaged"
    }
    a, b = group["attainment8"], rest["attainment8"]
    row = rows["attainment8", "school"]
    assert row["comparator_value"] == pytest.approx(b.mean(), rel=1e-12)
    assert row["gap"] == pytest.approx(a.mean() - b.mean(), rel=1e-12)
    expected = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert row["standard_error"] == pytest.approx(expected, rel=1e-12)
    p1, p2 = group["basics_4"].mean(), rest["basics_4"].mean()
    expected = 100 * np.sqrt(p1 * (1 - p1) / len(group) + p2 * (1 - p2) / len(rest))
    assert rows["basics_4_pct", "school"]["standard_error"] == pytest.approx(expected, rel=1e-12)
    assert rows["attainment8", "school"]["pupils"] == len(group) > 10


def test_group_columns_are_the_files_own_not_the_sums(tmp_path):
    """Cells keep their sums apart from the columns groups are defined by: a file column named
    like a sum makes its own groups, and a sum is never taken for a column."""
    from schoolperf.analysis import AnalysisOptions
    from schoolperf.errors import InputError
    from tests.conftest import write_long

    pupils = {
        f"P{i:02d}": {
            "ks2": (105, 105) if i % 5 else None,
            "pupils": "AB"[i % 2],
            "set_n": f"S{i % 3}",
            "Flag": "YN"[i % 2],
            "results": [("Maths", str(4 + i % 3))],
        }
        for i in range(24)
    }
    export = write_long(tmp_path / "r.csv", pupils)
    options = AnalysisOptions(groups=("pupils", "set_n", "prior_attainment_group"))
    analysis = analyse(export, options)
    assert analysis.groups["pupils=A"]["pupils"] == analysis.groups["pupils=B"]["pupils"] == 12
    assert [analysis.groups[f"set_n=S{k}"]["pupils"] for k in range(3)] == [8, 8, 8]
    assert analysis.groups["set_n=S0"]["attainment8"] == pytest.approx(8.0)  # grade 4, doubled
    # a number column with missing values (no KS2: no prior-attainment group) groups too
    prior = [k for k in analysis.groups if k.startswith("prior_attainment_group=")]
    assert sum(analysis.groups[k]["pupils"] for k in prior) == 24 - 5
    # a column kept under the file's own heading, asked for in another case
    flagged = analyse(export, AnalysisOptions(groups=("flag",))).groups
    assert flagged["Flag=Y"]["pupils"] == flagged["Flag=N"]["pupils"] == 12
    for name in ("attainment8_n", "no_ks2_sum", "progress8_m2"):
        with pytest.raises(InputError, match="neither a pupil group nor a column"):
            analyse(DEMO, AnalysisOptions(groups=(name,)))


def _cells_of(values: list[float], genders: list[str]) -> pd.Series:
    frame = pd.DataFrame({"gender": genders, "ks2_subjects": 2, "ks2_prior": 100.0})
    for name in ATTAINMENT + HEADLINES + PROGRESS:
        frame[name] = values
    return totals(pupil_cells(frame, ["gender"]))


@pytest.mark.parametrize(
    ("value", "genders"),
    [(25 / 6, ["F"] + ["M"] * 9), (4.1, ["F"] * 240), (0.1, ["F", "M"] * 150)],
)
def test_equal_values_have_no_variance_whatever_the_order_of_the_sums(value, genders):
    """25/6, 4.1 and 0.1 are not exact in binary: their sums in any order, and over hundreds of
    pupils, leave rounding, not spread."""
    total = _cells_of([value] * len(genders), genders)
    assert variance(total, "ebacc_aps") == 0.0
    assert mean(total, "ebacc_aps") == pytest.approx(value)


def test_a_tiny_spread_is_still_a_spread():
    values = [100.0] * 5 + [100.0 + 1e-9]
    total = _cells_of(values, ["F", "M"] * 3)
    assert variance(total, "ebacc_aps") == pytest.approx(np.var(values, ddof=1), rel=1e-3)
    assert variance(total, "ebacc_aps") > 0
