"""The options every command shares, and how a command turns schoolperf's errors into exit
status 2 (contract §4)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

INTERNAL_ERROR = 3
ESTIMATES_HELP = (
    "A8 estimates table for Progress 8: 2024 (default), 2023-revised, 2023-provisional, "
    "2022-revised, 2022-provisional, a bare year (its latest release), or the path of a CSV."
)


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The results export argument and the options every command that reads one shares."""
    return click.argument("file", type=click.Path(dir_okay=False, path_type=Path))(
        input_flags(command)
    )


def input_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options for reading an export (shared by every command that reads one)."""
    for decorator in reversed(
        [
            click.option(
                "--columns",
                "columns_file",
                type=click.Path(dir_okay=False),
                help='TOML mapping file: [columns] upn = "Candidate No" …',
            ),
            click.option(
                "--subjects",
                "subjects_file",
                type=click.Path(dir_okay=False),
                help="CSV of extra subjects: subject,role,scale,discount_code,aliases.",
            ),
            click.option("--sheet", help="Excel sheet to read when the workbook has several."),
            click.option(
                "--header-row",
                type=click.IntRange(min=1),
                metavar="N",
                help="Spreadsheet row holding the column headings (default: row 1, or the row "
                "below a title, which is found and skipped).",
            ),
            click.option(
                "--layout",
                type=click.Choice(["auto", "long", "wide"]),
                default="auto",
                show_default=True,
                help="Long (a row per result) or wide (a column per subject); auto detects it.",
            ),
            click.option("--estimates", default="2024", show_default=True, help=ESTIMATES_HELP),
            click.option(
                "--ks2-year",
                type=int,
                help="Year the cohort sat KS2, for teacher-"
                "assessment codes (default: five years before the estimates year).",
            ),
            click.option(
                "--anonymise",
                is_flag=True,
                help="Replace UPNs with stable pseudonyms and drop names in every output, "
                "keyed by a secret you set in SCHOOLPERF_PSEUDONYM_KEY (at least 16 "
                "characters; refused without one).",
            ),
            click.option("--debug", is_flag=True, help="Show a traceback when something fails."),
        ]
    ):
        command = decorator(command)
    return command


def format_option(choices: list[str], help: str) -> Callable[..., Any]:
    """The ``--format`` option of a command: one of ``choices``, the first by default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help,
    )


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn schoolperf's own errors into one line per problem and exit status 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from schoolperf.errors import SchoolperfError

        try:
            return command(*args, **kwargs)
        except SchoolperfError as error:
            if kwargs.get("debug"):
                raise
            from schoolperf.outputs.console import print_problems, stderr

            # the problems listed, then how many more (a kind's beyond 500 counted, not listed)
            listed = getattr(error, "listed", error.problems)  # type: ignore[attr-defined]
            unlisted = sum(getattr(error, "unlisted", {}).values())
            print_problems(listed, stderr(), unlisted=unlisted)
            sys.exit(error.exit_code)
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as error:  # a bug: one clear line, traceback only with --debug
            if kwargs.get("debug"):
                raise
            click.echo(
                f"internal error: {type(error).__name__}: {error}. This is a bug in schoolperf; "
                "run again with --debug and report the traceback (it holds no pupil data "
                "unless the message above does).",
                err=True,
            )
            sys.exit(INTERNAL_ERROR)

    return wrapper


def echo_json(
    document: dict[str, Any], pupils: Any, default: Callable[[Any], Any] | None = None
) -> None:
    """``document`` on standard output, its pupils array (an Arrow table) streamed."""
    from schoolperf.outputs.document import document_text

    binary = hasattr(sys.stdout, "buffer")  # not so where standard output is redirected to text
    for piece in document_text(document, pupils, default):
        click.echo(piece if binary else piece.decode(), nl=False)


