"""Headline measures, the extreme-score adjustment, pupil groups (their suppression, and the
columns that may define them), gaps, substitute baselines and trends, against hand-worked pupils
and the DfE's published national figures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.reference import national_comparators
from tests.conftest import DEMO, invoke, write_long

SD_2024 = 1.41628


def test_ebacc_aps_entry_and_achievement_hand_worked(analyse_pupils):
    """ks4-methodology §1.9: six pillars / 6; English needs both; science = combined science's
    two grades or the best two of three single sciences; missing pillars score 0."""
    analysis = analyse_pupils(
        {
            "COMBINED": {
                "results": [
                    ("English Language", "6"),
                    ("English Literature", "5"),
                    ("Maths", "7"),
                    ("Combined Science", "6-5"),
                    ("History", "5"),
                    ("French", "4"),
                ]
            },
            "ONE_ENG": {
                "results": [
                    ("English Language", "6"),
                    ("Maths", "7"),
                    ("Biology", "8"),
                    ("Chemistry", "7"),
                    ("Physics", "6"),
                    ("Geography", "5"),
                ]
            },
            "TWO_SCI": {
                "results": [
                    ("English Language", "5"),
                    ("English Literature", "6"),
                    ("Maths", "5"),
                    ("Biology", "7"),
                    ("Chemistry", "6"),
                ]
            },
            "BOTH_SCI": {
                "results": [
                    ("Combined Science", "5-4"),
                    ("Biology", "9"),
                    ("Chemistry", "9"),
                    ("Computer Science", "9"),
                ]
            },
        }
    )
    p = analysis.pupils
    assert p.loc["COMBINED", "ebacc_aps"] == (6 + 7 + 6 + 5 + 5 + 4) / 6
    assert p.loc["ONE_ENG", "ebacc_aps"] == (0 + 7 + 8 + 7 + 5 + 0) / 6
    assert p.loc["TWO_SCI", "ebacc_aps"] == (6 + 5 + 0 + 0 + 0 + 0) / 6
    assert p.loc["BOTH_SCI", "ebacc_aps"] == (9 + 9) / 6
    assert p["ebacc_entered"].tolist() == [False, True, False, False]  # sorted by upn
    assert bool(p.loc["COMBINED", "ebacc_94"]) and not p.loc["COMBINED", "ebacc_95"]
    assert analysis.school["ebacc_aps"] == pytest.approx(p["ebacc_aps"].mean())
    assert analysis.school["ebacc_entry_pct"] == 25.0


@pytest.mark.parametrize(
    "science, met_94, met_95",
    [
        ("5-5", True, True),
        ("5-4", True, False),
        ("4-4", True, False),
        ("4-3", False, False),
    ],
)
def test_combined_science_thresholds_use_the_lower_grade(analyse_pupils, science, met_94, met_95):
    """The DfE (reply quoted by 4Matrix): 5-4 meets the 9-4 threshold, 4-3 does not."""
    analysis = analyse_pupils(
        {
            "P": {
                "results": [
                    ("English Language", "9"),
                    ("English Literature", "9"),
                    ("Maths", "9"),
                    ("Combined Science", science),
                    ("History", "9"),
                    ("Spanish", "9"),
                ]
            }
        }
    )
    assert bool(analysis.pupils.loc["P", "ebacc_94"]) is met_94
    assert bool(analysis.pupils.loc["P", "ebacc_95"]) is met_95


def test_basics_need_maths_and_either_english(analyse_pupils):
    """§1.10: grade 5 in English language *or* literature, with maths 5, counts for 5+."""
    analysis = analyse_pupils(
        {
            "LIT": {
                "results": [("English Language", "3"), ("English Literature", "5"), ("Maths", "5")]
            },
            "MATHS4": {"results": [("English Language", "7"), ("Maths", "4")]},
            "NONE": {"results": [("English Language", "7")]},
        }
    )
    p = analysis.pupils
    assert [bool(p.loc[u, "basics_5"]) for u in ("LIT", "MATHS4", "NONE")] == [True, False, False]
    assert [bool(p.loc[u, "basics_4"]) for u in ("LIT", "MATHS4", "NONE")] == [True, True, False]
    assert analysis.school["basics_4_pct"] == pytest.approx(200 / 3)
    assert analysis.school["english_maths_entry_pct"] == pytest.approx(200 / 3)


def test_attainment8_profile(analyse_pupils):
    results = {
        "A": [
            ("English Language", "9"),
            ("English Literature", "9"),
            ("Maths", "9"),
            ("Biology", "9"),
            ("Chemistry", "9"),
            ("Physics", "9"),
            ("Art", "9"),
            ("Drama", "9"),
        ],  # 90
        "B": [("Maths", "9"), ("English Language", "9")],  # 27
    }
    analysis = analyse_pupils({k: {"results": v} for k, v in results.items()})
    assert analysis.school["attainment8_70_plus_pct"] == 50
    assert analysis.school["attainment8_40_plus_pct"] == 50


def test_extreme_negative_scores_are_raised_to_the_minimum(analyse_pupils):
    """§2.4 approximation: minimum = −2.89485569482951 × national SD (1.41628) ≈ −4.0999."""
    analysis = analyse_pupils(
        {
            "LOW": {"ks2": (120, 120), "results": [("Maths", "1")]},  # (2 − 82.03)/10 = −8.003
            "OK": {"ks2": (100, 100), "results": [("Maths", "5"), ("English Language", "5")]},
        }
    )
    p = analysis.pupils
    floor = -2.89485569482951 * SD_2024
    assert p.loc["LOW", "progress8"] == pytest.approx(-8.003)
    assert p.loc["LOW", "progress8_adjusted"] == pytest.approx(floor)
    assert (
        bool(p.loc["LOW", "progress8_was_adjusted"]) and not p.loc["OK", "progress8_was_adjusted"]
    )
    assert analysis.school["progress8_adjusted"] == pytest.approx(
        (floor + p.loc["OK", "progress8"]) / 2
    )
    assert analysis.school["progress8_adjusted_pupils"] == 1
    assert analysis.school["progress8_adjustment_method"].startswith("approximation")


def test_minimum_scores_from_an_estimates_table_are_used(tmp_path):
    from schoolperf.reference import load_estimates

    table = load_estimates("2024").table.assign(minimum_progress8=-3.0)
    path = tmp_path / "with_minimums.csv"
    table.to_csv(path, index=False)
    export = write_long(
        tmp_path / "r.csv", {"LOW": {"ks2": (120, 120), "results": [("Maths", "1")]}}
    )
    analysis = analyse(export, AnalysisOptions(estimates=str(path)))
    assert analysis.pupils.loc["LOW", "progress8_adjusted"] == -3.0
    assert "per prior-attainment group" in analysis.school["progress8_adjustment_method"]


def national_cohort(tmp_path):
    """40 pupils in the DfE 2023/24 national proportions (rounded): 26.5% disadvantaged → 11,
    prior attainment 23% / 53% / 24% → 9 / 21 / 10; half boys."""
    rng = np.random.default_rng(7)
    pupils = {}
    for i in range(40):
        band_ks2 = 95 if i < 9 else (105 if i < 30 else 113)
        grades = rng.integers(2, 9, size=8).astype(str)
        subjects = [
            "English Language",
            "English Literature",
            "Maths",
            "History",
            "French",
            "Biology",
            "Art",
            "Drama",
        ]
        pupils[f"N{i:02d}"] = {
            "ks2": (band_ks2, band_ks2),
            "PP": "Y" if i % 4 == 0 and i < 44 else "N",
            "Gender": "M" if i % 2 else "F",
            "results": list(zip(subjects, grades, strict=True)),
        }
    return write_long(tmp_path / "national.csv", pupils)


def test_gaps_against_national_figures_match_hand_calculation(tmp_path):
    analysis = analyse(national_cohort(tmp_path), AnalysisOptions(comparator_year=2024))
    pupils = analysis.pupils
    gaps = pd.DataFrame(analysis.gaps).set_index(["group", "measure", "comparator"])
    # DfE 2023/24 national figures typed from ks4-methodology §5.1-§5.2, not read from our table:
    national = {
        ("disadvantaged", "attainment8"): 50.0,  # non-disadvantaged: the DIFFN rule
        ("disadvantaged", "progress8"): 0.16,
        ("boys", "attainment8"): 43.7,
        ("girls", "progress8"): 0.09,
        ("high_prior", "basics_5_pct"): 87.3,
        ("low_prior", "ebacc_aps"): 2.06,
        ("middle_prior", "progress8"): -0.01,
    }
    members = {
        "disadvantaged": pupils["disadvantaged"] == True,  # noqa: E712
        "boys": pupils["gender"] == "M",
        "girls": pupils["gender"] == "F",
        "high_prior": pupils["ks2_prior"] >= 110,
        "low_prior": pupils["ks2_prior"] < 100,
        "middle_prior": pupils["ks2_prior"].between(100, 109.5),
    }
    column = {
        "attainment8": "attainment8",
        "progress8": "progress8",
        "ebacc_aps": "ebacc_aps",
        "basics_5_pct": "basics_5",
    }
    for (group, measure), value in national.items():
        mine = pupils.loc[members[group], column[measure]].astype(float).mean()
        if measure.endswith("_pct"):
            mine *= 100
        row = gaps.loc[(group, measure, "national")]
        assert row["comparator_value"] == value
        assert row["gap"] == pytest.approx(mine - value, abs=1e-9)
    dis = gaps.loc[("disadvantaged", "progress8", "national")]
    n = int(members["disadvantaged"].sum())
    assert dis["standard_error"] == pytest.approx(SD_2024 / np.sqrt(n))
    assert dis["significant"] == (abs(dis["gap"]) > 1.96 * SD_2024 / np.sqrt(n))
    assert "non-disadvantaged pupils nationally, 2024" == dis["comparator_description"]


@pytest.mark.parametrize(
    "year, measure, value, gap",
    [
        (2024, "attainment8", 33.3, -16.7),  # Acland Burghley 2023/24 DIFFN_ATT8
        (2024, "progress8", -1.13, -1.29),  # Acland Burghley 2023/24 DIFFN_P8MEA
        (2024, "attainment8", 24.7, -25.3),  # Walney 2023/24
        (2025, "attainment8", 34.1, -16.3),  # Cumbria LA 2024/25
    ],
)
def test_disadvantaged_gap_reproduces_dfe_diffn(year, measure, value, gap):
    """§5.3: DIFFN = school disadvantaged value − national NON-disadvantaged value."""
    table = national_comparators().set_index(["year", "group", "measure"])["value"]
    assert round(value - table[(year, "non_disadvantaged", measure)], 2) == gap


def test_group_ci_uses_the_groups_own_n_and_small_groups_are_suppressed(tmp_path):
    pupils = {
        f"P{i:02d}": {
            "ks2": (100 + i % 10, 100),
            "PP": "Y" if i < 5 else "N",
            "Gender": "M" if i < 12 else "F",
            "results": [("Maths", str(3 + i % 5)), ("English Language", "5")],
        }
        for i in range(30)
    }
    analysis = analyse(write_long(tmp_path / "r.csv", pupils))
    boys = analysis.groups["boys"]
    assert boys["pupils"] == 12 and not boys["suppressed"]
    half = boys["progress8"] - boys["progress8_ci_low"]
    assert half == pytest.approx(1.96 * SD_2024 / np.sqrt(12))
    dis = analysis.groups["disadvantaged"]
    assert dis["pupils"] == 5 and dis["suppressed"] and dis["small_group"]
    assert dis["attainment8"] is None and dis["progress8_ci_low"] is None
    # secondary suppression: school minus non-disadvantaged would give the disadvantaged figures
    non = analysis.groups["non_disadvantaged"]
    assert non["pupils"] == 25 and non["suppressed"] and non["attainment8"] is None
    document = json.dumps(analysis.to_dict())
    assert '"disadvantaged": {"pupils": 5, "attainment8": null' in document
    for key in ("disadvantaged", "non_disadvantaged"):
        rows = [g for g in analysis.gaps if g["group"] == key]
        assert all(g["value"] is None and g["gap"] is None for g in rows)
        assert all(g["comparator_value"] is None for g in rows if g["comparator"] == "school")
    relaxed = analyse(write_long(tmp_path / "r.csv", pupils), AnalysisOptions(min_group=5))
    assert relaxed.groups["disadvantaged"]["attainment8"] is not None
    assert relaxed.groups["non_disadvantaged"]["attainment8"] is not None


def test_p8_resting_on_too_few_pupils_is_suppressed(tmp_path):
    pupils = {
        f"P{i}": {"ks2": (105, 105) if i == 0 else None, "PP": "Y", "results": [("Maths", "5")]}
        for i in range(7)
    }
    pupils |= {
        f"Q{i}": {"ks2": (105, 105) if i else None, "PP": "N", "results": [("Maths", "5")]}
        for i in range(7)
    }
    groups = analyse(write_long(tmp_path / "r.csv", pupils)).groups
    group = groups["disadvantaged"]
    assert not group["suppressed"] and group["attainment8"] == 10
    assert group["progress8_pupils"] == 1 and group["progress8"] is None
    # the school's P8 less the other pupils' would give the one pupil's: hidden too
    assert groups["non_disadvantaged"]["progress8"] is None
    assert groups["non_disadvantaged"]["attainment8"] == 10


def test_column_groups_get_secondary_suppression(tmp_path):
    """A group from a column of the export too small to show is suppressed, and so is the
    next-smallest group of that column, so that neither can be worked out from the others."""
    pupils = {
        f"P{i:02d}": {
            "Tutor": "11F" if i < 3 else f"11{'ABC'[i % 3]}",
            "results": [("Maths", str(3 + i % 6))],
        }
        for i in range(30)
    }
    analysis = analyse(write_long(tmp_path / "r.csv", pupils), AnalysisOptions(groups=("Tutor",)))
    shown = {k: v["suppressed"] for k, v in analysis.groups.items() if k.startswith("Tutor=")}
    assert shown["Tutor=11F"] and sum(shown.values()) == 2  # 11F and the next-smallest


def test_warnings_never_quote_column_values(tmp_path):
    pupils = {f"P{i}": {"House": f"Secret{i % 2}", "results": [("Maths", "5")]} for i in range(4)}
    analysis = analyse(write_long(tmp_path / "r.csv", pupils), AnalysisOptions(groups=("House",)))
    assert not any("Secret1" in w for w in analysis.warnings)
    assert any("groups by House" in w for w in analysis.warnings)


def test_bad_baseline_options_are_input_errors(tmp_path):
    from schoolperf.errors import InputError

    export = write_long(tmp_path / "r.csv", {"A": {"results": [("Maths", "6")]}})
    baseline = tmp_path / "b.csv"
    baseline.write_text("UPN,Baseline\nA,100\n")
    bad_map = tmp_path / "map.csv"
    bad_map.write_text("baseline,ks2\n0,x\n")
    for options in (
        {"baseline_map": str(tmp_path / "missing.csv")},
        {"baseline_map": str(bad_map)},
        {"baseline_norm": (100.0, 0.0)},
    ):
        with pytest.raises(InputError):
            analyse(export, AnalysisOptions(baseline_file=str(baseline), **options))


def test_requested_groups_and_intersections(tmp_path):
    pupils = {
        f"P{i}": {
            "ks2": (105, 105),
            "PP": "Y" if i % 2 else "N",
            "Tutor": f"11{'AB'[i % 2]}",
            "results": [("Maths", "5")],
        }
        for i in range(12)
    }
    export = write_long(tmp_path / "r.csv", pupils)
    analysis = analyse(export, AnalysisOptions(groups=("Tutor", "disadvantaged,middle_prior")))
    assert analysis.groups["Tutor=11A"]["pupils"] == 6
    assert analysis.groups["disadvantaged_middle_prior"]["pupils"] == 6
    from schoolperf.errors import InputError

    with pytest.raises(InputError, match="neither a pupil group nor a column"):
        analyse(export, AnalysisOptions(groups=("house",)))


def test_group_on_a_standard_key(tmp_path):
    result = invoke("analyse", str(DEMO), "--group", "boys", "--format", "json")
    assert result.exit_code == 0, result.output


def test_name_columns_cannot_define_groups(tmp_path):
    """A column that names pupils cannot define a group: exit 2, and no pack written."""
    result = invoke(
        "pack",
        str(DEMO),
        "--audience",
        "governors",
        "--group",
        "forename",
        "--out",
        str(tmp_path / "p.html"),
    )
    assert result.exit_code == 2
    assert "names or identifies pupils" in result.stderr
    assert not (tmp_path / "p.html").exists()


def test_substitute_baseline_gives_labelled_progress(tmp_path):
    """No KS2 (a 2025/26 cohort) + a CAT4-style file: P8 against the mapped baseline, labelled."""
    pupils = {
        "A": {"results": [("Maths", "6"), ("English Language", "6")]},
        "B": {"results": [("Maths", "4"), ("English Language", "5")]},
    }
    export = write_long(tmp_path / "r.csv", pupils)
    baseline = tmp_path / "cat4.csv"
    baseline.write_text("UPN,Mean SAS\nA,100\nB,115\n")
    analysis = analyse(export, AnalysisOptions(baseline_file=str(baseline)))
    p = analysis.pupils
    assert p.loc["A", "ks2_prior"] == pytest.approx(104.0)  # norm mean → KS2 mean
    assert p.loc["B", "ks2_prior"] == pytest.approx(104.0 + 8.73)  # +1 SD → +1 KS2 SD
    assert p.loc["A", "prior_attainment_group"] == 18  # 103.5 to 104
    assert p.loc["A", "progress8"] == pytest.approx((18 - 42.97) / 10)
    assert analysis.school["progress8_baseline"].startswith("SUBSTITUTE BASELINE, not KS2")
    assert any("substitute baseline" in w for w in analysis.warnings)


def test_baseline_mapping_table(tmp_path):
    export = write_long(tmp_path / "r.csv", {"A": {"results": [("Maths", "6")]}})
    baseline = tmp_path / "base.csv"
    baseline.write_text("UPN,Baseline\nA,50\n")
    table = tmp_path / "map.csv"
    table.write_text("baseline,ks2\n0,80\n100,120\n")
    analysis = analyse(
        export, AnalysisOptions(baseline_file=str(baseline), baseline_map=str(table))
    )
    assert analysis.pupils.loc["A", "ks2_prior"] == 100


def test_trends_against_previous_summaries(tmp_path):
    export = write_long(tmp_path / "r.csv", {"A": {"results": [("Maths", "6")]}})
    previous = tmp_path / "2024.json"
    previous.write_text(
        json.dumps({"label": "2024", "school": {"attainment8": 10.0, "basics_4_pct": 0.0}})
    )
    analysis = analyse(export, AnalysisOptions(previous=(str(previous),), label="2025"))
    assert analysis.trends["attainment8"] == {
        "current": 12.0,
        "previous": [{"label": "2024", "value": 10.0}],
        "change": 2.0,
    }
    assert analysis.to_dict()["label"] == "2025"


def test_fine_levels_give_bands_and_p8_against_a_fine_level_table(tmp_path):
    """Cohorts to 2019 had KS2 fine levels: bands below level 4 / level 4 / above (§4.1); P8
    needs an estimates table on the fine-level scale (here the SISRA/ASCL 2019 early
    estimates of ks4-methodology §3.7, elements made up for the test)."""
    export = tmp_path / "r.csv"
    export.write_text(
        "UPN,KS2 Fine Level,Subject,Grade\nA,3.5,Maths,4\nB,4.5,Maths,6\nC,5.2,Maths,9\n"
    )
    scaled_table = analyse(export)
    assert scaled_table.pupils["prior_attainment_band"].tolist() == ["low", "middle", "high"]
    assert scaled_table.school["progress8_pupils"] == 0
    assert any("fine-level estimates table" in w for w in scaled_table.warnings)
    lows = [1.5, 2, 2.5, 2.8, 2.9] + [round(3.0 + i / 10, 1) for i in range(29)]
    table = pd.DataFrame(
        {
            "prior_attainment_group": range(1, 35),
            "ks2_low": lows,
            "ks2_high": lows[1:] + [6.0],
            "attainment8": [20 + i for i in range(34)],
            "english": 5,
            "maths": 5,
            "ebacc": 5,
            "open": 5,
        }
    )
    table["ks2_high"] = [round(h - 0.01, 2) for h in table["ks2_high"]]
    path = tmp_path / "fine.csv"
    table.to_csv(path, index=False)
    analysis = analyse(export, AnalysisOptions(estimates=str(path)))
    b = analysis.pupils.loc["B"]
    group = int((table["ks2_low"] <= 4.5).sum())
    assert b["prior_attainment_group"] == group
    assert b["progress8"] == pytest.approx((12 - (20 + group - 1)) / 10)
    assert analysis.school["progress8_baseline"].startswith("KS2 fine levels")


@pytest.mark.parametrize("seed", range(40))
def test_standard_groups_are_the_pupils_with_the_groups_value(seed):
    """Membership told apart once per column (codes) is the plain rule: a pupil is in a group
    exactly where its column equals the group's value, as the whole column compares (1 is
    True); a missing value is in no group, and a column missing for every pupil makes no
    group. Columns as the pipeline holds them (object), and as a caller of the function might
    (numbers, nullable integers, booleans, categoricals)."""
    from schoolperf.measures.groups import STANDARD_GROUPS, standard_groups

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))

    def column(values: list[object]) -> np.ndarray:
        # some of the values only (a group's value may be absent while its column is known)
        some = rng.choice(np.array(values, dtype=object), int(rng.integers(1, len(values) + 1)))
        return rng.choice(some, n)

    pupils = pd.DataFrame(
        {
            "disadvantaged": column([True, False, pd.NA]),
            "gender": column(["M", "F", pd.NA] if seed % 3 else [pd.NA]),
            "sen": column(["N", "K", "E", None]),
            "eal": column([pd.NA] if seed % 2 else [True, False]),
            "prior_attainment_band": column(["low", "middle", "high", np.nan]),
        },
        index=pd.Index([f"P{i}" for i in range(n)], name="upn"),
    )
    if seed % 4 == 1:  # yes/no as numbers
        pupils["disadvantaged"] = pupils["disadvantaged"].map({True: 1.0, False: 0.0})
        pupils["eal"] = pupils["eal"].map({True: 1, False: 0}).astype("Int64")
    elif seed % 4 == 2:
        pupils["disadvantaged"] = pupils["disadvantaged"].astype("boolean")
        pupils = pupils.astype({"gender": "category", "prior_attainment_band": "category"})
    elif seed % 4 == 3:
        pupils = pupils.astype({"sen": "str"})
    groups = standard_groups(pupils)
    for key, (name, value) in STANDARD_GROUPS.items():
        known = pupils[name].notna()
        if not known.any():
            assert key not in groups
            continue
        expected = (pupils[name] == value).fillna(False).astype(bool).tolist()
        assert groups[key].tolist() == expected, key
        assert groups[key].index.equals(pupils.index)
    if "disadvantaged" in groups and "high_prior" in groups:
        both = np.asarray(groups["disadvantaged_high_prior"], dtype=bool)
        assert both.tolist() == [
            a and b for a, b in zip(groups["disadvantaged"], groups["high_prior"], strict=True)
        ]


def _gap_row(measure, comparator, comparator_value, gap, significant, why=None):
    return {
        "group": "sen_support",
        "measure": measure,
        "comparator": comparator,
        "comparator_description": "rest of the school"
        if comparator == "school"
        else "pupils with SEN support nationally, 2023",
        "value": 30.0 if measure == "attainment8" else -0.5,
        "comparator_value": comparator_value,
        "gap": gap,
        "significant": significant,
        "not_tested_because": why,
        "pupils": 24,
        "suppressed": False,
    }


def test_a_key_group_says_what_each_measure_is_compared_with():
    """2023 has a national A8 for SEN support but no P8: A8 is set against the nation, P8
    against the rest of the school, and the row says both (no year: the note gives it)."""
    from schoolperf.measures.groups import key_group_gaps

    rows = [
        _gap_row("attainment8", "school", 50.0, -20.0, True),
        _gap_row("attainment8", "national", 33.3, -3.3, False),
        _gap_row("progress8", "school", 0.4, -0.9, True),
        _gap_row("progress8", "national", None, None, None, "no national figure"),
    ]
    [row] = key_group_gaps(rows)
    assert row["attainment8"]["against"] == "pupils with SEN support nationally"
    assert row["attainment8"]["verdict"] == "not significantly different"
    assert row["progress8"]["against"] == "rest of the school"
    assert row["progress8"]["verdict"] == "significantly below"
    assert row["against"] == (
        "Progress 8: rest of the school; Attainment 8: pupils with SEN support nationally"
    )
    # the terminal says the same in short
    from rich.console import Console

    from schoolperf.outputs.console import key_groups_table

    console = Console(width=160, record=True)
    console.print(key_groups_table([row]))
    assert "P8 rest of the school, A8 national" in console.export_text()
