"""Tracking points: three synthetic drops with known movements, sub-grades (a sub-grade still
counting as its grade for thresholds), governor reports without pupils, and the unattended cron
run (identical reruns, one history row per drop, untouched outputs on bad input or a bad
configuration, and a lock against a second run that a dead or empty lock does not block)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from schoolperf.cli import cli
from schoolperf.errors import InputError
from schoolperf.measures.points import SubgradeMapping, subgrade_points
from schoolperf.tracking import run_config
from tests.conftest import invoke

ESTIMATE = 45.12  # 2024 table, KS2 105/105 → group 19
SUBJECTS = [
    "English Language",
    "English Literature",
    "Maths",
    "History",
    "French",
    "Geography",
    "Art",
    "Drama",
]  # one grade g everywhere → A8 = 10 g
DROPS = {
    "y11_2025-10-15.csv": {},
    "y11_2026-01-20.csv": {"P00": "4+"},
    "y11_2026-03-30.csv": {"P01": "5/6", "P02": "6.5"},
}


def write_drop(path: Path, changes: dict[str, str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["UPN", "PP", "KS2 Reading", "KS2 Maths", "Subject", "Grade"])
        for i in range(12):
            upn = f"P{i:02d}"
            for subject in SUBJECTS:
                writer.writerow(
                    [upn, "Y" if i < 6 else "N", 105, 105, subject, changes.get(upn, "5")]
                )
    return path


@pytest.fixture
def drops(tmp_path) -> list[Path]:
    folder = tmp_path / "drops"
    folder.mkdir()
    return [write_drop(folder / name, changes) for name, changes in DROPS.items()]


def p8(g: float) -> float:
    return (10 * g - ESTIMATE) / 10


def test_three_drops_movements_and_falling_pupils(drops):
    runner = CliRunner()
    result = runner.invoke(cli, ["track", *map(str, reversed(drops)), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [d["label"] for d in doc["drops"]] == ["2025-10-15", "2026-01-20", "2026-03-30"]
    a8 = [d["school"]["attainment8"] for d in doc["drops"]]
    assert a8 == pytest.approx([50, (11 * 50 + 40) / 12, (11 * 50 + 65) / 12])
    assert doc["movement"]["attainment8"]["since_previous"] == pytest.approx(a8[2] - a8[1])
    assert doc["movement"]["attainment8"]["since_first"] == pytest.approx(a8[2] - a8[0])
    school_p8 = doc["drops"][2]["school"]["progress8"]
    assert school_p8 == pytest.approx((10 * p8(5) + p8(5) + p8(6.5)) / 12)
    dis = [d["groups"]["disadvantaged"]["progress8"] for d in doc["drops"]]
    assert dis == pytest.approx([p8(5), (5 * p8(5) + p8(4)) / 6, (5 * p8(5) + p8(6.5)) / 6])
    gaps = doc["disadvantaged_gap"]["by_drop"]
    assert gaps == pytest.approx([v - 0.16 for v in dis])  # DIFFN: national non-disadvantaged
    # between the last two drops P00 rose back and P02 rose: nobody fell
    assert doc["falling_pupils"] == []
    art = doc["subjects"]["Art and Design"]
    assert art["average_points"] == pytest.approx([5, (11 * 5 + 4) / 12, (11 * 5 + 6.5) / 12])


def test_falling_pupil_listed_between_two_drops(drops):
    doc = json.loads(
        CliRunner().invoke(cli, ["track", str(drops[0]), str(drops[1]), "--format", "json"]).stdout
    )
    assert doc["falling_pupils"] == [
        {
            "upn": "P00",
            "from": pytest.approx(p8(5)),
            "to": pytest.approx(p8(4)),
            "change": pytest.approx(-1.0),
        }
    ]


def test_labels_order_undated_drops(tmp_path):
    first = write_drop(tmp_path / "autumn.csv", {})
    second = write_drop(tmp_path / "spring.csv", {"P03": "7"})
    runner = CliRunner()
    refused = runner.invoke(cli, ["track", str(first), str(second)])
    assert refused.exit_code == 2 and "no date in its name" in refused.stderr
    doc = json.loads(
        runner.invoke(
            cli, ["track", str(first), str(second), "--labels", "Autumn,Spring", "--format", "json"]
        ).stdout
    )
    assert [d["label"] for d in doc["drops"]] == ["Autumn", "Spring"]
    assert doc["movement"]["attainment8"]["since_previous"] == pytest.approx(20 / 12)


@pytest.mark.parametrize(
    "grade, default, custom",
    [
        ("6+", 6, 6.33),
        ("6=", 6, 6),
        ("6-", 6, 5.67),
        ("5/6", 5, 5.5),
        ("6.5", 6.5, 6.5),
        ("5a", 5, 5.67),
        ("5b", 5, 5.33),
        ("5c", 5, 5),
        ("9+", 9, 9),
        ("1-", 1, 0.67),
    ],
)
def test_subgrade_notations(grade, default, custom):
    custom_map = SubgradeMapping(plus=0.33, minus=-0.33, slash="mean", letter_a=0.67, letter_b=0.33)
    grades = pd.Series([grade])
    assert subgrade_points(grades, SubgradeMapping()).iloc[0] == pytest.approx(default)
    assert subgrade_points(grades, custom_map).iloc[0] == pytest.approx(custom)


def test_subgrades_are_errors_outside_tracking(tmp_path):
    path = write_drop(tmp_path / "results.csv", {"P00": "6+"})
    result = CliRunner().invoke(cli, ["analyse", str(path)])
    assert result.exit_code == 2 and "value '6+'" in result.stderr


def test_minus_subgrade_still_counts_as_the_grade_for_thresholds(tmp_path):
    """A 4- is worth a third of a grade less in A8, but still a 4 for the basics threshold."""
    drop = write_drop(tmp_path / "y11_2025-10-15.csv", {"P00": "4-"})
    mapping = tmp_path / "sub.toml"
    mapping.write_text("[subgrades]\nminus = -0.33\n")
    doc = json.loads(
        invoke("track", str(drop), "--subgrades", str(mapping), "--format", "json").stdout
    )
    assert doc["drops"][0]["school"]["basics_4_pct"] == 100.0
    assert doc["drops"][0]["school"]["attainment8"] == pytest.approx((11 * 50 + 36.7) / 12)


def config(tmp_path: Path, **alerts: float) -> Path:
    lines = [
        "[input]",
        'folder = "drops"',
        'glob = "y11_*.csv"',
        "[output]",
        'folder = "out"',
        'formats = ["json", "md", "html"]',
        "[analysis]",
        'estimates = "2024"',
        "min_group = 6",
        "[alerts]",
    ]
    lines += [f"{k} = {v}" for k, v in alerts.items()]
    path = tmp_path / "tracking.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix != ".log"}


def test_cron_run_twice_identical_and_one_history_row_per_drop(drops, tmp_path):
    cfg = config(tmp_path, progress8_below=0.5, pupils_falling_above=3)
    runner = CliRunner()
    first = runner.invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    out = tmp_path / "out"
    before = snapshot(out)
    second = runner.invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert second.exit_code == 0
    assert snapshot(out) == before
    assert set(before) == {
        ".schoolperf-track-alerts.json",
        "tracking_2026-03-30.json",
        "tracking_2026-03-30.md",
        "tracking_2026-03-30.html",
        "history.csv",
    }
    history = pd.read_csv(out / "history.csv")
    assert history["label"].tolist() == ["2025-10-15", "2026-01-20", "2026-03-30"]
    log = (out / "tracking.log").read_text()
    assert log.count("3 drops") == 2 and "P00" not in log


def test_alert_fires_with_exit_1(drops, tmp_path):
    cfg = config(tmp_path, progress8_below=0.7)
    result = CliRunner().invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert result.exit_code == 1
    assert "below the alert level of +0.70" in result.stderr
    assert "alert: projected Progress 8 is +0." in result.stderr
    doc = json.loads((tmp_path / "out" / "tracking_2026-03-30.json").read_text())
    fired = {a["alert"]: a["fired"] for a in doc["alerts"]}
    assert fired == {"progress8_below": True}


def test_gap_widening_alert(drops, tmp_path):
    (drops[2]).unlink()  # latest drop is January: the gap widened by 1/6 P8
    cfg = config(tmp_path, gap_widening=0.15)
    result = CliRunner().invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert result.exit_code == 1
    # the gap's change and its new value stated apart, signs reading the right way
    doc = json.loads((tmp_path / "out" / "tracking_2026-01-20.json").read_text())
    gaps = doc["disadvantaged_gap"]["by_drop"]
    [alert] = [a for a in doc["alerts"] if a["alert"] == "gap_widening"]
    assert alert["fired"] and gaps[-1] < gaps[-2]
    moved = "widened" if gaps[-1] < 0 else "fell"  # (here disadvantaged pupils are ahead)
    assert (
        f"gap to non-disadvantaged pupils nationally {moved} by {gaps[-2] - gaps[-1]:.2f} to "
        f"{gaps[-1]:+.2f} since the last drop (alert when it widens by more than 0.15)"
    ) in alert["message"]


def test_corrupt_drop_exits_2_and_leaves_outputs(drops, tmp_path):
    cfg = config(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["track", "--config", str(cfg), "--quiet"]).exit_code == 0
    before = snapshot(tmp_path / "out")
    bad = drops[0].parent / "y11_2026-05-01.csv"
    bad.write_text("UPN,Subject,Grade\nP00,Maths,Z9\n")
    result = runner.invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert result.exit_code == 2
    assert "y11_2026-05-01.csv, row 2" in result.stderr
    assert snapshot(tmp_path / "out") == before
    assert "bad input" in (tmp_path / "out" / "tracking.log").read_text()


def test_bad_drops_count_every_problem(drops, tmp_path):
    """Two drops with more problems of a kind than are listed (a different bad grade on each
    row: one bad grade on many rows is one problem): each drop's unlisted ones are counted
    under its own file, and the log and the message count all of them."""
    cfg = config(tmp_path)
    for name, bad in (("y11_2026-05-01.csv", 503), ("y11_2026-06-01.csv", 520)):
        rows = "".join(f"P{i:03d},Maths,Q{i}\n" for i in range(bad))
        (drops[0].parent / name).write_text("UPN,Subject,Grade\n" + rows)
    with pytest.raises(InputError) as error:
        run_config(cfg)
    counted = [p.describe() for p in error.value.problems if p.row is None]
    assert counted == [
        "y11_2026-05-01.csv, column 'Grade': 3 more of this problem, like those above, are not "
        "listed. Fix the rows listed, then run again (or schoolperf validate) to list the rest.",
        "y11_2026-06-01.csv, column 'Grade': 20 more of this problem, like those above, are not "
        "listed. Fix the rows listed, then run again (or schoolperf validate) to list the rest.",
    ]
    assert error.value.count == 1023
    result = CliRunner().invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert result.exit_code == 2
    # 200 of the 1,000 listed printed, then the other 800 and the 23 counted
    assert result.stderr.count("error: ") == 200
    assert "… and 823 more problems" in result.stderr
    log = (tmp_path / "out" / "tracking.log").read_text()
    assert "bad input: 1,023 problems; nothing written" in log


@pytest.mark.parametrize(
    "replace, message",
    [
        ('formats = ["json", "md", "html"]', 'formats = "pdf"'),
        ("[alerts]", '[subgrades]\nplus = "abc"\n[alerts]'),
    ],
)
def test_bad_tracking_configuration_is_exit_2_and_writes_nothing(tmp_path, replace, message):
    """Formats that are not a list, or a sub-grade value that is not a number: exit 2 naming
    tracking.toml, and no output folder made."""
    drops = tmp_path / "drops"
    drops.mkdir()
    write_drop(drops / "y11_2025-10-15.csv", {})
    cfg = config(tmp_path)
    cfg.write_text(cfg.read_text().replace(replace, message))
    result = invoke("track", "--config", str(cfg))
    assert result.exit_code == 2 and "tracking.toml" in result.stderr
    assert not (tmp_path / "out").exists()


def test_second_run_refused_while_one_is_going(drops, tmp_path):
    cfg = config(tmp_path)
    lock = tmp_path / "out" / ".schoolperf-track.lock"
    lock.parent.mkdir()
    lock.write_text(str(os.getpid()))  # this process is alive: a run "in progress"
    result = CliRunner().invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    # its own exit status (not bad input's 2), and a line in the log
    assert result.exit_code == 4 and "another tracking run is in progress" in result.stderr
    log = (tmp_path / "out" / "tracking.log").read_text()
    assert "refused: another tracking run holds the lock; nothing done" in log
    lock.write_text("999999999")  # a dead process: a stale lock is taken over
    assert CliRunner().invoke(cli, ["track", "--config", str(cfg)]).exit_code == 0
    assert not lock.exists()


def test_empty_lock_file_is_stale(tmp_path):
    """A lock file holding no process (left by a crash as it was written) does not block a run."""
    drops = tmp_path / "drops"
    drops.mkdir()
    write_drop(drops / "y11_2025-10-15.csv", {})
    cfg = config(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".schoolperf-track.lock").write_text("")
    assert invoke("track", "--config", str(cfg)).exit_code == 0


def test_markdown_and_governor_reports(drops, tmp_path):
    runner = CliRunner()
    staff = runner.invoke(cli, ["track", *map(str, drops[:2]), "--format", "md"]).stdout
    governors = runner.invoke(
        cli, ["track", *map(str, drops[:2]), "--format", "md", "--audience", "governors"]
    ).stdout
    assert "| P00 |" in staff and "P00" not in governors
    # one format per kind of figure, as in the packs: A8 to one place, % with its sign
    assert re.search(r"\| Attainment 8 \| \d+\.\d \| \d+\.\d \| (0\.0|[+-]\d+\.\d) \|", governors)
    pct = r"\| Grade 4\+ in English and maths \| [\d.]+% \| [\d.]+% \| (0\.0|[+-][\d.]+) pts \|"
    assert re.search(pct, governors)
    # the gap and its change, apart
    assert re.search(r"nationally: ([+-]\d\.\d\d|–) at \S+, a change of \S+ since ", governors)
    out = tmp_path / "report.html"
    runner.invoke(cli, ["track", *map(str, drops), "--format", "html", "--out", str(out)])
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_governor_tracking_has_no_pupils_and_suppresses_small_subjects(tmp_path):
    """For governors the falling pupils are counted, never listed, and no UPN appears."""
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
    """The unattended run configured for governors writes JSON without a UPN."""
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


def test_history_neutralises_formulas_in_drop_names():
    """A drop named ``=HYPERLINK("…")_2024-01-01.csv`` landed raw in history.csv."""
    from schoolperf.tracking import history_table

    name = '=HYPERLINK("http://example.invalid","x")_2024-01-01.csv'
    document = {
        "drops": [
            {"label": name, "date": "2024-01-01", "file": name, "pupils": 3, "school": {}},
            {"label": "+SUM(1)", "date": "2024-02-01", "file": "-2.csv", "pupils": 3, "school": {}},
        ]
    }
    history = pd.read_csv(io.StringIO(history_table(document)), dtype=str)
    assert history["label"].tolist() == ["'" + name, "'+SUM(1)"]
    assert history["file"].tolist() == ["'" + name, "'-2.csv"]


@pytest.mark.parametrize("heading", ["Predicted Grade", "Working At Grade", "Forecast Grade"])
def test_a_predicted_grade_heading_is_read_as_the_grade(tmp_path, heading):
    path = write_drop(tmp_path / "spring_2026-03-01.csv", {"P03": "7"})
    path.write_text(path.read_text().replace(",Grade\n", f",{heading}\n", 1))
    result = CliRunner().invoke(cli, ["track", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    [drop] = json.loads(result.stdout)["drops"]
    assert drop["pupils"] == 12 and drop["school"]["attainment8"] > 0


@pytest.mark.parametrize(
    "change, gap, words",
    [
        (-0.2, -0.62, "widened by 0.20 to -0.62"),
        (0.1, -0.3, "narrowed by 0.10 to -0.30"),
        (-0.2, 0.1, "fell by 0.20 to +0.10"),
    ],
)
def test_gap_alert_states_the_change_and_the_gap_apart(change, gap, words):
    from schoolperf.tracking.summary import _alert_message

    message = _alert_message("gap_widening", change, 0.15, gap)
    assert f"nationally {words} since the last drop" in message


def test_an_unchanged_rerun_does_not_fire_the_same_alert_again(drops, tmp_path):
    """cron runs every night: the same alert on the same latest drop is reported once (state
    kept in the output folder); a new drop, a changed value or repeat_alerts fires it again."""
    cfg = config(tmp_path, progress8_below=0.7)
    runner = CliRunner()
    first = runner.invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert first.exit_code == 1 and "alert: projected Progress 8" in first.stderr
    again = runner.invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert again.exit_code == 0 and "alert:" not in again.stderr
    log = (tmp_path / "out" / "tracking.log").read_text().splitlines()
    assert log[-2].endswith("alerts fired: progress8_below") and log[-1].endswith("none")
    cfg.write_text(cfg.read_text().replace("[output]", "[output]\nrepeat_alerts = true"))
    asked = runner.invoke(cli, ["track", "--config", str(cfg), "--quiet"])
    assert asked.exit_code == 1 and "alert: projected Progress 8" in asked.stderr
