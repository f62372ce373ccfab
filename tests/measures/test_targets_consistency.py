"""Targets that agree with each other. Subject target grades, added up by the
A8 rules, land on the pupil's A8 target (within 1 A8 point where the grades allow, else the
nearest total they allow); element targets add up to the A8 target exactly."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from schoolperf.cli import cli
from schoolperf.comparisons import targets
from tests.conftest import DEMO, ROOT

MATRICES = ROOT / "schoolperf" / "reference" / "transition_matrices_2024.csv"


def cumulative_share(subject: str, band: str, grade: int) -> float:
    """Share of pupils nationally in a KS2 band with the grade or lower (U counts as 0), read
    straight from the DfE transition-matrix counts."""
    table = pd.read_csv(MATRICES, dtype={"grade": str})
    rows = table[(table["matrix_subject"] == subject) & (table["ks2_band"] == band)]
    points = rows["grade"].replace("U", "0").astype(int)
    return rows.loc[points <= grade, "pupils"].sum() / rows["pupils"].sum()


def comparison(p8: float, peers: list[dict] | None = None) -> dict:
    return {
        "percentile": 80.0,
        "benchmark": "hand-made",
        "method": "Hand-made peers.",
        "measures": [{"measure": "progress8", "percentile_value": p8}],
        "peer_list": peers or [],
    }


@pytest.fixture
def two_subjects(analyse_pupils):
    """One pupil, KS2 106/106 (band 105 - 107), maths and English language only: A8 of grades
    m and e is 2m + e (maths doubled; one English, so not doubled; ks4-methodology §1.1-1.3)."""
    return analyse_pupils(
        {"A1": {"ks2": (106, 106), "results": [("Mathematics", "4"), ("English Language", "4")]}}
    )


@pytest.mark.parametrize(
    "p8, grades, total, within, boundary",
    [
        # estimate 47.45 (2024, PAG 20); target 47.45 + 10 × p8
        (-3.245, {"Mathematics": "5", "English Language": "5"}, 15.0, True, ("Mathematics", 4)),
        (
            -3.145,
            {"Mathematics": "5", "English Language": "6"},
            16.0,
            True,
            ("English Language", 5),
        ),
        # target 17.25: 18 is nearer than 16, and within 1
        (-3.02, {"Mathematics": "6", "English Language": "6"}, 18.0, True, ("Mathematics", 5)),
        # target 16.75: 16 is nearer than 18
        (
            -3.07,
            {"Mathematics": "5", "English Language": "6"},
            16.0,
            True,
            ("English Language", 5),
        ),
    ],
)
def test_subject_targets_add_up_to_the_a8_target(two_subjects, p8, grades, total, within, boundary):
    """Cumulative shares in band 105 - 107: maths ≤4 0.4056, ≤5 0.7142; English language ≤5
    0.6568, ≤6 0.8657. Total 15 is first reached just above maths' 0.4056 (maths 5, English
    5); 16 just above English's 0.6568 (5 and 6); 18 just above maths' 0.7142 (6 and 6). The
    pupil's percentile is the lowest giving the total."""
    pupils, subjects, method = targets(two_subjects, comparison(p8))
    pupil = pupils.iloc[0]
    assert pupil["attainment8_estimate"] == 47.45
    assert pupil["subject_targets_attainment8"] == total
    assert bool(pupil["within_tolerance"]) is within
    assert dict(zip(subjects["subject_title"], subjects["target_grade"], strict=True)) == grades
    share = cumulative_share(boundary[0], "105 - 107", boundary[1])
    assert pupil["subject_targets_percentile"] == pytest.approx(100 * share, abs=1e-5)
    assert "land nearest the pupil's A8 target" in method


def test_a_target_halfway_between_two_totals_takes_the_higher(two_subjects):
    """Target 17.0 exactly: 16 and 18 are equally near; 18 (maths 6, English 6) is taken."""
    from schoolperf.measures.similar_schools import consistent_subject_targets

    results = two_subjects.slots[two_subjects.slots["unit"] == 0]
    target = pd.Series([17.0], index=two_subjects.pupils.index)
    by_entry, by_pupil = consistent_subject_targets(results, two_subjects.subject_entries, target)
    assert by_pupil["subject_targets_attainment8"].iloc[0] == 18.0
    assert sorted(by_entry["target_grade"]) == ["6", "6"]


def test_unreachable_target_takes_the_top_grades(two_subjects):
    pupils, subjects, _ = targets(two_subjects, comparison(5.0))  # target 90
    assert pupils.iloc[0]["subject_targets_attainment8"] == 27.0  # 2 × 9 + 9
    assert not pupils.iloc[0]["within_tolerance"]
    assert set(subjects["target_grade"]) == {"9"}


