"""Privacy and output safety: no names or UPNs in any anonymised output or any governor-facing
output; spreadsheet formulas neutralised; byte-identical reruns; an interrupted pack render
leaves the previous pack whole; an output that cannot be written is one clean error."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.cli import cli
from schoolperf.errors import InputError
from tests.conftest import BAD_INPUTS, DEMO, invoke

CORPUS = BAD_INPUTS / "files"


def secrets() -> set[str]:
    with open(DEMO, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = {r["Forename"] for r in rows} | {r["Surname"] for r in rows}
    return {r["UPN"] for r in rows} | {n for n in names if len(n) >= 3}


def leaks(text: str) -> set[str]:
    words = set(re.findall(r"[\w'’-]+", text))
    return {s for s in secrets() if s in words}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout + result.stderr


def test_anonymised_outputs_hold_no_names_or_upns(tmp_path, monkeypatch):
    monkeypatch.setenv("SCHOOLPERF_PSEUDONYM_KEY", "a-secret-for-these-tests-only")
    demo = str(DEMO)
    texts = {
        "analyse json": run("analyse", demo, "--anonymise", "--format", "json"),
        "analyse table": run("analyse", demo, "--anonymise"),
        "drill-down csv": run(
            "subjects", demo, "--anonymise", "--subject", "Maths", "--format", "csv"
        ),
        "drill-down json": run(
            "subjects", demo, "--anonymise", "--subject", "Maths", "--format", "json"
        ),
        "targets csv": run("targets", demo, "--anonymise", "--by-subject"),
        "track json": run("track", demo, "--labels", "now", "--anonymise", "--format", "json"),
    }
    run("analyse", demo, "--anonymise", "--out", str(tmp_path / "out"))
    for audience in ("staff", "governors"):
        for fmt in ("html", "md"):
            run(
                "pack",
                demo,
                "--anonymise",
                "--audience",
                audience,
                "--format",
                fmt,
                "--out",
                str(tmp_path / "packs" / f"{audience}.{fmt}"),
            )
    files = [*(tmp_path / "out").iterdir(), *(tmp_path / "packs").rglob("*.*")]
    texts |= {str(p): p.read_text(encoding="utf-8") for p in files}
    for name, text in texts.items():
        assert not leaks(text), (name, sorted(leaks(text))[:5])
    assert "P-" in texts["analyse json"]


def test_governor_facing_outputs_hold_no_names_or_upns(tmp_path):
    demo = str(DEMO)
    for fmt in ("html", "md"):
        run(
            "pack",
            demo,
            "--audience",
            "governors",
            "--format",
            fmt,
            "--out",
            str(tmp_path / f"governors.{fmt}"),
        )
        run(
            "track",
            demo,
            "--labels",
            "now",
            "--audience",
            "governors",
            "--format",
            fmt,
            "--out",
            str(tmp_path / f"track.{fmt}"),
        )
    for path in tmp_path.rglob("*.*"):
        assert not leaks(path.read_text(encoding="utf-8")), path.name


def test_spreadsheet_formulas_are_neutralised(tmp_path):
    run("analyse", str(CORPUS / "formula_injection_name.csv"), "--out", str(tmp_path))
    with open(tmp_path / "pupils.csv", encoding="utf-8") as f:
        forename = next(csv.DictReader(f))["forename"]
    assert forename == '\'=HYPERLINK("x")'


def test_same_input_same_output_bytes(tmp_path):
    for name in ("a", "b"):
        run("analyse", str(DEMO), "--out", str(tmp_path / name))
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


SLOW_RENAME = """
import os, sys, time
import schoolperf.outputs.files as files
real = os.replace
def slow(src, dst):
    if str(dst).endswith(".html"):
        print("writing", flush=True)
        time.sleep(60)
    real(src, dst)
