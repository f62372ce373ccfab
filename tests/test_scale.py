"""Many schools in one file: per-school figures from one run equal each school alone, and a
file's problems and outputs are reported and written as for any file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from schoolperf.analysis import AnalysisOptions, analyse
from tests.conftest import write_schools

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
    write_schools(path, pupils=2400, seed=7, per_school=12)  # about 200 schools
    return path


# schools analysed alone and compared with the file's per-school figures: every fifth school
# by default (about 40); SCHOOLPERF_SCALE_SCHOOLS=0 compares every school
EVERY_NTH_SCHOOL = int(os.environ.get("SCHOOLPERF_SCALE_SCHOOLS", "5")) or 1


@pytest.fixture(scope="module")
def each_school_alone(national, tmp_path_factory):
    folder = tmp_path_factory.mktemp("alone")
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    alone = {}
    for number, (urn, school_rows) in enumerate(rows.groupby("School")):
        if number % EVERY_NTH_SCHOOL:
            continue
        path = folder / f"{urn}.csv"
        school_rows.to_csv(path, index=False)
        alone[str(urn)] = analyse(path).school
    return alone


def test_per_school_figures_equal_each_school_alone(national, each_school_alone):
    together = analyse(national, AnalysisOptions(by="school"))
    assert len(together.by) >= 150 and set(each_school_alone) <= set(together.by)
    assert len(each_school_alone) >= len(together.by) // EVERY_NTH_SCHOOL
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


def test_ks2_bands_of_subject_entries_in_ks2_order(national):
    entries = analyse(national, AnalysisOptions(by="school")).subject_entries
    assert entries["ks2_band"].cat.categories[0] == "Less than 80"  # KS2 order, not text order


def test_problems_are_reported_with_the_files_own_rows(national, tmp_path):
    from schoolperf.errors import InputError

    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    rows.loc[[5, 1700, 2900], "Grade"] = ["ZZ", "11", "Z"]  # rows 7, 1702, 2902; three schools
    rows.loc[4000, "KS2 Reading"] = "130"
    path = tmp_path / "bad.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(InputError) as error:
        analyse(path, AnalysisOptions(by="school"))
    found = [(p.code, p.row, p.column, p.value) for p in error.value.problems]
    assert {(code, row) for code, row, _, _ in found} >= {
        ("unknown-grade", "7"),
        ("unknown-grade", "1702"),
        ("unknown-grade", "2902"),
    }
    assert any(code == "ks2-out-of-range" for code, *_ in found)


def _problems(path, **options):
    from schoolperf.errors import SchoolperfError

    with pytest.raises(SchoolperfError) as error:
        analyse(path, AnalysisOptions(by="school", **options))
    return [(p.code, p.row, p.column, p.value, p.message) for p in error.value.problems]


def test_problems_are_listed_once_and_capped_by_kind_per_column(national, tmp_path):
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    renamed = tmp_path / "renamed.csv"
    rows.rename(columns={"Grade": "Score"}).to_csv(renamed, index=False)
    assert len(_problems(renamed)) == 1
    many = tmp_path / "many.csv"
    # a different bad grade on each row of two subjects (one bad grade on many rows is one
    # problem), more than the limit: the limit is of the kind of problem per column, not per
    # subject
    bad = rows["Subject"].isin(["Mathematics", "English Language"])
    distinct = "Z" + pd.Series(range(len(rows)), index=rows.index).astype(str)
    rows.assign(Grade=rows["Grade"].where(~bad, distinct)).to_csv(many, index=False)
    whole = _problems(many)
    assert len(whole) == 501  # the limit of one kind of problem per column, and the rest counted
    assert {p[4] for p in whole[:500]} == {
        f"is not a grade schoolperf can score for {s!r}."
        for s in ("Mathematics", "English Language")
    }
    rest = int(bad.sum()) - 500
    # and one bad grade on every row of a subject is one problem, with its count
    rows.assign(Grade=rows["Grade"].where(~bad, "ZZ")).to_csv(many, index=False)
    flood = _problems(many)
    assert len(flood) == 2 and {p[3] for p in flood} == {"ZZ"}
    assert whole[500][:4] == ("unknown-grade", None, "Grade", None)
    assert whole[500][4] == f"{rest:,} more of this problem, like those above, are not listed."
    # more than 500 pupils whose rows disagree, the schools in reverse order (the pupils' keys
    # sort unlike their rows): the first 500 by row
    reverse = rows.iloc[::-1].reset_index(drop=True)
    flipped = reverse.assign(Gender=np.where(reverse.index % 2 == 0, "M", "F"))
    disagree = tmp_path / "disagree.csv"
    flipped.to_csv(disagree, index=False)
    whole = _problems(disagree)
    assert len(whole) == 501 and whole[0][1].startswith("2, ")
    pupils = flipped.groupby(["School", "UPN"]).ngroups
    assert (
        whole[500][4] == f"{pupils - 500:,} more of this problem, like those above, are not listed."
    )
    # more than 500 pupils with a bad gender code, each their own, the schools in reverse
    # order: the first 500 by row
    coded = tmp_path / "coded.csv"
    own = "Q" + reverse.groupby(["School", "UPN"]).ngroup().astype(str)
    reverse.assign(Gender=own).to_csv(coded, index=False)
    whole = _problems(coded)
    assert len(whole) == 501 and [int(p[1]) for p in whole[:500]] == sorted(
        int(p[1]) for p in whole[:500]
    )
    assert whole[0][1] == "2"
    # one bad code for every pupil is one problem, naming the first rows and the count
    reverse.assign(Gender="Q").to_csv(coded, index=False)
    [flood] = _problems(coded)
    assert flood[1].startswith("2, ") and flood[4] == "is not a gender code (in 2,400 pupils)."


def test_a_missing_baseline_is_reported(national, tmp_path):
    missing = str(tmp_path / "no-such-baseline.csv")
    assert [p[0] for p in _problems(national, baseline_file=missing)] == ["no-such-file"]


def test_schools_of_no_grades_score_nothing(national, tmp_path):
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    first = rows["School"].unique()[:40]
    path = tmp_path / "ungraded.csv"
    rows.assign(Grade=rows["Grade"].where(~rows["School"].isin(first), "X")).to_csv(
        path, index=False
    )
    analysis = analyse(path, AnalysisOptions(by="school"))
    assert {analysis.by[str(urn)]["attainment8"] for urn in first} == {0.0}
    others = [v["attainment8"] for k, v in analysis.by.items() if k not in set(map(str, first))]
    assert min(others) > 0


def test_by_a_column_that_does_not_divide_pupils(national, tmp_path):
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    rows["Tutor Group"] = "T" + (rows.index % 7).astype(str)  # a pupil's rows in several groups
    path = tmp_path / "tutor.csv"
    rows.to_csv(path, index=False)
    analysis = analyse(path, AnalysisOptions(by="Tutor Group"))
    assert set(analysis.by) == {f"T{i}" for i in range(7)}
    # a pupil is a (value, UPN) pair: one of several tutor groups counts in each
    assert sum(v["pupils"] for v in analysis.by.values()) == analysis.school["pupils"] > 2400


def test_file_of_blank_rows(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("School,UPN,Subject,Grade\n" + ",,,\n" * 5000)
    assert [p[0] for p in _problems(path)] == ["no-data-rows"]


@pytest.mark.parametrize("anonymise", [[], ["--anonymise"]])
@pytest.mark.parametrize("out_format", ["csv", "parquet"])
def test_outputs_of_many_schools(national, tmp_path, out_format, anonymise, monkeypatch):
    """The pupils and slots outputs of a file of many schools: every pupil, in key order,
    with schools named so that one school's pupils fall between another's (``1`` and
    ``1/B…``) and a school's name that a spreadsheet would run as a formula."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    monkeypatch.setenv("SCHOOLPERF_PSEUDONYM_KEY", "a-secret-for-these-tests-only")
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    schools = rows["School"].unique()
    middle = rows.loc[rows["School"] == schools[0], "UPN"].unique()[3]
    rows["School"] = rows["School"].replace(
        {schools[1]: f"{schools[0]}/{middle}", schools[2]: "=2"}
    )
    path = tmp_path / "named.csv"
    rows.to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["analyse", str(path), "--by", "school", "--out", str(out)]
        + ["--out-format", out_format, "--summary-only", *anonymise],
    )
    assert result.exit_code == 0, result.output
    if out_format == "csv":
        upn = pd.read_csv(out / "pupils.csv", dtype=str)["upn"].str.removeprefix("'")
        slots = pd.read_csv(out / "slots.csv", dtype=str)
    else:
        upn = pd.read_parquet(out / "pupils.parquet")["upn"].astype(str)
        slots = pd.read_parquet(out / "slots.parquet")
        if isinstance(slots["upn"].dtype, pd.CategoricalDtype):
            assert slots["upn"].cat.categories.is_monotonic_increasing
    assert upn.is_monotonic_increasing and len(upn) == 2400
    assert len(slots) > len(rows)
    if not anonymise:
        assert upn.str.startswith(f"{schools[0]}/{middle}/").any()
        assert slots["upn"].astype(str).str.contains("=2/").any()


