"""Number formatting for packs (Jinja filters): the only place numbers are rounded for display.

>>> score(0.1234), score(-0.5), score(None)
('+0.12', '-0.50', '–')
>>> pct(45.88), num(47.843, 1), ci(-0.031, 0.43)
('45.9%', '47.8', '-0.03 to +0.43')
"""

from __future__ import annotations

import math

MISSING = "–"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value: object, places: int = 1) -> str:
    return MISSING if _missing(value) else f"{float(value):.{places}f}"  # type: ignore[arg-type]


def score(value: object, places: int = 2) -> str:
    return MISSING if _missing(value) else f"{float(value):+.{places}f}"  # type: ignore[arg-type]


def pct(value: object, places: int = 1) -> str:
    return MISSING if _missing(value) else f"{float(value):.{places}f}%"  # type: ignore[arg-type]


def ci(low: object, high: object, places: int = 2) -> str:
    if _missing(low) or _missing(high):
        return MISSING
    return f"{score(low, places)} to {score(high, places)}"


def significance(flag: object, gap: object = None) -> str:
    """Words (and a mark) for a significance flag, so colour is never the only signal."""
    if flag is None:
        return "not tested (too few pupils)"
    if not flag:
        return "○ not significantly different"
    return "▲ significantly above" if (gap or 0) > 0 else "▼ significantly below"


def raw(value: object) -> str:
    """The unrounded value, for ``data-value`` attributes (tests read the DOM with these)."""
    return "" if _missing(value) else repr(float(value))  # type: ignore[arg-type]


FILTERS = {
    "num": num,
    "score": score,
    "pct": pct,
    "ci": ci,
    "significance": significance,
    "raw": raw,
}
