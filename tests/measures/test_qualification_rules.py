"""Which qualifications count, and how (ks4-methodology §1.3, §1.6, §1.8): short courses and
IGCSEs count nowhere, a technical award is scored on its own DfE grades however it is entered,
and an AS level in English or maths discounts the GCSE. Every A8 below is worked by hand."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.cli import cli

HEADER = "UPN,KS2 Reading,KS2 Maths,Subject,Qualification,QAN,Grade,Exam Date\n"


def run(tmp_path, rows: list[str]):
    path = tmp_path / "results.csv"
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return analyse(path, AnalysisOptions())


def audit(analysis, upn: str, subject: str) -> dict:
    slots = analysis.slots
    row = slots[(slots["upn"] == upn) & (slots["subject_title"] == subject)].iloc[0]
    return {"role": row["role"], "weight": int(row["weight"]), "reason": str(row["reason"])}


# English language 6 + literature 5 (doubled: 12), maths 5 (10), history 5 (EBacc 5), literature
# 5 in open: A8 32. A 9 in a short course counted as a full GCSE would make it 41.
SHORT_COURSES = [
    "S1,,,Religious Studies Short Course,,,9,2024-06-01",
    "S2,,,GCSE (Short Course) Religious Studies,,,9,2024-06-01",
    "S3,,,Religious Studies,GCSE Short Course,,9,2024-06-01",
    "S4,,,Religious Studies,Short Course,,9,2024-06-01",
]


def with_core(upn: str) -> list[str]:
    return [
        f"{upn},,,English Language,,,6,2024-06-01",
        f"{upn},,,English Literature,,,5,2024-06-01",
        f"{upn},,,Mathematics,,,5,2024-06-01",
        f"{upn},,,History,,,5,2024-06-01",
    ]


def test_short_courses_count_nowhere_and_are_explained(tmp_path):
    rows = [r for line in SHORT_COURSES for r in [*with_core(line[:2]), line]]
    analysis = run(tmp_path, rows)
    assert analysis.pupils["attainment8"].tolist() == [32.0] * 4
    titles = ["Religious Studies Short Course", "GCSE (Short Course) Religious Studies"]
    titles += ["Religious Studies (GCSE Short Course)", "Religious Studies (Short Course)"]
    for upn, title in zip(["S1", "S2", "S3", "S4"], titles, strict=True):
        row = audit(analysis, upn, title)
        assert row["role"] == "not_counting" and row["weight"] == 0
        assert row["reason"].startswith("GCSE short course: short courses have not counted")
    counted = [w for w in analysis.warnings if "GCSE short course" in w]
    assert counted == [
        "4 results were NOT counted anywhere because each is a GCSE short course: short "
        "courses have not counted in the performance tables since 2014. The slot audit lists "
        "them."
    ]
    # nor is any of them named as an unrecognised subject
    assert not any("not in the subject catalogue" in w for w in analysis.warnings)


@pytest.mark.parametrize(
    "subject, qualification",
    [
        ("IGCSE English Language", ""),
        ("English Language", "International GCSE"),
        ("English Language", "IGCSE"),
        ("English Language", "Level 1/2 Certificate"),
        ("Cambridge IGCSE English Language", "GCSE"),
    ],
)
def test_an_igcse_is_never_a_gcse(tmp_path, subject, qualification):
    """IGCSE English 9 + GCSE literature 5 + maths 6 + geography 6: literature alone fills the
    English element once (5), maths 12, EBacc 6, open nothing: A8 23 (41 if the IGCSE were
    read as GCSE English Language and doubled)."""
    analysis = run(
        tmp_path,
        [
            f"I,,,{subject},{qualification},,9,2024-06-01",
            "I,,,English Literature,,,5,2024-06-01",
            "I,,,Mathematics,,,6,2024-06-01",
            "I,,,Geography,,,6,2024-06-01",
        ],
    )
    assert analysis.pupils.loc["I", "attainment8"] == 23
    assert analysis.pupils.loc["I", "attainment8_english"] == 5
    igcse = analysis.slots[analysis.slots["role"] == "not_counting"]
    assert len(igcse) == 1 and str(igcse["reason"].iloc[0]).startswith("IGCSE or Level 1/2")
    assert any("IGCSE or Level 1/2 Certificate" in w for w in analysis.warnings)
    # an IGCSE is not English for the basics either: literature 5 and maths 6 still pass
    assert analysis.pupils.loc["I", "basics_5"]


def test_a_technical_award_scores_as_its_dfe_qualification_however_entered(tmp_path):
    """WJEC Level 1/2 Award in Hospitality and Catering (DfE 60177032) awards a Level 1 Pass of
    1.75 points, not the 1.25 of a Band C technical award, by title as by QAN; a Cambridge
    National by title takes its list's Level 1 Merit (2)."""
    analysis = run(
        tmp_path,
        [
            "T1,,,Hospitality and Catering,,,L1P,2024-06-01",
            "T2,,,,,601/7703/2,L1 Pass,2024-06-01",
            "T3,,,Creative iMedia,,,L1M,2024-06-01",
        ],
    )
    assert analysis.pupils["attainment8"].tolist() == [1.75, 1.75, 2.0]


