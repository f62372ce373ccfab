"""``schoolperf compare`` and ``schoolperf targets``: similar schools and the targets they give."""

from __future__ import annotations

import json
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
    similar_options,
)


def compare_school(  # noqa: ANN201 - (Analysis, dict)
    file: Path, kwargs: dict[str, Any], results_required: bool = True
):
    """The analysis of ``file`` and its comparison with similar schools (``results_required``
    False: a file of entries without grades, or pupils and KS2 alone, as for target setting)."""
    from dataclasses import replace

    from schoolperf.analysis import analyse as run
    from schoolperf.comparisons import similar_schools
    from schoolperf.measures.similar_schools import PeerSettings

    options = replace(analysis_options(**kwargs), results_required=results_required)
    analysis = run(file, options)
    settings = PeerSettings(
        kwargs["peers"],
        kwargs["percentile"],
        tuple(kwargs["match"]),
        kwargs["urn"],
        kwargs["min_pupils"],
    )
    comparison = similar_schools(analysis, kwargs["benchmark"], settings, kwargs["benchmark_year"])
    from schoolperf.outputs.console import print_warnings, stderr

    print_warnings([*analysis.warnings, *comparison.get("warnings", [])], stderr())
    return analysis, comparison


@click.command("compare")
@input_options
@measure_options
@report_options
@similar_options
@format_option(["table", "json"], "json: the analyse document with a similar_schools section.")
@reports_errors
def compare_command(file: Path, output_format: str, **kwargs: Any) -> None:
    """Compare the school with similar schools at a chosen percentile.

    \b
    Example:
        schoolperf compare results.csv --urn 100053 --percentile 80
        schoolperf compare results.csv --benchmark england_ks4final.csv --match disadvantaged
    """
    analysis, comparison = compare_school(file, kwargs)
    if output_format == "json":
        document = analysis.to_dict(pupils=False)
        document["similar_schools"] = comparison
        echo_json(document, analysis.pupils_json(), default=float)
        return
    from schoolperf.outputs.console import similar_schools_table, stdout

    stdout().print(similar_schools_table(comparison))


@click.command("targets")
@input_options
@measure_options
@similar_options
@format_option(["csv", "json"], "csv: the targets table alone; json: with the method.")
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
    from schoolperf.comparisons import rounded_targets, targets
    from schoolperf.outputs.files import safe_for_spreadsheet

    # targets are set before results too (September): entries without grades, or KS2 alone
    analysis, comparison = compare_school(file, kwargs, results_required=False)
    pupils, subjects, method = targets(analysis, comparison)
    table = rounded_targets(subjects if subject_level else pupils)
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
    # the CSV holds the table alone, so that it opens cleanly in a spreadsheet; the method
    # goes to standard error (and is in the JSON)
    click.echo(f"note: {method}", err=True)
    click.echo(safe_for_spreadsheet(table).to_csv(index=False, lineterminator="\n"), nl=False)