@pytest.mark.parametrize("out_format", ["csv", "parquet"])
def test_no_slot_audit_writes_the_same_pupils_and_no_slots(national, tmp_path, out_format):
    """``--no-slot-audit``: pupils and summary as ever, no slots file (and a warning where an
    earlier run's is in the folder)."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    written = {}
    command = ["analyse", str(national), "--by", "school"]
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
    # into the folder of the run with an audit: its slot audit is said to be the earlier run's
    result = CliRunner().invoke(cli, [*command, "--out", str(written[0]), "--no-slot-audit"])
    assert result.exit_code == 0 and f"{slots} is from an earlier run" in result.output


def test_write_outputs_writes_the_audit_as_the_analysis_was_run(national, tmp_path):
    """From Python: an analysis run without the slot audit writes none by default; one run
    with it writes none when told not to."""
    from schoolperf.outputs.files import write_outputs

    analysis = analyse(national, AnalysisOptions(by="school", slot_audit=False))
    written = write_outputs(tmp_path / "a", analysis.to_dict(pupils=False), analysis, ())
    assert [p.name for p in written] == ["pupils.csv", "summary.json"]
    analysis = analyse(national, AnalysisOptions(by="school"))
    document = analysis.to_dict(pupils=False)
    written = write_outputs(tmp_path / "b", document, analysis, (), "parquet", audit=False)
    assert [p.name for p in written] == ["pupils.parquet", "summary.json"]
    written = write_outputs(tmp_path / "c", document, analysis, (), "parquet")
    assert [p.name for p in written] == ["pupils.parquet", "slots.parquet", "summary.json"]


def test_chunk_mb_is_accepted_and_ignored(national):
    """Scripts written for earlier versions keep working: ``--chunk-mb`` is ignored, and the
    run says so."""
    from click.testing import CliRunner

    from schoolperf.cli import cli

    command = ["analyse", str(national), "--by", "school", "--format", "json", "--summary-only"]
    plain = CliRunner().invoke(cli, command)
    chunked = CliRunner().invoke(cli, [*command, "--chunk-mb", "0.2"])
    assert plain.exit_code == chunked.exit_code == 0, chunked.output
    assert "--chunk-mb is no longer needed" in chunked.stderr
    assert "--chunk-mb" not in plain.stderr
    figures = [json.loads(r.stdout) for r in (plain, chunked)]
    assert figures[0]["by"] == figures[1]["by"] and figures[0]["school"] == figures[1]["school"]


def test_cli_json_pupils_array_of_many_schools(national):
    from click.testing import CliRunner

    from schoolperf.cli import cli

    command = ["analyse", str(national), "--by", "school", "--format", "json"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    pupils = json.loads(result.stdout)["pupils"]
    assert len(pupils) == 2400 and all(len(p["slots"]) <= 10 for p in pupils)


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


def test_typed_parquet_file_gives_the_csv_files_figures(national, tmp_path):
    path = _typed_parquet(national, tmp_path / "national.parquet")
    groups = ("Looked after", "Attendance", "Gender")
    analysis = analyse(path, AnalysisOptions(by="school", groups=groups))
    assert {"attendance=100.0", "attendance=90.5", "Looked after=True"} <= set(analysis.groups)
    assert analysis.by == analyse(national, AnalysisOptions(by="school")).by


def test_damaged_parquet_file_by_school_is_reported(national, tmp_path):
    from click.testing import CliRunner

    from schoolperf.cli import cli

    path = _typed_parquet(national, tmp_path / "national.parquet")
    data = bytearray(path.read_bytes())
    data[100:150] = bytes(b ^ 0xFF for b in data[100:150])  # inside the first data page
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["analyse", str(path), "--by", "school"])
    assert result.exit_code == 2, result.output
    assert "could not be read as Parquet" in result.output
    assert "Traceback" not in result.output


def test_row_warnings_of_many_schools(tmp_path):
    """Blank group cells are counted, and columns about each result named."""
    rows = ["School,UPN,PP,Subject,Awarding Body,Grade"]
    for school in range(12):
        for pupil in range(15):
            pp = "" if school % 3 == 0 and pupil < 2 else "YN"[pupil % 2]
            board = "OCR" if (school, pupil) == (7, 3) else "AQA"
            rows.append(f"S{school},P{pupil},{pp},English Language,AQA,5")
            rows.append(f"S{school},P{pupil},{pp},Mathematics,{board},6")
    path = tmp_path / "trust.csv"
    path.write_text("\n".join(rows) + "\n")
    warnings = analyse(path, AnalysisOptions(by="school")).warnings
    assert warnings[0].startswith("No column could be read as SEN or gender")
    assert warnings[1].startswith("8 pupils have a blank 'PP' cell")
    assert warnings[2].startswith("Column 'Awarding Body' differs between a pupil's rows")


def test_spellings_of_one_school_are_reported(national, tmp_path):
    """A school spelt two ways (one row moved to the end of the file as ``school 1``)."""
    rows = pd.read_csv(national, dtype=str, keep_default_na=False)
    rows["School"] = "School " + rows["School"]
    last = rows.index[rows["School"] == rows["School"].iloc[0]][-1]
    moved = rows.loc[[last]].assign(School=rows["School"].iloc[0].lower().replace(" ", "  "))
    path = tmp_path / "spelt.csv"
    pd.concat([rows.drop(index=last), moved]).to_csv(path, index=False)
    problems = _problems(path)
    assert [p[:3] for p in problems] == [("value-spellings", f"2, {len(rows) + 1}", "School")]