def test_element_targets_add_up_to_the_a8_target_exactly(analyse_pupils):
    """ks4-methodology §7.3 pupil: KS2 105/108 → PAG 21; 2024 estimates A8 49.76, elements
    10.7 + 9.93 + 14.51 + 14.63 = 49.77. Peers' P8 +0.17 → target 51.46; each element target
    is its estimate × 51.46 / 49.77 (English 11.0633, maths 10.2672, EBacc 15.0027, open
    15.1268), adding up to 51.46 (dividing by 49.76 instead missed by 0.0103)."""
    analysis = analyse_pupils(
        {
            "B2": {
                "ks2": (105, 108),
                "results": [
                    ("English Language", "6"),
                    ("English Literature", "5"),
                    ("Mathematics", "5"),
                    ("Combined Science", "6-5"),
                    ("History", "5"),
                    ("French", "4"),
                    ("Art and Design", "6"),
                ],
            }
        }
    )
    pupil = targets(analysis, comparison(0.17))[0].iloc[0]
    assert pupil["target_attainment8"] == pytest.approx(51.46)
    elements = [f"target_attainment8_{e}" for e in ("english", "maths", "ebacc", "open")]
    assert [pupil[e] for e in elements] == pytest.approx(
        [11.0633, 10.2672, 15.0027, 15.1268], abs=1e-4
    )
    assert sum(pupil[e] for e in elements) == pytest.approx(51.46, abs=1e-9)


def test_element_targets_at_the_cap_are_the_element_maximums(analyse_pupils):
    analysis = analyse_pupils({"C3": {"ks2": (120, 120), "results": [("Mathematics", "9")]}})
    pupil = targets(analysis, comparison(3.0))[0].iloc[0]
    assert pupil["target_attainment8"] == 90
    elements = [f"target_attainment8_{e}" for e in ("english", "maths", "ebacc", "open")]
    assert [pupil[e] for e in elements] == pytest.approx([18, 18, 27, 27])


def test_element_targets_from_peers_element_p8_still_add_up(analyse_pupils):
    """Ten peers with element P8 +0.5 (English, maths) and 0.0 (EBacc, open): raw targets
    10.7 + 1.0, 9.93 + 1.0, 14.51, 14.63 (sum 51.77) scaled to the A8 target 51.46."""
    analysis = analyse_pupils({"B2": {"ks2": (105, 108), "results": [("Mathematics", "5")]}})
    peers = [
        {"progress8_english": 0.5, "progress8_maths": 0.5, "progress8_ebacc": 0.0,
         "progress8_open": 0.0}
    ] * 10  # fmt: skip
    pupil = targets(analysis, comparison(0.17, peers))[0].iloc[0]
    scale = 51.46 / 51.77
    assert pupil["target_attainment8_english"] == pytest.approx(11.7 * scale)
    assert pupil["target_attainment8_open"] == pytest.approx(14.63 * scale)
    elements = [f"target_attainment8_{e}" for e in ("english", "maths", "ebacc", "open")]
    assert sum(pupil[e] for e in elements) == pytest.approx(51.46, abs=1e-9)


def test_pupil_without_ks2_has_no_targets_and_pupil_without_entries_no_subject_targets(
    analyse_pupils,
):
    analysis = analyse_pupils(
        {
            "N1": {"ks2": None, "results": [("Mathematics", "5")]},
            "X1": {"ks2": (100, 100), "results": [("Mathematics", "X")]},
            "M1": {"ks2": (100, 100), "results": [("Mathematics", "5")]},
        }
    )
    pupils = targets(analysis, comparison(0.17))[0].set_index("upn")
    assert pupils.loc["N1", ["target_attainment8", "subject_targets_attainment8"]].isna().all()
    assert pd.isna(pupils.loc["N1", "within_tolerance"])
    assert pupils.loc["X1", "target_attainment8"] > 0
    assert pd.isna(pupils.loc["X1", "subject_targets_attainment8"])
    assert pupils.loc["M1", "subject_targets_attainment8"] > 0


def test_demo_subject_targets_mean_the_same_progress_as_the_a8_targets():
    """Before: meeting every subject target meant P8 ≈ +1.0 against A8 targets of +0.18, and
    94% of pupils' subject targets added up to more than their A8 target. Now the two agree:
    every pupil within the stated tolerance of 1 A8 point, and about as many above as below."""
    result = CliRunner().invoke(cli, ["targets", str(DEMO)])
    table = pd.read_csv(io.StringIO("".join(line + "\n" for line in result.stdout.splitlines()
                                            if not line.startswith("#"))))  # fmt: skip
    known = table.dropna(subset=["subject_targets_attainment8"])
    gap = known["subject_targets_attainment8"] - known["target_attainment8"]
    assert len(known) == 171 and gap.abs().max() <= 1.0
    assert known["within_tolerance"].astype(bool).all()
    assert 0.35 < (gap > 0).mean() < 0.65
    implied = (known["subject_targets_attainment8"] - known["attainment8_estimate"]) / 10
    aimed = (known["target_attainment8"] - known["attainment8_estimate"]) / 10
    assert implied.mean() == pytest.approx(aimed.mean(), abs=0.01)


def test_subject_targets_json_carries_the_pupils_percentile():
    result = CliRunner().invoke(cli, ["targets", str(DEMO), "--format", "json", "--by-subject"])
    rows = pd.DataFrame(json.loads(result.stdout)["targets"])
    one = rows[rows["upn"] == "DEMO0003"]
    assert one["target_percentile"].nunique() == 1  # one percentile for all the pupil's subjects
    assert np.isfinite(one["target_percentile"].iloc[0])