@pytest.mark.parametrize("grade", ["L1M", "Level 1 Merit", "L1D", "M1"])
def test_a_grade_the_qualification_does_not_award_is_an_error(tmp_path, grade):
    path = tmp_path / "results.csv"
    path.write_text(HEADER + f"T,,,Hospitality and Catering,,,{grade},2024-06-01\n")
    result = CliRunner().invoke(cli, ["analyse", str(path)])
    assert result.exit_code == 2
    assert (
        "Use a grade WJEC Level 1/2 Vocational Award in Hospitality and Catering awards "
        "(L2 Distinction*, L2 Distinction, L2 Merit, L2 Pass, L1 Pass, or U)" in result.stderr
    )


def test_as_mathematics_discounts_the_gcse_whatever_its_grade_and_date(tmp_path):
    """GCSE maths 8 (2023) then AS maths C (2024, 7 points): the AS level counts, doubled (14),
    and the GCSE is discounted although it was the first entry and better. English 12, EBacc
    history 5 + French 5, open literature 5 + art 5: A8 12 + 14 + 10 + 10 = 46 (48 if the GCSE
    counted). The same with an AS E (3.5) sat on the same day as a GCSE 9: maths 7, A8 39."""
    others = [
        "English Language,,,6,2024-06-01",
        "English Literature,,,5,2024-06-01",
        "History,,,5,2024-06-01",
        "French,,,5,2024-06-01",
        "Art and Design,,,5,2024-06-01",
    ]
    analysis = run(
        tmp_path,
        [
            *(f"A,,,{r}" for r in others),
            "A,,,Mathematics,,,8,2023-06-01",
            "A,,,AS Mathematics,,,C,2024-06-01",
            *(f"B,,,{r}" for r in others),
            "B,,,Mathematics,,,9,2024-06-01",
            "B,,,Mathematics,AS Level,,E,2024-06-01",
        ],
    )
    assert analysis.pupils.loc["A", "attainment8_maths"] == 14
    assert analysis.pupils.loc["A", "attainment8"] == 46
    assert analysis.pupils.loc["B", "attainment8_maths"] == 7
    assert analysis.pupils.loc["B", "attainment8"] == 39
    gcse = audit(analysis, "A", "Mathematics")
    assert gcse["weight"] == 0
    assert gcse["reason"] == (
        "discounted: AS Mathematics counts instead (an AS level in English or maths always "
        "discounts the GCSE in the same subject)"
    )
    assert audit(analysis, "A", "AS Mathematics") == {"role": "maths", "weight": 2, "reason": ""}


def test_as_english_literature_discounts_the_gcse_and_still_doubles_english(tmp_path):
    """GCSE English language 6 + GCSE literature 7 + AS English literature D (5.13): the AS
    level discounts the GCSE literature; English = the better of language 6 and AS 5.13,
    doubled because both were entered (12); the AS level goes to open (5.13)."""
    analysis = run(
        tmp_path,
        [
            "E,,,English Language,,,6,2024-06-01",
            "E,,,English Literature,,,7,2024-06-01",
            "E,,,AS English Literature,,,D,2024-06-01",
        ],
    )
    assert analysis.pupils.loc["E", "attainment8_english"] == 12
    assert analysis.pupils.loc["E", "attainment8_open"] == pytest.approx(5.13)
    assert audit(analysis, "E", "English Literature")["weight"] == 0


