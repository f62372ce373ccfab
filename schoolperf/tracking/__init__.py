"""Tracking points: the same measures projected from teachers' predicted grades at each data drop.

``track(drops, settings)`` analyses every drop (all are validated before anything is written),
then reports each drop's headline measures overall and per group, the movement between
consecutive drops and since the first, subject movement, the pupils whose projected P8 fell by
more than a threshold, the distance to targets, and configured alerts. ``run_config`` is the
unattended form for cron: a folder of drops, dated outputs written atomically, one history row per
drop, a lock against overlapping runs, a log without pupil data, exit 1 when an alert fires.

The drops and their order are in ``drops``, the tracking document in ``summary``, the settings and
the TOML configuration in ``config``, and the unattended run in ``cron``.
"""

from __future__ import annotations

from schoolperf.tracking.config import (
    FORMATS,
    TrackSettings,
    load_config,
    settings_from_config,
)
from schoolperf.tracking.cron import Lock, run_config, write_outputs
from schoolperf.tracking.drops import Drop, order_drops
from schoolperf.tracking.summary import (
    ALERTS,
    GROUP_MEASURES,
    TRACK_MEASURES,
    for_audience,
    history_table,
    track,
)

__all__ = [
    "ALERTS",
    "FORMATS",
    "GROUP_MEASURES",
    "TRACK_MEASURES",
    "Drop",
    "Lock",
    "TrackSettings",
    "for_audience",
    "history_table",
    "load_config",
    "order_drops",
    "run_config",
    "settings_from_config",
    "track",
    "write_outputs",
]
