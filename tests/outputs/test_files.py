"""The output files: the CSV written is byte for byte what pandas writes, formulas neutralised;
Parquet outputs carry pandas metadata describing the columns as written; a file whose rows fill
no slot still writes its tables."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolperf.outputs import files, parquet
from schoolperf.outputs.files import safe_for_spreadsheet, write_csv
from tests.conftest import DEMO, invoke

_CELL_TEXT = st.one_of(st.none(), st.text(alphabet="ab ,\"\n\r=+-@é;'0.", max_size=6))


def test_parquet_outputs(tmp_path):
    result = invoke(
        "analyse", str(DEMO), "--out", str(tmp_path), "--out-format", "parquet", "--summary-only"
    )
    assert result.exit_code == 0
    pupils = pd.read_parquet(tmp_path / "pupils.parquet")
    assert len(pupils) == 180 and "attainment8" in pupils
    assert json.loads((tmp_path / "summary.json").read_text())["pupils"] is None


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
    values = [-0.0, 0.0, float("nan"), 1e-5, 4.5, 7.0, 1e16, -2.25, 0.1, 123456789.5, 1 / 3]
    values += [float("inf"), -float("inf"), 5e-324, 1.7976931348623157e308, 2.5e-7, 1e15]
    frame = pd.DataFrame({"points": np.tile(values, 50)[::-1], "upn": "A"})
    write_csv(frame, str(tmp_path / "floats.csv"))
    written = (tmp_path / "floats.csv").read_text()
    assert written == frame.to_csv(index=False, lineterminator="\n")


def test_outputs_with_no_slot_filled(tmp_path):
    """A school whose rows fill no slot (a blank subject, every grade X), and a whole file
    like it, still write their tables (the slot texts of no slot are not numbers)."""
    lines = ["School,UPN,KS2 Reading,KS2 Maths,Subject,Grade"]
    for p in range(20):
        for subject, grade in [("English Language", "5"), ("Mathematics", "6"), ("History", "4")]:
            lines.append(f"4,A{p:02d},100,100,{subject},{grade}")
        lines.append(f"1,B{p:02d},100,100,,")
        lines.append(f"1,B{p:02d},100,100,Mathematics,X")
    path = tmp_path / "unfilled.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    result = invoke("analyse", str(path), "--by", "school", "--out", str(out))
    assert result.exit_code == 0, result.output
    pupils = pd.read_csv(out / "pupils.csv", dtype=str, keep_default_na=False)
    assert set(pupils.loc[pupils["upn"].str.startswith("1/"), "attainment8"]) == {"0.0"}
    assert set(pupils.loc[pupils["upn"].str.startswith("1/"), "slot_maths_1"]) == {""}
    ungraded = tmp_path / "ungraded.csv"
    ungraded.write_text("UPN,Subject,Grade\nA,Mathematics,X\nB,English Language,X\n")
    result = invoke("analyse", str(ungraded), "--out", str(tmp_path / "u"))
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "u" / "pupils.csv")) == 2


def test_parquet_metadata_describes_the_columns_as_written(tmp_path, monkeypatch):
    """A categorical column's pandas metadata gives the 32-bit codes written (its count of
    categories); one of
    more values than a dictionary holds is written, read back and described as text."""
    frame = pd.DataFrame(
        {
            "upn": pd.Categorical(["A", "B", "C"], categories=["A", "B", "C", "Z"]),
            "subject": pd.Categorical(["x", "y", "x"], categories=["w", "x", "y"]),
        }
    )
    monkeypatch.setattr(parquet, "LARGEST_DICTIONARY", 3)
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
