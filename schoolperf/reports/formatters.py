"""Number formatting for packs (Jinja filters): the only place numbers are rounded for display.

>>> score(0.1234), score(-0.5), score(-0.001), score(None)
('+0.12', '-0.50', '0.00', '–')
>>> pct(45.88), num(47.843, 1), ci(-0.031, 0.43)
('45.9%', '47.8', '-0.03 to +0.43')
>>> pct(13 / 16 * 100), score(-0.125), num(2.5, 0)
('81.3%', '-0.13', '3')
>>> change(5.44, "basics_4_pct"), change(-0.214, "progress8"), change(2.07, "attainment8")
('+5.4 pts', '-0.21', '+2.1')
"""

from __future__ import annotations

import html
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from schoolperf.measures.groups import gap_in_words
from schoolperf.reference import counted

MISSING = "–"
MARKS = {  # a mark beside each verdict, so colour is never the only signal
    "not significantly different": "○",
    "significantly above": "▲",
    "significantly below": "▼",
}
# characters that make Markdown inline markup (emphasis, code, links and images, strikethrough)
# and the starts of the links GFM makes of bare addresses
MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]~|])")
AUTOLINK = re.compile(r"(?<=[A-Za-z])(?=://)|(?<=www)(?=\.)", re.IGNORECASE)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def rounded(value: object, places: int) -> float:
    """``value`` rounded for display as a spreadsheet rounds it, halves away from zero (13 of
    16 is 81.25%, shown 81.3% as Excel shows it; Python's ``round`` gives 81.2), a negative
    that rounds to zero made zero (no "-0.00")."""
    exact = Decimal(repr(float(value)))  # type: ignore[arg-type]
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)) + 0.0


def num(value: object, places: int = 1) -> str:
    return MISSING if _missing(value) else f"{rounded(value, places) or 0.0:.{places}f}"


def score(value: object, places: int = 2) -> str:
    """A signed score (Progress 8, a gap): "+0.28", "-0.41", zero as "0.00"."""
    if _missing(value):
        return MISSING
    shown = rounded(value, places)
    return f"{shown:+.{places}f}" if shown else f"{0.0:.{places}f}"


def pct(value: object, places: int = 1) -> str:
    return MISSING if _missing(value) else f"{rounded(value, places) or 0.0:.{places}f}%"


def measure(value: object, key: str) -> str:
    """A measure's value in the one format for its kind: Progress 8 signed with two decimals,
    percentages with %, average point scores with two decimals, Attainment 8 with one."""
    if "progress8" in key:
        return score(value)
    if key.endswith("_pct"):
        return pct(value)
    return num(value, 2 if key == "ebacc_aps" else 1)


def change(value: object, key: str) -> str:
    """A gap or change in a measure, in the one format for its kind: Progress 8 and average
    point scores signed with two decimals, Attainment 8 with one, percentages in percentage
    points ("+5.4 pts")."""
    if _missing(value):
        return MISSING
    shown = score(value, 2 if "progress8" in key or key == "ebacc_aps" else 1)
    return f"{shown} pts" if key.endswith("_pct") else shown


def ci(low: object, high: object, places: int = 2) -> str:
    if _missing(low) or _missing(high):
        return MISSING
    return f"{score(low, places)} to {score(high, places)}"


def significance(flag: object, gap: object = None, why: object = None) -> str:
    """Words (and a mark) for a significance flag, so colour is never the only signal; where
    the gap was not tested, ``why`` (the gap row's ``not_tested_because``)."""
    words = gap_in_words(flag, gap)
    if words is None:
        return f"not tested: {why}" if why else "not tested"
    return f"{MARKS[words]} {words}"


def markdown_text(text: str) -> str:
    """``text`` (a group, subject, file or school name) as Markdown shows it, never as markup:
    HTML escaped (Markdown renders raw HTML), inline markup and bare links backslash-escaped,
    on one line (a table cell)."""
    escaped = MARKDOWN_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    return " ".join(AUTOLINK.sub("\\\\", escaped).splitlines())


def pupils(count: object, what: str = "pupil") -> str:
    """A count of pupils (or other things) in words: "1 pupil", "8 pupils"."""
    if _missing(count):
        return f"no {what}s"
    return counted(int(count), what)  # type: ignore[call-overload]


def raw(value: object) -> str:
    """The unrounded value, for ``data-value`` attributes (tests read the DOM with these)."""
    return "" if _missing(value) else repr(float(value))  # type: ignore[arg-type]


FILTERS = {
    "num": num,
    "score": score,
    "measure": measure,
    "change": change,
    "pupils": pupils,
    "pct": pct,
    "ci": ci,
    "significance": significance,
    "raw": raw,
}
