"""Command line: parse options, call the library, print. Exit 0 done, 1 a check asked for
failed, 2 bad input or usage, 3 an internal error (contract §4). One module per command; the
options they share are in :mod:`schoolperf.cli.options`."""

from __future__ import annotations

import os

import click

from schoolperf.cli.analyse import analyse, validate
from schoolperf.cli.compare import compare_command, targets_command
from schoolperf.cli.pack import pack_command
from schoolperf.cli.subjects import subjects
from schoolperf.cli.track import track_command
from schoolperf.version import __version__


class _Commands(click.Group):
    """The command list in ``--help`` with each command's first sentence whole (wrapped, never
    cut with "...")."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, (command.help or "").split("\n\n")[0].replace("\n", " ").strip())
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schoolperf")
def cli() -> None:
    """schoolperf: KS4 Attainment 8 and Progress 8, exactly as the DfE computes them."""


@click.command()
def estimates() -> None:
    """List the A8 estimates tables shipped with schoolperf, with their sources."""
    from schoolperf.reference import load_estimates, shipped_estimates

    for name in shipped_estimates():
        table = load_estimates(name)
        click.echo(f"{name}: {table.source}; national P8 SD {table.national_sd['progress8']}")


def main() -> None:
    """The ``schoolperf`` command. numpy asks the kernel for 2 MB pages for every large array,
    and a large run makes and frees many, which costs seconds of page zeroing: huge pages are
    off unless the caller chose otherwise. SIGTERM and SIGINT stop a run as an error would (no
    staging or temporary folder left, outputs old or new), with exit status 143 or 130."""
    from schoolperf.outputs.staging import exit_on_signals

    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    with exit_on_signals(ignore_after=True):
        cli(prog_name="schoolperf")


for command in (
    analyse,
    validate,
    subjects,
    compare_command,
    targets_command,
    pack_command,
    track_command,
    estimates,
):
    cli.add_command(command)