files.os.replace = slow
from schoolperf.cli import main
sys.argv = ["schoolperf", *sys.argv[1:]]
main()
"""


def test_killed_pack_render_leaves_the_previous_pack_whole(tmp_path):
    pack = tmp_path / "pack.html"
    run("pack", str(DEMO), "--audience", "governors", "--out", str(pack))
    before = pack.read_bytes()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_RENAME,
            "pack",
            str(DEMO),
            "--audience",
            "staff",
            "--out",
            str(pack),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "writing"  # mid-write: before the rename
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert pack.read_bytes() == before
    assert pack.read_text(encoding="utf-8").rstrip().endswith("</html>")
    time.sleep(0)  # the half-written temporary file is hidden, and the pack is untouched
    assert all(p.name.startswith(".") for p in tmp_path.iterdir() if p != pack)


def test_interrupted_write_cleans_up(tmp_path, monkeypatch):
    import schoolperf.outputs.files as files

    target = tmp_path / "summary.json"
    target.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(target, "new")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("blocked", ["summary.json", "pupils.csv"])
def test_an_output_that_cannot_be_written_leaves_every_output_as_it_was(tmp_path, blocked):
    """A folder where an output file goes: exit 2 with one message, before any output is
    replaced (no folder holding two runs' outputs)."""
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["analyse", str(DEMO), "--out", str(out)])
    (out / blocked).unlink()
    (out / blocked).mkdir()
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    wide = CORPUS / "utf8_bom.csv"
    result = CliRunner().invoke(cli, ["analyse", str(wide), "--out", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{out / blocked}: cannot be written (a folder is in the way)." in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == sorted([*before, blocked])


def test_unwritable_output_is_a_clean_error(tmp_path):
    """An output folder that cannot be made (a file is in its path): exit 2, one message."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = invoke("analyse", str(DEMO), "--out", str(blocker / "out"))
    assert result.exit_code == 2 and "cannot be written" in result.stderr


def test_a_pack_chart_that_cannot_be_written(tmp_path):
    pack = tmp_path / "pack.md"
    (tmp_path / "pack_charts" / "grades.svg").mkdir(parents=True)
    result = CliRunner().invoke(
        cli, ["pack", str(DEMO), "--audience", "staff", "--format", "md", "--out", str(pack)]
    )
    assert result.exit_code == 2, result.output
    assert "cannot be written (a folder is in the way)." in result.stderr
    assert not pack.exists()


def test_a_write_the_system_refuses_is_a_problem(tmp_path, monkeypatch):
    import schoolperf.outputs.files as files
    from schoolperf.errors import InputError

    def full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(InputError) as error:
        files.write_atomic(tmp_path / "summary.json", "new")
    assert error.value.problems[0].message == "cannot be written (No space left on device)."
    assert list(tmp_path.iterdir()) == []


def test_a_pack_pdf_that_cannot_be_written_is_refused_first(tmp_path):
    (tmp_path / "pack.pdf").mkdir()
    pack = tmp_path / "pack.html"
    result = CliRunner().invoke(
        cli, ["pack", str(DEMO), "--audience", "staff", "--out", str(pack), "--pdf"]
    )
    assert result.exit_code == 2, result.output
    assert "pack.pdf: cannot be written (a folder is in the way)." in result.stderr
    assert not pack.exists()


@pytest.mark.parametrize("key", [None, "", "short-key"])
def test_anonymise_without_a_secret_key_is_refused(monkeypatch, key):
    """An unkeyed pseudonym is a plain hash of an enumerable UPN: anyone could reverse it."""
    if key is None:
        monkeypatch.delenv("SCHOOLPERF_PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("SCHOOLPERF_PSEUDONYM_KEY", key)
    result = CliRunner().invoke(cli, ["analyse", str(DEMO), "--anonymise", "--format", "json"])
    assert result.exit_code == 2
    assert "--anonymise needs a secret key" in result.stderr
    assert "export SCHOOLPERF_PSEUDONYM_KEY=" in result.stderr
    with pytest.raises(InputError) as raised:
        analyse(DEMO, AnalysisOptions(anonymise=True))
    assert [p.code for p in raised.value.problems] == ["no-pseudonym-key"]
    assert "DEMO0" not in result.stdout + result.stderr


def test_pseudonyms_depend_on_the_key(monkeypatch):
    upns = []
    for key in ("first-secret-of-the-test", "second-secret-of-the-test"):
        monkeypatch.setenv("SCHOOLPERF_PSEUDONYM_KEY", key)
        upns.append(set(analyse(DEMO, AnalysisOptions(anonymise=True)).pupils.index))
    assert len(upns[0]) == 180 and not upns[0] & upns[1]


@pytest.mark.parametrize(
    "mentor, refused",
    [
        ("Surname", True),  # the pupils' own surnames: the attack that put 180 in a pack
        ("UPN", True),  # one value a pupil under another heading
        ("Tutor Group", False),  # shared by many pupils: a real grouping
    ],
)
def test_a_group_column_that_names_pupils_is_refused(tmp_path, mentor, refused):
    import pandas as pd

    rows = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    rows["Mentor"] = rows[mentor].str.upper() if mentor == "Surname" else rows[mentor]
    path = tmp_path / "mentors.csv"
    rows.to_csv(path, index=False)
    result = invoke("analyse", str(path), "--group", "Mentor", "--format", "json")
    if not refused:
        assert result.exit_code == 0, result.stderr
        assert any(k.startswith("Mentor=") for k in json.loads(result.stdout)["groups"])
        return
    assert result.exit_code == 2
    assert "--group 'Mentor'" in result.stderr and "would name pupils" in result.stderr
    assert not leaks(result.stdout + result.stderr)
    with pytest.raises(InputError) as raised:
        analyse(path, AnalysisOptions(groups=("Mentor,disadvantaged",)))
    assert [p.code for p in raised.value.problems] == ["identifying-group"]


def test_values_that_may_be_personal_are_described_not_quoted(tmp_path):
    """A surname in a grade cell, a surname as a subject, a date of birth in a KS2 cell and a
    20,000-character name cell: messages and ``validate`` JSON describe them, never quote them
    (not even the start of the long one); a code many pupils share is still quoted."""
    import pandas as pd

    rows = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    rows.loc[0, "Grade"] = "Okonkwo-Baptiste"
    rows.loc[1, ["Subject", "Grade"]] = ["Wojciechowska", "Merit"]
    rows.loc[2, "KS2 Reading Scaled Score"] = "14/03/2008"
    rows.loc[rows.index[-40:], "SEN Status"] = "Q - Unknown"  # a code: shown
    path = tmp_path / "personal.csv"
    rows.to_csv(path, index=False)
    rows.loc[3, "Forename"] = "Zebedee" * 3000  # (a cell this long stops the reading)
    rows.to_csv(tmp_path / "long.csv", index=False)
    planted = ["Okonkwo", "Wojciechowska", "14/03/2008", "ZebedeeZebedee"]
    for command in (["validate", "--format", "json"], ["analyse"], ["validate"]):
        result = invoke(command[0], str(path), *command[1:])
        assert result.exit_code == 2
        text = result.stdout + result.stderr
        assert not [p for p in planted if p in text], command
        assert "Q - Unknown" in text or command == ["validate"]  # (a table wraps it)
    problems = json.loads(invoke("validate", str(path), "--format", "json").stdout)["problems"]
    described = {(p["column"], p["value_description"]) for p in problems if p["value"] is None}
    assert ("Grade", "a word of 16 characters") in described
    assert ("KS2 Reading Scaled Score", "a date of 10 characters") in described
    result = invoke("validate", str(tmp_path / "long.csv"), "--format", "json")
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["column"] == "Forename" and problem["value"] is None
    assert problem["value_description"] == "a text of 21,000 characters"
    assert "Zebedee" not in result.stdout + result.stderr
    assert "the subject on that row (not named" in json.dumps(problems)


def test_a_subject_only_one_pupil_takes_is_not_named_in_warnings(tmp_path):
    import pandas as pd

    rows = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    rows.loc[5, "Subject"] = "Abernathy"
    rows.loc[rows.index[-30:], "Subject"] = "Astrophysics"  # many pupils: a course, named
    path = tmp_path / "subjects.csv"
    rows.to_csv(path, index=False)
    result = invoke("analyse", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "Abernathy" not in result.stdout + result.stderr
    assert "'Astrophysics'" in result.stderr
    assert "1 taken by only one or two pupils, not named here" in result.stderr
    assert "(first on row 7)" in result.stderr
