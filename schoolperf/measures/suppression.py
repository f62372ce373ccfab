"""Suppression of small groups' figures, so that no pupil can be picked out: a group of fewer
than ``--min-group`` pupils shows only its size, a group's P8 resting on fewer is blanked, and
where one member of a set of groups that make up a whole is suppressed, the next-smallest is
suppressed with it (secondary suppression), as the DfE suppresses published figures."""

from __future__ import annotations

SMALL_GROUP = 10  # fewer pupils: figures flagged as unreliable (the DfE's own size)


# Groups that together make up every pupil whose defining column is known: with the school's
# own figures, one suppressed member could be worked out from the others (secondary
# suppression), so the next-smallest member is suppressed with it.
PARTITIONS = [
    ("disadvantaged", "non_disadvantaged"),
    ("boys", "girls"),
    ("sen_support", "ehcp", "no_sen"),
    ("low_prior", "middle_prior", "high_prior"),
]


def secondary_suppressions(
    figures: dict[str, dict], partitions: list[tuple[str, ...]] = ()
) -> list[str]:
    """Groups to suppress as well, so no suppressed group can be recovered by subtraction
    (``partitions``: the groups of each ``--group COLUMN``, which also make up a whole)."""
    extra = []
    for members in [*PARTITIONS, *partitions]:
        present = [m for m in members if m in figures]
        hidden = [m for m in present if figures[m]["suppressed"]]
        shown = sorted(
            (m for m in present if not figures[m]["suppressed"]),
            key=lambda m: (figures[m]["pupils"], m),
        )
        if len(hidden) == 1 and shown:
            extra.append(shown[0])
    return extra


def suppress(figures: dict[str, object]) -> dict[str, object]:
    """A group's figures with everything but its size blanked."""
    keep = ("pupils", "small_group", "suppressed")
    return {k: (v if k in keep else None) for k, v in figures.items()} | {"suppressed": True}
