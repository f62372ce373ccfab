"""Trends: the change in each headline measure since earlier runs' ``summary.json`` files."""

from __future__ import annotations

from pathlib import Path

from schoolperf.analysis.model import plain_value
from schoolperf.ingest.config_files import file_problem, finite_number, read_json

PREVIOUS_FIX = "Give the summary.json written by an earlier analyse --out."
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
    earlier = [read_previous(path) for path in previous]
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


def read_previous(path: str | Path) -> tuple[str, dict[str, object]]:
    """An earlier run's label and school figures, from its ``summary.json``: an
    :class:`InputError` where it is not one (not JSON, no ``school`` table, a headline measure
    that is not a number)."""
    document = read_json(path, "bad-previous", PREVIOUS_FIX)
    school = document.get("school") if isinstance(document, dict) else None
    if not isinstance(school, dict):
        message = "is not a schoolperf summary.json: it has no school table."
        raise file_problem(path, "bad-previous", message, PREVIOUS_FIX)
    label = document.get("label")
    if label is not None and not isinstance(label, str):
        message = "is not a schoolperf summary.json: its label is not text."
        raise file_problem(path, "bad-previous", message, PREVIOUS_FIX, label)
    figures = {key: school.get(key) for key in TREND_MEASURES}
    for key, value in figures.items():
        if value is not None and finite_number(value) is None:
            message = f"is not a schoolperf summary.json: its school {key} is not a number."
            raise file_problem(path, "bad-previous", message, PREVIOUS_FIX, value)
    return label or Path(path).stem, figures
