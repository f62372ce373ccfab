"""Command line: parse options, call the library, print. Exit 0 done, 2 bad input (contract §4)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import click

from schoolperf import __version__

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
                help="Replace UPNs with stable pseudonyms and drop names in every output "
                "(keyed by the SCHOOLPERF_PSEUDONYM_KEY environment variable).",
            ),
            click.option("--debug", is_flag=True, help="Show a traceback when something fails."),
        ]
    ):
        command = decorator(command)
    return command


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
            from schoolperf.console import print_problems, stderr

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


def _echo_json(
    document: dict[str, Any], pupils: Any, default: Callable[[Any], Any] | None = None
) -> None:
    """``document`` on standard output, its pupils array (an Arrow table) streamed."""
    from schoolperf.reports.document import document_text

    binary = hasattr(sys.stdout, "buffer")  # not so where standard output is redirected to text
    for piece in document_text(document, pupils, default):
        click.echo(piece if binary else piece.decode(), nl=False)


def _options(**kwargs: Any):  # noqa: ANN202 - AnalysisOptions, imported lazily
    from schoolperf.api import AnalysisOptions

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
        chunk_mb=kwargs.get("chunk_mb", 24),
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schoolperf")
def cli() -> None:
    """schoolperf: KS4 Attainment 8 and Progress 8, exactly as the DfE computes them."""


@cli.command()
@input_options
@measure_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: headlines in the terminal; json: docs/contract.md §3.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write pupils.csv, slots.csv (unless --no-slot-audit) and summary.json into.",
)
@click.option(
    "--out-format",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="Per-pupil and slot files as CSV or Parquet.",
)
@click.option(
    "--summary-only",
    is_flag=True,
    help="Leave the pupils array out of the JSON (use pupils.csv/parquet instead).",
)
@click.option(
    "--no-slot-audit",
    "no_slot_audit",
    is_flag=True,
    help="With --out, write no slots file (the slot audit: a row per result); for very large "
    "files whose audit is not wanted.",
)
@click.option(
    "--by",
    "by",
    help="A column such as School: every measure per value in one "
    "pass (the whole file is the roll-up).",
)
@click.option(
    "--chunk-mb",
    type=click.FloatRange(min=0),
    default=24,
    show_default=True,
    help="With --by, a CSV or Parquet file larger than this many MB (as text) is analysed "
    "in parts of whole schools, on every core; their output tables stay on disk until "
    "written (0: never).",
)
@click.option("--profile", is_flag=True, help="Print each stage's time to standard error.")
@reports_errors
def analyse(file: Path, output_format: str, out_dir: Path | None, **kwargs: Any) -> None:
    """Compute Attainment 8 and Progress 8 for a results export.

    \b
    Example:
        schoolperf analyse results.csv
        schoolperf analyse results.xlsx --estimates 2023-revised --out results-2024
    """
    from dataclasses import replace

    from schoolperf.api import analyse as run

    # a file in parts has its output tables built by the workers only where they are written,
    # and written in the format asked for while the figures are computed
    writing = out_dir is not None
    prepared = kwargs["out_format"] if writing else None
    # the pupils themselves are read back only for the JSON's pupils array
    pupils_array = not kwargs["summary_only"] and (writing or output_format == "json")
    options = replace(
        _options(**kwargs),
        part_tables=writing,
        prepare_outputs=prepared,
        slot_audit=not kwargs["no_slot_audit"],
        keep_pupils=pupils_array,
    )
    analysis = run(file, options)
    earlier = out_dir / f"slots.{kwargs['out_format']}" if out_dir is not None else None
    if not options.slot_audit and earlier is not None and earlier.exists():
        analysis.warnings.append(
            f"{earlier} is from an earlier run: --no-slot-audit wrote no slot audit. "
            "Delete it, or leave out --no-slot-audit to write this run's."
        )
    started = time.perf_counter()
    document = analysis.to_dict(pupils=False)
    pupils = analysis.pupils_json() if pupils_array else None
    if out_dir is not None:
        from schoolperf.reports.files import write_outputs

        inputs = tuple(
            Path(p) for p in (file, kwargs["columns_file"], kwargs["subjects_file"]) if p
        )
        written = write_outputs(out_dir, document, analysis, inputs, kwargs["out_format"], pupils)
    if kwargs["profile"]:
        stages = {**analysis.timings, "output": time.perf_counter() - started}
        for stage, seconds in stages.items():
            click.echo("BENCH-STAGE" + json.dumps({"stage": stage, "seconds": seconds}), err=True)
    from schoolperf.console import print_warnings, stderr

    if output_format == "json":  # the warnings are in the document, and on stderr as always
        print_warnings(analysis.warnings, stderr())
        _echo_json(document, pupils)
        return
    from schoolperf.console import groups_table, headline_table, stdout, subjects_table

    stdout().print(headline_table(analysis.school, analysis.estimates.name, analysis.file))
    if analysis.groups:
        stdout().print(groups_table(analysis.groups))
    if analysis.subjects:
        stdout().print(subjects_table(analysis.subjects))
    print_warnings(analysis.warnings, stderr())
    if out_dir is not None:
        stdout().print(f"Wrote {', '.join(p.name for p in written)} to {out_dir}")


@cli.command()
@input_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How to list the problems.",
)
@click.option(
    "--by",
    "by",
    help="A column such as School that analyse --by will split the figures by: its values "
    "are checked too (blank, or one spelt in several ways).",
)
@reports_errors
def validate(file: Path, output_format: str, **kwargs: Any) -> None:
    """Check a results export and list every problem, without computing anything.

    Exits 0 when the file can be analysed, 2 when it cannot.

    \b
    Example:
        schoolperf validate results.csv
    """
    from schoolperf.api import load_options_cohort
    from schoolperf.errors import InputError

    options = _options(**kwargs)
    try:
        cohort = load_options_cohort(file, options)
    except InputError as error:
        if output_format == "json":
            click.echo(json.dumps({"problems": [p.to_dict() for p in error.problems]}, indent=2))
        else:
            from schoolperf.console import problems_table, stdout

            stdout().print(problems_table(error.problems))
            click.echo(f"{file.name}: {error.count} problem(s); fix them and run again.", err=True)
        sys.exit(2)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "problems": [],
                    "warnings": cohort.warnings,
                    "pupils": len(cohort.pupils),
                    "results": len(cohort.results),
                },
                indent=2,
            )
        )
        return
    from schoolperf.console import print_warnings, stderr, stdout

    print_warnings(cohort.warnings, stderr())
    stdout().print(
        f"{file.name}: no problems; {len(cohort.pupils)} pupils, "
        f"{len(cohort.results)} results ({cohort.layout} layout)."
    )


DRILL_COLUMNS = [
    "upn",
    "forename",
    "surname",
    "name",
    "subject_title",
    "grade",
    "points",
    "expected_points",
    "residual",
    "va",
    "ks2_band",
    "class",
    "teacher",
]
SORT_KEYS = {
    "va": "va",
    "residual": "residual",
    "grade": "points",
    "upn": "upn",
    "expected": "expected_points",
}


@cli.command()
@input_options
@measure_options
@click.option("--subject", "subject_name", help="List this subject's pupils (drill-down).")
@click.option(
    "--sort",
    type=click.Choice(sorted(SORT_KEYS)),
    default="va",
    show_default=True,
    help="Drill-down order (lowest first).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@reports_errors
def subjects(
    file: Path, subject_name: str | None, sort: str, output_format: str, **kwargs: Any
) -> None:
    """How every subject did; with --subject, that subject's pupils one by one.

    \b
    Example:
        schoolperf subjects results.csv
        schoolperf subjects results.csv --subject Geography --sort residual --format csv
    """
    from schoolperf.api import analyse as run
    from schoolperf.reference import normalise_label

    analysis = run(file, _options(**kwargs))
    if subject_name is None:
        if output_format == "json":
            click.echo(json.dumps(analysis.to_dict(pupils=False)["subjects"], indent=2))
        elif output_format == "csv":
            from schoolperf.reports.files import subject_csv

            click.echo(subject_csv(analysis.subjects), nl=False)
        else:
            from schoolperf.console import stdout, subjects_table

            stdout().print(subjects_table(analysis.subjects))
        return
    entries = analysis.subject_entries
    from schoolperf.reference import subject_catalogue

    wanted = normalise_label(subject_name)
    aliases = subject_catalogue(kwargs["subjects_file"]).set_index("alias")["subject"]
    wanted = normalise_label(aliases.get(wanted, subject_name))  # "Maths" → "Mathematics"
    chosen = entries[entries["subject_title"].map(normalise_label) == wanted]
    if chosen.empty:
        from schoolperf.errors import InputError, Problem

        names = ", ".join(sorted(entries["subject_title"].unique()))
        raise InputError(
            [
                Problem(
                    "no-such-subject",
                    f"--subject {subject_name!r} has no entries in this file.",
                    f"Use one of: {names}.",
                    file=file.name,
                )
            ]
        )
    names = analysis.pupils.reindex(chosen["upn"])
    table = chosen.assign(
        **{c: names[c].to_numpy() for c in ("forename", "surname", "name") if c in names.columns}
    )
    table = table[[c for c in DRILL_COLUMNS if c in table.columns]]
    table = table.sort_values([SORT_KEYS[sort], "upn"], na_position="last")
    if output_format == "json":
        click.echo(table.to_json(orient="records", indent=2))
    elif output_format == "csv":
        from schoolperf.reports.files import safe_for_spreadsheet

        click.echo(safe_for_spreadsheet(table).to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        from schoolperf.console import drill_down_table, stdout

        stdout().print(drill_down_table(table, subject_name))


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


def _compare(file: Path, kwargs: dict[str, Any]):  # noqa: ANN202 - (Analysis, dict)
    from schoolperf.api import analyse as run
    from schoolperf.comparisons import similar_schools
    from schoolperf.measures.similar_schools import PeerSettings

    analysis = run(file, _options(**kwargs))
    settings = PeerSettings(
        kwargs["peers"],
        kwargs["percentile"],
        tuple(kwargs["match"]),
        kwargs["urn"],
        kwargs["min_pupils"],
    )
    comparison = similar_schools(analysis, kwargs["benchmark"], settings, kwargs["benchmark_year"])
    from schoolperf.console import print_warnings, stderr

    print_warnings(comparison.get("warnings", []), stderr())
    return analysis, comparison


@cli.command("compare")
@input_options
@measure_options
@similar_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="json: the analyse document with a similar_schools section.",
)
@reports_errors
def compare_command(file: Path, output_format: str, **kwargs: Any) -> None:
    """Compare the school with similar schools at a chosen percentile.

    \b
    Example:
        schoolperf compare results.csv --urn 100053 --percentile 80
        schoolperf compare results.csv --benchmark england_ks4final.csv --match disadvantaged
    """
    analysis, comparison = _compare(file, kwargs)
    if output_format == "json":
        document = analysis.to_dict(pupils=False)
        document["similar_schools"] = comparison
        _echo_json(document, analysis.pupils_json(), default=float)
        return
    from schoolperf.console import similar_schools_table, stdout

    stdout().print(similar_schools_table(comparison))


@cli.command("targets")
@input_options
@measure_options
@similar_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="Output format (the method is in the header/metadata).",
)
@click.option(
    "--by-subject",
    "subject_level",
    is_flag=True,
    help="One row per pupil and subject (target grade and its chance) instead of "
    "one row per pupil.",
)
@reports_errors
def targets_command(file: Path, output_format: str, subject_level: bool, **kwargs: Any) -> None:
    """Pupil targets from the similar schools' chosen percentile.

    \b
    Example:
        schoolperf targets results.csv --percentile 80 > targets.csv
        schoolperf targets results.csv --by-subject --format json
    """
    from schoolperf.comparisons import targets
    from schoolperf.reports.files import safe_for_spreadsheet

    analysis, comparison = _compare(file, kwargs)
    pupils, subjects, method = targets(analysis, comparison)
    table = subjects if subject_level else pupils
    if output_format == "json":
        records = json.loads(table.to_json(orient="records"))
        click.echo(
            json.dumps(
                {
                    "method": method,
                    "percentile": comparison["percentile"],
                    "benchmark": comparison["benchmark"],
                    "targets": records,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    click.echo("".join(f"# {line}\n" for line in method.split(". ") if line), nl=False)
    click.echo(safe_for_spreadsheet(table).to_csv(index=False, lineterminator="\n"), nl=False)


@cli.command("pack")
@input_options
@measure_options
@similar_options
@click.option(
    "--audience",
    type=click.Choice(["governors", "staff"]),
    required=True,
    help="governors: no pupil names, UPNs or pupil rows; staff: with pupil lists.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "md"]),
    default="html",
    show_default=True,
    help="One self-contained HTML file, or Markdown + chart files.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The pack file to write (e.g. pack.html).",
)
@click.option(
    "--template",
    "template_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Folder of templates that override the shipped ones (Jinja inheritance).",
)
@click.option(
    "--similar-schools",
    "with_similar",
    is_flag=True,
    help="Add the similar-schools section (also added when --benchmark or --urn is given).",
)
@click.option("--pdf", is_flag=True, help="Also print the HTML pack to PDF (headless Chromium).")
@reports_errors
def pack_command(
    file: Path,
    output_format: str,
    out_path: Path,
    audience: str,
    template_dir: str | None,
    with_similar: bool,
    pdf: bool,
    **kwargs: Any,
) -> None:
    """Write a results-meeting pack for governors or staff.

    \b
    Example:
        schoolperf pack results.csv --audience governors --out governors.html
        schoolperf pack results.csv --audience staff --format md --out staff.md
    """
    from schoolperf.reports.context import build_context
    from schoolperf.reports.render import print_pdf, write_pack

    if with_similar or kwargs["benchmark"] or kwargs["urn"]:
        analysis, comparison = _compare(file, kwargs)
    else:
        from schoolperf.api import analyse as run

        analysis, comparison = run(file, _options(**kwargs)), None
    context = build_context(analysis, audience, kwargs["min_group"], comparison)
    inputs = tuple(
        Path(p)
        for p in (
            file,
            kwargs["columns_file"],
            kwargs["subjects_file"],
            kwargs["baseline_file"],
            *kwargs["previous"],
        )
        if p
    )
    if pdf and output_format != "html":
        raise click.UsageError("--pdf needs --format html.")
    pdf_path = [out_path.with_suffix(".pdf")] if pdf else []
    written = write_pack(context, output_format, out_path, inputs, template_dir, pdf_path)
    if pdf:
        written.append(print_pdf(out_path, pdf_path[0]))
    click.echo(
        f"Wrote {', '.join(str(p) for p in written[:3])}"
        + (f" and {len(written) - 3} more" if len(written) > 3 else ""),
        err=True,
    )


@cli.command("track")
@click.argument("drops", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@input_flags
@measure_options
@click.option(
    "--labels",
    help="Comma-separated drop labels in time order (default: the dates in the file names).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Unattended run from a tracking.toml (see README): drops by glob, dated "
    "outputs, history, alerts, lock, log.",
)
@click.option(
    "--targets",
    "targets_file",
    type=click.Path(dir_okay=False),
    help="Targets CSV (schoolperf targets' output, or upn,target_attainment8).",
)
@click.option(
    "--p8-fall",
    type=float,
    default=0.5,
    show_default=True,
    help="List pupils whose projected P8 fell by more than this since the last drop.",
)
@click.option(
    "--subgrades",
    "subgrades_file",
    type=click.Path(dir_okay=False),
    help="TOML with a [subgrades] table: how 6+, 6-, 5/6, 5a … become points.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "md", "html"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--audience",
    type=click.Choice(["governors", "staff"]),
    default="staff",
    show_default=True,
    help="governors: no pupil lists in md/html.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report here (atomically) instead of standard output.",
)
@click.option(
    "--quiet",
    is_flag=True,
    help="Print nothing but errors (implied without a terminal, e.g. under cron).",
)
@reports_errors
def track_command(
    drops: tuple[Path, ...],
    labels: str | None,
    config_file: Path | None,
    targets_file: str | None,
    p8_fall: float,
    subgrades_file: str | None,
    output_format: str,
    audience: str,
    out_path: Path | None,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Projected measures at every data drop of predicted grades, and how they moved.

    Exit status 1 when a configured alert fires, 2 on bad input.

    \b
    Example:
        schoolperf track y11_2025-10-15.csv y11_2026-01-20.csv y11_2026-03-30.csv
        schoolperf track --config tracking.toml --quiet
    """
    from schoolperf import tracking

    quiet = quiet or not sys.stdout.isatty()
    if config_file is not None:
        status, document, written = tracking.run_config(config_file)
        if not quiet:
            click.echo(f"Wrote {len(written)} file(s) to {written[0].parent}")
        for alert in document["alerts"] if document else []:
            if alert["fired"]:
                click.echo(f"alert: {alert['message']}", err=True)
        sys.exit(status)
    if not drops:
        raise click.UsageError("Give the drop files, or --config tracking.toml.")
    mapping = _subgrades(subgrades_file)
    options = replace(_options(**kwargs), subgrades=mapping)
    settings = tracking.TrackSettings(options, p8_fall, targets_file)
    ordered = tracking.order_drops(list(drops), labels.split(",") if labels else None)
    document, _analyses = tracking.track(ordered, settings)
    if output_format == "table":
        from schoolperf.console import stdout, tracking_table

        stdout().print(tracking_table(document))
        return
    document = tracking.for_audience(document, audience, options.min_group)
    if output_format == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        from schoolperf.reports.tracking import render_tracking

        text = render_tracking(document, output_format, audience, options.min_group)
    if out_path is None:
        click.echo(text, nl=False)
    else:
        from schoolperf.reports.files import write_atomic

        write_atomic(out_path, text, tuple(drops))


