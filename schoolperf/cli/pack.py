"""``schoolperf pack``: the results-meeting pack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from schoolperf.cli.compare import compare_school
from schoolperf.cli.options import (
    analysis_options,
    format_option,
    input_options,
    measure_options,
    report_options,
    reports_errors,
    similar_options,
)


@click.command("pack")
@input_options
@measure_options
@report_options
@similar_options
@click.option(
    "--audience",
    type=click.Choice(["governors", "staff"]),
    required=True,
    help="governors: no pupil names, UPNs or pupil rows; staff: with pupil lists.",
)
@format_option(["html", "md"], "One self-contained HTML file, or Markdown + chart files.")
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
    from schoolperf.outputs.staging import OutputSet
    from schoolperf.reports.context import build_context
    from schoolperf.reports.render import write_pack

    if pdf and output_format != "html":
        raise click.UsageError("--pdf needs --format html.")
    options = analysis_options(**kwargs)
    inputs = [
        ("the results export", file),
        *options.paths_read(),
        ("--benchmark", kwargs["benchmark"]),
        ("--template", template_dir),
    ]
    targets = [out_path, *([out_path.with_suffix(".pdf")] if pdf else [])]
    with OutputSet(out_path.parent, inputs, targets) as outputs:  # the engine spills into it
        if with_similar or kwargs["benchmark"] or kwargs["urn"]:
            analysis, comparison = compare_school(file, kwargs)
        else:
            from schoolperf.analysis import analyse as run

            analysis, comparison = run(file, options), None
            from schoolperf.outputs.console import print_warnings, stderr

            print_warnings(analysis.warnings, stderr())
        context = build_context(analysis, audience, kwargs["min_group"], comparison)
        written = write_pack(context, output_format, out_path, inputs, template_dir, pdf, outputs)
    click.echo(
        f"Wrote {', '.join(str(p) for p in written[:3])}"
        + (f" and {len(written) - 3} more" if len(written) > 3 else ""),
        err=True,
    )
