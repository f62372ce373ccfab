"""Secondary suppression: no figure hidden for a small group, and no small set of pupils, can be
worked out by adding and subtracting what is published together (docs/method.md, Suppression).

The attacker here is independent of the code: it knows each pupil's groups from the cohort as
written, reads only the published JSON document, and tries every suppressed figure, every
single pupil and every small union of pupils alike in all their groups."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.measures.suppression import recoverable_set, secondary_suppressions
from tests.conftest import write_long

MIN_GROUP = 6
SUBJECTS = ["Maths", "English Language", "English Literature", "History", "French"]


def _cohort(
    size: int = 60,
    ehcp: int = 0,
    ehcp_with_ks2: int = 0,
    blank_gender: int = 0,
    no_ks2: int = 0,
    disadvantaged_high: int = 2,
    tutors: bool = False,
) -> dict[str, dict]:
    """Pupils with SEN, gender, PP and KS2 laid out so that small sets arise as asked."""
    pupils = {}
    for i in range(size):
        high = i < 20
        ks2 = (112, 112) if high else (104 if i % 2 else 95,) * 2
        sen = "N" if i % 5 else "K"
        if i >= size - ehcp:
            sen = "E"
            if i - (size - ehcp) >= ehcp_with_ks2:
                ks2 = None
        if no_ks2 and size - ehcp - no_ks2 <= i < size - ehcp:
            ks2 = None
        pupil = {
            "ks2": ks2,
            "Gender": "" if i < blank_gender else "MF"[i % 2],
            "PP": "Y" if (i < disadvantaged_high or 20 <= i < 38) else "N",
            "SEN Status": sen,
            "results": [(s, str(2 + (i * 7 + j * 3) % 8)) for j, s in enumerate(SUBJECTS)],
        }
        if tutors:
            pupil["Tutor"] = "11Z" if i == 30 else f"11{'ABC'[i % 3]}"
        pupils[f"P{i:03d}"] = pupil
    return pupils


def _masks(pupils: dict[str, dict]) -> dict[str, np.ndarray]:
    """Each group's pupils and its rest of the school, worked out from the cohort as written."""
    rows = list(pupils.values())

    def where(test) -> np.ndarray:
        return np.array([bool(test(p)) for p in rows])

    def band(p: dict) -> str | None:
        return (
            None
            if p["ks2"] is None
            else ("low", "middle", "high")[(p["ks2"][0] >= 100) + (p["ks2"][0] >= 110)]
        )

    groups = {
        "disadvantaged": (where(lambda p: p["PP"] == "Y"), where(lambda p: p["PP"])),
        "non_disadvantaged": (where(lambda p: p["PP"] == "N"), where(lambda p: p["PP"])),
        "boys": (where(lambda p: p["Gender"] == "M"), where(lambda p: p["Gender"])),
        "girls": (where(lambda p: p["Gender"] == "F"), where(lambda p: p["Gender"])),
        "sen_support": (where(lambda p: p["SEN Status"] == "K"), where(lambda p: True)),
        "ehcp": (where(lambda p: p["SEN Status"] == "E"), where(lambda p: True)),
        "no_sen": (where(lambda p: p["SEN Status"] == "N"), where(lambda p: True)),
    }
    for name in ("low", "middle", "high"):
        groups[f"{name}_prior"] = (where(lambda p, n=name: band(p) == n), where(band))
    masks = {key: member for key, (member, _) in groups.items()}
    masks |= {f"rest:{key}": known & ~member for key, (member, known) in groups.items()}
    masks["disadvantaged_high_prior"] = masks["disadvantaged"] & masks["high_prior"]
    masks["non_disadvantaged_high_prior"] = masks["non_disadvantaged"] & masks["high_prior"]
    for tutor in {p.get("Tutor") for p in rows} - {None}:
        masks[f"Tutor={tutor}"] = where(lambda p, t=tutor: p.get("Tutor") == t)
    masks["ks2"] = where(lambda p: p["ks2"] is not None)
    return masks