def test_as_levels_are_recognised_by_title_without_a_qan(tmp_path):
    analysis = run(
        tmp_path,
        [
            "M,,,AS Mathematics,,,B,2024-06-01",
            "N,,,GCE AS Level Maths,,,A,2024-06-01",
            "F,,,AS Further Maths,,,A,2024-06-01",
        ],
    )
    assert analysis.pupils["attainment8_maths"].tolist() == [21.5, 17.76, 21.5]
    assert not any("not in the subject catalogue" in w for w in analysis.warnings)


def test_a_cambridge_national_certificate_is_not_an_igcse(tmp_path):
    """A Cambridge National is a Level 1/2 Certificate too, and counts: L2 Merit 5.5 whether
    the qualification column says so, the title does, or the DfE QAN (60070432) is given."""
    analysis = run(
        tmp_path,
        [
            "C1,,,Creative iMedia,Level 1/2 Certificate,,L2M,2024-06-01",
            "C2,,,Creative iMedia,Cambridge National L1/L2 Certificate,60070432,L2M,2024-06-01",
            "C3,,,Cambridge National Creative iMedia,Level 1/2 Certificate,,L2M,2024-06-01",
        ],
    )
    assert analysis.pupils["attainment8"].tolist() == [5.5, 5.5, 5.5]


def test_the_dfe_list_says_what_a_qan_is(tmp_path):
    """QAN 60004757 is a Pearson Level 1/2 Certificate in Mathematics, "International
    GCSE-style" in the DfE EBacc list: it counts nowhere, even titled Mathematics. QAN
    60146084 is GCSE (9-1) maths: it counts (doubled), whatever the qualification column says."""
    analysis = run(
        tmp_path,
        [
            "Q1,,,Mathematics,,60004757,7,2024-06-01",
            "Q2,,,Mathematics,IGCSE,60146084,7,2024-06-01",
        ],
    )
    assert analysis.pupils["attainment8"].tolist() == [0.0, 14.0]


@pytest.mark.parametrize("heading", ["Qualification Type", "Award Type", "Course Type"])
def test_the_qualification_column_is_read_under_other_headings(tmp_path, heading):
    path = tmp_path / "r.csv"
    path.write_text(
        f"UPN,Subject,{heading},Grade\n"
        "A,English Language,GCSE,6\nA,Religious Studies,GCSE Short Course,9\n"
        "A,English Literature,International GCSE,9\n"
    )
    assert analyse(path).pupils.loc["A", "attainment8"] == 6


@pytest.mark.parametrize("subject", ["AQA AS Mathematics", "Edexcel AS Maths"])
def test_an_as_level_named_with_its_board(tmp_path, subject):
    analysis = run(tmp_path, [f"M,,,{subject},,,C,2024-06-01"])
    assert analysis.pupils.loc["M", "attainment8_maths"] == 14


def test_results_that_count_nowhere_are_not_subjects(tmp_path):
    """English language 5, maths 5, a short course 9 and an IGCSE 9: English language's
    performance against the pupil's other subjects is 5 − 5 = 0, not pulled down by the 9s."""
    analysis = run(
        tmp_path,
        [
            "R,100,100,English Language,,,5,2024-06-01",
            "R,100,100,Mathematics,,,5,2024-06-01",
            "R,100,100,Religious Studies,GCSE Short Course,,9,2024-06-01",
            "R,100,100,English Literature,IGCSE,,9,2024-06-01",
        ],
    )
    entries = analysis.subject_entries.set_index("subject_title")
    assert sorted(entries.index) == ["English Language", "Mathematics"]
    assert entries.loc["English Language", "residual"] == 0


def test_the_staff_pack_lists_results_that_count_nowhere(tmp_path):
    from schoolperf.reports.context import build_context

    analysis = run(tmp_path, [*with_core("S1"), SHORT_COURSES[0]])
    listed = build_context(analysis, "staff")["pupil_lists"]["not_counted"]
    assert [r["subject_title"] for r in listed] == ["Religious Studies Short Course"]
