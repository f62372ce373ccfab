"""No run writes over a file it reads, whatever option reads it: the output is refused (exit 2,
``output-is-input``) naming the option, before anything is written, and the input is left
byte for byte as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from schoolperf.reference import HERE as REFERENCE
from tests.conftest import DEMO, invoke


def analysed(folder: Path) -> Path:
    """An output folder of ``analyse`` on the demo cohort."""
    result = invoke("analyse", str(DEMO), "--out", str(folder))
    assert result.exit_code == 0, result.output
    return folder


def previous_summary(tmp_path: Path) -> tuple[list[str], Path, str]:
    out = analysed(tmp_path / "o")
    read = out / "summary.json"
    return ["analyse", str(DEMO), "--previous", str(read), "--out", str(out)], read, "--previous"


def baseline_in_the_folder(tmp_path: Path) -> tuple[list[str], Path, str]:
    out = analysed(tmp_path / "o")
    read = out / "pupils.csv"
    read.write_text("UPN,Baseline\nDEMO0001,101\nDEMO0002,97\n", encoding="utf-8")
    return ["analyse", str(DEMO), "--baseline", str(read), "--out", str(out)], read, "--baseline"


def hard_link_to_the_export(tmp_path: Path) -> tuple[list[str], Path, str]:
    export = tmp_path / "results.csv"
    shutil.copy(DEMO, export)
    out = tmp_path / "o"
    out.mkdir()
    os.link(export, out / "summary.json")
    return ["analyse", str(export), "--out", str(out)], export, "the results export"


def pack_over_estimates(tmp_path: Path) -> tuple[list[str], Path, str]:
    read = tmp_path / "est.csv"
    shutil.copy(REFERENCE / "estimates" / "2024.csv", read)
    command = ["pack", str(DEMO), "--audience", "staff", "--estimates", str(read)]
    return [*command, "--out", str(read)], read, "--estimates"


def pack_over_a_template(tmp_path: Path) -> tuple[list[str], Path, str]:
    templates = tmp_path / "templates"
    (templates / "html").mkdir(parents=True)
    read = templates / "html" / "_groups.html"
    read.write_text('{% extends "default:html/_groups.html" %}\n', encoding="utf-8")
    command = ["pack", str(DEMO), "--audience", "staff", "--template", str(templates)]
    return [*command, "--out", str(read)], read, "--template"


def drop(tmp_path: Path) -> Path:
    path = tmp_path / "y11_2024-06-01.csv"
    shutil.copy(DEMO, path)
    return path


def track_over_targets(tmp_path: Path) -> tuple[list[str], Path, str]:
    read = tmp_path / "t.json"
    read.write_text("upn,target_attainment8\nDEMO0001,50\n", encoding="utf-8")
    command = ["track", str(drop(tmp_path)), "--targets", str(read), "--format", "json"]
    return [*command, "--out", str(read)], read, "--targets"


def track_over_columns(tmp_path: Path) -> tuple[list[str], Path, str]:
    read = tmp_path / "cols.toml"
    read.write_text('[columns]\nupn = "UPN"\n', encoding="utf-8")
    command = ["track", str(drop(tmp_path)), "--columns", str(read), "--format", "md"]
    return [*command, "--out", str(read)], read, "--columns"


def track_over_subgrades(tmp_path: Path) -> tuple[list[str], Path, str]:
    read = tmp_path / "sub.toml"
    read.write_text("[subgrades]\nplus = 0.33\n", encoding="utf-8")
    command = ["track", str(drop(tmp_path)), "--subgrades", str(read), "--format", "json"]
    return [*command, "--out", str(read)], read, "--subgrades"


def tracking_log_on_a_drop(tmp_path: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "drops").mkdir()
    read = drop(tmp_path / "drops")
    config = tmp_path / "tracking.toml"
    config.write_text(
        '[input]\nfolder = "drops"\nglob = "*.csv"\n'
        f'[output]\nfolder = "out"\nlog = "../drops/{read.name}"\n',
        encoding="utf-8",
    )
    return ["track", "--config", str(config)], read, "a drop"


CASES = [
    previous_summary,
    baseline_in_the_folder,
    hard_link_to_the_export,
    pack_over_estimates,
    pack_over_a_template,
    track_over_targets,
    track_over_columns,
    track_over_subgrades,
    tracking_log_on_a_drop,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_no_output_is_written_over_a_file_the_run_reads(tmp_path, case):
    command, read, option = case(tmp_path)
    before = read.read_bytes()
    result = invoke(*command)
    assert result.exit_code == 2, result.output
    assert "never writes over its input" in result.stderr
    assert option in result.stderr
    assert "Traceback" not in result.output
    assert read.read_bytes() == before
    assert not [p for p in tmp_path.rglob(".schoolperf-staging-*")]


def test_the_check_names_every_clash_at_once(tmp_path):
    """The library's one check: every output against every input, links followed."""
    from schoolperf.errors import InputError
    from schoolperf.outputs.staging import protect_inputs

    read = tmp_path / "read.csv"
    read.write_text("x\n")
    (tmp_path / "link.csv").symlink_to(read)
    inputs = [("--previous", read), ("--columns", None)]
    with pytest.raises(InputError) as error:
        protect_inputs(inputs, [tmp_path / "link.csv", tmp_path / "other.csv", read])
    assert [p.file for p in error.value.problems] == [str(tmp_path / "link.csv"), str(read)]
    assert {p.code for p in error.value.problems} == {"output-is-input"}