def _published(document: dict, masks: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """The sets of pupils whose A8 sums (and percentages) and whose P8 sums the document gives."""
    everyone = np.ones(len(masks["ks2"]), dtype=bool)
    a8, p8 = [everyone], [masks["ks2"]]
    for key, figures in document["groups"].items():
        if figures["attainment8"] is not None:
            a8.append(masks[key])
        if figures["progress8"] is not None:
            p8.append(masks[key] & masks["ks2"])
    for row in document["gaps"]:
        if row["comparator"] == "school" and row["comparator_value"] is not None:
            rest = masks[f"rest:{row['group']}"]
            if row["measure"] == "attainment8":
                a8.append(rest)
            elif row["measure"] == "progress8":
                p8.append(rest & masks["ks2"])
    return {"attainment8": a8, "progress8": p8}


def _recovered(published: list[np.ndarray], target: np.ndarray) -> bool:
    matrix = np.array(published, dtype=float)
    weights, *_ = np.linalg.lstsq(matrix.T, target.astype(float), rcond=None)
    return bool(np.abs(matrix.T @ weights - target).max() < 1e-6)


def _attack(document: dict, masks: dict[str, np.ndarray]) -> list[str]:
    """Every hidden figure or small set of pupils the published figures give away."""
    published = _published(document, masks)
    found = []
    for family, within in (("attainment8", None), ("progress8", masks["ks2"])):
        targets = {}
        for key, figures in document["groups"].items():
            if figures[family] is None:
                targets[f"{key} {family}"] = masks[key]
        # pupils alike in every group: single pupils, and small unions of such cells
        keys = [k for k in masks if not k.startswith("rest:") and k != "ks2"]
        signature = np.array([masks[k] for k in keys] + [masks["ks2"]]).T
        cells = [np.all(signature == row, axis=1) for row in np.unique(signature, axis=0)]
        for a, b in combinations([*cells, np.zeros_like(cells[0])], 2):
            targets[f"pupils {np.flatnonzero(a | b).tolist()} {family}"] = a | b
        for name, target in targets.items():
            if within is not None:
                target = target & within
            if 0 < target.sum() < MIN_GROUP and _recovered(published[family], target):
                found.append(name)
    return found


SCENARIOS = {
    "EHC plan P8 for 4 pupils with KS2": {"ehcp": 7, "ehcp_with_ks2": 4},
    "one pupil with a blank gender": {"blank_gender": 1},
    "one pupil with no KS2": {"no_ks2": 1},
    "an intersection beside its parent": {"disadvantaged_high": 2},
    "everything at once, with tutor groups": {
        "ehcp": 7,
        "ehcp_with_ks2": 4,
        "blank_gender": 1,
        "no_ks2": 1,
        "tutors": True,
    },
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_nothing_suppressed_can_be_worked_out_from_what_is_published(tmp_path, scenario):
    pupils = _cohort(**SCENARIOS[scenario])
    groups = (
        ("non_disadvantaged,high_prior", "Tutor")
        if "tutors" in SCENARIOS[scenario]
        else ("non_disadvantaged,high_prior",)
    )
    options = AnalysisOptions(min_group=MIN_GROUP, groups=groups)
    document = analyse(write_long(tmp_path / "r.csv", pupils), options).to_dict()
    assert _attack(document, _masks(pupils)) == []
    # and suppression went no further than it had to: the school's own figures stand
    assert document["school"]["attainment8"] is not None
    shown = [k for k, v in document["groups"].items() if not v["suppressed"]]
    assert len(shown) >= 8


def test_the_attacker_finds_what_plain_suppression_gives_away(tmp_path):
    """The attack itself can fail: with secondary suppression switched off (a minimum group of
    one pupil shows everything), one pupil with a blank gender is school − boys − girls."""
    pupils = _cohort(blank_gender=1)
    document = analyse(
        write_long(tmp_path / "r.csv", pupils), AnalysisOptions(min_group=1)
    ).to_dict()
    assert "pupils [0] attainment8" in _attack(document, _masks(pupils))


def test_ehcp_progress8_case_hides_another_sen_groups_progress8(tmp_path):
    """School − SEN support − no SEN gives the EHC plan P8 of 4 pupils: one more SEN group's
    P8 is hidden (the smaller, SEN support), its A8 still shown."""
    pupils = _cohort(ehcp=7, ehcp_with_ks2=4)
    groups = analyse(write_long(tmp_path / "r.csv", pupils)).to_dict()["groups"]
    assert groups["ehcp"]["progress8"] is None and groups["ehcp"]["attainment8"] is not None
    assert groups["sen_support"]["progress8"] is None
    assert groups["sen_support"]["attainment8"] is not None
    assert groups["no_sen"]["progress8"] is not None


def test_recoverable_set_finds_the_difference_of_two_published_sets():
    # cells: a (5 pupils), b (5), c (2); published: school, a+b → c = school − (a+b)
    counts = np.array([5.0, 5.0, 2.0])
    published = np.array([[1, 1, 1], [1, 1, 0]], dtype=float)
    assert recoverable_set(published, counts, 6).tolist() == [0, 0, 1]
    # with c large enough, nothing small is left
    assert recoverable_set(published, np.array([5.0, 5.0, 6.0]), 6) is None


def test_recoverable_set_needs_whole_pupils_not_fractions():
    # cells a (1 pupil), b (1 pupil), c (9): published school and a+c, b+c, a+b... only a+b known
    counts = np.array([1.0, 1.0, 9.0])
    published = np.array([[1, 1, 1], [0, 0, 1]], dtype=float)
    # school − c = a + b: two pupils, recoverable as a pair, neither alone
    assert recoverable_set(published, counts, 6).tolist() == [1, 1, 0]


def test_secondary_suppression_picks_the_smallest_set_that_breaks_the_subtraction():
    # cells: ehcp (4), sen support (12), no sen (40); all three published beside the school
    counts = np.array([4.0, 12.0, 40.0])
    sets = {
        "ehcp": np.array([True, False, False]),
        "sen_support": np.array([False, True, False]),
        "no_sen": np.array([False, False, True]),
    }
    # ehcp itself is small: suppressing it and the next smallest leaves nothing to subtract
    assert secondary_suppressions(sets, counts, 6) == ["ehcp", "sen_support"]
    assert secondary_suppressions(sets, counts, 4) == []


def test_subject_tables_by_group_only_for_groups_shown_whole(tmp_path):
    """A group whose P8 is hidden by secondary suppression has no subject table either: its
    subjects' value added would give the P8 away."""
    pupils = _cohort(ehcp=7, ehcp_with_ks2=4)
    options = AnalysisOptions(min_group=MIN_GROUP, subjects_by_group=True)
    analysis = analyse(write_long(tmp_path / "r.csv", pupils), options)
    tables = analysis.subjects_by_group
    assert analysis.groups["sen_support"]["progress8"] is None
    assert tables["sen_support"] is None and tables["ehcp"] is None
    assert tables["no_sen"] is not None and tables["boys"] is not None
