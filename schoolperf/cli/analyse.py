"""``schoolperf analyse`` and ``schoolperf validate``."""

from __future__ import annotations

import json
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from schoolperf.cli.options import (
    analysis_options,
    echo_json,
    format_option,
    input_options,
    measure_options,
    report_options,
    reports_errors,
)
from schoolperf.reference import counted


@click.command()
@input_options
@measure_options
@report_options
@format_option(["table", "json"], "table: headlines in the terminal; json: docs/contract.md §3.")
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
    type=float,
    hidden=True,
    help="No longer needed: every file is analysed on every core. Accepted and ignored, so "
    "existing scripts keep working.",
)
@click.option(
    "--memory-limit",
    help="At most this much memory for the engine (e.g. 4GB; default: 80% of the machine's); "
    "beyond it, work spills to --temp-dir.",
)
@click.option(
    "--temp-dir",
    "temp_directory",
    type=click.Path(file_okay=False),
    help="Folder the engine spills to beyond --memory-limit, in a folder of its own removed "
    "afterwards (default: the staging folder inside --out, else the system's temporary folder).",
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

    from schoolperf.analysis import analyse as run
    from schoolperf.outputs.files import analyse_targets, write_outputs
    from schoolperf.outputs.staging import OutputSet

    no_audit = kwargs["no_slot_audit"]
    pupils_array = not kwargs["summary_only"] and (out_dir is not None or output_format == "json")
    options = replace(
        analysis_options(**kwargs),
        slot_audit=not no_audit,
        memory_limit=kwargs["memory_limit"],
        temp_directory=kwargs["temp_directory"],
    )
    inputs = [("the results export", file), *options.paths_read()]
    outputs = (
        OutputSet(out_dir, inputs, analyse_targets(out_dir, kwargs["out_format"], not no_audit))
        if out_dir is not None
        else nullcontext()
    )
    with outputs:  # the engine spills into the output set's staging folder
        analysis = run(file, options)
        if kwargs.get("chunk_mb") is not None:
            analysis.warnings.append(
                "--chunk-mb is no longer needed and was ignored: every file is analysed on "
                "every core. Remove it from the command."
            )
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
            fmt = kwargs["out_format"]
            written = write_outputs(
                out_dir, document, analysis, inputs, fmt, pupils, outputs=outputs
            )
    if kwargs["profile"]:
        stages = {**analysis.timings, "output": time.perf_counter() - started}
        for stage, seconds in stages.items():
            click.echo("BENCH-STAGE" + json.dumps({"stage": stage, "seconds": seconds}), err=True)
    from schoolperf.outputs.console import print_warnings, stderr

    if output_format == "json":  # the warnings are in the document, and on stderr as always
        print_warnings(analysis.warnings, stderr())
        echo_json(document, pupils)
        return
    from schoolperf.measures.groups import key_group_gaps
    from schoolperf.outputs.console import (
        groups_table,
        headline_table,
        key_groups_table,
        stdout,
        subjects_table,
    )

    stdout().print(headline_table(analysis.school, analysis.estimates.name, analysis.file))
    if key_group_gaps(analysis.gaps):
        stdout().print(key_groups_table(key_group_gaps(analysis.gaps)))
    if analysis.groups:
        stdout().print(groups_table(analysis.groups))
    if analysis.subjects:
        stdout().print(subjects_table(analysis.subjects))
    print_warnings(analysis.warnings, stderr())
    if out_dir is not None:
        stdout().print(f"Wrote {', '.join(p.name for p in written)} to {out_dir}")


@click.command()
@input_options
@format_option(["table", "json"], "How to list the problems.")
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
    from schoolperf.analysis import load_options_cohort
    from schoolperf.errors import InputError

    options = analysis_options(**kwargs)
    try:
        cohort = load_options_cohort(file, options)
    except InputError as error:
        if output_format == "json":
            click.echo(json.dumps({"problems": [p.to_dict() for p in error.problems]}, indent=2))
        else:
            from schoolperf.outputs.console import problems_table, stdout

            stdout().print(problems_table(error.problems))
            problems = counted(error.count, "problem")
            click.echo(f"{file.name}: {problems}; fix them and run again.", err=True)
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
    from schoolperf.outputs.console import print_warnings, stderr, stdout

    print_warnings(cohort.warnings, stderr())
    stdout().print(
        f"{file.name}: no problems; {len(cohort.pupils)} pupils, "
        f"{len(cohort.results)} results ({cohort.layout} layout)."
    )
