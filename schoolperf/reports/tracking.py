"""Render a tracking document (Markdown or HTML) with the pack templates' base and filters."""

from __future__ import annotations

from typing import Any

from schoolperf.reports.context import GROUP_LABELS, MEASURE_LABELS
from schoolperf.reports.render import environment
from schoolperf.version import __version__

LABELS = MEASURE_LABELS


def render_tracking(
    document: dict[str, Any], fmt: str, audience: str = "staff", min_group: int = 6
) -> str:
    """The tracking report; the governor audience gets no pupil-level lists."""
    staff = audience == "staff"
    template = environment(None, fmt).get_template(f"{fmt}/track.{fmt}")
    return template.render(
        doc=document,
        staff=staff,
        labels=LABELS,
        group_labels=GROUP_LABELS,
        title=f"Tracking: {document['drops'][-1]['label']}",
        version=__version__,
        min_group=min_group,
    )
