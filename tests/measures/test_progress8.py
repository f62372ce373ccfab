"""Progress 8: groups, estimates tables, confidence intervals and bandings (§2, §3, §7.3)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from schoolperf.measures.prior_attainment import nominal_scores, prior_attainment_band
from schoolperf.measures.progress8 import banding, confidence_interval
from schoolperf.reference import load_estimates, shipped_estimates
from tests.conftest import public_data

TABLES = {
    "2024": "2024",
    "2023-revised": "2023_revised",
    "2023-provisional": "2023_provisional",
    "2022-revised": "2022_revised",
    "2022-provisional": "2022_provisional",
}


def test_ashlyns_school_2023_24_ci():
    """DfE 2023/24 file: Ashlyns School P8 0.36, n 228 → 0.18 to 0.54 with SD 1.41628."""
    low, high = confidence_interval(0.36, 228, load_estimates("2024").national_sd["progress8"])
    assert (round(low, 2), round(high, 2)) == (0.18, 0.54)
    assert banding(0.36, (low, high)) == "Above average"


@pytest.mark.parametrize(
    "score, n, interval, band",
    [
        (0.20, 150, (-0.03, 0.43), "Average"),  # §7.3
        (-0.35, 180, (-0.56, -0.14), "Below average"),  # §7.3
        (-0.97, 96, (-1.25, -0.69), "Well below average"),  # Adeyfield Academy 2023/24 (±0.283)
    ],
)
def test_methodology_ci_examples(score, n, interval, band):
    ci = confidence_interval(score, n, 1.41628)
    assert tuple(round(x, 2) for x in ci) == interval
    assert banding(score, ci) == band


def test_bandings_at_their_edges():
    assert banding(0.51, (0.01, 1.0)) == "Well above average"
    assert banding(0.5, (0.01, 1.0)) == "Above average"
    assert banding(-0.5, (-1.0, -0.01)) == "Below average"
    assert banding(-0.51, (-1.0, -0.01)) == "Well below average"
    assert banding(0.9, (0.0, 1.8)) == "Average"


def test_no_ci_below_two_pupils():
    assert confidence_interval(0.5, 1, 1.4) is None
    assert confidence_interval(float("nan"), 30, 1.4) is None
    assert banding(0.5, None) is None


@pytest.mark.parametrize("name", list(TABLES))
def test_shipped_tables_equal_the_dfe_files(name):
    """Each shipped table equals the DfE ready-reckoner coefficients and SDs it came from."""
    folder = public_data(f"dfe-p8-ready-reckoner-model-values/{TABLES[name]}")
    with open(folder / "p8_pupil_coefficients_file.csv", encoding="utf-8-sig") as f:
        dfe = pd.DataFrame(list(csv.DictReader(f))).astype(float)
    table = load_estimates(name)
    ours = table.table
    assert ours["prior_attainment_group"].tolist() == list(range(1, 35))
    for theirs, mine in [
        ("p8est", "attainment8"),
        ("p8esteng", "english"),
        ("p8estmat", "maths"),
        ("p8estebac", "ebacc"),
        ("p8estopen", "open"),
    ]:
        assert ours[mine].tolist() == dfe[theirs].tolist()
    with open(folder / "p8_stdev_file.csv", encoding="utf-8-sig") as f:
        sd = {k: float(v) for k, v in next(csv.DictReader(f)).items() if k}
    assert table.national_sd == {
        "progress8": sd["p8stdev"],
        "english": sd["p8engstdev"],
        "maths": sd["p8matstdev"],
        "ebacc": sd["p8ebacstdev"],
        "open": sd["p8openstdev"],
    }


@pytest.mark.parametrize("name", ["2024", "2023-revised", "2022-provisional"])
def test_elements_sum_to_the_estimate(name):
    """§3: in every DfE table the four element estimates sum to the A8 estimate within 0.02."""
    table = load_estimates(name).table
    total = table[["english", "maths", "ebacc", "open"]].sum(axis=1)
    assert (total - table["attainment8"]).abs().max() <= 0.02 + 1e-9


def test_bare_year_means_latest_release():
    assert load_estimates("2023").name == "2023-revised"
    assert load_estimates("2022").name == "2022-revised"
    assert shipped_estimates()[0] == "2024"


@pytest.mark.parametrize(
    "prior, group",
    [
        (59, 1),
        (82, 1),
        (82.5, 2),
        (86, 2),
        (86.5, 3),
        (87.5, 3),
        (88, 4),
        (90.5, 5),
        (91, 6),
        (92, 6),
        (92.5, 7),
        (93, 7),
        (106.5, 21),
        (107, 21),
        (119, 33),
        (119.5, 34),
        (120, 34),
    ],
)
def test_prior_attainment_groups_follow_the_dfe_ranges(prior, group):
    """§2.2: the DfE app's thresholds (≤82 → 1 … ≥119.5 → 34)."""
    assert load_estimates("2024").group_of(np.array([prior], dtype=float))[0] == group


