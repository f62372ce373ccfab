"""Many schools in one file (issue 9): per-school figures from one run equal each school alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from schoolperf.api import AnalysisOptions, analyse
from schoolperf.bench import generate

COMPARED = [
    "pupils",
    "attainment8",
    "attainment8_english",
    "attainment8_open",
    "progress8",
    "progress8_ci_low",
    "progress8_ci_high",
    "progress8_banding",
    "progress8_adjusted",
    "progress8_pupils",
    "basics_4_pct",
    "basics_5_pct",
    "ebacc_aps",
    "ebacc_entry_pct",
    "ebacc_slots_filled",
]


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    path = tmp_path_factory.mktemp("scale") / "national.csv"
    generate(path, pupils=2400, seed=7, per_school=12)  # about 200 schools
    return path


def test_per_school_figures_equal_each_school_alone(national, tmp_path):
    together = analyse(national, AnalysisOptions(by="school"))
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    assert len(together.by) >= 150
    for urn, school_rows in rows.groupby("School"):
        path = tmp_path / f"{urn}.csv"
        school_rows.to_csv(path, index=False)
        alone = analyse(path).school
        mine = together.by[str(urn)]
        for key in COMPARED:
            expected, got = alone[key], mine[key]
            if isinstance(expected, float) and np.isnan(expected):
                expected = None
            if expected is None or isinstance(expected, str):
                assert got == expected, (urn, key)
            else:
                assert got == pytest.approx(expected, abs=1e-9), (urn, key)


def test_roll_up_is_pupil_weighted(national):
    together = analyse(national, AnalysisOptions(by="school"))
    schools = pd.DataFrame(together.by).T
    weighted = (schools["attainment8"] * schools["pupils"]).sum() / schools["pupils"].sum()
    assert together.school["attainment8"] == pytest.approx(weighted)


def test_same_upn_in_two_schools_are_two_pupils(tmp_path):
    path = tmp_path / "trust.csv"
    path.write_text("School,UPN,Subject,Grade\n1,A,Maths,5\n2,A,Maths,7\n")
    analysis = analyse(path, AnalysisOptions(by="School"))
    assert analysis.by["1"]["attainment8"] == 10 and analysis.by["2"]["attainment8"] == 14


def test_parquet_outputs(tmp_path):
    from click.testing import CliRunner

    from schoolperf.cli import cli
    from tests.conftest import DEMO

    result = CliRunner().invoke(
        cli,
        ["analyse", str(DEMO), "--out", str(tmp_path), "--out-format", "parquet", "--summary-only"],
    )
    assert result.exit_code == 0
    pupils = pd.read_parquet(tmp_path / "pupils.parquet")
    assert len(pupils) == 180 and "attainment8" in pupils
    import json

    assert json.loads((tmp_path / "summary.json").read_text())["pupils"] is None
