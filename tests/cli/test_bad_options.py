"""Hostile files and numbers given to options (--columns, --subgrades, --previous, --targets,
--benchmark, --baseline-norm, --chunk-mb, --p8-fall): each is exit 2 with one clear line naming
the file or option, and its problem code; never an internal error (exit 3) or a silent exit 0."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from schoolperf.errors import InputError
from tests.conftest import DEMO, invoke

DEEP_TOML = "a = " + "[" * 10_000 + "]" * 10_000 + "\n"


def refused(*args: str) -> tuple[str, list[str]]:
    """Run ``schoolperf ARGS``: exit 2, no traceback; its standard error and problem codes
    (the codes from the same run with --debug, which raises the error)."""
    result = invoke(*args)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stderr.startswith("error: ")
    raised = invoke(*args, "--debug").exception
    assert isinstance(raised, InputError), repr(raised)
    return result.stderr, [p.code for p in raised.problems]


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """The demo cohort as a dated tracking drop."""
    return Path(shutil.copy(DEMO, tmp_path / "y11_2025-10-15.csv"))


def test_columns_that_is_not_a_table(tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("columns = 5\n")
    stderr, codes = refused("analyse", str(DEMO), "--columns", str(mapping))
    assert codes == ["bad-column-map"]
    assert "mapping.toml" in stderr and "not as a table" in stderr


def test_columns_nested_too_deeply(tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(DEEP_TOML)
    stderr, codes = refused("analyse", str(DEMO), "--columns", str(mapping))
    assert codes == ["bad-column-map"]
    assert "mapping.toml: is nested too deeply" in stderr


def test_subgrades_nested_too_deeply(drop, tmp_path):
    mapping = tmp_path / "subgrades.toml"
    mapping.write_text(DEEP_TOML)
    stderr, codes = refused("track", str(drop), "--subgrades", str(mapping))
    assert codes == ["bad-subgrades"]
    assert "subgrades.toml: is nested too deeply" in stderr


def test_subgrade_that_is_nan(drop, tmp_path):
    mapping = tmp_path / "subgrades.toml"
    mapping.write_text("[subgrades]\nplus = nan\n")
    stderr, codes = refused("track", str(drop), "--subgrades", str(mapping))
    assert codes == ["bad-subgrades"]
    assert "subgrades.toml" in stderr and "plus must be numbers" in stderr


def test_previous_nested_too_deeply(tmp_path):
    summary = tmp_path / "summary.json"
    summary.write_text("[" * 100_000 + "]" * 100_000)
    stderr, codes = refused("analyse", str(DEMO), "--previous", str(summary))
    assert codes == ["bad-previous"]
    assert "summary.json: is nested too deeply" in stderr


def test_previous_with_a_list_for_the_school_table(tmp_path):
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"label": "2025", "school": [1, 2]}))
    stderr, codes = refused("analyse", str(DEMO), "--previous", str(summary))
    assert codes == ["bad-previous"]
    assert "summary.json" in stderr and "no school table" in stderr


def test_previous_with_text_for_a_number(tmp_path):
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"label": "2025", "school": {"attainment8": "high"}}))
    stderr, codes = refused("analyse", str(DEMO), "--previous", str(summary))
    assert codes == ["bad-previous"]
    assert "summary.json, value 'high'" in stderr and "attainment8 is not a number" in stderr


def test_chunk_mb_nan():
    stderr, codes = refused("analyse", str(DEMO), "--chunk-mb", "nan")
    assert codes == ["bad-number"]
    assert "--chunk-mb nan is not a finite number" in stderr


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_p8_fall_that_is_not_finite(drop, value):
    """A NaN threshold would never list a pupil: refused, not silently ignored."""
    stderr, codes = refused("track", str(drop), "--p8-fall", value)
    assert codes == ["bad-number"]
    assert f"--p8-fall {value} is not a finite number" in stderr


def test_targets_that_are_not_numbers(drop, tmp_path):
    with open(DEMO, encoding="utf-8") as f:
        upn = next(csv.DictReader(f))["UPN"]
    targets = tmp_path / "targets.csv"
    targets.write_text(f"upn,target_attainment8\n{upn},fifty\n")
    stderr, codes = refused("track", str(drop), "--targets", str(targets))
    assert codes == ["bad-targets"]
    assert "targets.csv, column 'target_attainment8', value 'fifty'" in stderr


def test_benchmark_that_is_a_binary_file(tmp_path):
    binary = tmp_path / "england_ks4final.csv"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    stderr, codes = refused("compare", str(DEMO), "--benchmark", str(binary))
    assert codes == ["not-a-ks4-file"]
    assert "england_ks4final.csv: is a binary file" in stderr


def _benchmark(tmp_path: Path, change) -> Path:  # noqa: ANN001 - a function of the lines
    """The embedded benchmark with its lines changed by ``change``."""
    from schoolperf.ingest.benchmark import DEFAULT_BENCHMARK

    lines = DEFAULT_BENCHMARK.read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / "england_ks4final.csv"
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    return path


def test_benchmark_with_a_row_shifted_by_an_unquoted_comma(tmp_path):
    """A school name with an unquoted comma moves every figure of its row one column to the
    right: refused, not read from the wrong columns."""
    path = _benchmark(
        tmp_path,
        lambda lines: [*lines[:3], lines[3].replace("Acland", "Acland, Burghley"), *lines[4:]],
    )
    stderr, codes = refused("compare", str(DEMO), "--benchmark", str(path))
    assert codes == ["extra-cells"]
    assert "england_ks4final.csv, row 4: has 1 row with more cells" in stderr


def test_benchmark_with_a_record_type_that_is_not_one(tmp_path):
    path = _benchmark(tmp_path, lambda lines: [lines[0], *("1.5" + r[1:] for r in lines[1:])])
    stderr, codes = refused("compare", str(DEMO), "--benchmark", str(path))
    assert codes == ["not-a-ks4-file"]
    assert "england_ks4final.csv, column 'RECTYPE', value '1.5'" in stderr


def test_baseline_norm_with_a_nan_mean(tmp_path):
    """A NaN mean would give every pupil no prior attainment without a word: refused."""
    with open(DEMO, encoding="utf-8") as f:
        upns = sorted({row["UPN"] for row in csv.DictReader(f)})
    baseline = tmp_path / "baseline.csv"
    baseline.write_text("UPN,Baseline\n" + "".join(f"{u},100\n" for u in upns))
    args = ("analyse", str(DEMO), "--baseline", str(baseline), "--baseline-norm", "nan", "15")
    stderr, codes = refused(*args)
    assert codes == ["bad-baseline-norm"]
    assert "--baseline-norm nan 15 is not a finite mean" in stderr
