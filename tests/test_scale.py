"""Many schools in one file: per-school figures from one run equal each school alone, and a
file's problems and outputs are reported and written as for any file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_per_school_figures_equal_each_school_alone(national, each_school_alone):
    together = analyse(national, AnalysisOptions(by="school"))
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
    # bad grades of two subjects, each more than the limit: the limit is of the kind of
    # problem per column, not per subject
    bad = rows["Subject"].isin(["Mathematics", "English Language"])
    rows.assign(Grade=rows["Grade"].where(~bad, "ZZ")).to_csv(many, index=False)
    whole = _problems(many)
    assert len(whole) == 501  # the limit of one kind of problem per column, and the rest counted
    assert {p[4] for p in whole[:500]} == {
        f"is not a grade schoolperf can score for {s!r}."
        for s in ("Mathematics", "English Language")
    }
    rest = int(bad.sum()) - 500
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
    # more than 500 pupils with a bad gender code, the schools in reverse order: the first 500
    # by row
    coded = tmp_path / "coded.csv"
    reverse.assign(Gender="Q").to_csv(coded, index=False)
    whole = _problems(coded)
    assert len(whole) == 501 and [int(p[1]) for p in whole[:500]] == sorted(
        int(p[1]) for p in whole[:500]
    )
    assert whole[0][1] == "2"


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


@pytest.mark.parametrize("anonymise", [[], ["--anonymise"]])
@pytest.mark.parametrize("out_format", ["csv", "parquet"])
def test_outputs_of_many_schools(national, tmp_path, out_format, anonymise):
    """The pupils and slots outputs of a file of many schools: every pupil, in key order,
    with schools named so that one school's pupils fall between another's (``1`` and
    ``1/B…``) and a school's name that a spreadsheet would run as a formula."""
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
def test_csv_rows_are_the_rows_pandas_writes(rows, tmp_path_factory):
    """The CSV written by DuckDB is byte for byte pandas' own, formulas neutralised the same
    way: quoting, missing values, floats, true/false, categoricals; but for a cell holding a
    carriage return, which is quoted (RFC 4180), and reads back the same."""
    import io

    from schoolperf.outputs.files import safe_for_spreadsheet, write_csv

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
    path = tmp_path_factory.mktemp("csv") / "rows.csv"
    write_csv(frame, str(path))
    written = path.read_bytes().decode("utf-8")
    expected = safe_for_spreadsheet(frame).to_csv(index=False, lineterminator="\n")
    if not any("\r" in t for t in text if t):
        assert written == expected
    else:  # pandas' own file would read back broken: the cells it would mean
        import csv

        mark = "\x01"  # a carriage return's stand-in while pandas writes the text
        text_columns = ["text, quoted", "object"]
        swapped = frame.assign(**{c: frame[c].str.replace("\r", mark) for c in text_columns})
        meant = safe_for_spreadsheet(swapped).to_csv(index=False, lineterminator="\n")
        expected_rows = [
            [cell.replace(mark, "\r") for cell in row] for row in csv.reader(io.StringIO(meant))
        ]
        assert list(csv.reader(io.StringIO(written, newline=""))) == expected_rows


def test_csv_floats_are_what_pandas_writes(tmp_path):
    """Floats in their shortest round-trip form, as pandas writes them."""
    from schoolperf.outputs.files import write_csv

    values = [-0.0, 0.0, float("nan"), 1e-5, 4.5, 7.0, 1e16, -2.25, 0.1, 123456789.5, 1 / 3]
    values += [float("inf"), -float("inf"), 5e-324, 1.7976931348623157e308, 2.5e-7, 1e15]
    frame = pd.DataFrame({"points": np.tile(values, 50)[::-1], "upn": "A"})
    write_csv(frame, str(tmp_path / "floats.csv"))
    written = (tmp_path / "floats.csv").read_text()
    assert written == frame.to_csv(index=False, lineterminator="\n")


def test_outputs_with_no_slot_filled(tmp_path):
    """A school whose rows fill no slot (a blank subject, every grade X), and a whole file
    like it, still write their tables (the slot texts of no slot are not numbers)."""
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
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyse", str(path), "--by", "school", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pupils = pd.read_csv(out / "pupils.csv", dtype=str, keep_default_na=False)
    assert set(pupils.loc[pupils["upn"].str.startswith("1/"), "attainment8"]) == {"0.0"}
    assert set(pupils.loc[pupils["upn"].str.startswith("1/"), "slot_maths_1"]) == {""}
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


def test_parquet_metadata_describes_the_columns_as_written(tmp_path, monkeypatch):
    """A categorical column's pandas metadata gives the 32-bit codes written (its count of
    categories); one of
    more values than a dictionary holds is written, read back and described as text."""
    from schoolperf.outputs import files

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
    assert warnings[1].startswith("8 pupil(s) have a blank 'PP' cell")
    assert warnings[2].startswith("Column(s) 'Awarding Body' differ between a pupil's rows")


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
