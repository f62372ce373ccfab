"""A hostile or mistaken tracking.toml: exit 2 with one clear line naming the file and what is
wrong, and its problem code, before any drop is read or any file written; never an internal
error (exit 3), and never a NaN limit that silently never fires."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schoolperf.errors import InputError
from tests.conftest import DEMO, invoke

GOOD = """\
[input]
folder = "drops"
glob = "y11_*.csv"
[output]
folder = "out"
formats = ["json"]
[analysis]
estimates = "2024"
[alerts]
progress8_below = -0.5
"""


def configured(tmp_path: Path, old: str = "", new: str = "") -> Path:
    """tracking.toml (``old`` replaced by ``new``) beside a folder with one drop."""
    (tmp_path / "drops").mkdir()
    shutil.copy(DEMO, tmp_path / "drops" / "y11_2025-10-15.csv")
    assert old in GOOD
    path = tmp_path / "tracking.toml"
    path.write_text(GOOD.replace(old, new, 1))
    return path


def refused(path: Path) -> tuple[str, list[str]]:
    """Run ``track --config PATH``: exit 2 naming the file, no traceback, nothing written; its
    standard error and problem codes (from the same run with --debug, which raises)."""
    result = invoke("track", "--config", str(path), "--quiet")
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stderr.startswith("error: ")
    raised = invoke("track", "--config", str(path), "--debug").exception
    assert isinstance(raised, InputError), repr(raised)
    out = path.parent / "out"
    assert not out.is_dir() or not list(out.glob("tracking_*")), "outputs were written"
    return result.stderr, [p.code for p in raised.problems]


def test_the_good_configuration_runs(tmp_path):
    assert invoke("track", "--config", str(configured(tmp_path))).exit_code == 0


def test_nested_too_deeply(tmp_path):
    path = configured(tmp_path)
    path.write_text("a = " + "[" * 10_000 + "]" * 10_000 + "\n")
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml: is nested too deeply to be read as TOML" in stderr


def test_input_that_is_not_a_table(tmp_path):
    path = configured(tmp_path)
    path.write_text("input = 5\n" + GOOD[GOOD.index("[output]") :])
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml, value '5': has input = …, where an [input] table belongs" in stderr


def test_absolute_glob(tmp_path):
    path = configured(tmp_path, 'glob = "y11_*.csv"', f'glob = "{tmp_path}/drops/y11_*.csv"')
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml" in stderr and "is not relative to the input folder" in stderr


def test_output_folder_that_is_a_file(tmp_path):
    path = configured(tmp_path)
    (tmp_path / "out").write_text("not a folder\n")
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml" in stderr and "[output] folder" in stderr and "is a file" in stderr


def test_log_that_is_a_folder(tmp_path):
    """Found before anything is written, not after the outputs."""
    path = configured(tmp_path, 'folder = "out"', 'folder = "out"\nlog = "logs"')
    (tmp_path / "out" / "logs").mkdir(parents=True)
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml" in stderr and "[output] log" in stderr and "is a folder" in stderr


def test_alert_limit_that_is_nan(tmp_path):
    """A NaN limit is never crossed, so the alert would never fire: refused."""
    path = configured(tmp_path, "progress8_below = -0.5", "progress8_below = nan")
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml" in stderr and "progress8_below = nan" in stderr


@pytest.mark.parametrize("value", ["nan", "inf", '"half"'])
def test_p8_fall_that_is_not_a_finite_number(tmp_path, value):
    path = configured(tmp_path, 'estimates = "2024"', f'estimates = "2024"\np8_fall = {value}')
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml" in stderr and "[analysis] p8_fall" in stderr


def test_subgrade_that_is_nan(tmp_path):
    path = configured(tmp_path, "[alerts]", "[subgrades]\nminus = nan\n[alerts]")
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml" in stderr and "[subgrades] minus must be numbers" in stderr


def test_analysis_value_of_the_wrong_kind(tmp_path):
    path = configured(tmp_path, 'estimates = "2024"', "estimates = 2024")
    stderr, codes = refused(path)
    assert codes == ["bad-config"]
    assert "tracking.toml" in stderr and "[analysis] estimates = 2024 is not a name" in stderr


def test_targets_that_are_not_numbers(tmp_path):
    path = configured(tmp_path, 'estimates = "2024"', 'estimates = "2024"\ntargets = "t.csv"')
    (tmp_path / "t.csv").write_text("upn,target_attainment8\nA1,50\nA2,n/a!\n")
    stderr, codes = refused(path)
    assert codes == ["bad-targets"]
    assert "t.csv, column 'target_attainment8', value 'n/a!'" in stderr
