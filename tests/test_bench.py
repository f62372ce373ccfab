"""The benchmark: the national file, the reference query beside it, and the timings printed."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from schoolperf.analysis import analyse


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    from schoolperf.bench.national import write_national

    path = tmp_path_factory.mktemp("national") / "national.csv"
    write_national(path, 900)
    return path


def test_national_file_is_seeded_and_in_the_canonical_layout(national, tmp_path):
    from schoolperf.bench.national import write_national

    again = tmp_path / "again.csv"
    rows = write_national(again, 900)
    assert again.read_bytes() == national.read_bytes()
    table = pd.read_csv(national, dtype=str)
    assert len(table) == rows and table["upn"].nunique() == 900
    assert list(table.columns[:3]) == ["upn", "school", "gender"]
    assert table["school"].nunique() == 5  # 180 pupils a school


def test_reference_query_agrees_with_schoolperf_on_the_national_file(national, tmp_path):
    """The yardstick's simplified rules give schoolperf's own A8 and P8, pupil by pupil, on the
    file it was written for: the speed comparison is of the same work."""
    from schoolperf.bench.reference import write_outputs

    count, attainment8, progress8 = write_outputs(national, tmp_path)
    reference = pd.read_csv(tmp_path / "pupils.csv").set_index("upn").sort_index()
    pupils = analyse(national).pupils.sort_index()
    assert count == len(pupils) == 900
    assert (tmp_path / "slots.csv").stat().st_size > 0
    for column in ("attainment8", "attainment8_english", "attainment8_open", "progress8"):
        pd.testing.assert_series_equal(
            reference[column], pupils[column].astype(float), check_names=False, atol=1e-9
        )
    assert attainment8 == pytest.approx(pupils["attainment8"].mean())


def test_benchmark_prints_each_command_beside_the_bare_read_and_the_reference(tmp_path, capsys):
    from schoolperf.bench import main

    main(["--pupils", "600", "--repeat", "1", "--keep", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "national file: 600 pupils" in printed
    for name in ("bare pyarrow read", "reference query", "schoolperf analyse --by school"):
        line = re.search(
            rf"  {re.escape(name)} +([\d.]+) s  peak +([\d.]+) GB .*× reference", printed
        )
        assert line and float(line.group(1)) > 0, name
    for name in ("schoolperf --help", "analyse of the demo cohort", "pack of the demo cohort"):
        assert re.search(rf"  {re.escape(name)} +[\d.]+ s", printed), name
    for out in ("whole", "by-school", "reference"):
        assert (tmp_path / out / "pupils.csv").exists()
    assert (tmp_path / "whole" / "slots.csv").exists() and (tmp_path / "pack.html").exists()


def test_benchmark_without_keep_leaves_no_file(tmp_path, monkeypatch, capsys):
    import tempfile

    from schoolperf.bench import main

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    main(["--pupils", "200", "--repeat", "1"])
    assert "reference query" in capsys.readouterr().out
    assert not list(tmp_path.glob("schoolperf-bench-*"))
