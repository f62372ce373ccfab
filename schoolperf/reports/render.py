"""Render a results pack (HTML or Markdown) from Jinja templates, and write it with its charts
and PDF as one set (:class:`~schoolperf.outputs.staging.OutputSet`).

Templates live in ``reports/templates/{html,md}/``; ``--template DIR`` puts a school's own
files first, and an override may extend the original as ``default:html/_groups.html``.
HTML autoescaping is on. The HTML pack is one self-contained file (inline CSS and SVG); the
Markdown pack writes its charts as SVG files in a folder beside it. The PDF is printed by
headless Chromium and dated from the data (its newest exam date), so the same input gives the
same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from contextlib import ExitStack, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    select_autoescape,
)
from markupsafe import Markup

from schoolperf.errors import InputError, Problem
from schoolperf.outputs.staging import Input, OutputSet, cannot_write, signals_held
from schoolperf.reports.formatters import FILTERS, markdown_text

FORMATS = ("html", "md")
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-pdf-header-footer",
]


def markdown_value(value: object) -> object:
    """A value placed in Markdown: text never read as markup (:func:`markdown_text`: no live
    links, images, emphasis or raw HTML from a group, subject, school or file name), on one
    line and safe in a table."""
    if isinstance(value, Markup):  # already escaped (a macro's output)
        return value
    if not isinstance(value, str):
        return "" if value is None else value
    return markdown_text(value)


def environment(template_dir: str | Path | None = None, fmt: str = "html") -> Environment:
    package = PackageLoader("schoolperf.reports", "templates")
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    env = Environment(
        loader=ChoiceLoader([*loaders, PrefixLoader({"default": package}, ":"), package]),
        autoescape=select_autoescape(["html"]),
        finalize=markdown_value if fmt == "md" else None,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def render_pack(
    context: dict[str, Any],
    fmt: str,
    template_dir: str | Path | None = None,
    chart_folder: str = "",
) -> str:
    """The pack as text; for Markdown, charts are referenced in ``chart_folder``."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    try:
        template = environment(template_dir, fmt).get_template(f"{fmt}/pack.{fmt}")
        return template.render(**context, chart_folder=chart_folder)
    except TemplateSyntaxError as error:
        raise template_problem(error, error.filename or error.name, error.lineno) from None
    except TemplateError as error:
        raise template_problem(error, str(template_dir or "templates"), None) from None


def template_problem(error: Exception, file: str | None, line: int | None) -> InputError:
    """A broken (school-supplied) template, as one clear problem."""
    return InputError(
        [
            Problem(
                "bad-template",
                f"could not be rendered ({type(error).__name__}: {error}).",
                "Fix the template override (compare it with the shipped templates in "
                "schoolperf/reports/templates/), or leave out --template.",
                file=str(file or "template"),
                row=None if line is None else str(line),
            )
        ]
    )


def write_pack(
    context: dict[str, Any],
    fmt: str,
    out: Path,
    inputs: Iterable[Input],
    template_dir: str | Path | None = None,
    pdf: bool = False,
    outputs: OutputSet | None = None,
) -> list[Path]:
    """Write the pack (for Markdown, with its chart files; with ``pdf``, the HTML pack printed
    to PDF beside it) as one set: into ``outputs`` (an open
    :class:`~schoolperf.outputs.staging.OutputSet` for ``out``'s folder, committed here), else a
    set of its own; return the paths. Charts of an earlier pack that this one has not are
    removed with it. Where the PDF cannot be printed, the pack is written without it (an
    earlier PDF removed: never beside a newer pack) and the problem raised."""
    if outputs is None:
        with OutputSet(out.parent, inputs) as own:
            return write_pack(context, fmt, out, inputs, template_dir, pdf, own)
    folder = f"{out.stem}_charts"
    charts = list(context["charts"].values()) if fmt == "md" else []
    paths = [out.parent / folder / f"{chart.name}.svg" for chart in charts]
    pdf_path = out.with_suffix(".pdf")
    outputs.check([out, *paths, *([pdf_path] if pdf else [])])
    if fmt == "md" and (out.parent / folder).is_dir():
        for old in sorted((out.parent / folder).glob("*.svg")):
            if old not in paths:
                outputs.remove(old)
    for chart, path in zip(charts, paths, strict=True):
        outputs.write(path, chart.svg)
    staged = outputs.write(out, render_pack(context, fmt, template_dir, folder))
    if pdf:
        try:
            profile = outputs.work("chromium")
            print_pdf(staged, outputs.stage(pdf_path), profile, data_date(context))
        except InputError:
            outputs.forget(pdf_path)
            if pdf_path.is_file():
                outputs.remove(pdf_path)
            outputs.commit()
            raise
    return outputs.commit()


