"""Regression tests for the third review: governor privacy with column groups, chart labels,
tracking audiences, clean errors for broken templates and configurations, stale locks, and
sub-grade thresholds."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.cli import cli
from tests.conftest import DEMO, write_long
from tests.test_tracking import config, write_drop


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_name_columns_cannot_define_groups(tmp_path):
    result = invoke(
        "pack",
        str(DEMO),
        "--audience",
        "governors",
        "--group",
        "forename",
        "--out",
        str(tmp_path / "p.html"),
    )
    assert result.exit_code == 2
    assert "names or identifies pupils" in result.stderr
    assert not (tmp_path / "p.html").exists()


def test_column_groups_get_secondary_suppression(tmp_path):
    pupils = {
        f"P{i:02d}": {
            "Tutor": "11F" if i < 3 else f"11{'ABC'[i % 3]}",
            "results": [("Maths", str(3 + i % 6))],
        }
        for i in range(30)
    }
    analysis = analyse(write_long(tmp_path / "r.csv", pupils), AnalysisOptions(groups=("Tutor",)))
    shown = {k: v["suppressed"] for k, v in analysis.groups.items() if k.startswith("Tutor=")}
    assert shown["Tutor=11F"] and sum(shown.values()) == 2  # 11F and the next-smallest


def test_dollar_signs_in_chart_labels(tmp_path):
    pupils = {
        f"P{i}": {
            "ks2": (105, 105),
            "Tutor": "Tom $\\frac$",
            "results": [("Maths", "5"), ("English Language", "6")],
        }
        for i in range(8)
    }
    export = write_long(tmp_path / "r.csv", pupils)
    result = invoke(
        "pack",
        str(export),
        "--audience",
        "staff",
        "--group",
        "Tutor",
        "--out",
        str(tmp_path / "p.html"),
    )
    assert result.exit_code == 0, result.stderr


def test_governor_tracking_has_no_pupils_and_suppresses_small_subjects(tmp_path):
    first = write_drop(tmp_path / "y11_2025-10-15.csv", {})
    second = write_drop(tmp_path / "y11_2026-01-20.csv", {"P00": "3"})
    doc = json.loads(
        invoke(
            "track", str(first), str(second), "--format", "json", "--audience", "governors"
        ).stdout
    )
    assert doc["falling_pupils"] == [] and doc["falling_pupils_count"] == 1
    assert "P00" not in json.dumps(doc)


def test_cron_governor_json_has_no_upns(tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    write_drop(drops / "y11_2025-10-15.csv", {})
    write_drop(drops / "y11_2026-01-20.csv", {"P00": "3"})
    cfg = config(tmp_path)
    cfg.write_text(
        cfg.read_text().replace(
            'formats = ["json", "md", "html"]', 'formats = ["json"]\naudience = "Governors"'
        )
    )
    assert invoke("track", "--config", str(cfg)).exit_code == 0
    text = (tmp_path / "out" / "tracking_2026-01-20.json").read_text()
    assert "P00" not in text


@pytest.mark.parametrize(
    "replace, message",
    [
        ('formats = ["json", "md", "html"]', 'formats = "pdf"'),
        ("[alerts]", '[subgrades]\nplus = "abc"\n[alerts]'),
    ],
)
def test_bad_tracking_configuration_is_exit_2_and_writes_nothing(tmp_path, replace, message):
    drops = tmp_path / "drops"
    drops.mkdir()
    write_drop(drops / "y11_2025-10-15.csv", {})
    cfg = config(tmp_path)
    cfg.write_text(cfg.read_text().replace(replace, message))
    result = invoke("track", "--config", str(cfg))
    assert result.exit_code == 2 and "tracking.toml" in result.stderr
    assert not (tmp_path / "out").exists()


def test_empty_lock_file_is_stale(tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    write_drop(drops / "y11_2025-10-15.csv", {})
    cfg = config(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".schoolperf-track.lock").write_text("")
    assert invoke("track", "--config", str(cfg)).exit_code == 0


def test_broken_template_is_a_clean_error(tmp_path):
    override = tmp_path / "t" / "html"
    override.mkdir(parents=True)
    pack = [
        "pack",
        str(DEMO),
        "--audience",
        "staff",
        "--out",
        str(tmp_path / "p.html"),
        "--template",
        str(tmp_path / "t"),
    ]
    (override / "_groups.html").write_text("{{ no_such_variable }}")
    result = invoke(*pack)
    assert result.exit_code == 2 and "could not be rendered" in result.stderr
    (override / "_groups.html").write_text("{% if %}")
    result = invoke(*pack)
    assert result.exit_code == 2 and "_groups.html, row 1" in result.stderr


def test_unwritable_output_is_a_clean_error(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = invoke("analyse", str(DEMO), "--out", str(blocker / "out"))
    assert result.exit_code == 2 and "cannot be written" in result.stderr


def test_minus_subgrade_still_counts_as_the_grade_for_thresholds(tmp_path):
    drop = write_drop(tmp_path / "y11_2025-10-15.csv", {"P00": "4-"})
    mapping = tmp_path / "sub.toml"
    mapping.write_text("[subgrades]\nminus = -0.33\n")
    doc = json.loads(
        invoke("track", str(drop), "--subgrades", str(mapping), "--format", "json").stdout
    )
    assert doc["drops"][0]["school"]["basics_4_pct"] == 100.0
    assert doc["drops"][0]["school"]["attainment8"] == pytest.approx((11 * 50 + 36.7) / 12)
