"""Terminal output for ``cli.py`` only: the headline table, problems and warnings (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from schoolperf.errors import Problem


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _number(value: object, signed: bool = False, places: int = 2) -> str:
    if value is None:
        return "—"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:+.{places}f}" if signed else f"{number:.{places}f}"


def headline_table(school: dict, estimates: str, file: str) -> Table:
    """School A8/P8 headlines with CIs, rounded for display only."""
    table = Table(title=f"{file}: headline measures (estimates {estimates})", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("95% confidence interval", justify="right")
    table.add_row("Pupils in cohort", str(school["pupils"]), "")
    table.add_row("Attainment 8", _number(school["attainment8"]), "")
    for element in ("english", "maths", "ebacc", "open"):
        table.add_row(f"  A8 {element}", _number(school[f"attainment8_{element}"]), "")
    table.add_row("Pupils in Progress 8", str(school["progress8_pupils"]), "")
    for key, label in (
        ("progress8", "Progress 8"),
        ("progress8_english", "  P8 english"),
        ("progress8_maths", "  P8 maths"),
        ("progress8_ebacc", "  P8 ebacc"),
        ("progress8_open", "  P8 open"),
    ):
        low, high = school.get(f"{key}_ci_low"), school.get(f"{key}_ci_high")
        interval = f"{_number(low, True)} to {_number(high, True)}" if low is not None else "—"
        table.add_row(label, _number(school[key], signed=True), interval)
    table.add_row("Progress 8 banding", school["progress8_banding"] or "—", "")
    return table


def print_problems(problems: list[Problem], console: Console, limit: int = 200) -> None:
    for problem in problems[:limit]:
        console.print(f"error: {problem.describe()}", markup=False)
    if len(problems) > limit:
        console.print(f"… and {len(problems) - limit} more problems (see schoolperf validate).")


def print_warnings(warnings: list[str], console: Console) -> None:
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False)


def problems_table(problems: list[Problem]) -> Table:
    table = Table(title="Problems", title_justify="left")
    for column in ("row", "column", "code", "value", "message", "fix"):
        table.add_column(column)
    for p in problems:
        cells = (p.row or "", p.column or "", p.code, p.value or "", p.message, p.fix)
        table.add_row(*(escape(c) for c in cells))
    return table