def analysis_options(**kwargs: Any):  # noqa: ANN202 - AnalysisOptions, imported lazily
    from schoolperf.analysis import AnalysisOptions
    from schoolperf.ingest.config_files import check_finite_option

    # ignored, but a NaN or infinite amount is refused like any other bad number
    fix = "Leave --chunk-mb out: it is no longer needed."
    check_finite_option(kwargs.get("chunk_mb"), "--chunk-mb", fix)

    measures = {
        "groups": tuple(kwargs.get("groups") or ()),
        "min_group": kwargs.get("min_group", 6),
        "comparator_year": kwargs.get("comparator_year"),
        "baseline_file": kwargs.get("baseline_file"),
        "baseline_map": kwargs.get("baseline_map") or "linear",
        "baseline_norm": kwargs.get("baseline_norm") or (100.0, 15.0),
        "previous": tuple(kwargs.get("previous") or ()),
        "label": kwargs.get("label"),
        "subjects_by_group": kwargs.get("subjects_by_group", False),
    }
    return AnalysisOptions(
        estimates=kwargs["estimates"],
        columns_file=kwargs["columns_file"],
        subjects_file=kwargs["subjects_file"],
        sheet=kwargs["sheet"],
        layout=kwargs["layout"],
        ks2_year=kwargs["ks2_year"],
        anonymise=kwargs.get("anonymise", False),
        by=kwargs.get("by"),
        header_row=kwargs.get("header_row"),
        **measures,
    )


def measure_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the measures themselves: groups, comparators, baselines, trends."""
    for decorator in reversed(
        [
            click.option(
                "--group",
                "groups",
                multiple=True,
                metavar="SPEC",
                help="Extra group: a group key or a column (one group per value); "
                "a,b is the intersection. Repeatable.",
            ),
            click.option(
                "--min-group",
                type=click.IntRange(min=0),
                default=6,
                show_default=True,
                help="Groups with fewer pupils have their figures suppressed.",
            ),
            click.option(
                "--comparator-year",
                type=int,
                help="Year of the national figures gaps are measured against "
                "(2019, 2023, 2024, 2025; default: the estimates' year, else 2024).",
            ),
            click.option(
                "--baseline",
                "baseline_file",
                type=click.Path(dir_okay=False),
                help="Substitute baseline (UPN + Baseline/Mean SAS) for cohorts without KS2.",
            ),
            click.option("--baseline-map", help="'linear' (default) or a CSV table baseline,ks2."),
            click.option(
                "--baseline-norm",
                type=(float, float),
                metavar="MEAN SD",
                help="National mean and SD of the baseline (default 100 15, as SAS).",
            ),
        ]
    ):
        command = decorator(command)
    return command


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options of what a full report holds (analyse, compare, pack): trends against earlier
    runs and subject tables by group."""
    for decorator in reversed(
        [
            click.option(
                "--previous",
                multiple=True,
                type=click.Path(dir_okay=False),
                help="An earlier run's summary.json, for trends. Repeatable.",
            ),
            click.option("--label", help="Name of this run in trends (default: the file name)."),
            click.option(
                "--subjects-by-group",
                is_flag=True,
                help="Add the subject table for every pupil group.",
            ),
        ]
    ):
        command = decorator(command)
    return command


def similar_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the similar-schools comparison (compare, targets)."""
    for decorator in reversed(
        [
            click.option(
                "--benchmark",
                type=click.Path(dir_okay=False),
                help="A DfE KS4 school-level file (england_ks4final.csv, any year); "
                "default: the embedded 2018/19 file.",
            ),
            click.option(
                "--benchmark-year",
                help="Academic year of --benchmark, e.g. 2023/24 "
                "(default: read from its file name).",
            ),
            click.option("--urn", help="This school's URN, left out of its own peer group."),
            click.option(
                "--peers",
                type=click.IntRange(min=1),
                default=50,
                show_default=True,
                help="How many similar schools (at least 10; every school tied with the last "
                "is kept too).",
            ),
            click.option(
                "--min-pupils",
                type=click.IntRange(min=1),
                default=6,
                show_default=True,
                help="Leave out benchmark schools with fewer pupils in Progress 8 (P8PUP, else "
                "TPUP); 6 is the DfE's own publication minimum.",
            ),
            click.option(
                "--percentile",
                type=click.FloatRange(0, 100, min_open=True, max_open=True),
                default=80.0,
                show_default=True,
                help="The percentile to compare with.",
            ),
            click.option(
                "--match",
                type=click.Choice(["disadvantaged"]),
                multiple=True,
                help="Also match on % disadvantaged (standardised distance).",
            ),
        ]
    ):
        command = decorator(command)
    return command
