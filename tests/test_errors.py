"""The problem catalogue: every code the code can report is in it, once, and documented."""

from __future__ import annotations

import ast
import csv
import re

from schoolperf.errors import PROBLEMS
from tests.conftest import BAD_INPUTS, ROOT

CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
# texts shaped like a code that are not problem codes: encodings, chart names, browsers, folders
NOT_CODES = {
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "attainment-vs-prior",
    "p8-groups",
    "subject-va",
    "similar-schools",
    "chromium-browser",
    "google-chrome",
    "by-school",
}


def _code_like_texts() -> dict[str, set[str]]:
    """Each code-shaped text literal of the package and the modules it is written in."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "schoolperf").rglob("*.py"):
        if path.name == "catalogue.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if CODE.match(node.value):
                    found.setdefault(node.value, set()).add(path.name)
    return found


def test_every_code_reported_is_in_the_catalogue():
    used = set(_code_like_texts()) - NOT_CODES
    assert used - set(PROBLEMS) == set()


def test_every_code_in_the_catalogue_is_reported_somewhere():
    assert set(PROBLEMS) - set(_code_like_texts()) == set()
    assert all(CODE.match(code) for code in PROBLEMS)
    assert all(text.endswith(".") and not text[0].islower() for text in PROBLEMS.values())


def test_the_bad_input_corpus_reports_only_catalogued_codes():
    """Every problem the corpus of bad exports produces has a catalogued code."""
    from schoolperf.analysis import AnalysisOptions, load_options_cohort
    from schoolperf.errors import InputError

    folder = BAD_INPUTS / "files"
    with open(BAD_INPUTS / "expected.csv", encoding="utf-8") as handle:
        names = [row["file"] for row in csv.DictReader(handle) if row["exit"] == "2"]
    codes = set()
    for name in names:
        try:
            load_options_cohort(folder / name, AnalysisOptions())
        except InputError as error:
            codes |= {p.code for p in error.problems}
    assert len(codes) > 20 and codes <= set(PROBLEMS)


def test_docs_list_every_code_with_its_meaning():
    text = (ROOT / "docs" / "problems.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (.+) \|$", text, re.M))
    assert listed == PROBLEMS
