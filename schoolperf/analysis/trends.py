"""Trends: the change in each headline measure since earlier runs' ``summary.json`` files."""

from __future__ import annotations

import json
from pathlib import Path

from schoolperf.analysis.model import plain_value
from schoolperf.errors import InputError, Problem

TREND_MEASURES = [
    "pupils",
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "progress8",
    "progress8_adjusted",
    "basics_4_pct",
    "basics_5_pct",
    "english_maths_entry_pct",
    "ebacc_entry_pct",
    "ebacc_94_pct",
    "ebacc_95_pct",
    "ebacc_aps",
]


def trends_since(school: dict[str, object], previous: tuple[str, ...]) -> dict[str, dict]:
    """Change in each headline measure since earlier runs' ``summary.json`` files."""
    earlier = []
    for path in previous:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
            figures = document["school"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                [
                    Problem(
                        "bad-previous",
                        f"is not a schoolperf summary.json ({exc}).",
                        "Give the summary.json written by an earlier analyse --out.",
                        file=Path(path).name,
                    )
                ]
            ) from None
        earlier.append((document.get("label") or Path(path).stem, figures))
    earlier.sort(key=lambda item: str(item[0]))
    trends = {}
    for key in TREND_MEASURES:
        current = plain_value(school.get(key))
        history = [{"label": label, "value": figures.get(key)} for label, figures in earlier]
        last = next((h["value"] for h in reversed(history) if h["value"] is not None), None)
        if history:
            trends[key] = {
                "current": current,
                "previous": history,
                "change": None if current is None or last is None else current - last,
            }
    return trends
