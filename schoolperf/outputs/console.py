"""Terminal output for the command line only: the headline table, problems and warnings (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from schoolperf.errors import Problem
from schoolperf.reference import GROUP_NAMES, counted
from schoolperf.reports.formatters import rounded


class _Console(Console):
    """Text is never hard-wrapped (a path or a message stays one line in a pipe), but tables fit
    the width (80 columns in a pipe or cron), wrapping names between words, never cutting."""

    def print(self, *objects: object, **options: object) -> None:  # type: ignore[override]
        if any(isinstance(o, Table) for o in objects):
            options.setdefault("soft_wrap", False)
        super().print(*objects, **options)  # type: ignore[arg-type]


def stdout() -> Console:
    return _Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    return _Console(stderr=True, highlight=False, soft_wrap=True)


def _number(value: object, signed: bool = False, places: int = 2) -> str:
    if value is None or value != value:  # None or NaN: not computed
        return "—"
    number = rounded(value, places)  # as the packs round: halves away from zero
    if signed and number:
        return f"{number:+.{places}f}"
    return f"{number:.{places}f}"


def _interval(figures: dict, key: str) -> str:
    low, high = figures.get(f"{key}_ci_low"), figures.get(f"{key}_ci_high")
    return f"{_number(low, True)} to {_number(high, True)}" if low is not None else "—"


def headline_table(school: dict, estimates: str, file: str) -> Table:
    """School headlines with CIs, rounded for display only."""
    table = Table(title=f"{file}: headline measures (estimates {estimates})", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("95% confidence interval", justify="right")
    table.add_row("Pupils in cohort", str(school["pupils"]), "")
    table.add_row("Attainment 8", _number(school["attainment8"]), "")
    for element in ("english", "maths", "ebacc", "open"):
        table.add_row(f"  A8 {element}", _number(school[f"attainment8_{element}"]), "")
    table.add_row("Pupils in Progress 8", str(school["progress8_pupils"]), "")
    # the DfE's headline P8 has extremely negative pupil scores adjusted (ks4-methodology §2.4)
    table.add_row(
        "Progress 8 (adjusted)",
        _number(school.get("progress8_adjusted"), signed=True),
        _interval(school, "progress8_adjusted"),
    )
    table.add_row("Progress 8 banding", school["progress8_banding"] or "—", "")
    rows = [("progress8", "Progress 8 (unadjusted)")] + [
        (f"progress8_{e}", f"  P8 {e}") for e in ("english", "maths", "ebacc", "open")
    ]
    for key, label in rows:
        table.add_row(label, _number(school[key], signed=True), _interval(school, key))
    for key, label in HEADLINE_ROWS:
        if key in school:
            table.add_row(label, _number(school[key]), "")
    baseline = str(school.get("progress8_baseline", ""))
    if baseline.startswith("SUBSTITUTE"):
        table.caption = escape(baseline)
    return table


HEADLINE_ROWS = [
    ("basics_4_pct", "Grade 4+ English & maths %"),
    ("basics_5_pct", "Grade 5+ English & maths %"),
    ("ebacc_entry_pct", "EBacc entry %"),
    ("ebacc_94_pct", "EBacc 9-4 %"),
    ("ebacc_95_pct", "EBacc 9-5 %"),
    ("ebacc_aps", "EBacc APS"),
]


def _longest_word(texts: list[str]) -> int:
    """The width a name column needs so that no word of a name is cut (names wrap between
    words instead, in a pipe's 80 columns too)."""
    return max((len(w) for t in texts for w in t.split()), default=5)


def key_groups_table(rows: list[dict]) -> Table:
    """The groups schools are held to, each gap against the DfE's national comparator (else the
    rest of the school) and whether it is real, in words
    (:func:`~schoolperf.measures.groups.key_group_gaps`)."""
    table = Table(
        title="The groups the school is held to",
        caption="Gaps against the group's national comparator (disadvantaged: non-disadvantaged "
        "pupils nationally) where the DfE publishes one, else the rest of the school.",
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("group", min_width=_longest_word([r["label"] for r in rows]))
    table.add_column("pupils", justify="right", no_wrap=True)
    table.add_column("P8 gap", min_width=13)
    table.add_column("A8 gap", min_width=13)
    table.add_column("compared with", min_width=8)
    for row in rows:
        if row["suppressed"]:
            table.add_row(escape(row["label"]), str(row["pupils"]), "suppressed", "", "")
            continue
        p8, a8 = row["progress8"], row["attainment8"]
        table.add_row(
            escape(row["label"]),
            str(row["pupils"]),
            escape(f"{_number(p8['gap'], True)} {_verdict(p8)}"),
            escape(f"{_number(a8['gap'], True, 1)} {_verdict(a8)}"),
            _compared_with(p8, a8),
        )
    return table


def _compared_with(p8: dict, a8: dict) -> str:
    """What a key group's gaps are against, in short: national or the rest of the school."""
    short = [
        "rest of the school" if g["against"] == "rest of the school" else "national"
        for g in (p8, a8)
    ]
    return short[0] if short[0] == short[1] else f"P8 {short[0]}, A8 {short[1]}"


def _verdict(gap: dict) -> str:
    """A key group's gap in words, or why it was not tested."""
    return str(gap["verdict"] or f"not tested: {gap['why']}")


def groups_table(groups: dict[str, dict]) -> Table:
    """Each pupil group (named in words; a column's group by its key) with n, A8, the DfE's
    headline (adjusted) P8 and its CI (group n), basics 5+; small groups flagged."""
    table = Table(
        title="Pupil groups (Progress 8 adjusted, as the DfE)",
        caption="* fewer than 10 pupils: one or two pupils can swing the figures.",
        title_justify="left",
        caption_justify="left",
    )
    names = [GROUP_NAMES[k][0] if k in GROUP_NAMES else k for k in groups]
    table.add_column("group", min_width=_longest_word(names))
    for column in ("pupils", "A8", "P8", "95% CI", "5+ E&M %"):
        table.add_column(column, justify="right", min_width=5)
    for name, g in zip(names, groups.values(), strict=True):
        flagged = f"{name} *" if g.get("small_group") else name
        if g.get("suppressed"):
            table.add_row(
                escape(flagged), str(g["pupils"]), "", "", "suppressed: too few pupils", ""
            )
            continue
        table.add_row(
            escape(flagged),
            str(g["pupils"]),
            _number(g.get("attainment8"), places=1),
            _number(g.get("progress8_adjusted"), signed=True),
            _interval(g, "progress8_adjusted"),
            _number(g.get("basics_5_pct"), places=1),
        )
    return table


def print_problems(
    problems: list[Problem], console: Console, limit: int = 200, unlisted: int = 0
) -> None:
    """The first ``limit`` problems, then how many more there are: those not printed and the
    ``unlisted`` ones (beyond the 500 of a kind that are listed)."""
    for problem in problems[:limit]:
        console.print(f"error: {problem.describe()}", markup=False)
    more = max(len(problems) - limit, 0) + unlisted
    if more:
        console.print(f"… and {more:,} more problems (see schoolperf validate).")


def print_warnings(warnings: list[str], console: Console) -> None:
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False)


def problems_table(problems: list[Problem]) -> Table:
    table = Table(title="Problems", title_justify="left")
    for column in ("row", "column", "code", "value", "message", "fix"):
        table.add_column(column)
    for p in problems:
        value = p.shown_value or (f"({p.value_description})" if p.value_description else "")
        cells = (p.row or "", p.column or "", p.code, value, p.message, p.fix)
        table.add_row(*(escape(c) for c in cells))
    return table


def subjects_table(subjects: list[dict]) -> Table:
    """Subject headlines: entries, % 4+/5+/7+, average points, relative performance, VA."""
    table = Table(title="Subjects", title_justify="left")
    for column in (
        "subject",
        "entries",
        "4+ %",
        "5+ %",
        "7+ %",
        "avg points",
        "vs other subjects",
        "value added (95% CI)",
    ):
        if column == "subject":
            table.add_column(column, min_width=_longest_word([str(r["subject"]) for r in subjects]))
        else:
            table.add_column(column, justify="right")
    for row in subjects:
        va = _number(row["value_added"], signed=True)
        if row["value_added_ci_low"] is not None:
            va += f" ({_number(row['value_added_ci_low'], True)} to "
            va += f"{_number(row['value_added_ci_high'], True)})"
        elif not row["in_transition_matrices"]:
            va = "no national matrix"
        table.add_row(
            escape(str(row["subject"])),
            str(row["entries"]),
            _number(row["grade_4_plus_pct"], places=0),
            _number(row["grade_5_plus_pct"], places=0),
            _number(row["grade_7_plus_pct"], places=0),
            _number(row["average_points"]),
            _number(row["relative_performance"], signed=True),
            va,
        )
    return table


def drill_down_table(entries, subject: str) -> Table:  # noqa: ANN001 - a DataFrame
    """One subject's pupils: grade, expected points, residual and value added."""
    table = Table(title=f"{subject}: pupils", title_justify="left")
    for column in entries.columns:
        table.add_column(column)
    for record in entries.itertuples(index=False):
        table.add_row(*(escape(_cell(v)) for v in record))
    return table


def _cell(value: object) -> str:
    if isinstance(value, float):
        return _number(value, signed=False)
    return "" if value is None else str(value)


def similar_schools_table(comparison: dict) -> Table:
    """The school against its similar schools: value, median, chosen percentile, gap, rank."""
    percentile = comparison["percentile"]
    table = Table(
        title="Similar schools",
        title_justify="left",
        caption=escape(comparison["method"]),
        caption_justify="left",
    )
    for column in ("measure", "school", "median", f"{percentile:g}th percentile", "gap", "rank"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    headline = comparison.get("school_progress8_headline")
    if headline is not None and comparison.get("school_progress8_figure") == "unadjusted":
        table.title = (
            f"Similar schools (this school's Progress 8 as the DfE publishes it, adjusted: "
            f"{headline:+.2f}; compared unadjusted, like the benchmark's)"
        )
    figures = {  # which P8 was compared: the same kind as the benchmark's
        "progress8": comparison.get("school_progress8_figure"),
        "disadvantaged_progress8": comparison.get("school_disadvantaged_progress8_figure"),
    }
    for row in comparison["measures"]:
        figure = figures.get(row["measure"])
        table.add_row(
            row["measure"] + (f" ({figure})" if figure else ""),
            _number(row["school"]),
            _number(row["median"]),
            _number(row["percentile_value"]),
            _number(row["gap"], signed=True),
            row.get("rank_text", "—"),
        )
    return table


def tracking_table(document: dict) -> Table:
    """Projected headlines at each drop, with the movement since the previous and first."""
    table = Table(title="Tracking: projected measures", title_justify="left")
    table.add_column("measure")
    for drop in document["drops"]:
        table.add_column(escape(drop["label"]), justify="right")
    table.add_column("since previous", justify="right")
    table.add_column("since first", justify="right")
    for key, move in document["movement"].items():
        signed = key.startswith("progress8")
        table.add_row(
            key,
            *(_number(d["school"][key], signed) for d in document["drops"]),
            _number(move["since_previous"], True),
            _number(move["since_first"], True),
        )
    fired = [a["message"] for a in document["alerts"] if a["fired"]]
    table.caption = escape(
        f"{counted(len(document['falling_pupils']), 'pupil')} fell by more than "
        f"{document['p8_fall_threshold']} P8" + ("; alerts: " + "; ".join(fired) if fired else "")
    )
    return table
