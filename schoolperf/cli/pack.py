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
    reports_errors,
    similar_options,
)


@click.command("pack")
@input_options
@measure_options
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
    from schoolperf.reports.context import build_context
    from schoolperf.reports.render import print_pdf, write_pack

    if with_similar or kwargs["benchmark"] or kwargs["urn"]:
        analysis, comparison = compare_school(file, kwargs)
    else:
        from schoolperf.analysis import analyse as run

        analysis, comparison = run(file, analysis_options(**kwargs)), None
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
