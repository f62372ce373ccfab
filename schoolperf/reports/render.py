"""Render a results pack (HTML or Markdown) from Jinja templates, and write it atomically.

Templates live in ``reports/templates/{html,md}/``; ``--template DIR`` puts a school's own
files first, and an override may extend the original as ``default:html/_groups.html``.
HTML autoescaping is on. The HTML pack is one self-contained file (inline CSS and SVG); the
Markdown pack writes its charts as SVG files in a folder beside it.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
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
from schoolperf.outputs.files import cannot_write, check_targets, write_atomic
from schoolperf.reports.formatters import FILTERS

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


def markdown_text(value: object) -> object:
    """Text placed in Markdown: HTML-escaped (Markdown renders raw HTML) and safe in tables."""
    if isinstance(value, Markup):  # already escaped (a macro's output)
        return value
    if not isinstance(value, str):
        return "" if value is None else value
    text = html.escape(value, quote=False).replace("|", "\\|")
    return " ".join(text.splitlines())


def environment(template_dir: str | Path | None = None, fmt: str = "html") -> Environment:
    package = PackageLoader("schoolperf.reports", "templates")
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    env = Environment(
        loader=ChoiceLoader([*loaders, PrefixLoader({"default": package}, ":"), package]),
        autoescape=select_autoescape(["html"]),
        finalize=markdown_text if fmt == "md" else None,
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
    inputs: tuple[Path, ...],
    template_dir: str | Path | None = None,
    later: Iterable[Path] = (),
) -> list[Path]:
    """Write the pack (and, for Markdown, its chart files) atomically; return the paths.
    ``later``: outputs the caller writes afterwards (a PDF), checked with these first."""
    folder = f"{out.stem}_charts"
    charts = context["charts"].values() if fmt == "md" else []
    written = [out.parent / folder / f"{chart.name}.svg" for chart in charts]
    check_targets([out, *written, *later])
    for chart, path in zip(charts, written, strict=True):
        write_atomic(path, chart.svg, inputs)
    write_atomic(out, render_pack(context, fmt, template_dir, folder), inputs)
    return [out, *written]


def chromium() -> str | None:
    return next((p for p in map(shutil.which, CHROMIUM) if p), None)


def print_pdf(html: Path, pdf: Path) -> Path:
    """Print the HTML pack to PDF with headless Chromium (no network: the file is local)."""
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
    with tempfile.TemporaryDirectory() as profile:
        temporary = pdf.with_name(f".{pdf.name}.tmp")
        try:
            subprocess.run(
                [
                    browser,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    f"--print-to-pdf={temporary}",
                    html.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            temporary.unlink(missing_ok=True)
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
            temporary.replace(pdf)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise cannot_write(pdf, exc.strerror or str(exc)) from None
    return pdf
