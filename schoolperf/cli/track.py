"""``schoolperf track``: tracking points from predicted grades, by hand or from cron."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from schoolperf.cli.options import (
    analysis_options,
    format_option,
    input_flags,
    measure_options,
    reports_errors,
)
from schoolperf.reference import counted


@click.command("track")
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
@format_option(["table", "json", "md", "html"], "Output format.")
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
            click.echo(f"Wrote {counted(len(written), 'file')} to {written[0].parent}")
        for alert in document["alerts"] if document else []:
            if alert["fired"] and alert.get("new", True):  # not again for an unchanged re-run
                click.echo(f"alert: {alert['message']}", err=True)
        sys.exit(status)
    if not drops:
        raise click.UsageError("Give the drop files, or --config tracking.toml.")
    mapping = _subgrades(subgrades_file)
    options = replace(analysis_options(**kwargs), subgrades=mapping)
    settings = tracking.TrackSettings(options, p8_fall, targets_file)
    ordered = tracking.order_drops(list(drops), labels.split(",") if labels else None)
    if output_format == "table" or out_path is None:
        outputs = nullcontext()
    else:
        from schoolperf.outputs.staging import OutputSet

        inputs = [
            *(("a drop", d) for d in drops),
            *options.paths_read(),
            ("--targets", targets_file),
            ("--subgrades", subgrades_file),
        ]
        outputs = OutputSet(out_path.parent, inputs, [out_path])
    with outputs:  # the engine spills into the output set's staging folder
        document, _analyses = tracking.track(ordered, settings)
        if output_format == "table":
            from schoolperf.outputs.console import stdout, tracking_table

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
            outputs.write(out_path, text)
            outputs.commit()


def _subgrades(path: str | None):  # noqa: ANN202 - SubgradeMapping
    from schoolperf.tracking.config import read_subgrades

    return read_subgrades(path)
