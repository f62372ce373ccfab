"""The JSON document's text: the pupils array streamed a line per pupil, each line exactly what
``json.dumps`` writes for the pupil, and the whole document what ``json.loads`` reads back as
``Analysis.to_dict()``."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.cli import cli
from schoolperf.outputs import document
from schoolperf.outputs.document import document_text, indented, json_lines
from tests.conftest import DEMO

SLOT = pa.struct([("subject", pa.string()), ("points", pa.float64()), ("weight", pa.int64())])

floats = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 0.1, 1e-300, 1e300, 47.0, 5.25]),
)
texts = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(['a"b', "\\", "é\n\x00", "😀"]))
slots = st.lists(
    st.one_of(
        st.none(),  # a missing slot: null, as json.dumps writes None
        st.fixed_dictionaries(
            {
                "subject": st.one_of(st.none(), st.text(max_size=5)),
                "points": floats,
                "weight": st.integers(1, 2),
            }
        ),
    ),
    max_size=4,
)
rows = st.fixed_dictionaries(
    {
        "upn": texts,
        "score": floats,
        "whole": st.one_of(st.none(), st.integers(-(2**62), 2**62)),
        "flag": st.one_of(st.none(), st.booleans()),
        "slots": st.one_of(st.none(), slots),
    }
)


def _table(records: list[dict]) -> pa.Table:
    types = {"upn": pa.string(), "score": pa.float64(), "whole": pa.int64(), "flag": pa.bool_()}
    return pa.table(
        {
            **{k: pa.array([r[k] for r in records], t) for k, t in types.items()},
            "slots": pa.array([r["slots"] for r in records], pa.list_(SLOT)),
        }
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, min_size=1, max_size=12))
def test_each_line_is_what_json_dumps_writes(records):
    table = _table(records)
    lines = json_lines(table).to_pylist()
    assert lines == [json.dumps(r, ensure_ascii=False) for r in table.to_pylist()]


def test_text_categories_and_slices():
    subjects = pa.array(["Maths", None, "Art", "Maths"]).dictionary_encode()
    table = pa.table({"subject": subjects, "n": [1, 2, 3, 4]}).slice(1, 3)
    assert json_lines(table).to_pylist() == [
        '{"subject": null, "n": 2}',
        '{"subject": "Art", "n": 3}',
        '{"subject": "Maths", "n": 4}',
    ]
    # a dictionary that holds a null among its values, and one unused value
    coded = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0]), pa.array(["é", None, "x"]))
    assert json_lines(pa.table({"t": coded})).to_pylist() == [
        '{"t": "é"}',
        '{"t": null}',
        '{"t": "é"}',
    ]


plain = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), texts.filter(bool)
)
documents = st.recursive(
    plain,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers(), st.booleans()), inner),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from(["", "  ", "    "]))
def test_document_is_indented_as_json_dumps_writes(value, pad):
    expected = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + pad)
    assert indented(value, pad) == expected


def test_document_indented_with_what_default_gives():
    import numpy as np

    def default(value: object) -> object:
        if isinstance(value, (np.ndarray, np.generic)):
            return value.tolist()
        return sorted(value)

    for value in [
        [np.array([1, 2])],
        np.array([[1, 2], [3]], dtype=object),
        {"a": {3, 1}, "b": np.float64(0.5), "c": [np.int64(4)]},
    ]:
        assert indented(value, "", default) == json.dumps(value, indent=2, default=default)
    with pytest.raises(TypeError):
        indented({"a": {1}})


@pytest.mark.parametrize("block", [1, 2, 1 << 15])
def test_document_reads_back_whole(monkeypatch, block):
    monkeypatch.setattr(document, "PUPILS_PER_BLOCK", block)
    table = _table(
        [
            {"upn": "A1", "score": 1.5, "whole": 3, "flag": True, "slots": []},
            {"upn": "A2", "score": None, "whole": None, "flag": None, "slots": None},
            {
                "upn": "A3",
                "score": -0.0,
                "whole": 1,
                "flag": False,
                "slots": [{"subject": "Art", "points": 4.0, "weight": 1}],
            },
        ]
    )
    whole = {"label": "x", "school": {"pupils": 3}, "pupils": None, "warnings": ["w"]}
    text = b"".join(document_text(whole, table)).decode()
    assert json.loads(text) == {**whole, "pupils": table.to_pylist()}
    assert text.count("\n    {") == 3  # a pupil a line
    assert b"".join(document_text(whole)).decode() == json.dumps(whole, indent=2) + "\n"
    assert json.loads(b"".join(document_text(whole, table.slice(0, 0))))["pupils"] == []


def test_demo_json_output_is_to_dict(tmp_path):
    from click.testing import CliRunner

    analysis = analyse(DEMO, AnalysisOptions())
    expected = json.loads(json.dumps(analysis.to_dict()))
    printed = CliRunner().invoke(cli, ["analyse", str(DEMO), "--format", "json"])
    assert printed.exit_code == 0
    assert json.loads(printed.stdout) == expected
    assert printed.stdout.count('\n    {"upn": ') == 180  # a pupil a line
    written = CliRunner().invoke(cli, ["analyse", str(DEMO), "--out", str(tmp_path)])
    assert written.exit_code == 0
    assert json.loads((tmp_path / "summary.json").read_text()) == expected
