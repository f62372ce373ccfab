"""A run's outputs are one set: a full disk or an interruption part-way leaves the old set
whole; a killed run's staging folder is removed (or its committed set finished) by the next
run; the engine spills inside the staging folder; SIGTERM and SIGINT exit 143 and 130 with
nothing left behind; tracking never reads its own outputs as drops; a pack's PDF has the same
bytes for the same input, and is never left beside a newer pack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO, invoke
from tests.tracking.test_tracking import write_drop

STAGING = ".schoolperf-staging-"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, hidden ones too, by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def changed_demo(path: Path) -> Path:
    """The demo cohort with one grade changed: a run on it gives other outputs."""
    text = DEMO.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[13] = "9" if cells[13] != "9" else "8"
    lines[1] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def old_set(tmp_path) -> Path:
    """An output folder holding the set of a run on the changed demo cohort."""
    out = tmp_path / "out"
    result = invoke("analyse", str(changed_demo(tmp_path / "old.csv")), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_a_full_disk_part_way_leaves_the_old_set_whole(old_set, monkeypatch):
    """The disk fills while summary.json is written, after pupils.csv and slots.csv: exit 2,
    and the folder holds the old set, byte for byte, with nothing beside it."""
    import schoolperf.outputs.files as files

    before = snapshot(old_set)

    def full(pieces, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "_write_text", full)
    result = invoke("analyse", str(DEMO), "--out", str(old_set))
    assert result.exit_code == 2, result.output
    assert "cannot be written (No space left on device)" in result.stderr
    assert snapshot(old_set) == before


def test_an_interruption_part_way_leaves_the_old_set_whole(old_set, monkeypatch):
    import schoolperf.outputs.files as files

    before = snapshot(old_set)

    def interrupted(pieces, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_write_text", interrupted)
    result = invoke("analyse", str(DEMO), "--out", str(old_set))
    assert result.exit_code != 0  # click reports the interruption as "Aborted!"
    assert snapshot(old_set) == before


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(old_set):
    stale = old_set / f"{STAGING}999999-abc"
    (stale / "set").mkdir(parents=True)
    (stale / ".lock").write_text("")  # nobody holds it: its run is gone
    (stale / "set" / "pupils.csv").write_text("UPN,name\nA1,Pupil Data\n")
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    unlocked = old_set / f"{STAGING}{ended.pid}-def"  # its process has ended
    (unlocked / "work" / "chromium").mkdir(parents=True)  # made by a killed run's browser
    result = invoke("analyse", str(DEMO), "--out", str(old_set))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in old_set.iterdir()) == ["pupils.csv", "slots.csv", "summary.json"]


def test_a_committed_set_a_killed_run_left_is_finished_first(tmp_path):
    """Killed between its manifest and its last rename: the next run moves the rest into
    place before anything else, so the folder holds that run's whole set."""
    from schoolperf.outputs.staging import MANIFEST, recover

    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("new a")  # already moved when the run was killed
    (out / "b.txt").write_text("old b")
    (out / "c.txt").write_text("old c, not in the new set")
    stale = out / f"{STAGING}999999-abc"
    (stale / "set").mkdir(parents=True)
    (stale / ".lock").write_text("")
    (stale / "set" / "b.txt").write_text("new b")
    manifest = {"files": ["a.txt", "b.txt"], "remove": ["c.txt"]}
    (stale / MANIFEST).write_text(json.dumps(manifest))
    recover(out)
    assert snapshot(out) == {"a.txt": b"new a", "b.txt": b"new b"}


def test_a_staging_folder_in_use_is_left_alone(tmp_path):
    """Another run writing into the same folder holds its staging folder's lock."""
    from schoolperf.outputs.staging import OutputSet, recover

    with OutputSet(tmp_path / "out") as running:
        (running.staging / "set").mkdir()
        recover(tmp_path / "out")
        assert running.staging.is_dir()
    assert not (tmp_path / "out").exists()  # made for the run, which wrote nothing


def test_the_engine_spills_inside_the_staging_folder_and_leaves_nothing(tmp_path):
    """With an output set open, DuckDB's spill folder is in its staging folder; with
    --temp-dir, a folder of its own inside that one; either is removed afterwards."""
    from schoolperf.engine.query import connect
    from schoolperf.outputs.staging import OutputSet

    def spill(connection) -> Path:
        return Path(connection.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])

    with OutputSet(tmp_path / "out") as outputs:
        with connect() as connection:
            inside = spill(connection)
            assert outputs.staging in inside.parents
    assert not inside.exists() and not (tmp_path / "out").exists()
    chosen = tmp_path / "chosen"
    with connect(temp_directory=str(chosen)) as connection:
        assert spill(connection).parent == chosen
    assert list(chosen.iterdir()) == []


