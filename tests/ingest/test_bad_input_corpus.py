"""The malformed-input corpus in ``tests/bad_inputs``: every file gets exit 2 and its exact first
message (or, where the data can still be used unambiguously, exit 0, the right A8 and its
warning), one line per problem, never a traceback; plus a 1 GB file and a hypothesis fuzz of
random exports."""

from __future__ import annotations

import csv
import json
import os
import random
import string

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolperf.analysis import analyse
from schoolperf.cli import cli
from schoolperf.errors import SchoolperfError
from tests.conftest import BAD_INPUTS

CORPUS = BAD_INPUTS
with open(CORPUS / "expected.csv", encoding="utf-8") as _f:
    EXPECTED = list(csv.DictReader(_f))


def test_corpus_is_complete():
    files = {p.name for p in (CORPUS / "files").iterdir()}
    assert files == {row["file"] for row in EXPECTED}
    assert len(files) >= 50


@pytest.mark.parametrize("case", EXPECTED, ids=[row["file"] for row in EXPECTED])
def test_corpus_file(case):
    path = CORPUS / "files" / case["file"]
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["analyse", str(path), "--format", "json"])
    assert result.exit_code == int(case["exit"]), result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == int(case["problems"])
    if result.exit_code == 2:
        assert errors[0] == f"error: {case['message']}"
        assert case["file"] in errors[0]  # every message names the file
    else:
        document = json.loads(result.stdout)
        assert document["school"]["attainment8"] == float(case["attainment8"])
        if case["message"]:
            assert case["message"] in document["warnings"]
    assert path.read_bytes() == before  # the input is never changed


def test_excel_serial_dates_are_read_as_dates():
    analysis = analyse(CORPUS / "files" / "excel_date_serial.csv")
    assert {d.strftime("%Y-%m-%d") for d in analysis.slots["exam_date"]} == {"2026-06-01"}


def test_a_one_gigabyte_file_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as f:
        f.truncate(1 << 30)  # 1 GiB, sparse: zeros
    result = CliRunner().invoke(cli, ["analyse", str(huge)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: huge.csv: is not a CSV, Excel or Parquet file")


HEADINGS = [
    "UPN",
    "Pupil ID",
    "Forename",
    "Gender",
    "PP",
    "SEN",
    "EAL",
    "KS2 Reading",
    "KS2 Maths",
    "KS2 Year",
    "Subject",
    "Qualification",
    "QAN",
    "Grade",
    "Exam Date",
    "Maths",
    "English Language",
    "Combined Science",
    "",
    "grade",
]
CELLS = [
    "",
    "T1",
    "T2",
    "M",
    "F",
    "Y",
    "N",
    "K",
    "E",
    "104",
    "130",
    "PKF",
    "BLW",
    "2019",
    "Maths",
    "English Language",
    "Combined Science",
    "Art",
    "BTEC Tech Award Sport",
    "5",
    "U",
    "X",
    "6-5",
    "8-6",
    "L2D*",
    "A*",
    "2026-06-01",
    "June 2026",
    "46174",
    "=1+1",
    "<b>",
    "60147003",
    "9.5",
    "6+",
]


@st.composite
def exports(draw) -> bytes:
    """Random exports: a header from real and odd headings, rows of real and broken cells,
    random delimiters, encodings and line ends, sometimes raw bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    width = draw(st.integers(1, 7))
    header = draw(st.lists(st.sampled_from(HEADINGS), min_size=width, max_size=width))
    rows = draw(
        st.lists(
            st.lists(
                st.one_of(st.sampled_from(CELLS), st.text(string.printable, max_size=8)),
                min_size=max(0, width - 1),
                max_size=width + 1,
            ),
            max_size=6,
        )
    )
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(sep.join(r) for r in [header, *rows]) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


FUZZ_EXAMPLES = int(os.environ.get("SCHOOLPERF_FUZZ_EXAMPLES", "300"))


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=exports(), suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".parquet"]))
def test_fuzzed_exports_give_a_result_or_a_clean_error(tmp_path, data, suffix):
    path = tmp_path / f"export{random.Random(len(data)).randrange(10**6)}{suffix}"
    path.write_bytes(data)
    try:
        analyse(path)
    except SchoolperfError as error:
        assert error.problems and all(p.describe() for p in error.problems)
