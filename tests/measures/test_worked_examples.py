"""Published and hand-worked A8/P8 examples (docs/ks4-methodology.md §7)."""

from __future__ import annotations

import pytest

from schoolperf.analysis import AnalysisOptions, analyse
from tests.conftest import public_data

ELEMENTS = [
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
]


def figures(analysis, upn):
    return analysis.pupils.loc[upn, ELEMENTS].tolist()


def test_methodology_7_3_pupil_to_three_places(analyse_pupils):
    """§7.3: KS2 105/108 → PAG 21; A8 54.5; P8 0.474 with the 2024 table; elements exact."""
    analysis = analyse_pupils(
        {
            "P1": {
                "ks2": (105, 108),
                "results": [
                    ("English Language", "6"),
                    ("English Literature", "5"),
                    ("Maths", "5"),
                    ("Combined Science", "6-5"),
                    ("History", "5"),
                    ("French", "4"),
                    ("Art", "6"),
                    ("BTEC Tech Award Sport", "L2 Merit"),
                ],
            }
        }
    )
    pupil = analysis.pupils.loc["P1"]
    assert figures(analysis, "P1") == [54.5, 12, 10, 16, 16.5]
    assert pupil["prior_attainment_group"] == 21
    assert pupil["attainment8_estimate"] == 49.76
    assert round(pupil["progress8"], 3) == 0.474
    assert round(pupil["progress8_english"], 3) == 0.650
    assert round(pupil["progress8_maths"], 3) == 0.035
    assert round(pupil["progress8_ebacc"], 3) == 0.497
    assert round(pupil["progress8_open"], 3) == 0.623
    french = analysis.slots[analysis.slots["subject_title"] == "French"].iloc[0]
    assert french["weight"] == 0 and french["reason"].startswith("surplus")


def test_jack_uk_guide_2018(analyse_pupils, tmp_path):
    """§7.2(a) "Jack": both Englishes, legacy core/additional science → A8 67."""
    extra = tmp_path / "subjects.csv"
    extra.write_text(
        "subject,role,scale,discount_code,aliases\n"
        "Core Science,science,gcse,RA1A,\nAdditional Science,science,gcse,RA2A,\n"
    )
    analysis = analyse_pupils(
        {
            "JACK": {
                "results": [
                    ("Maths", "7"),
                    ("English Language", "8"),
                    ("Additional Science", "6"),
                    ("Core Science", "7"),
                    ("French", "7"),
                    ("English Literature", "6"),
                    ("Art", "5"),
                    ("Spanish", "6"),
                ]
            }
        },
        subjects_file=str(extra),
    )
    assert figures(analysis, "JACK") == [67, 16, 14, 20, 17]


def test_king_edward_student_b_and_a(analyse_pupils):
    """§7.2(b): student B = 61; student A = 49.5 with the DfE BTEC L2 Merit of 5.5 (not 50)."""
    analysis = analyse_pupils(
        {
            "B": {
                "results": [
                    ("English Language", "6"),
                    ("English Literature", "6"),
                    ("Maths", "6"),
                    ("Double Science", "6-6"),
                    ("German", "6"),
                    ("Product Design", "7"),
                    ("History", "6"),
                    ("PE", "6"),
                ]
            },
            "A": {
                "results": [
                    ("English Language", "5"),
                    ("English Literature", "5"),
                    ("Maths", "4"),
                    ("Double Science", "5-5"),
                    ("French", "5"),
                    ("Philosophy & Ethics", "4"),
                    ("Art", "6"),
                    ("BTEC Performing Arts", "L2M"),
                ]
            },
        }
    )
    assert figures(analysis, "B") == [61, 12, 12, 18, 19]
    assert figures(analysis, "A") == [49.5, 10, 8, 15, 16.5]


