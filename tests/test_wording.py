"""Counts are said in words a person reads: "1 pupil has", "8 pupils have"."""

from __future__ import annotations

import ast
import re

from schoolperf.reference import counted, plural
from tests.conftest import ROOT


def test_a_count_takes_its_own_number():
    assert counted(1, "pupil") == "1 pupil"
    assert counted(0, "pupil") == "0 pupils"
    assert counted(1023, "problem") == "1,023 problems"
    assert counted(2, "URN") == "2 URNs"
    assert plural(1, "has", "have") == "has" and plural(8, "has", "have") == "have"
    assert plural(2, "it", "them") == "them"


def test_no_message_or_template_says_a_word_with_s_in_brackets():
    """A bracketed "s" is how a program talks: a text a person reads is made with ``counted``."""
    bracketed = re.compile(r"\w\((s|es)\)")
    found = []
    for path in (ROOT / "schoolperf").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if bracketed.search(node.value):
                    found.append(f"{path.name}:{node.lineno}: {node.value[:60]}")
    for path in (ROOT / "schoolperf" / "reports" / "templates").rglob("*.*"):
        found += [path.name for line in path.read_text().splitlines() if bracketed.search(line)]
    assert found == []