def test_missing_prior_has_no_group():
    assert load_estimates("2024").group_of(np.array([np.nan]))[0] == 0


@pytest.mark.parametrize(
    "code, year, score",
    [
        ("BLW", 2016, 70),
        ("BLW", 2017, 71),
        ("BLW", 2019, 62),
        ("N", 2019, 79),
        ("PKF", 2018, 73),
        ("PK1", 2019, 64),
        ("PK6", 2019, 79),
        ("P4", 2016, 70),
        ("P4", 2019, 61),
        ("P1I", 2018, 59),
        ("P7", 2017, 67),
        ("PK4", 2023, 73),
    ],
)
def test_teacher_assessment_nominal_scores(code, year, score):
    """§2.2 table: nominal scores for pupils working below the test, by KS2 year."""
    assert nominal_scores(pd.Series([code]), pd.Series([year])).iloc[0] == score


@pytest.mark.parametrize("code, year", [("PKF", 2019), ("P5", 2019), ("A", 2019), ("X", 2018)])
def test_codes_without_a_score(code, year):
    assert np.isnan(nominal_scores(pd.Series([code]), pd.Series([year])).iloc[0])


def test_prior_attainment_bands():
    """§4.1: low < 100, middle 100 to < 110, high ≥ 110 (110 exactly is high)."""
    bands = prior_attainment_band(pd.Series([99.5, 100, 109.5, 110, np.nan]))
    assert bands.tolist() == ["low", "middle", "middle", "high", None]


def test_one_ks2_score_alone_and_none(analyse_pupils):
    """One valid score is used alone (flagged); none → excluded from P8 but kept in A8."""
    results = [("English Language", "5"), ("Maths", "5")]
    analysis = analyse_pupils(
        {
            "ONE": {"ks2": (104, ""), "results": results},
            "NONE": {"ks2": ("", ""), "results": results},
            "TA": {"ks2": ("BLW", "PK4"), "results": results},
        },
        ks2_year=2019,
    )
    pupils = analysis.pupils
    assert pupils.loc["ONE", "ks2_prior"] == 104
    assert pupils.loc["ONE", "progress8_note"] == "KS2 reading only (no maths score)"
    assert pd.isna(pupils.loc["NONE", "progress8"]) and pupils.loc["NONE", "attainment8"] == 15
    assert pupils.loc["TA", "ks2_prior"] == (62 + 73) / 2
    assert analysis.school["progress8_pupils"] == 2
    assert analysis.school["progress8_excluded"] == 1
    assert any("only one KS2 score" in w for w in analysis.warnings)


def test_school_p8_is_the_mean_of_pupil_p8(analyse_pupils):
    """§2.5: school P8 = mean of the pupils' P8; CI from the national SD and n."""
    analysis = analyse_pupils(
        {
            f"P{i}": {
                "ks2": (100 + i, 100 + i),
                "results": [("English Language", str(4 + i % 3)), ("Maths", "5"), ("History", "6")],
            }
            for i in range(12)
        }
    )
    pupils = analysis.pupils
    assert analysis.school["progress8"] == pytest.approx(pupils["progress8"].mean(), abs=1e-12)
    half = 1.96 * 1.41628 / np.sqrt(12)
    assert analysis.school["progress8_ci_low"] == pytest.approx(
        analysis.school["progress8"] - half, abs=1e-12
    )


def test_no_ks2_column_says_why_there_is_no_p8(analyse_pupils, tmp_path):
    from schoolperf.analysis import analyse

    export = tmp_path / "no_ks2.csv"
    export.write_text("UPN,Subject,Grade\nA,Maths,5\nA,English Language,6\n")
    analysis = analyse(export)
    assert analysis.school["progress8"] is None or np.isnan(analysis.school["progress8"])
    assert analysis.to_dict()["school"]["progress8"] is None
    assert any("no KS2 reading or maths column" in w for w in analysis.warnings)
