"""The command line: exit statuses, one clear line per problem (and a count of those beyond the
ones listed), JSON contract, output files."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from schoolperf.analysis import analyse
from schoolperf.cli import cli
from schoolperf.errors import InputError
from tests.conftest import DEMO, invoke

CONTRACT_SCHOOL_KEYS = {
    "pupils",
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "progress8_pupils",
    "progress8",
    "progress8_ci_low",
    "progress8_ci_high",
    "progress8_banding",
    "progress8_english",
    "progress8_maths",
    "progress8_ebacc",
    "progress8_open",
}
CONTRACT_PUPIL_KEYS = {
    "upn",
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "ks2_prior",
    "prior_attainment_group",
    "attainment8_estimate",
    "progress8",
    "progress8_english",
    "progress8_maths",
    "progress8_ebacc",
    "progress8_open",
    "slots",
}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_demo_json_follows_the_contract(demo_json):
    assert demo_json["estimates"] == "2024"
    assert CONTRACT_SCHOOL_KEYS <= set(demo_json["school"])
    assert demo_json["school"]["pupils"] == 180
    assert len(demo_json["pupils"]) == 180
    for pupil in demo_json["pupils"]:
        assert CONTRACT_PUPIL_KEYS <= set(pupil)
        assert sum(s["points"] * s["weight"] for s in pupil["slots"]) == pytest.approx(
            pupil["attainment8"]
        )
        assert len(pupil["slots"]) <= 8
    assert "NaN" not in json.dumps(demo_json)


def test_demo_school_figures_are_the_means_of_the_pupils(demo_json):
    pupils = demo_json["pupils"]
    a8 = sum(p["attainment8"] for p in pupils) / len(pupils)
    assert demo_json["school"]["attainment8"] == pytest.approx(a8, abs=1e-12)
    in_p8 = [p["progress8"] for p in pupils if p["progress8"] is not None]
    assert demo_json["school"]["progress8_pupils"] == len(in_p8)
    assert demo_json["school"]["progress8"] == pytest.approx(sum(in_p8) / len(in_p8), abs=1e-12)


def test_demo_special_pupils(demo_json):
    """The generator's documented cases: early Polish resit, all-X pupil, PE + BTEC Sport."""
    by_upn = {p["upn"]: p for p in demo_json["pupils"]}
    polish = [s for s in by_upn["DEMO0028"]["slots"] if s["subject"] == "Polish"]
    assert [s["grade"] for s in polish] == ["7"]  # first entry 2023 counts, not the 2024 9
    assert by_upn["DEMO0162"]["attainment8"] == 0 and by_upn["DEMO0162"]["slots"] == []


def test_table_output_and_warnings():
    result = run("analyse", str(DEMO))
    assert result.exit_code == 0
    assert "Attainment 8" in result.stdout and "Progress 8" in result.stdout
    assert "warning: 8 pupils have no KS2" in result.stderr


def test_out_writes_pupils_slots_and_summary(tmp_path):
    out = tmp_path / "out"
    result = run("analyse", str(DEMO), "--out", str(out))
    assert result.exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["school"]["pupils"] == 180
    pupils = (out / "pupils.csv").read_text(encoding="utf-8").splitlines()
    assert len(pupils) == 181
    header = pupils[0].split(",")
    assert {
        "upn",
        "attainment8",
        "progress8",
        "slot_english_1",
        "slot_open_3",
        "not_counted",
    } <= set(header)
    slots = (out / "slots.csv").read_text(encoding="utf-8")
    assert "not first entry" in slots and "discounted" in slots
    assert not list(out.glob(".*.tmp"))


