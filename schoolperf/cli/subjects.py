"""``schoolperf subjects``: how every subject did, with a drill-down to its pupils."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from schoolperf.cli.options import (
    analysis_options,
    format_option,
    input_options,
    measure_options,
    reports_errors,
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


@click.command()
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
@format_option(["table", "csv", "json"], "Output format.")
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
    from schoolperf.analysis import analyse as run
    from schoolperf.outputs.console import print_warnings, stderr
    from schoolperf.reference import normalise_label

    analysis = run(file, analysis_options(**kwargs))
    print_warnings(analysis.warnings, stderr())  # in every format, on standard error
    if subject_name is None:
        if output_format == "json":
            click.echo(json.dumps(analysis.to_dict(pupils=False)["subjects"], indent=2))
        elif output_format == "csv":
            from schoolperf.outputs.files import subject_csv

            click.echo(subject_csv(analysis.subjects), nl=False)
        else:
            from schoolperf.outputs.console import stdout, subjects_table

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
        from schoolperf.outputs.files import safe_for_spreadsheet

        click.echo(safe_for_spreadsheet(table).to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        from schoolperf.outputs.console import drill_down_table, stdout

        stdout().print(drill_down_table(table, subject_name))
