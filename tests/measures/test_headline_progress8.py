"""The P8 a person reads is the DfE's headline: extremely negative pupil scores adjusted, and the
banding on that figure (ks4-methodology §2.4, §2.6); KS2 nominal scores given as numbers count
(§2.2). Every figure below is worked by hand."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from schoolperf.cli import cli
from schoolperf.reference import p8_adjustment_constant
from schoolperf.reports.context import build_context

SD_2024 = 1.41628
# A8 57.5: English 7 doubled (14), maths 6 (12), EBacc history 7 + combined science 6-5 twice
# (18), open literature 6 + BTEC L2 Merit 5.5 + art 2 (13.5)
RESULTS_57_5 = [
    ("English Language", "7"),
    ("English Literature", "6"),
    ("Mathematics", "6"),
    ("Combined Science", "6-5"),
    ("History", "7"),
    ("Art and Design", "2"),
    ("BTEC Tech Award Sport", "L2M"),
]


@pytest.fixture
def school_across_the_boundary(analyse_pupils):
    """100 pupils of KS2 105/108 (group 21, 2024 estimate 49.76): 95 with A8 57.5 (P8 +0.774),
    5 with no results (A8 0, P8 −4.976, below the minimum −2.8948556948 × 1.41628 = −4.0999).

    Unadjusted P8 = (95 × 0.774 − 5 × 4.976) / 100 = 0.4865, CI ± 1.96 × 1.41628 / 10 = ±0.2776:
    'Above average'. Adjusted = (95 × 0.774 + 5 × −4.0999) / 100 = 0.5303: 'Well above
    average', the DfE's banding."""
    pupils = {f"H{i:03d}": {"ks2": (105, 108), "results": RESULTS_57_5} for i in range(95)}
    pupils |= {f"L{i}": {"ks2": (105, 108), "results": [("Drama", "X")]} for i in range(5)}
    return analyse_pupils(pupils)


def test_banding_is_the_dfes_on_the_adjusted_score(school_across_the_boundary):
    school = school_across_the_boundary.school
    floor = p8_adjustment_constant() * SD_2024
    assert floor == pytest.approx(-4.0999, abs=1e-4)
    assert school["progress8"] == pytest.approx((95 * 0.774 - 5 * 4.976) / 100)
    assert school["progress8_adjusted"] == pytest.approx((95 * 0.774 + 5 * floor) / 100)
    assert school["progress8_unadjusted_banding"] == "Above average"
    assert school["progress8_banding"] == "Well above average"
    assert school["progress8_adjusted_banding"] == "Well above average"
    assert school["progress8_adjusted_pupils"] == 5


def test_a_group_shows_one_progress8_in_a_pack(school_across_the_boundary):
    """The groups table, its chart and the gap table all show the adjusted P8."""
    analysis = school_across_the_boundary
    context = build_context(analysis, "staff")
    headline = next(h for h in context["headlines"] if h["label"] == "Progress 8")
    assert headline["value"] == pytest.approx(analysis.school["progress8_adjusted"])
    groups = {g["key"]: g for g in context["groups"]}
    gaps = [r for r in analysis.gaps if r["measure"] == "progress8" and r["value"] is not None]
    assert gaps
    for row in gaps:
        assert groups[row["group"]]["progress8"] == pytest.approx(row["value"])


def test_terminal_shows_the_adjusted_headline_and_the_unadjusted_labelled(tmp_path):
    from tests.conftest import write_long

    pupils = {f"H{i:03d}": {"ks2": (105, 108), "results": RESULTS_57_5} for i in range(95)}
    pupils |= {f"L{i}": {"ks2": (105, 108), "results": [("Drama", "X")]} for i in range(5)}
    path = write_long(tmp_path / "r.csv", pupils)
    out = CliRunner().invoke(cli, ["analyse", str(path)]).stdout
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert "+0.53" in lines["Progress 8 (adjusted)"]
    assert "Well above average" in lines["Progress 8 banding"]
    assert "+0.49" in lines["Progress 8 (unadjusted)"]


def test_ks2_nominal_scores_given_as_numbers_are_used_and_flagged(analyse_pupils):
    """NPD/ASP extracts give a pupil working below the test a nominal score as a number: reading
    70 and maths 75 → prior 72.5 → group 1 ('59 to 82', 2024 estimate 15.96). Maths 7 doubled:
    A8 14, P8 (14 − 15.96) / 10 = −0.196."""
    analysis = analyse_pupils(
        {
            "N": {"ks2": (70, 75), "results": [("Mathematics", "7")]},
            "S": {"ks2": (100, 75), "results": [("Mathematics", "7")]},
            "T": {"ks2": (100, 101), "results": [("Mathematics", "7")]},
        }
    )
    pupil = analysis.pupils.loc["N"]
    assert pupil["ks2_prior"] == 72.5 and pupil["prior_attainment_group"] == 1
    assert pupil["progress8"] == pytest.approx((14 - 15.96) / 10)
    assert analysis.pupils["ks2_nominal"].tolist() == ["reading and maths", "maths", ""]


@pytest.mark.parametrize("score", ["58", "79.5", "121"])
def test_ks2_numbers_that_are_neither_scaled_nor_nominal_are_refused(tmp_path, score):
    path = tmp_path / "r.csv"
    path.write_text(f"UPN,KS2 Reading,KS2 Maths,Subject,Grade\nA,{score},100,Maths,5\n")
    result = CliRunner().invoke(cli, ["analyse", str(path)])
    assert result.exit_code == 2
    assert "a DfE nominal score from 59 to 79" in result.stderr


def test_the_gap_table_names_the_p8_it_shows(school_across_the_boundary):
    """Gap rows hold the adjusted P8 (as the groups do), and say so: "Progress 8", never
    "Progress 8 (unadjusted)"."""
    context = build_context(school_across_the_boundary, "staff")
    labels = {r["measure_label"] for r in context["gaps"] if r["measure"] == "progress8"}
    assert labels == {"Progress 8"}


def test_the_pupil_list_shows_the_score_counted(school_across_the_boundary):
    context = build_context(school_across_the_boundary, "staff")
    lowest = context["pupil_lists"]["most_negative_p8"][0]
    assert lowest["progress8"] == pytest.approx(-4.976)
    assert lowest["progress8_adjusted"] == pytest.approx(p8_adjustment_constant() * SD_2024)