def test_refuses_to_write_over_its_input(tmp_path):
    export = tmp_path / "summary.json"
    export.write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    before = export.read_bytes()
    result = run("analyse", str(export), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "never writes over its input" in result.stderr
    assert export.read_bytes() == before


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "results.csv: is empty. Export the results again."),
        ("UPN,Subject,Grade\n", "results.csv: has a header but no data rows."),
        ("Name,Subject,Grade\nA,Maths,5\n", "results.csv: has no pupil identifier column"),
        (
            "UPN,Subject,Grade\nA,Maths,A**\n",
            "results.csv, row 2, column 'Grade', value 'A**': "
            "is not a grade schoolperf can score for 'Maths'. Use 9 to 1 or U",
        ),
        (
            "UPN,Subject,Grade\nA,Combined Science,8-6\n",
            "results.csv, row 2, column 'Grade', value '8-6': "
            "is not a grade schoolperf can score for 'Combined Science'. "
            "Use a combined science double grade",
        ),
        (
            "UPN,KS2 Reading,Subject,Grade\nA,130,Maths,5\n",
            "results.csv, row 2, column 'KS2 Reading', value '130': is not a KS2 scaled score.",
        ),
        (
            "UPN,Gender,Subject,Grade\nA,M,Maths,5\nA,F,English Language,5\n",
            "results.csv, row 2, 3, column 'Gender': differ between the rows of one pupil (F, M).",
        ),
        (
            "UPN,Subject,Grade,Exam Date\nA,Maths,5,Summer\n",
            "results.csv, row 2, column 'Exam Date', a word of 6 characters (not shown: it may "
            "be personal): is not a date.",
        ),
    ],
)
def test_bad_input_gives_one_clear_line_and_exit_2(tmp_path, content, expected):
    export = tmp_path / "results.csv"
    export.write_text(content, encoding="utf-8")
    result = run("analyse", str(export))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: " + expected)
    assert "Traceback" not in result.stderr


def test_every_problem_is_listed_by_validate(tmp_path):
    export = tmp_path / "results.csv"
    export.write_text("UPN,Subject,Grade\nA,Maths,11\nA,History,Q9\n,Art,5\n")
    result = run("validate", str(export), "--format", "json")
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert [(p["row"], p["code"]) for p in problems] == [
        ("2", "unknown-grade"),
        ("3", "unknown-grade"),
        ("4", "missing-upn"),
    ]


def test_more_problems_than_listed_are_counted(tmp_path):
    """A wide export repeating 600 pupils: 500 listed, and one entry counting the other 100
    (in a validate report too)."""
    upns = [f"P{i:04d}" for i in range(600)] * 2
    path = tmp_path / "wide.csv"
    pd.DataFrame({"UPN": upns, "Mathematics": "5", "English Language": "6"}).to_csv(
        path, index=False
    )
    with pytest.raises(InputError) as error:
        analyse(path)
    problems = error.value.problems
    assert len(problems) == 501 and {p.code for p in problems} == {"duplicate-pupil"}
    assert problems[-1].row is None
    assert problems[-1].message == "100 more of this problem, like those above, are not listed."
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["problems"][-1]["message"] == problems[-1].message
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert "wide.csv: 600 problems; fix them and run again." in result.stderr
    # analyse prints 200 of the 500 listed, then counts the other 300 and the 100 unlisted
    result = CliRunner().invoke(cli, ["analyse", str(path)])
    assert result.exit_code == 2 and result.output.count("error: ") == 200
    assert "… and 400 more problems (see schoolperf validate)." in result.output


def test_validate_clean_file():
    result = run("validate", str(DEMO))
    assert result.exit_code == 0
    assert "no problems; 180 pupils" in result.stdout


def test_unknown_estimates_table():
    result = run("analyse", str(DEMO), "--estimates", "2031")
    assert result.exit_code == 2
    assert "neither a shipped estimates table nor a file" in result.stderr


def test_user_estimates_table_in_dfe_shape(tmp_path):
    """--estimates FILE accepts the DfE ready reckoner's coefficients file shape."""
    from schoolperf.reference import load_estimates

    table = load_estimates("2023-revised").table
    path = tmp_path / "own.csv"
    table.rename(
        columns={
            "prior_attainment_group": "ks2emss_grp",
            "attainment8": "p8est",
            "english": "p8esteng",
            "maths": "p8estmat",
            "ebacc": "p8estebac",
            "open": "p8estopen",
        }
    ).drop(columns=["ks2_low", "ks2_high"]).to_csv(path, index=False)
    own = json.loads(run("analyse", str(DEMO), "--estimates", str(path), "--format", "json").stdout)
    shipped = json.loads(
        run("analyse", str(DEMO), "--estimates", "2023-revised", "--format", "json").stdout
    )
    assert own["school"]["progress8"] == shipped["school"]["progress8"]
    assert any("Confidence intervals use" in w for w in own["warnings"])