def test_single_english_is_not_doubled(analyse_pupils):
    """§7.2(c) counter-example: one English GCSE counts once, so 50 and 36 (not 55 and 40)."""
    analysis = analyse_pupils(
        {
            "W1": {
                "results": [
                    ("Maths", "6"),
                    ("English Language", "5"),
                    ("Biology", "6"),
                    ("Chemistry", "6"),
                    ("Physics", "6"),
                    ("Art", "5"),
                    ("Drama", "5"),
                    ("Music", "5"),
                ]
            },
            "W2": {
                "results": [
                    ("Maths", "4"),
                    ("English Literature", "4"),
                    ("History", "4"),
                    ("Geography", "4"),
                    ("French", "4"),
                    ("Art", "4"),
                    ("Drama", "4"),
                    ("Music", "4"),
                ]
            },
        }
    )
    assert figures(analysis, "W1") == [50, 5, 12, 18, 15]
    assert figures(analysis, "W2") == [36, 4, 8, 12, 12]
    english = analysis.slots[
        (analysis.slots["upn"] == "W1") & (analysis.slots["element"] == "english")
    ]
    assert english["weight"].tolist() == [1]


@pytest.mark.parametrize(
    "name, upn, expected",
    [
        ("School1_Results.csv", "1", [27.0, 8, 6, 7, 6]),
        ("School2_Results.csv", "B1", [65.0, 12, 14, 23, 16]),
        ("School1 Results.xlsx", "1", [27.0, 8, 6, 7, 6]),
        ("School2 Results.xlsx", "B1", [65.0, 12, 14, 23, 16]),
    ],
)
def test_chrisateen_pupils_by_qan(name, upn, expected):
    """§7.2(d): results by DfE QAN only; School2 B1's French resit loses to the first entry."""
    analysis = analyse(public_data(f"synthetic-pupil-results-chrisateen/{name}"))
    assert figures(analysis, upn) == expected
    if upn == "B1":
        french = analysis.slots[analysis.slots["qan"] == "60189009"].set_index("grade")
        assert french.loc["5", "weight"] == 1
        assert french.loc["6", "reason"] == "not first entry: the 2018-07-01 entry counts"


def test_schoolkit_wide_template(tmp_path):
    """§7.2(d): the SchoolKit wide template's two pupils, 2023 revised estimates."""
    source = public_data("synthetic-pupil-template-schoolkit/input-data-template.csv")
    lines = source.read_text(encoding="utf-8").splitlines()[:3]
    export = tmp_path / "template.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = tmp_path / "columns.toml"
    mapping.write_text('[columns]\nupn = "Surname Forename"\n')
    analysis = analyse(export, AnalysisOptions(estimates="2023-revised", columns_file=str(mapping)))
    assert figures(analysis, "Student 1") == [7, 0, 2, 4, 1]
    assert figures(analysis, "Student 2") == [39, 10, 8, 9, 12]
    assert analysis.pupils.loc["Student 1", "prior_attainment_group"] == 2
    assert analysis.pupils.loc["Student 2", "prior_attainment_group"] == 5
    assert round(analysis.pupils.loc["Student 1", "progress8"], 3) == -0.947
    assert round(analysis.pupils.loc["Student 2", "progress8"], 3) == 1.681


def test_schoolkit_template_stray_rows_are_reported(tmp_path):
    """The full template has four grades with no pupil: each is one problem, exit 2."""
    from schoolperf.errors import InputError

    source = public_data("synthetic-pupil-template-schoolkit/input-data-template.csv")
    mapping = tmp_path / "columns.toml"
    mapping.write_text('[columns]\nupn = "Surname Forename"\n')
    with pytest.raises(InputError) as caught:
        analyse(source, AnalysisOptions(columns_file=str(mapping)))
    problems = caught.value.problems
    assert [(p.code, p.row, p.column) for p in problems] == [
        ("missing-upn", "376, 388, 466, 845", "Surname Forename")
    ]
    assert problems[0].message.endswith("(in 4 rows).")
