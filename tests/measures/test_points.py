"""Grades to points in every common spelling (ks4-methodology §1.8)."""

from __future__ import annotations

import pandas as pd
import pytest

from schoolperf.measures.points import grade_codes, is_no_entry, points_for


def score(grade: str, scale: str) -> float:
    codes = grade_codes(pd.Series([grade]), pd.Series([scale]))
    return points_for(codes["scale"], codes["code"]).iloc[0]


@pytest.mark.parametrize(
    "grade, points",
    [
        ("9", 9),
        ("1", 1),
        ("U", 0),
        ("u", 0),
        (" 7 ", 7),
        ("7.0", 7),
        ("A*", 8.5),
        ("A", 7),
        ("B", 5.5),
        ("C", 4),
        ("D", 3),
        ("E", 2),
        ("F", 1.5),
        ("G", 1),
    ],
)
def test_gcse_and_legacy_grades(grade, points):
    assert score(grade, "gcse") == points


@pytest.mark.parametrize(
    "grade, points",
    [
        ("6-5", 5.5),
        ("65", 5.5),
        ("6/5", 5.5),
        ("5-6", 5.5),
        ("9-9", 9),
        ("1-1", 1),
        ("4–3", 3.5),
        ("U", 0),
        ("UU", 0),
    ],
)
def test_combined_science_double_grades(grade, points):
    assert score(grade, "double") == points


@pytest.mark.parametrize("grade", ["8-6", "6", "10", "9-0"])
def test_invalid_double_grades(grade):
    assert pd.isna(score(grade, "double"))


@pytest.mark.parametrize(
    "grade, points",
    [
        ("L2D*", 8.5),
        ("L2 Distinction*", 8.5),
        ("*2", 8.5),
        ("D*2", 8.5),
        ("L2DS", 8.5),
        ("L2D", 7),
        ("L2 Distinction", 7),
        ("D2", 7),
        ("L2M", 5.5),
        ("Level 2 Merit", 5.5),
        ("M2", 5.5),
        ("L2P", 4),
        ("L2 Pass", 4),
        ("P2", 4),
        ("L1D", 3),
        ("D1", 3),
        ("L1M", 2),
        ("L1P", 1.25),
        ("Level 1 Pass", 1.25),
        ("P1", 1.25),
        ("U", 0),
    ],
)
def test_technical_awards(grade, points):
    assert score(grade, "technical_c") == points


def test_btec_first_level_1_pass_differs():
    assert score("L1P", "technical_first") == 1.75


@pytest.mark.parametrize(
    "grade, scale",
    [("6", "technical_c"), ("L2P", "gcse"), ("A**", "gcse"), ("0", "gcse"), ("H", "gcse")],
)
def test_grades_off_their_scale_are_not_scored(grade, scale):
    assert pd.isna(score(grade, scale))


@pytest.mark.parametrize("grade", ["", "X", "x", "ABS", "Q", "-"])
def test_no_entry(grade):
    assert is_no_entry(pd.Series([grade])).iloc[0]
    assert not is_no_entry(pd.Series(["U"])).iloc[0]


def test_scale_inferred_for_an_unknown_subject():
    codes = grade_codes(pd.Series(["7", "54", "B", "L2M"]), pd.Series(["", "", "", ""]))
    assert codes["scale"].tolist() == ["gcse", "double", "legacy", "technical_c"]
