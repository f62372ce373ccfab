"""The README's two commands, .ci/run, and the documented commands and options stay in step with
the code; the README stays short and the repository stands alone."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from schoolperf.cli import cli
from tests.conftest import ROOT


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def commands_doc() -> str:
    return (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command():
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert f"```sh\n{ci_command}\n```" in readme()


def test_readme_opens_with_the_demo_command():
    first = re.search(r"```sh\n(.*?)\n```", readme()).group(1)
    assert first.endswith("schoolperf analyse fixtures/demo_cohort.csv")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_and_option_is_documented(command):
    assert f"schoolperf {command}" in readme()
    text = commands_doc()
    assert f"schoolperf {command}" in text
    for param in cli.commands[command].params:
        for option in getattr(param, "opts", []):
            if option.startswith("--"):
                assert f"`{option}" in text, (command, option)


def test_ruff_is_clean():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff not installed (it comes with the test extra)")
    for args in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args, str(ROOT)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_readme_is_for_users_and_short():
    text = readme()
    assert len(text.splitlines()) <= 300
    assert "session" not in text.lower()


def test_nothing_refers_outside_the_repository():
    """Code, tests and docs read only the repository: no ../shared, no CONTRACT.md."""
    files = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / ".ci" / "run"]
    for folder in ("schoolperf", "tests", "docs", "tools", "fixtures"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    data = ROOT / "tests" / "data"
    offending = [
        p.relative_to(ROOT).as_posix()
        for p in files
        if data not in p.parents
        and p.name != "test_docs.py"
        and p.suffix not in {".pyc", ".xlsx", ".parquet"}
        and any(
            word in p.read_text(encoding="utf-8", errors="replace")
            for word in ("../shared", "shared/data", "CONTRACT.md")
        )
    ]
    assert offending == []
