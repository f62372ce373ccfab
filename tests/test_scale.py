"""Many schools in one file (issue 9): per-school figures from one run equal each school alone."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolperf.api import AnalysisOptions, analyse
from schoolperf.bench import generate
from schoolperf.ingest.read import read_in_parts, school_parts, split_file

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


@pytest.fixture(scope="module")
def each_school_alone(national, tmp_path_factory):
    folder = tmp_path_factory.mktemp("alone")
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    alone = {}
    for urn, school_rows in rows.groupby("School"):
        path = folder / f"{urn}.csv"
        school_rows.to_csv(path, index=False)
        alone[str(urn)] = analyse(path).school
    return alone


@pytest.fixture(params=["in memory", "on disk"])
def part_source(request, monkeypatch):
    """A file in parts read whole and shared with the workers, or split on disk (as a file
    larger than IN_MEMORY_MB is): each way is the whole file's. Checks afterwards that the
    parts were made the way named (unless the test reads the file whole only)."""
    from schoolperf import api

    if request.param == "in memory" and not api._forking():
        pytest.skip("workers are spawned here, and share no memory with the parent")
    made = {"on disk": 0, "in memory": 0}

    def split(*args: object) -> object:
        made["on disk"] += 1
        return split_file(*args)

    def whole(*args: object) -> object:
        read = read_in_parts(*args)
        made["in memory"] += read is not None
        return read

    monkeypatch.setattr(api, "split_file", split)
    monkeypatch.setattr(api, "read_in_parts", whole)
    if request.param == "on disk":
        monkeypatch.setattr(api, "IN_MEMORY_MB", -1)
    yield request.param
    other = "on disk" if request.param == "in memory" else "in memory"
    assert not made[other]
    assert made[request.param] or request.node.callspec.params.get("chunk_mb") in (0, "0")


@pytest.mark.parametrize("chunk_mb", [0, 0.2])  # 0.2 MB: the file is split into 7 parts
def test_per_school_figures_equal_each_school_alone(
    national, each_school_alone, chunk_mb, part_source
):
    together = analyse(national, AnalysisOptions(by="school", chunk_mb=chunk_mb))
    assert ("parts" in together.timings) == (chunk_mb > 0)
    assert len(together.by) >= 150 and set(together.by) == set(each_school_alone)
    for urn, alone in each_school_alone.items():
        mine = together.by[urn]
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


def _same(a, b, path=""):
    """Equal JSON documents, numbers to 1e-9 (sums in another order)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _same(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


@pytest.mark.parametrize("anonymise", [False, True])
def test_file_in_parts_gives_the_whole_file_analysis(national, anonymise, part_source):
    whole = analyse(national, AnalysisOptions(by="school", chunk_mb=0, anonymise=anonymise))
    parts = analyse(national, AnalysisOptions(by="school", chunk_mb=0.2, anonymise=anonymise))
    assert "parts" in parts.timings and "parts" not in whole.timings
    _same(whole.to_dict(), parts.to_dict())
    assert whole.warnings == parts.warnings and len(whole.warnings) >= 2
    bands = [a.subject_entries["ks2_band"].cat.categories.tolist() for a in (whole, parts)]
    assert bands[0] == bands[1] and bands[0][0] == "Less than 80"  # KS2 order, not text order
    from schoolperf.reports.files import pupil_table, slot_audit

    for a, b in (
        (pupil_table(whole.pupils, whole.slots), pupil_table(parts.pupils, parts.slots)),
        (slot_audit(whole.slots), slot_audit(parts.slots)),
    ):
        pd.testing.assert_frame_equal(
            a.astype(str).reset_index(drop=True), b.astype(str).reset_index(drop=True)
        )


def test_file_in_parts_reports_problems_with_the_files_own_rows(national, tmp_path, part_source):
    from schoolperf.errors import InputError

    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    rows.loc[[5, 1700, 2900], "Grade"] = ["ZZ", "11", "Z"]  # rows 7, 1702, 2902; three schools
    rows.loc[4000, "KS2 Reading"] = "130"
    path = tmp_path / "bad.csv"
    rows.to_csv(path, index=False)
    found = []
    for chunk_mb in (0, 0.2):
        with pytest.raises(InputError) as error:
            analyse(path, AnalysisOptions(by="school", chunk_mb=chunk_mb))
        found.append([(p.code, p.row, p.column, p.value) for p in error.value.problems])
    assert found[0] == found[1]
    assert {(code, row) for code, row, _, _ in found[0]} >= {
        ("unknown-grade", "7"),
        ("unknown-grade", "1702"),
        ("unknown-grade", "2902"),
    }
    assert any(code == "ks2-out-of-range" for code, *_ in found[0])


def _problems(path, **options):
    from schoolperf.errors import SchoolperfError

    with pytest.raises(SchoolperfError) as error:
        analyse(path, AnalysisOptions(by="school", **options))
    return [(p.code, p.row, p.column, p.value, p.message) for p in error.value.problems]


def test_file_in_parts_reports_file_problems_once_and_row_problems_as_whole(
    national, tmp_path, part_source
):
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    renamed = tmp_path / "renamed.csv"
    rows.rename(columns={"Grade": "Score"}).to_csv(renamed, index=False)
    assert _problems(renamed, chunk_mb=0.2) == _problems(renamed, chunk_mb=0)
    assert len(_problems(renamed, chunk_mb=0.2)) == 1
    many = tmp_path / "many.csv"
    # bad grades of two subjects, each more than the limit: the limit is of the kind of
    # problem per column, not per subject, whole or in parts
    bad = rows["Subject"].isin(["Mathematics", "English Language"])
    rows.assign(Grade=rows["Grade"].where(~bad, "ZZ")).to_csv(many, index=False)
    whole = _problems(many, chunk_mb=0)
    assert len(whole) == 501  # the limit of one kind of problem per column, and the rest counted
    assert {p[4] for p in whole[:500]} == {
        f"is not a grade schoolperf can score for {s!r}."
        for s in ("Mathematics", "English Language")
    }
    rest = int(bad.sum()) - 500
    assert whole[500][:4] == ("unknown-grade", None, "Grade", None)
    assert whole[500][4] == f"{rest:,} more of this problem, like those above, are not listed."
    assert _problems(many, chunk_mb=0.2) == whole
    # more than 500 pupils whose rows disagree, the schools in reverse order (the pupils' keys
    # sort unlike their rows): the first 500 by row, whole or in parts
    reverse = rows.iloc[::-1].reset_index(drop=True)
    flipped = reverse.assign(Gender=np.where(reverse.index % 2 == 0, "M", "F"))
    disagree = tmp_path / "disagree.csv"
    flipped.to_csv(disagree, index=False)
    whole = _problems(disagree, chunk_mb=0)
    assert len(whole) == 501 and whole[0][1].startswith("2, ")
    pupils = flipped.groupby(["School", "UPN"]).ngroups
    assert (
        whole[500][4] == f"{pupils - 500:,} more of this problem, like those above, are not listed."
    )
    assert _problems(disagree, chunk_mb=0.2) == whole
    # more than 500 pupils with a bad gender code, the schools in reverse order: the first 500
    # by row, whole or in parts
    coded = tmp_path / "coded.csv"
    reverse.assign(Gender="Q").to_csv(coded, index=False)
    whole = _problems(coded, chunk_mb=0)
    assert len(whole) == 501 and [int(p[1]) for p in whole[:500]] == sorted(
        int(p[1]) for p in whole[:500]
    )
    assert whole[0][1] == "2"
    assert _problems(coded, chunk_mb=0.2) == whole


def test_file_in_parts_reports_a_missing_baseline_cleanly(national, tmp_path):
    missing = str(tmp_path / "no-such-baseline.csv")
    assert _problems(national, chunk_mb=0.2, baseline_file=missing) == _problems(
        national, chunk_mb=0, baseline_file=missing
    )


def test_file_in_parts_with_a_school_of_no_grades(national, tmp_path, part_source):
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    first = rows["School"].unique()[:40]  # some part has no grade at all
    path = tmp_path / "ungraded.csv"
    rows.assign(Grade=rows["Grade"].where(~rows["School"].isin(first), "X")).to_csv(
        path, index=False
    )
    whole = analyse(path, AnalysisOptions(by="school", chunk_mb=0))
    parts = analyse(path, AnalysisOptions(by="school", chunk_mb=0.2))
    assert "parts" in parts.timings
    _same(whole.to_dict(pupils=False), parts.to_dict(pupils=False))


def test_by_a_column_that_does_not_divide_pupils(national, tmp_path):
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    rows["Tutor Group"] = "T" + (rows.index % 7).astype(str)  # a pupil's rows in several groups
    path = tmp_path / "tutor.csv"
    rows.to_csv(path, index=False)
    options = {"by": "Tutor Group"}
    whole = analyse(path, AnalysisOptions(**options, chunk_mb=0))
    parts = analyse(path, AnalysisOptions(**options, chunk_mb=0.2))
    assert "parts" in parts.timings
    _same(whole.to_dict(pupils=False), parts.to_dict(pupils=False))
    assert set(parts.by) == {f"T{i}" for i in range(7)}


def test_file_of_blank_rows_in_parts(tmp_path, part_source):
    path = tmp_path / "blank.csv"
    path.write_text("School,UPN,Subject,Grade\n" + ",,,\n" * 5000)
    assert _problems(path, chunk_mb=0.01) == _problems(path, chunk_mb=0)


def test_first_entry_rule_with_a_date_beyond_the_nanosecond_range(tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text(
        "UPN,Subject,Grade,Exam Date\nA,Maths,5,2024-06-01\nA,Maths,9,3024-06-01\n"
        "A,English Language,5,2024-06-01\n"
    )
    maths = analyse(path).slots.query("subject_title == 'Mathematics'")
    counted = maths.loc[maths["weight"] > 0, "grade"].astype(str).tolist()
    assert counted == ["5"]


def test_group_on_a_standard_key(tmp_path):
    from click.testing import CliRunner

    from schoolperf.cli import cli
    from tests.conftest import DEMO

    result = CliRunner().invoke(cli, ["analyse", str(DEMO), "--group", "boys", "--format", "json"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("anonymise", [[], ["--anonymise"]])  # pseudonyms: parts interleave
@pytest.mark.parametrize("out_format", ["csv", "parquet"])
def test_file_in_parts_writes_the_whole_files_outputs(
    national, tmp_path, out_format, anonymise, part_source
):
    """The parts' tables, stitched on disk in the whole file's pupil order, are the whole
    file's pupils and slots outputs, byte for byte (CSV) and value for value (Parquet); here
    with schools named so that one school's pupils fall between another's (``1`` and ``1/B…``)
    and a school's name that a spreadsheet would run as a formula."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    schools = rows["School"].unique()
    middle = rows.loc[rows["School"] == schools[0], "UPN"].unique()[3]
    rows["School"] = rows["School"].replace(
        {schools[1]: f"{schools[0]}/{middle}", schools[2]: "=2"}
    )
    path = tmp_path / "named.csv"
    rows.to_csv(path, index=False)
    written = {}
    for chunk_mb in ("0", "0.2"):
        out = tmp_path / f"out-{chunk_mb}"
        result = CliRunner().invoke(
            cli,
            ["analyse", str(path), "--by", "school", "--chunk-mb", chunk_mb, "--out", str(out)]
            + ["--out-format", out_format, "--summary-only", "--profile", *anonymise],
        )
        assert result.exit_code == 0, result.output
        assert ('"stage": "parts"' in result.output) == (chunk_mb != "0")
        written[chunk_mb] = out
    for name in ("pupils", "slots"):
        whole, parts = (written[c] / f"{name}.{out_format}" for c in ("0", "0.2"))
        if out_format == "csv":
            assert whole.read_bytes() == parts.read_bytes(), name
        else:
            # the same values and types: categories too, in text order; the same metadata
            pd.testing.assert_frame_equal(pd.read_parquet(whole), pd.read_parquet(parts))
            assert pq.read_schema(whole).metadata == pq.read_schema(parts).metadata
            upn = pd.read_parquet(parts)["upn"]
            if isinstance(upn.dtype, pd.CategoricalDtype):
                assert upn.cat.categories.is_monotonic_increasing
    read = partial(pd.read_csv, dtype=str) if out_format == "csv" else pd.read_parquet
    upn = read(written["0.2"] / f"pupils.{out_format}")["upn"].astype(str).str.removeprefix("'")
    assert upn.is_monotonic_increasing and len(upn) == 2400
    slots = read(written["0.2"] / f"slots.{out_format}")
    assert len(slots) > len(rows)
    if not anonymise:
        assert upn.str.startswith(f"{schools[0]}/{middle}/").any()
        assert slots["upn"].astype(str).str.contains("=2/").any()


@pytest.mark.parametrize("out_format", ["csv", "parquet"])
@pytest.mark.parametrize("chunk_mb", ["0", "0.2"])
def test_no_slot_audit_writes_the_same_pupils_and_no_slots(
    national, tmp_path, chunk_mb, out_format
):
    """``--no-slot-audit``: pupils and summary as ever, no slots file (and a warning where an
    earlier run's is in the folder); a file in parts has its workers build no audit."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    written = {}
    command = ["analyse", str(national), "--by", "school", "--chunk-mb", chunk_mb]
    command += ["--out-format", out_format, "--summary-only"]
    for audit in ([], ["--no-slot-audit"]):
        out = tmp_path / f"out-{len(audit)}"
        result = CliRunner().invoke(cli, [*command, "--out", str(out), *audit])
        assert result.exit_code == 0, result.output
        assert "from an earlier run" not in result.output
        written[len(audit)] = out
    slots = f"slots.{out_format}"
    assert (written[0] / slots).exists() and not (written[1] / slots).exists()
    for name in (f"pupils.{out_format}", "summary.json"):
        assert (written[0] / name).read_bytes() == (written[1] / name).read_bytes()
    options = AnalysisOptions(by="school", chunk_mb=float(chunk_mb), slot_audit=False)
    tables = analyse(national, options).part_tables
    assert (tables is None) == (chunk_mb == "0")
    if tables is not None:
        assert all("pupils" in p.tables and "slots" not in p.tables for p in tables.parts)
    # into the folder of the run with an audit: its slot audit is said to be the earlier run's
    result = CliRunner().invoke(cli, [*command, "--out", str(written[0]), "--no-slot-audit"])
    assert result.exit_code == 0 and f"{slots} is from an earlier run" in result.output


def test_write_outputs_writes_the_audit_as_the_analysis_was_run(national, tmp_path, monkeypatch):
    """From Python: an analysis run without the slot audit writes none by default, and one
    run with it (its outputs being prepared) leaves no writing behind when told not to."""
    import time

    from schoolperf.reports import parts
    from schoolperf.reports.files import write_outputs

    prepare = parts.PartTables._prepare

    def slowly(self: object, name: str, *args: object) -> bool:
        if name == "slots":  # still writing when the pupils are written out
            time.sleep(1.5)
        return prepare(self, name, *args)

    monkeypatch.setattr(parts.PartTables, "_prepare", slowly)

    bare = AnalysisOptions(by="school", chunk_mb=0.2, slot_audit=False)
    analysis = analyse(national, bare)
    written = write_outputs(tmp_path / "a", analysis.to_dict(pupils=False), analysis, ())
    assert [p.name for p in written] == ["pupils.csv", "summary.json"]
    prepared = AnalysisOptions(by="school", chunk_mb=0.2, prepare_outputs="parquet")
    analysis = analyse(national, prepared)
    document = analysis.to_dict(pupils=False)
    write_outputs(tmp_path / "b", document, analysis, (), "parquet", audit=False)
    assert not (tmp_path / "b" / "slots.parquet").exists()
    assert all(job.done() for job, _, _ in analysis.part_tables.prepared.values())


@pytest.mark.parametrize(
    ("tables", "prepared_as", "failing", "stitched"),
    [
        (False, None, False, 0),  # no --out: built from the parts' slots when asked
        (True, None, False, 2),  # stitched from the parts' tables
        (True, "parquet", False, 2),  # prepared in another format: stitched
        (True, "csv", False, 0),  # prepared while the figures were computed: moved
        (True, "csv", True, 2),  # the preparing failed (a full temporary disk): stitched
    ],
)
def test_file_in_parts_writes_its_outputs_however_prepared(
    national, tmp_path, monkeypatch, tables, prepared_as, failing, stitched
):
    """The parts' output tables, however they were prepared, are the whole file's outputs,
    and are also when written a second time (the prepared files handed over the first)."""
    from schoolperf.reports import parts as part_files
    from schoolperf.reports.files import write_outputs

    def full_disk(*args: object) -> bool:
        raise OSError(28, "No space left on device")

    if failing:
        monkeypatch.setattr(part_files.PartTables, "_prepare", full_disk)
    whole = analyse(national, AnalysisOptions(by="school", chunk_mb=0))
    options = AnalysisOptions(
        by="school", chunk_mb=0.2, part_tables=tables, prepare_outputs=prepared_as
    )
    parts = analyse(national, options)
    assert parts.part_tables is not None
    built = {
        p.tables.keys() == {"pupil-frame", "slot-frame", "subject-entries"}
        for p in parts.part_tables.parts
    }
    assert built == {not tables}
    parts.part_tables.settle()  # what was prepared is written
    calls = []
    write = part_files.PartTables.write
    monkeypatch.setattr(
        part_files.PartTables, "write", lambda *args: calls.append(args[1]) or write(*args)
    )
    write_outputs(tmp_path / "whole", whole.to_dict(pupils=False), whole, (), "csv")
    for n in (1, 2):
        calls.clear()
        write_outputs(tmp_path / f"parts{n}", parts.to_dict(pupils=False), parts, (), "csv")
        assert len(calls) == (stitched if n == 1 else 2 * tables)
        for table in ("pupils.csv", "slots.csv"):
            expected = (tmp_path / "whole" / table).read_bytes()
            assert (tmp_path / f"parts{n}" / table).read_bytes() == expected
    leftover = Path(parts.part_tables.folder.name)
    assert not list(leftover.glob("*.csv")) or failing  # moved, not copied


@pytest.mark.parametrize("prepared_as", ["xlsx", "CSV", ""])
def test_outputs_are_prepared_only_in_a_format_written(prepared_as):
    with pytest.raises(ValueError, match="prepare_outputs must be one of csv, parquet or None"):
        AnalysisOptions(by="school", prepare_outputs=prepared_as)


def test_file_in_parts_stops_preparing_its_outputs_on_an_error(national, monkeypatch):
    """An error in the figures cancels the outputs' writing, and the temporary folder goes."""
    from schoolperf import api

    folders = []
    ordered = api.PartTables.ordered

    def keep(*args: object) -> object:
        tables = ordered(*args)
        folders.append(Path(tables.folder.name))
        return tables

    def failing(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(api.PartTables, "ordered", keep)
    monkeypatch.setattr(api, "summarise", failing)
    options = AnalysisOptions(by="school", chunk_mb=0.2, prepare_outputs="parquet")
    with pytest.raises(KeyboardInterrupt):
        analyse(national, options)
    assert folders and not folders[0].exists()


def test_file_in_parts_keeps_its_pupils_slots_and_entries_on_disk_until_asked(national):
    analysis = analyse(national, AnalysisOptions(by="school", chunk_mb=0.2))
    assert analysis.loaded_slots is None and analysis.part_tables is not None
    assert analysis.loaded_entries is None and analysis.loaded_pupils is None
    whole_pupils = analyse(national, AnalysisOptions(by="school", chunk_mb=0)).pupils
    pd.testing.assert_frame_equal(analysis.pupils, whole_pupils)
    assert analysis.loaded_pupils is analysis.pupils and len(whole_pupils) == 2400
    assert len(analysis.slots) > 19000 and analysis.loaded_slots is not None
    whole = analyse(national, AnalysisOptions(by="school", chunk_mb=0)).subject_entries
    parts = analysis.subject_entries
    assert analysis.loaded_entries is parts and len(parts) == len(whole) > 15000
    assert parts["upn"].cat.categories.equals(analysis.pupils.index)

    def in_order(entries: pd.DataFrame) -> pd.DataFrame:
        return entries.sort_values(["upn", "subject_title"]).reset_index(drop=True).astype(str)

    pd.testing.assert_frame_equal(in_order(parts), in_order(whole))


def test_file_in_parts_whose_schools_rows_are_apart(national, tmp_path):
    """Rows in subject order across schools cannot be cut into runs of whole schools: the file
    read whole is shared out by school as the split on disk shares it (a part a set of rows),
    and gives the whole file's analysis."""
    from schoolperf import api

    if not api._forking():
        pytest.skip("workers are spawned here: the file is always split on disk")
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    path = tmp_path / "by-subject.csv"
    rows.sort_values(["Subject", "School"], kind="stable").to_csv(path, index=False)
    table, parts = read_in_parts(path, "School", 4)
    assert all(isinstance(p, np.ndarray) for p in parts)
    assert all(isinstance(p, range) for p in read_in_parts(national, "School", 4)[1])
    split = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api, "split_file", lambda *a: split.append(a) or split_file(*a))
        together = analyse(path, AnalysisOptions(by="school", chunk_mb=0.2))
    assert not split and "parts" in together.timings
    _same(analyse(path, AnalysisOptions(by="school", chunk_mb=0)).to_dict(), together.to_dict())


def test_file_in_parts_read_whole_falls_back(national, tmp_path, monkeypatch):
    """Short of memory for the file read whole, it is split on disk; a file Arrow cannot read
    (a ragged row) is read whole and reported, without trying the split too; a temporary folder
    named by a relative path (``TMPDIR=.``, which Python 3.11 keeps relative) serves the
    workers as well."""
    import tempfile

    import pyarrow.csv as pacsv

    from schoolperf import api
    from schoolperf.errors import InputError

    if not api._forking():
        pytest.skip("workers are spawned here: the file is always split on disk")
    split = []
    monkeypatch.setattr(api, "split_file", lambda *a: split.append(a) or split_file(*a))

    def short_of_memory(*args: object, **kwargs: object) -> None:
        raise pa.ArrowMemoryError("malloc of size 1073741824 failed")

    whole = analyse(national, AnalysisOptions(by="school", chunk_mb=0))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pacsv, "read_csv", short_of_memory)  # the whole read; the split streams
        parts = analyse(national, AnalysisOptions(by="school", chunk_mb=0.2))
    assert split and "parts" in parts.timings
    _same(whole.to_dict(), parts.to_dict())
    split.clear()
    ragged = tmp_path / "ragged.csv"
    lines = national.read_text().splitlines()
    lines[5] += ",extra"
    ragged.write_text("\n".join(lines) + "\n")
    problems = []
    for chunk_mb in (0.2, 0):
        with pytest.raises(InputError) as error:
            analyse(ragged, AnalysisOptions(by="school", chunk_mb=chunk_mb))
        problems.append([p.describe() for p in error.value.problems])
    assert problems[0] == problems[1] and "row 6" in problems[0][0] and not split
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", ".")
    relative = analyse(national, AnalysisOptions(by="school", chunk_mb=0.2))
    assert "parts" in relative.timings and not split
    _same(whole.to_dict(), relative.to_dict())


@settings(max_examples=300, deadline=None)
@given(
    schools=st.lists(
        st.tuples(
            st.sampled_from(["1", "2", "10", "x y", "X Y", "xy"]), st.sampled_from(["", " ", "\t"])
        ),
        min_size=1,
        max_size=30,
    ),
    parts=st.integers(1, 8),
)
def test_school_parts_are_of_whole_schools(schools, parts):
    """Parts of whole schools, a school's spellings one (``" 1"`` is school ``1``, ``x y`` and
    ``XY`` one school): runs cut at the first school to start at or after each ``k`` /
    ``parts`` of the rows, where each school's rows are together; else each school's rows
    wherever they are, shared out by the hash :func:`split_file` uses."""
    import zlib

    import pyarrow as pa

    cells = [pad + name + pad[:1] for name, pad in schools]
    names = ["".join(name.split()).upper() for name, _ in schools]
    found = school_parts(pa.chunked_array([cells[:3], cells[3:]], pa.string()), parts)
    changes = [i for i in range(1, len(names)) if names[i] != names[i - 1]]
    together = len(changes) + 1 == len(set(names))
    assert sorted(np.concatenate([np.asarray(list(p)) for p in found]).tolist()) == list(
        range(len(names))
    )
    for part in found:
        assert list(part) == sorted(part)
        others = {names[i] for p in found if p is not part for i in p}
        assert not {names[i] for i in part} & others
    if together:
        assert all(isinstance(p, range) for p in found)
        wanted = [k * len(names) // parts for k in range(1, parts)]
        cuts = sorted({min(c for c in changes if c >= w) for w in wanted if changes[-1:] >= [w]})
        assert [p.start for p in found] == [0, *cuts]
    else:
        hashed = {zlib.crc32(n.encode()) % parts for n in names}
        assert len(found) == len(hashed)
        for part in found:
            assert len({zlib.crc32(names[i].encode()) % parts for i in part}) == 1


def test_file_in_parts_without_its_pupils_kept(national, tmp_path, monkeypatch):
    """``keep_pupils=False``: the workers write only the output tables, which are the same; the
    pupils, slots and entries are then not there to read (a clear error, not a missing file),
    but --subjects-by-group keeps them; outputs that cannot be stitched read the file whole."""
    from schoolperf.reports import parts as part_files
    from schoolperf.reports.files import write_outputs

    kept = analyse(national, AnalysisOptions(by="school", chunk_mb=0.2))
    options = AnalysisOptions(by="school", chunk_mb=0.2, keep_pupils=False)
    bare = analyse(national, options)
    assert bare.part_tables is not None
    assert all(p.tables.keys() == {"pupils", "slots"} for p in bare.part_tables.parts)
    for name in ("pupils", "slots", "subject_entries"):
        with pytest.raises(ValueError, match="keep_pupils=True"):
            getattr(bare, name)
    assert bare.to_dict(pupils=False) == kept.to_dict(pupils=False)
    for analysis, out in ((kept, "kept"), (bare, "bare")):
        write_outputs(tmp_path / out, analysis.to_dict(pupils=False), analysis, ())
    for name in ("pupils.csv", "slots.csv", "summary.json"):
        assert (tmp_path / "bare" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes()
    # outputs neither stitched nor built from kept pupils: an error before anything is written
    analysis = analyse(national, replace(options, slot_audit=False))
    out = tmp_path / "unbuilt"
    with pytest.raises(ValueError, match="keep_pupils=True"):
        write_outputs(out, analysis.to_dict(pupils=False), analysis, (), audit=True)
    assert not out.exists() or not list(out.iterdir())
    grouped = analyse(national, replace(options, subjects_by_group=True))
    assert grouped.subjects_by_group["disadvantaged"]
    assert (
        grouped.subjects_by_group
        == analyse(
            national, replace(options, subjects_by_group=True, keep_pupils=True)
        ).subjects_by_group
    )
    assert len(grouped.pupils) == 2400
    monkeypatch.setattr(part_files.PartTables, "schema", lambda self, name: None)
    whole = analyse(national, options)
    assert "parts" not in whole.timings and len(whole.pupils) == 2400


def test_cli_json_pupils_array_of_a_file_in_parts(national):
    """The CLI keeps a file's pupils in parts only for the JSON's pupils array, which is then
    the whole file's."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    documents = []
    for chunk_mb in ("0", "0.2"):
        command = ["analyse", str(national), "--by", "school", "--chunk-mb", chunk_mb]
        result = CliRunner().invoke(cli, [*command, "--format", "json"])
        assert result.exit_code == 0, result.output
        documents.append(json.loads(result.stdout))
    assert len(documents[1]["pupils"]) == 2400
    assert documents[1]["pupils"] == documents[0]["pupils"]


_CELL_TEXT = st.one_of(st.none(), st.text(alphabet="ab ,\"\n\r=+-@é;'0.", max_size=6))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(0, 12).flatmap(
        lambda n: st.tuples(
            st.lists(_CELL_TEXT, min_size=n, max_size=n),
            st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n),
            st.lists(st.integers(-(10**12), 10**12), min_size=n, max_size=n),
            st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n),
            st.lists(st.sampled_from(["=1", "a,b", 'q"', "x", None]), min_size=n, max_size=n),
            st.lists(st.one_of(st.none(), st.integers(0, 99)), min_size=n, max_size=n),
        )
    )
)
def test_csv_rows_are_the_rows_pandas_writes(rows):
    """The Arrow-built CSV (issue 9: ten times faster) is byte for byte pandas' own, formulas
    neutralised the same way: quoting, missing values, floats, true/false, categoricals."""
    import io

    from schoolperf.reports.files import safe_for_spreadsheet, write_csv

    text, floats, ints, flags, coded, counts = rows
    frame = pd.DataFrame(
        {
            "text, quoted": pd.Series(text, dtype="str"),
            "object": pd.Series(text, dtype=object),
            "float": pd.Series(floats, dtype=float),
            "int": pd.Series(ints, dtype="int64"),
            "flag": pd.Series(flags, dtype=object),
            "flag_plain": pd.Series([bool(f) for f in flags], dtype=bool),
            "coded": pd.Series(coded, dtype="category"),
            "count": pd.Series(counts, dtype="Int64"),
        }
    )
    written = io.BytesIO()
    write_csv(frame, written)
    expected = safe_for_spreadsheet(frame).to_csv(index=False, lineterminator="\n")
    assert written.getvalue().decode("utf-8") == expected


def test_csv_floats_that_repeat_are_what_pandas_writes():
    """Floats formatted once per distinct value (a slot audit's points) are pandas' own."""
    import io

    from schoolperf.reports.files import write_csv

    values = [-0.0, 0.0, float("nan"), 1e-5, 4.5, 7.0, 1e16, -2.25, 0.1, 123456789.5]
    frame = pd.DataFrame({"points": np.tile(values, 50)[::-1], "upn": "A"})
    written = io.BytesIO()
    write_csv(frame, written)
    assert written.getvalue().decode() == frame.to_csv(index=False, lineterminator="\n")


def test_parts_and_files_with_no_slot_filled(tmp_path):
    """A school whose rows fill no slot (a blank subject, every grade X): its part, and a
    whole file like it, still write their tables (review of issue 9: the slot texts of no
    slot were numbers)."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    lines = ["School,UPN,KS2 Reading,KS2 Maths,Subject,Grade"]
    for p in range(20):
        for subject, grade in [("English Language", "5"), ("Mathematics", "6"), ("History", "4")]:
            lines.append(f"4,A{p:02d},100,100,{subject},{grade}")
        lines.append(f"1,B{p:02d},100,100,,")
        lines.append(f"1,B{p:02d},100,100,Mathematics,X")
    path = tmp_path / "unfilled.csv"
    path.write_text("\n".join(lines) + "\n")
    written = {}
    for chunk_mb in ("0", "0.0015"):  # 0.0015 MB: two parts, one per school
        out = tmp_path / chunk_mb
        result = CliRunner().invoke(
            cli,
            ["analyse", str(path), "--by", "school", "--chunk-mb", chunk_mb, "--out", str(out)]
            + ["--profile"],
        )
        assert result.exit_code == 0, result.output
        assert ('"stage": "parts"' in result.output) == (chunk_mb != "0")
        written[chunk_mb] = out
    for name in ("pupils.csv", "slots.csv"):
        assert (written["0"] / name).read_bytes() == (written["0.0015"] / name).read_bytes()
    pupils = pd.read_csv(written["0.0015"] / "pupils.csv", dtype=str, keep_default_na=False)
    assert set(pupils.loc[pupils["upn"].str.startswith("1/"), "attainment8"]) == {"0.0"}
    ungraded = tmp_path / "ungraded.csv"
    ungraded.write_text("UPN,Subject,Grade\nA,Mathematics,X\nB,English Language,X\n")
    result = CliRunner().invoke(cli, ["analyse", str(ungraded), "--out", str(tmp_path / "u")])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "u" / "pupils.csv")) == 2


def _typed_parquet(national: Path, path: Path) -> Path:
    """The national fixture as a Parquet file of typed columns, as a researcher's would be:
    numbers, whole numbers with gaps as floats, nullable integers, categories, true/false and
    a column of fractions (whose whole numbers are written 100.0, as the whole file's are)."""
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    rows["School"] = rows["School"].astype("int64")
    rows["KS2 Reading"] = pd.to_numeric(rows["KS2 Reading"]).astype(float)  # blanks: NaN
    rows["KS2 Maths"] = pd.to_numeric(rows["KS2 Maths"]).astype("Int64")
    rows["Gender"] = rows["Gender"].astype("category")
    number = pd.factorize(rows["School"].astype(str) + "/" + rows["UPN"])[0]  # a pupil's
    rows["Looked after"] = number % 7 == 0
    rows["Attendance"] = np.where(number % 5 == 0, 100.0, 90.5)
    rows.to_parquet(path, row_group_size=3000)
    return path


@pytest.mark.parametrize("chunk_mb", [0.2, 0.5])
def test_parquet_file_in_parts_gives_the_whole_file_analysis(
    national, tmp_path, chunk_mb, part_source
):
    path = _typed_parquet(national, tmp_path / "national.parquet")
    groups = ("Looked after", "Attendance", "Gender")
    whole = analyse(path, AnalysisOptions(by="school", chunk_mb=0, groups=groups))
    parts = analyse(path, AnalysisOptions(by="school", chunk_mb=chunk_mb, groups=groups))
    assert "parts" in parts.timings and "parts" not in whole.timings
    assert {"attendance=100.0", "attendance=90.5", "Looked after=True"} <= set(whole.groups)
    _same(whole.to_dict(), parts.to_dict())
    assert whole.by == analyse(national, AnalysisOptions(by="school", chunk_mb=0)).by


def test_file_in_parts_with_workers_spawned(national, monkeypatch):
    """Workers started afresh (spawn: what macOS and Windows use), from the file split on
    disk (a spawned worker shares no memory with the parent), give the same analysis."""
    from schoolperf import api

    forked = analyse(national, AnalysisOptions(by="school", chunk_mb=0.5))
    monkeypatch.setattr(api, "_forking", lambda: False)
    started = []
    monkeypatch.setattr(api, "split_file", lambda *a: started.append(a) or split_file(*a))
    spawned = analyse(national, AnalysisOptions(by="school", chunk_mb=0.5))
    assert "parts" in spawned.timings and started
    _same(spawned.to_dict(), forked.to_dict())  # other parts: sums in another order


@pytest.mark.parametrize("chunk_mb", ["0", "0.2"])
def test_damaged_parquet_file_by_school_is_reported(national, tmp_path, chunk_mb):
    from click.testing import CliRunner

    from schoolperf.cli import cli

    path = _typed_parquet(national, tmp_path / "national.parquet")
    data = bytearray(path.read_bytes())
    data[100:150] = bytes(b ^ 0xFF for b in data[100:150])  # inside the first data page
    path.write_bytes(bytes(data))
    arguments = ["analyse", str(path), "--by", "school", "--chunk-mb", chunk_mb]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert "could not be read as Parquet" in result.output
    assert "Traceback" not in result.output


def test_benchmark_command_times_csv_and_parquet(tmp_path, capsys):
    from schoolperf.bench import main

    main(["--pupils", "1500", "--keep", str(tmp_path), "--parquet"])
    printed = capsys.readouterr().out
    assert "generated 1,500 pupils" in printed
    assert "schoolperf analyse national.csv:" in printed
    assert "schoolperf analyse national.parquet:" in printed
    assert printed.count("ratio (analyse / bare read):") == 2
    assert re.search(r"national\.csv --no-slot-audit: [\d.]+ s \(peak [\d.]+ GB\), ratio", printed)
    assert not (tmp_path / "out-pupils" / "slots.parquet").exists()
    assert (tmp_path / "out-pupils" / "pupils.parquet").exists()
    floor = re.search(
        r"floor \(bare read, then only writing the outputs, no figures\): ([\d.]+) s", printed
    )
    assert floor and float(floor.group(1)) > 0
    alone = re.search(r"floor of the --no-slot-audit run \(pupils only\): ([\d.]+) s", printed)
    assert alone and 0 < float(alone.group(1))
    csv, parquet = (tmp_path / f"out-{k}" / "summary.json" for k in ("csv", "parquet"))
    import json

    assert json.loads(csv.read_text())["by"] == json.loads(parquet.read_text())["by"]


SHARING = """
import os, sys, time
import numpy as np
block = np.ones(100 << 17)  # 100 MB, touched
pid = os.fork()
float(block.sum())  # the child reads every page of the block, and shares them
sys.stdout.write("ready\\n")  # one write each: the two lines never interleave
sys.stdout.flush()
time.sleep(30)
"""


@pytest.mark.skipif(
    not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux's proportional sizes"
)
def test_benchmark_counts_memory_shared_by_forked_workers_once():
    """A parent and the worker it forked, both reading the same 100 MB: 100 MB and the
    interpreters between them, not 200 MB as the two resident sizes would add up to."""
    import os
    import signal
    import subprocess
    import sys

    from schoolperf.bench import _tree_memory

    process = subprocess.Popen(
        [sys.executable, "-c", SHARING], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert process.stdout.readline() == "ready\n" and process.stdout.readline() == "ready\n"
        measured = _tree_memory(process.pid) / (1 << 20)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the worker too
        process.wait()
    assert 100 < measured < 170


def test_benchmark_without_keep_leaves_no_file(tmp_path, monkeypatch, capsys):
    """Each run writes a national-size file: without --keep it is removed afterwards."""
    import tempfile

    from schoolperf.bench import main

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    main(["--pupils", "300"])
    assert "floor" in capsys.readouterr().out
    assert not list(tmp_path.glob("schoolperf-bench-*"))


def test_parquet_metadata_describes_the_columns_as_written(tmp_path, monkeypatch):
    """A categorical column's pandas metadata gives the 32-bit codes written (its count of
    categories, a file in parts against the whole, is checked with the parts' outputs); one of
    more values than a dictionary holds is written, read back and described as text."""
    from schoolperf.reports import files

    frame = pd.DataFrame(
        {
            "upn": pd.Categorical(["A", "B", "C"], categories=["A", "B", "C", "Z"]),
            "subject": pd.Categorical(["x", "y", "x"], categories=["w", "x", "y"]),
        }
    )
    monkeypatch.setattr(files, "LARGEST_DICTIONARY", 3)
    path = tmp_path / "t.parquet"
    files.write_table(frame, "parquet", str(path))
    columns = {
        c["name"]: c for c in json.loads(pq.read_schema(path).metadata[b"pandas"])["columns"]
    }
    assert columns["subject"]["numpy_type"] == "int32"  # the frame's codes are 8-bit
    assert columns["upn"]["pandas_type"] == "object" and columns["upn"]["metadata"] is None
    back = pd.read_parquet(path)
    assert back["upn"].tolist() == ["A", "B", "C"] and pd.api.types.is_string_dtype(back["upn"])
    assert back["subject"].cat.categories.tolist() == ["w", "x", "y"]


def test_more_problems_than_listed_are_counted(tmp_path):
    """A wide export repeating 600 pupils: 500 listed, and one entry counting the other 100
    (in a validate report too)."""
    from click.testing import CliRunner

    from schoolperf.cli import cli
    from schoolperf.errors import InputError

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
    assert "wide.csv: 600 problem(s); fix them and run again." in result.stderr
    # analyse prints 200 of the 500 listed, then counts the other 300 and the 100 unlisted
    result = CliRunner().invoke(cli, ["analyse", str(path)])
    assert result.exit_code == 2 and result.output.count("error: ") == 200
    assert "… and 400 more problems (see schoolperf validate)." in result.output


def test_parquet_text_batches_come_in_order(national, tmp_path, monkeypatch):
    """A Parquet file's batches, turned into text on several threads, come in the file's
    order: many small batches give the table one large batch gives."""
    from schoolperf.ingest import read

    path = _typed_parquet(national, tmp_path / "typed.parquet")
    whole = pa.Table.from_batches(list(read._parquet_text_batches(path)[1]))
    monkeypatch.setattr(read, "TEXT_BATCH_ROWS", 700)
    small = list(read._parquet_text_batches(path)[1])
    assert len(small) > 20 and pa.Table.from_batches(small).equals(whole)
    assert whole.column("School").to_pylist()[:2] == ["100000", "100000"]


def test_row_warnings_alike_whole_or_in_parts(tmp_path, part_source):
    """Blank group cells are counted, and columns about each result named, alike whole or in
    parts (each part sees only some of them)."""
    rows = ["School,UPN,PP,Subject,Awarding Body,Grade"]
    for school in range(12):
        for pupil in range(15):
            pp = "" if school % 3 == 0 and pupil < 2 else "YN"[pupil % 2]
            board = "OCR" if (school, pupil) == (7, 3) else "AQA"
            rows.append(f"S{school},P{pupil},{pp},English Language,AQA,5")
            rows.append(f"S{school},P{pupil},{pp},Mathematics,{board},6")
    path = tmp_path / "trust.csv"
    path.write_text("\n".join(rows) + "\n")
    whole = analyse(path, AnalysisOptions(by="school", chunk_mb=0))
    parts = analyse(path, AnalysisOptions(by="school", chunk_mb=0.002))
    assert "parts" in parts.timings
    assert parts.warnings == whole.warnings
    assert whole.warnings[0].startswith("No column could be read as SEN or gender")
    assert whole.warnings[1].startswith("8 pupil(s) have a blank 'PP' cell")
    assert whole.warnings[2].startswith("Column(s) 'Awarding Body' differ between a pupil's rows")


def test_spellings_of_one_school_meet_in_one_part(national, tmp_path, part_source):
    """A school spelt two ways (one row moved to the end of the file as ``school 1``): its
    spellings go to one part, so the file is reported alike whole or in parts."""
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    rows["School"] = "School " + rows["School"]
    last = rows.index[rows["School"] == rows["School"].iloc[0]][-1]
    moved = rows.loc[[last]].assign(School=rows["School"].iloc[0].lower().replace(" ", "  "))
    path = tmp_path / "spelt.csv"
    pd.concat([rows.drop(index=last), moved]).to_csv(path, index=False)
    whole = _problems(path, chunk_mb=0)
    assert [p[:3] for p in whole] == [("value-spellings", f"2, {len(rows) + 1}", "School")]
    assert _problems(path, chunk_mb=0.2) == whole
