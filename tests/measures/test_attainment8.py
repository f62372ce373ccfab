"""Slot-filling rules, hand-checked (ks4-methodology §1.2–§1.6, §8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def slots_of(analysis, upn):
    slots = analysis.slots[analysis.slots["upn"] == upn]
    return {(r.subject_title, r.unit): (r.element, r.weight, r.reason) for r in slots.itertuples()}


def test_u_in_literature_still_doubles_english(analyse_pupils):
    """§8.1: a U is an entry, so language 6 + literature U doubles the 6; X would not."""
    analysis = analyse_pupils(
        {
            "U": {"results": [("English Language", "6"), ("English Literature", "U")]},
            "X": {"results": [("English Language", "6"), ("English Literature", "X")]},
        }
    )
    assert analysis.pupils.loc["U", "attainment8_english"] == 12
    assert analysis.pupils.loc["X", "attainment8_english"] == 6


def test_literature_alone_counts_once_and_the_better_english_is_doubled(analyse_pupils):
    analysis = analyse_pupils(
        {
            "LIT": {"results": [("English Literature", "7")]},
            "BOTH": {"results": [("English Language", "4"), ("English Literature", "7")]},
        }
    )
    assert analysis.pupils.loc["LIT", "attainment8"] == 7
    both = slots_of(analysis, "BOTH")
    assert both[("English Literature", 0)][:2] == ("english", 2)
    assert both[("English Language", 0)][:2] == ("open", 1)
    assert analysis.pupils.loc["BOTH", "attainment8"] == 18


def test_combined_science_fills_two_slots_and_can_split(analyse_pupils):
    """§1.4: 6-5 → 5.5 in each slot; with two better EBacc results it splits EBacc/open."""
    analysis = analyse_pupils(
        {
            "S": {"results": [("Combined Science", "6-5"), ("History", "9"), ("French", "8")]},
            "U": {"results": [("Combined Science", "U")]},
        }
    )
    s = slots_of(analysis, "S")
    assert {s[("Combined Science", 0)][0], s[("Combined Science", 1)][0]} == {"ebacc", "open"}
    assert analysis.pupils.loc["S", "attainment8_ebacc"] == 9 + 8 + 5.5
    assert analysis.pupils.loc["S", "attainment8_open"] == 5.5
    assert analysis.pupils.loc["U", "ebacc_slots_filled"] == 2
    assert analysis.pupils.loc["U", "attainment8"] == 0


def test_non_gcse_only_in_open_and_ebacc_overflow_to_open(analyse_pupils):
    analysis = analyse_pupils(
        {
            "P": {
                "results": [
                    ("Biology", "9"),
                    ("Chemistry", "9"),
                    ("Physics", "9"),
                    ("History", "8"),
                    ("BTEC Tech Award Sport", "L2D*"),
                    ("Drama", "2"),
                    ("Music", "1"),
                ]
            }
        }
    )
    s = slots_of(analysis, "P")
    assert s[("History", 0)][0] == "open"
    assert s[("BTEC Tech Award Sport", 0)][0] == "open"
    assert s[("Music", 0)][2] == "surplus: the three open slots hold better results"
    assert analysis.pupils.loc["P", "attainment8_open"] == 8 + 8.5 + 2


def test_same_discount_code_on_the_same_date_keeps_the_better(analyse_pupils):
    """§1.6: GCSE PE and BTEC Tech Award Sport share MA1; Art and Design endorsements (here
    Fine Art and Graphic Communication) share JA2, but Photography has its own code, KJ1."""
    analysis = analyse_pupils(
        {
            "P": {
                "results": [
                    ("Physical Education", "5", "2024-06-01"),
                    ("BTEC Tech Award Sport", "L2D*", "2024-06-01"),
                    ("Fine Art", "4", "2024-06-01"),
                    ("Graphic Communication", "7", "2024-06-01"),
                    ("Photography", "5", "2024-06-01"),
                ]
            }
        }
    )
    s = slots_of(analysis, "P")
    assert s[("Physical Education", 0)][2] == (
        "discounted: BTEC Tech Award Sport has the same discount code (MA1) and counts instead"
    )
    art = analysis.slots[analysis.slots["subject_title"] == "Art and Design"].set_index("grade")
    assert art.loc["4", "reason"] == (
        "discounted: Art and Design has the same discount code (JA2) and counts instead"
    )
    assert s[("Photography", 0)][0] == "open"
    assert analysis.pupils.loc["P", "attainment8"] == 8.5 + 7 + 5


def test_first_entry_counts_even_when_the_resit_is_better(analyse_pupils):
    analysis = analyse_pupils(
        {
            "P": {
                "results": [
                    ("French", "9", "2024-06-01"),
                    ("French", "3", "2023-11-01"),
                    ("Maths", "5", "2024-06-01"),
                ]
            }
        }
    )
    s = analysis.slots[analysis.slots["subject_title"] == "French"].set_index("grade")
    assert s.loc["3", "weight"] == 1
    assert s.loc["9", "reason"] == "not first entry: the 2023-11-01 entry counts"
    assert analysis.pupils.loc["P", "attainment8"] == 13


def test_undated_repeats_take_the_better_with_a_warning(analyse_pupils):
    analysis = analyse_pupils({"P": {"results": [("French", "4"), ("French", "6")]}})
    assert analysis.pupils.loc["P", "attainment8"] == 6
    assert any("first-entry rule could not be applied" in w for w in analysis.warnings)


def test_first_entry_rule_with_a_date_beyond_the_nanosecond_range(tmp_path):
    from schoolperf.analysis import analyse

    path = tmp_path / "dates.csv"
    path.write_text(
        "UPN,Subject,Grade,Exam Date\nA,Maths,5,2024-06-01\nA,Maths,9,3024-06-01\n"
        "A,English Language,5,2024-06-01\n"
    )
    maths = analyse(path).slots.query("subject_title == 'Mathematics'")
    counted = maths.loc[maths["weight"] > 0, "grade"].astype(str).tolist()
    assert counted == ["5"]


def test_non_counting_qualifications_and_unknown_subjects(analyse_pupils):
    analysis = analyse_pupils(
        {
            "P": {
                "results": [
                    ("Entry Level Certificate", "3"),
                    ("Astrophysics Club", "7"),
                    ("Maths", "5"),
                ]
            }
        }
    )
    s = slots_of(analysis, "P")
    assert s[("Entry Level Certificate", 0)][2].startswith("not a qualification that counts")
    assert s[("Astrophysics Club", 0)][0] == ""
    assert s[("Astrophysics Club", 0)][2].startswith("subject not recognised, so not counted")
    # taken by one pupil, the subject may be personal: counted and located, not named
    assert any(
        "NOT counted: 1 taken by only one or two pupils" in w and "Astrophysics" not in w
        for w in analysis.warnings
    )
    assert analysis.pupils.loc["P", "attainment8"] == 10


def test_btec_large_qualification_is_credited_as_the_small_one(tmp_path):
    """§1.6: a Pearson BTEC First Certificate (large) counts as its First Award (small)."""
    from schoolperf.analysis import analyse

    export = tmp_path / "qan.csv"
    export.write_text("UPN,QAN,Grade\nA,60068218,D2\nA,60047811,M2\n")
    analysis = analyse(export)
    assert analysis.pupils.loc["A", "attainment8"] == 7
    assert analysis.slots["reason"].str.startswith("discounted").sum() == 1


_TIED_SUBJECTS = [
    "English Language",
    "English Literature",
    "Mathematics",
    "Statistics",
    "Combined Science",
    "Biology",
    "Chemistry",
    "Physics",
    "Computer Science",
    "History",
    "Geography",
    "French",
    "Spanish",
    "German",
    "Music",
    "Drama",
    "Art and Design",
    "Business",
]


@pytest.mark.parametrize("seed", range(25))
def test_each_pool_fills_its_slots_in_rank_order_with_every_tie_broken(tmp_path, seed):
    """The slots of each pool (English, maths, EBacc, open) go to its units in the order of
    points (best first), then subject, grade, exam date and unit, as a plain stable
    ``sort_values`` and ``cumcount`` over that pool gives: many equal grades make the
    tie-breaks decide which subject fills which slot (ks4-methodology §1.2-§1.5)."""
    from schoolperf.cohort import load_cohort
    from schoolperf.measures.attainment8 import fill_slots
    from schoolperf.reference import EBACC_ROLES, ENGLISH_ROLES, OPEN_ROLES
    from tests.conftest import write_long

    rng = np.random.default_rng(seed)
    pupils = {}
    for number in range(12):
        chosen = rng.choice(_TIED_SUBJECTS, int(rng.integers(3, 13)), replace=False)
        results = []
        for subject in chosen:
            grade = str(rng.choice(["5", "6"])) if subject != "Combined Science" else "6-5"
            date = str(rng.choice(["", "2026-06-01", "2025-11-05"]))
            results.append((subject, grade, date))
        pupils[f"A{number:03d}"] = {"ks2": ("105", "105"), "results": results}
    cohort = load_cohort(write_long(tmp_path / "tied.csv", pupils))
    units = fill_slots(cohort.results)
    keys = ["upn", "points", "subject_title", "grade_code", "exam_date", "unit"]
    ascending = [True, False, True, True, True, True]
    role = units["role"].astype(str)
    live = units["counts"]

    def ranks(pool: pd.Series) -> pd.Series:
        chosen = units[pool].sort_values(keys, ascending=ascending, kind="stable")
        return chosen.groupby("upn", observed=True).cumcount()

    element = units["element"].astype(str)
    english = ranks(live & role.isin(ENGLISH_ROLES))
    assert (element[english.index] == "english").tolist() == (english == 0).tolist()
    maths = ranks(live & (role == "maths"))
    assert (element[maths.index] == "maths").tolist() == (maths == 0).tolist()
    ebacc = ranks(live & role.isin(EBACC_ROLES))
    assert (element[ebacc.index] == "ebacc").tolist() == (ebacc < 3).tolist()
    in_ebacc = ebacc[ebacc < 3]
    assert units.loc[in_ebacc.index, "slot"].tolist() == (in_ebacc + 1).tolist()
    left = ~element.isin(["english", "maths", "ebacc"]) & units["reason"].astype(str).isin(
        ["", "surplus: the three open slots hold better results"]
    )
    opened = ranks(live & left & role.isin([*OPEN_ROLES, *EBACC_ROLES, *ENGLISH_ROLES]))
    assert (element[opened.index] == "open").tolist() == (opened < 3).tolist()
    in_open = opened[opened < 3]
    assert units.loc[in_open.index, "slot"].tolist() == (in_open + 1).tolist()
    assert len(in_ebacc) and len(in_open)  # the pools were filled