SLOW_SUMMARY = """
import sys, time
import schoolperf.outputs.files as files
real = files._write_text
def slow(pieces, path):
    print("writing", flush=True)
    time.sleep(60)
    real(pieces, path)
files._write_text = slow
from schoolperf.cli import main
sys.argv = ["schoolperf", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("stop, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_sigint_exit_cleanly_leaving_nothing(old_set, tmp_path, stop, status):
    """Stopped while the set is being written: exit 143 (SIGTERM) or 130 (SIGINT), the old set
    whole, no staging folder, and nothing in the temporary folder."""
    before = snapshot(old_set)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TMPDIR": str(temporary)}
    command = ["analyse", str(DEMO), "--by", "Tutor Group", "--out", str(old_set)]
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_SUMMARY, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "writing"
        process.send_signal(stop)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == status, process.stderr.read()
    assert snapshot(old_set) == before
    assert list(temporary.iterdir()) == []


def tracking_config(base: Path, folder: str, glob: str, **output: str) -> Path:
    lines = ["[input]", f'folder = "{folder}"', f'glob = "{glob}"', "[output]"]
    lines += [f'{k} = "{v}"' for k, v in {"folder": folder, **output}.items()]
    path = base / "tracking.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tracking_never_reads_its_own_outputs_as_drops(tmp_path):
    """Outputs in the drops folder, every CSV a drop: every later run reads the drops only."""
    drops = tmp_path / "drops"
    drops.mkdir()
    write_drop(drops / "y11_2025-10-15.csv", {})
    write_drop(drops / "y11_2026-01-20.csv", {"P00": "4"})
    cfg = tracking_config(tmp_path, "drops", "*")
    first = invoke("track", "--config", str(cfg), "--quiet")
    assert first.exit_code == 0, first.output
    before = snapshot(drops)
    again = invoke("track", "--config", str(cfg), "--quiet")
    assert again.exit_code == 0, again.output
    after = snapshot(drops)
    assert after.pop("tracking.log").count(b"2 drops") == 2
    before.pop("tracking.log")
    assert after == before
    assert "history.csv" in after and "tracking_2026-01-20.json" in after


def test_pack_charts_of_an_earlier_pack_are_removed_with_it(tmp_path):
    """A Markdown pack's chart folder holds this pack's charts only: one an earlier pack had
    and this one has not is removed as the pack is written."""
    pack = tmp_path / "pack.md"
    charts = tmp_path / "pack_charts"
    result = invoke("pack", str(DEMO), "--audience", "staff", "--format", "md", "--out", str(pack))
    assert result.exit_code == 0, result.output
    made = sorted(p.name for p in charts.iterdir())
    (charts / "no-longer-drawn.svg").write_text("<svg/>")
    result = invoke("pack", str(DEMO), "--audience", "staff", "--format", "md", "--out", str(pack))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in charts.iterdir()) == made


def test_a_pdf_that_cannot_be_printed_never_leaves_an_older_pdf_beside_the_pack(
    tmp_path, monkeypatch
):
    pack = tmp_path / "pack.html"
    (tmp_path / "pack.pdf").write_bytes(b"%PDF an earlier pack's")
    monkeypatch.setattr("schoolperf.reports.render.chromium", lambda: None)
    result = invoke("pack", str(DEMO), "--audience", "staff", "--out", str(pack), "--pdf")
    assert result.exit_code == 2 and "needs headless Chromium" in result.stderr
    assert pack.is_file() and not (tmp_path / "pack.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.html"]


def test_pdf_dates_are_the_data_date_and_keep_their_length():
    from datetime import date

    from schoolperf.reports.render import fixed_pdf_dates

    pdf = (
        b"%PDF-1.4\n1 0 obj\n<</Creator (Mozilla)\n/CreationDate (D:20261207122750+01'00')\n"
        b"/ModDate (D:20261207122750Z)>>\nendobj\nxref\n"
    )
    fixed = fixed_pdf_dates(pdf, date(2024, 6, 1))
    assert len(fixed) == len(pdf)
    assert b"/CreationDate (D:20240601000000+00'00')" in fixed
    assert b"/ModDate (D:20240601000000Z)" in fixed


def test_the_same_pack_gives_the_same_pdf_bytes(tmp_path):
    from schoolperf.reports.render import chromium

    if chromium() is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    pdfs = []
    for name in ("a", "b"):
        out = tmp_path / name / "pack.html"
        result = invoke("pack", str(DEMO), "--audience", "governors", "--out", str(out), "--pdf")
        assert result.exit_code == 0, result.output
        pdfs.append(out.with_suffix(".pdf").read_bytes())
        time.sleep(1.1)  # a PDF dated by the clock would differ
    assert pdfs[0] == pdfs[1]
    assert b"/CreationDate (D:20240601000000" in pdfs[0]