def test_internal_errors_are_one_line_without_debug(monkeypatch):
    import schoolperf.analysis

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(schoolperf.analysis, "analyse", broken)
    result = run("analyse", str(DEMO))
    assert result.exit_code == 3
    assert "internal error: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr


def test_module_entry_point_and_help():
    done = subprocess.run(
        [sys.executable, "-m", "schoolperf", "--help"], capture_output=True, text=True, check=True
    )
    assert "analyse" in done.stdout and "validate" in done.stdout


@pytest.mark.parametrize("given", [None, "1"])
def test_command_turns_off_numpys_huge_pages_unless_the_caller_chose(given, monkeypatch):
    """Huge pages cost the national benchmark about a second of page zeroing (cli.main)."""
    import os

    import schoolperf.cli

    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "x")  # restored (or unset again) afterwards
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE")
    if given is not None:
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", given)
    monkeypatch.setattr(schoolperf.cli, "cli", lambda **kwargs: None)
    schoolperf.cli.main()
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == (given or "0")


def test_memory_limit_and_spill_folder(tmp_path):
    """--memory-limit and --temp-dir bound the engine without changing a figure; a limit that
    is not an amount of memory is one problem and exit 2."""
    plain = invoke("analyse", str(DEMO), "--format", "json", "--summary-only")
    bounded = invoke(
        "analyse",
        str(DEMO),
        "--format",
        "json",
        "--summary-only",
        "--memory-limit",
        "500MB",
        "--temp-dir",
        str(tmp_path / "spill"),
    )
    assert plain.exit_code == bounded.exit_code == 0, bounded.output
    assert json.loads(plain.stdout)["school"] == json.loads(bounded.stdout)["school"]
    wrong = invoke("analyse", str(DEMO), "--memory-limit", "lots")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
    assert "--memory-limit 'lots' is not an amount of memory" in wrong.stderr


def test_analyse_shows_the_four_groups_after_the_headlines_without_cutting_names():
    """In a pipe (80 columns) no name is cut with "…" ("disadvan…" was either disadvantaged
    group); the groups schools are held to come straight after the headlines, gaps in words."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "schoolperf", "analyse", str(DEMO)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        check=True,
    )
    text = result.stdout
    assert "…" not in text
    titles = [t for t in ("headline measures", "The groups the school is held to", "Pupil groups")]
    assert [text.index(t) for t in titles] == sorted(text.index(t) for t in titles)
    key_groups = text[text.index("The groups the school is held to") : text.index("Pupil groups")]
    assert key_groups.count("significantly") == 10 and "Non-disadvantaged" not in key_groups
    assert "SEND: EHC" in key_groups and "rest of" in key_groups
    table_lines = [line for line in text.splitlines() if line[:1] in "┏┃│└┡"]
    assert max(len(line) for line in table_lines) <= 80


@pytest.mark.parametrize(
    "command",
    [
        ["subjects", "--format", "json"],
        ["subjects", "--format", "csv"],
        ["compare", "--format", "json"],
        ["targets", "--format", "json"],
        ["pack", "--format", "md", "--audience", "staff"],
    ],
)
def test_every_command_warns_on_standard_error_in_every_format(tmp_path, command):
    """`subjects --format json` said nothing of the subjects it could not value-add."""
    extra = ["--out", str(tmp_path / "pack.md")] if command[0] == "pack" else []
    result = invoke(command[0], str(DEMO), *command[1:], *extra)
    assert result.exit_code == 0, result.stderr
    assert "5 subjects have no national transition matrix" in result.stderr
    assert "no national transition matrix" not in result.stdout.split("\n")[0]


def test_help_is_whole_and_each_command_lists_only_its_options():
    """Top-level descriptions were cut with "..."; targets listed --previous, --label and
    --subjects-by-group, which it does not use."""
    commands = invoke("--help").output.split("Commands:")[1]
    assert "..." not in commands and "with their sources." in " ".join(commands.split())
    for command in ("targets", "track", "subjects", "validate"):
        text = invoke(command, "--help").output
        assert [o for o in ("--previous", "--label ", "--subjects-by-group") if o in text] == []
    for command in ("analyse", "compare", "pack"):
        assert "--previous" in invoke(command, "--help").output