def data_date(context: dict[str, Any]) -> date | None:
    """The pack's data date (its newest exam date), as the status banner gives it."""
    text = (context.get("banner") or {}).get("data_date")
    try:
        return datetime.strptime(text, "%d %B %Y").date() if text else None
    except ValueError:
        return None


def chromium() -> str | None:
    return next((p for p in map(shutil.which, CHROMIUM) if p), None)


def _die_with_parent() -> None:
    """In the browser's process before it starts (Linux): end it when schoolperf ends, even
    by SIGKILL, so no browser is left writing into a removed folder."""
    import ctypes

    try:
        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def _run_browser(command: list[str], profile: Path, env: dict[str, str]) -> None:
    """Run the browser in ``profile`` in a process group of its own, and end all of it (its
    helpers too) before returning or raising, so that nothing writes into the profile once the
    run has removed it."""
    linux = sys.platform.startswith("linux")
    with ExitStack() as stack:
        with signals_held():  # a browser started is always ended, whenever a signal comes
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=profile,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent if linux else None,
            )
            stack.enter_context(process)
            stack.callback(_end_browser, process, profile)
        _, errors = process.communicate(timeout=120)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command, stderr=errors)


def _end_browser(process: subprocess.Popen, profile: Path) -> None:
    """Kill the browser's process group, and any process of its own session that names the
    profile (its crash handler), and wait (at most 5 seconds) until none of them runs."""
    with signals_held():
        if not hasattr(os, "killpg"):  # pragma: no cover - Windows
            process.kill()
            process.wait()
            return
        with suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 5
        while (left := _browser_processes(process.pid, profile)) and time.monotonic() < deadline:
            for pid in left:
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)


def _browser_processes(group: int, profile: Path) -> list[int]:
    """The processes of ``group``, or naming ``profile`` on their command line, that still run
    (a zombie, dead but not yet reaped, does not)."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        try:
            os.killpg(group, 0)
        except OSError:
            return []
        return [group]
    named = str(profile).encode()
    found = []
    for entry in proc.glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and (
                int(fields[2]) == group or named in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)\d{14}([^)]*\))")


def fixed_pdf_dates(data: bytes, when: date | None) -> bytes:
    """``data`` (a PDF) with its creation and modification dates set to ``when`` (midnight
    UTC), else to ``SOURCE_DATE_EPOCH`` where set, else to 1 January 1970: the same bytes for
    the same pack. Each date keeps its length, so the PDF's cross-reference offsets stay
    right."""
    if when is None:
        epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
        when = datetime.fromtimestamp(epoch, UTC).date()
    day = when.strftime("%Y%m%d").encode() + b"000000"

    def dated(match: re.Match[bytes]) -> bytes:
        zone = re.sub(rb"\d", b"0", match.group(2)).replace(b"-", b"+")  # UTC, same length
        return match.group(1) + day + zone

    return PDF_DATE.sub(dated, data)


def print_pdf(html: Path, pdf: Path, profile: Path | None = None, when: date | None = None) -> Path:
    """Print the HTML pack to PDF with headless Chromium (no network: the file is local),
    dated ``when`` (:func:`fixed_pdf_dates`). The browser's profile and temporary files go in
    ``profile`` (by default a folder of its own, removed afterwards)."""
    browser = chromium()
    if browser is None:
        raise InputError(
            [
                Problem(
                    "no-chromium",
                    "cannot be written: printing to PDF needs headless Chromium, which "
                    "is not installed.",
                    "Install it (Debian: apt-get install chromium), or print the "
                    "HTML pack from a browser.",
                    file=pdf.name,
                )
            ]
        )
    with ExitStack() as stack:
        if profile is None:
            from schoolperf.engine.query import private_folder

            profile = stack.enter_context(private_folder(None, "schoolperf-chromium-"))
        profile = Path(profile).absolute()
        temporary = pdf.with_name(f".{pdf.name}.tmp").absolute()
        stack.callback(temporary.unlink, missing_ok=True)
        # the browser's temporary files go in the profile too; its socket there must have a
        # short path (a Unix socket's is at most 107 bytes): named from the profile when long
        short = len(str(profile)) < 60
        command = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={temporary}",
            html.resolve().as_uri(),
        ]
        try:
            # its temporary files and crash reports (which may hold the page) in the profile
            env = {"TMPDIR": str(profile) if short else ".", "XDG_CONFIG_HOME": str(profile)}
            _run_browser(command, profile, {**os.environ, **env})
            printed = temporary.read_bytes()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise InputError(
                [
                    Problem(
                        "pdf-failed",
                        f"could not be printed by headless Chromium ({exc}).",
                        "The HTML pack was written; print it from a browser instead.",
                        file=pdf.name,
                    )
                ]
            ) from None
        try:
            temporary.write_bytes(fixed_pdf_dates(printed, when))
            temporary.replace(pdf)
        except OSError as exc:
            raise cannot_write(pdf, exc.strerror or str(exc)) from None
    return pdf