def _subgrades(path: str | None):  # noqa: ANN202 - SubgradeMapping
    from schoolperf.measures.points import SubgradeMapping

    if path is None:
        return SubgradeMapping()
    import tomllib

    from schoolperf.errors import InputError, Problem

    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("subgrades", {})
        return SubgradeMapping.from_table(table)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
        raise InputError(
            [
                Problem(
                    "bad-subgrades",
                    f"could not be read ({exc}).",
                    "Write a [subgrades] table, e.g. plus = 0.33.",
                    file=Path(path).name,
                )
            ]
        ) from None


@cli.command()
def estimates() -> None:
    """List the A8 estimates tables shipped with schoolperf, with their sources."""
    from schoolperf.reference import load_estimates, shipped_estimates

    for name in shipped_estimates():
        table = load_estimates(name)
        click.echo(f"{name}: {table.source}; national P8 SD {table.national_sd['progress8']}")


def main() -> None:
    # numpy asks the kernel for 2 MB pages for every large array, and a run of whole schools
    # makes and frees many: the kernel then spends seconds zeroing huge pages (the national
    # benchmark: 15.4-16.3 s with, 14.5-15.0 s without, the same peak memory). A caller's own
    # setting wins; the workers of a run inherit it.
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    cli(prog_name="schoolperf")
