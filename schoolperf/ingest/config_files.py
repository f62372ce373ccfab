"""The small files options and settings name (TOML mappings and configurations, JSON summaries),
read so that any of them, however malformed or hostile, gives one problem naming the file and
never an internal error: not a file, not text, not TOML or JSON, nested beyond any real file
(the parsers recurse), a value of the wrong kind, a number that is NaN or infinite."""

from __future__ import annotations

import json
import math
import reprlib
import tomllib
from pathlib import Path
from typing import Any

from schoolperf.errors import InputError, Problem

# no mapping or configuration file comes near this size
MAX_TOML_BYTES = 1 << 20


def file_problem(
    path: str | Path, code: str, message: str, fix: str, value: object = None
) -> InputError:
    """One problem with the file at ``path``, as an input error."""
    value = None if value is None else shown(value)
    return InputError([Problem(code, message, fix, file=Path(path).name, value=value)])


def shown(value: object) -> str:
    """A value from a file as a message shows it: text as it is, anything else (a table, a
    list nested any depth) written out briefly."""
    return value if isinstance(value, str) else reprlib.repr(value)


def read_toml(path: str | Path, code: str, fix: str) -> dict[str, Any]:
    """The tables of the TOML file at ``path``; an :class:`InputError` with ``code`` and ``fix``
    where it cannot be read as one."""
    path = Path(path)
    text = _text(path, code, fix, MAX_TOML_BYTES)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise file_problem(path, code, f"could not be read as TOML ({exc}).", fix) from None
    except RecursionError:
        raise file_problem(path, code, "is nested too deeply to be read as TOML.", fix) from None


def read_json(path: str | Path, code: str, fix: str) -> Any:
    """The JSON document in the file at ``path``; an :class:`InputError` with ``code`` and
    ``fix`` where it cannot be read as one."""
    path = Path(path)
    text = _text(path, code, fix)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise file_problem(path, code, f"could not be read as JSON ({exc}).", fix) from None
    except RecursionError:
        raise file_problem(path, code, "is nested too deeply to be read as JSON.", fix) from None


def check_file(path: str | Path, code: str, fix: str) -> None:
    """Refuse a name that is not an ordinary file (missing, a folder, a device or a pipe,
    which could be read for ever)."""
    path = Path(path)
    try:
        if path.is_file():
            return
        kind = "is a folder" if path.is_dir() else "is not a file"
        kind = kind if path.exists() else "does not exist"
    except (OSError, ValueError) as exc:
        kind = f"could not be read ({getattr(exc, 'strerror', None) or exc})"
    raise file_problem(path, code, f"{kind}.", fix)


def _text(path: Path, code: str, fix: str, limit: int | None = None) -> str:
    check_file(path, code, fix)
    try:
        if limit is not None and path.stat().st_size > limit:
            raise file_problem(
                path, code, f"is over {limit:,} bytes, far beyond any such file.", fix
            )
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise file_problem(path, code, "is not text (UTF-8).", fix) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise file_problem(path, code, f"could not be read ({reason}).", fix) from None


def finite_number(value: object) -> float | None:
    """``value`` as a float where it is a number (not a yes/no) that is neither NaN nor
    infinite; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return number if math.isfinite(number) else None


def check_finite_option(value: float | None, option: str, fix: str) -> None:
    """Refuse a command-line number that is NaN or infinite (``float`` accepts both)."""
    if value is not None and not math.isfinite(value):
        raise InputError([Problem("bad-number", f"{option} {value} is not a finite number.", fix)])
