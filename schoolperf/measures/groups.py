"""Pupil groups (the group keys of docs/contract.md §3), their measures, and gaps against the
right comparator.

Rules: groups as in the DfE performance tables (ks4-methodology §4): disadvantaged (§4.2),
SEN support ``K`` / EHC plan ``E`` (§4.3), EAL, boys/girls, prior attainment low < 100, middle
100 to < 110, high ≥ 110 (§4.1). A group's P8 CI uses the national SD and the group's own n.
Gaps: disadvantaged pupils are compared with **non-disadvantaged pupils nationally** (the DfE's
``DIFFN_ATT8`` / ``DIFFN_P8MEA``, §5.3); every other group with the same group nationally (§5.2);
and every group with the rest of the school's pupils.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from schoolperf.measures.progress8 import Z95
from schoolperf.measures.suppression import (
    secondary_suppressions,
    suppress,
    suppress_progress8,
)
from schoolperf.measures.totals import PupilCells, mean, totals, variance
from schoolperf.reference import (
    GROUP_NAMES,
    KEY_GROUPS,
    NAME_COLUMNS,
    PERSONAL_COLUMNS,
    identifies_pupils,
    national_comparators,
    normalise_label,
)

STANDARD_GROUPS: dict[str, tuple[str, object]] = {
    # key: (column that must be known, the value of the group's pupils in it)
    "disadvantaged": ("disadvantaged", True),
    "non_disadvantaged": ("disadvantaged", False),
    "boys": ("gender", "M"),
    "girls": ("gender", "F"),
    "sen_support": ("sen", "K"),
    "ehcp": ("sen", "E"),
    "no_sen": ("sen", "N"),
    "eal": ("eal", True),
    "low_prior": ("prior_attainment_band", "low"),
    "middle_prior": ("prior_attainment_band", "middle"),
    "high_prior": ("prior_attainment_band", "high"),
}
DEFAULT_INTERSECTIONS = [("disadvantaged", "high_prior")]
# The national comparator of each group (DfE convention, §5.3): disadvantaged → non-disadvantaged.
NATIONAL_COMPARATOR = {"disadvantaged": "non_disadvantaged"}
GAP_GROUPS = [
    "disadvantaged",
    "non_disadvantaged",
    "boys",
    "girls",
    "sen_support",
    "ehcp",
    "no_sen",
    "eal",
    "low_prior",
    "middle_prior",
    "high_prior",
]
GAP_MEASURES = {
    # measure: kind (progress = national SD; mean = pupils' own SD; pct = binomial)
    "attainment8": "mean",
    "progress8": "progress",
    "basics_4_pct": "pct",
    "basics_5_pct": "pct",
    "ebacc_entry_pct": "pct",
    "ebacc_aps": "mean",
}
# Which suppression family each gap measure's figures belong to (all pupils unless named).
COMPARISON_FAMILY = {"progress8": "progress8"}
# Published national P8 is the adjusted score (§2.4, §5.2), so gaps use adjusted P8 throughout.
PUPIL_COLUMN = {
    "attainment8": "attainment8",
    "progress8": "progress8_adjusted",
    "basics_4_pct": "basics_4",
    "basics_5_pct": "basics_5",
    "ebacc_entry_pct": "ebacc_entered",
    "ebacc_aps": "ebacc_aps",
}


class GroupSpecError(ValueError):
    """A ``--group`` names something that is neither a group nor a column (``args``: the part,
    and why where it is not that)."""


class IdentifyingGroupError(GroupSpecError):
    """A ``--group`` column whose values name pupils rather than group them."""


MOSTLY = 0.5  # beyond this share of a column's pupils, its values name them (see below)
FEW_ALONE = 5  # fewer pupils alone in their value say nothing of a column (a tiny file)


def _known(pupils: pd.DataFrame, column: str) -> pd.Series:
    return pupils[column].notna() if column in pupils.columns else pd.Series(False, pupils.index)


def _known_cells(pupils: pd.DataFrame) -> dict[str, pd.Series]:
    """Each standard group's defining column: where it is known (worked out once a column)."""
    return {c: _known(pupils, c) for c in dict.fromkeys(c for c, _ in STANDARD_GROUPS.values())}


def standard_groups(pupils: pd.DataFrame) -> dict[str, pd.Series]:
    """Membership of every standard group whose defining column the input has."""
    groups = {}
    coded: dict[str, tuple[np.ndarray, pd.Series]] = {}
    for key, (column, value) in STANDARD_GROUPS.items():
        if column not in pupils.columns:
            continue
        if column not in coded:  # each column's values told apart once (missing: -1)
            codes, values = pd.factorize(pupils[column])
            coded[column] = codes, pd.Series(values)
        codes, values = coded[column]
        if len(values):  # known for some pupil
            # each distinct value compared as the column's cells would be (1 == True)
            equal = (values == value).fillna(False).to_numpy(dtype=bool)
            member = np.append(equal, False)[codes]  # missing: in no group
            groups[key] = pd.Series(member, index=pupils.index, name=column)
    for parts in DEFAULT_INTERSECTIONS:
        if all(p in groups for p in parts):
            groups["_".join(parts)] = np.logical_and.reduce([groups[p] for p in parts])
    return groups


def _column(pupils: pd.DataFrame, name: str) -> str | None:
    """A pupil column by its name or its heading ("Tutor Group" → ``tutor_group``), a column
    kept under the file's own heading ("Flag") by that heading in any case ("flag")."""
    if name in pupils.columns:
        return name
    key = normalise_label(name).replace(" ", "_")
    if key in pupils.columns:
        return key
    alike = [c for c in pupils.columns if normalise_label(str(c)).replace(" ", "_") == key]
    return alike[0] if len(alike) == 1 else None


def _personal(name: str) -> bool:
    """``name`` (a column or heading) names or identifies pupils, whether the frame at hand
    (e.g. the pupils' cells) has that column or not."""
    return normalise_label(name).replace(" ", "_") in PERSONAL_COLUMNS or identifies_pupils(name)


def requested_groups(
    pupils: pd.DataFrame, specs: list[str], standard: dict[str, pd.Series] | None = None
) -> dict[str, pd.Series]:
    """Groups asked for with ``--group``: ``a,b`` is the intersection of a and b, where each part
    is a standard group key or a pupil column (one group per value, keyed ``column=value``);
    ``pupils``: the pupils, or their cells' keys; ``standard``: the :func:`standard_groups` of
    ``pupils``, where already known."""
    standard = standard_groups(pupils) if standard is None else standard
    groups: dict[str, pd.Series] = {}
    for spec in specs:
        options = []
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            if part in standard:
                options.append([(part, standard[part])])
            elif _personal(part):  # (a personal column is found only by its own name)
                raise GroupSpecError(part, "names or identifies pupils, so it cannot define groups")
            elif _column(pupils, part) is not None:
                column = _column(pupils, part)
                values = sorted(v for v in pupils[column].dropna().unique() if str(v) != "")
                # a missing value (NA of a number column too) is in no group
                options.append(
                    [(f"{column}={v}", (pupils[column] == v).fillna(False)) for v in values]
                )
            else:
                raise GroupSpecError(part)
        for combination in product(*options):
            key = "_".join(name for name, _ in combination)
            groups[key] = np.logical_and.reduce([mask for _, mask in combination])
    return groups


def check_group_columns(pupils: pd.DataFrame, specs: list[str]) -> None:
    """Refuse a ``--group`` column of ``pupils`` whose values name pupils rather than group them,
    as their labels would be published: most of its pupils alone in their value (a column of
    names or UPNs under another heading), or most of its values the pupil's own forename or
    surname. Raises :class:`IdentifyingGroupError`; the values are never quoted."""
    names = [
        pupils[c].astype("string").str.strip().str.casefold()
        for c in NAME_COLUMNS
        if c in pupils.columns
    ]
    if "name" in pupils.columns:  # a full name: its first and last words
        words = pupils["name"].astype("string").str.strip().str.casefold().str.split()
        names += [words.str[0], words.str[-1]]
    for part in (p.strip() for spec in specs for p in spec.split(",")):
        column = _column(pupils, part)
        if part in STANDARD_GROUPS or column is None or _personal(part):
            continue  # a standard group, or refused by requested_groups
        values = pupils[column].astype("string").str.strip()
        values = values[values.notna() & (values != "")]
        if len(values) < 2:
            continue
        alone = int((values.map(values.value_counts()) == 1).sum())
        folded = values.str.casefold()
        own = max((int((folded == n[values.index]).sum()) for n in names), default=0)
        if (alone >= FEW_ALONE and alone > MOSTLY * len(values)) or own > MOSTLY * len(values):
            why = (
                f"holds pupils' own names on {own} of {len(values)} rows"
                if own > MOSTLY * len(values)
                else f"gives {alone} of its {len(values)} pupils a value no other pupil has"
            )
            raise IdentifyingGroupError(
                part, f"{why}: its groups would name pupils, so it cannot define groups"
            )


def group_columns(pupils: pd.DataFrame, specs: list[str]) -> list[str]:
    """The pupil columns the standard groups and the ``--group`` ``specs`` are defined by (of
    those ``pupils`` has): the columns :func:`~schoolperf.measures.totals.pupil_cells` keeps."""
    named = [_column(pupils, part.strip()) for spec in specs for part in spec.split(",")]
    columns = [column for column, _ in STANDARD_GROUPS.values()]
    columns += [c for c in named if c is not None and c not in PERSONAL_COLUMNS]
    return [c for c in dict.fromkeys(columns) if c in pupils.columns]


def complement(
    pupils: pd.DataFrame, key: str, mask: pd.Series, known: dict[str, pd.Series]
) -> pd.Series:
    """The rest of the school for a group: pupils whose defining column is known, not in it
    (``known``: :func:`_known_cells` of ``pupils``)."""
    column = STANDARD_GROUPS[key][0] if key in STANDARD_GROUPS else None
    cells = known[column] if column else pd.Series(True, pupils.index)
    return cells & ~mask


def rests_of_school(pupils: pd.DataFrame, groups: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """The "rest of the school" each gap group of ``groups`` is compared with."""
    known = _known_cells(pupils)
    return {k: complement(pupils, k, groups[k], known) for k in GAP_GROUPS if k in groups}


def suppress_recoverable(
    figures: dict[str, dict], groups: dict[str, pd.Series], cells: PupilCells, min_group: int
) -> tuple[dict[str, dict], set[tuple[str, str]]]:
    """``figures`` (each group's, from :func:`~schoolperf.measures.school.group_measures`)
    with secondary suppression (:mod:`schoolperf.measures.suppression`): first of whole groups
    (A8 and percentages, over all their pupils), then of Progress 8 (over pupils with prior
    attainment); and the comparisons with the rest of the school hidden for the same reason,
    as ``(group, family)`` with family ``attainment8`` or ``progress8``
    (:data:`COMPARISON_FAMILY`). Hiding a comparison is preferred to hiding a group."""
    figures = dict(figures)
    rests = rests_of_school(cells.keys, groups)
    hidden_rest: set[tuple[str, str]] = set()
    families = [
        ("attainment8", "pupils", suppress),
        ("progress8", "progress8_n", suppress_progress8),
    ]
    for family, count, hide in families:
        shown = {k for k in groups if figures[k][family] is not None}
        sets = {k: np.asarray(groups[k], dtype=bool) for k in shown}
        # a rest of the school beside a hidden group would give the group: it is hidden too
        hidden_rest |= {(k, family) for k in rests if k not in shown}
        comparisons = {
            f"rest:{k}": np.asarray(m, dtype=bool)
            for k, m in rests.items()
            if (k, family) not in hidden_rest
        }
        counts = cells.sums[count].to_numpy(dtype=float)
        for name in secondary_suppressions(sets | comparisons, counts, min_group, comparisons):
            if name.startswith("rest:"):
                hidden_rest.add((name.removeprefix("rest:"), family))
            else:
                figures[name] = hide(figures[name])
                if family == "attainment8":  # a group hidden whole has no P8 to compare
                    hidden_rest.add((name, "progress8"))
    return figures, hidden_rest


def _standard_error(
    kind: str,
    group: pd.Series,
    other: pd.Series | None,
    figure: str,
    reference: float | None,
    national_sd: float,
) -> float | None:
    """SE of (the group's mean of ``figure`` − comparator): against a national value
    (``other`` None) or the totals of another group of pupils."""
    n1 = group[f"{figure}_n"]
    n2 = None if other is None else other[f"{figure}_n"]
    if n1 < 2 or (n2 is not None and n2 < 2):
        return None
    if kind == "progress":
        return float(national_sd * np.sqrt(1 / n1 + (1 / n2 if n2 is not None else 0)))
    if kind == "pct":
        p1 = mean(group, figure)
        if other is None:
            p0 = (reference or 0) / 100
            return float(np.sqrt(p0 * (1 - p0) / n1) * 100)
        p2 = mean(other, figure)
        return float(np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * 100)
    spread = variance(group, figure) / n1 + (variance(other, figure) / n2 if n2 else 0)
    return float(np.sqrt(spread))


def gap_table(
    cells: PupilCells,
    groups: dict[str, pd.Series],
    group_figures: dict[str, dict],
    year: int,
    national_sd: float,
    hidden_rest: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> list[dict[str, object]]:
    """One row per group, measure and comparator (school rest / national) with the gap, its
    standard error and whether it is distinguishable from zero at 95% (|gap| > 1.96 SE); from
    the pupils' :func:`~schoolperf.measures.totals.pupil_cells`, ``groups`` being sets of
    cells; ``hidden_rest``: the comparisons with the rest of the school not shown
    (:func:`suppress_recoverable`)."""
    national = national_comparators()
    national = national[national["year"] == year].set_index(["group", "measure"])["value"]
    rows = []
    rests = rests_of_school(cells.keys, groups)
    for key, rest in rests.items():
        in_group = totals(cells, groups[key])
        in_rest = totals(cells, rest)
        pupil_count = int(in_group["pupils"])
        figures = group_figures[key]
        suppressed = bool(figures.get("suppressed"))
        for measure, kind in GAP_MEASURES.items():
            scale = 100 if kind == "pct" else 1
            figure = PUPIL_COLUMN[measure]
            value = figures.get("progress8_adjusted" if measure == "progress8" else measure)
            rest_mean = mean(in_rest, figure) * scale if in_rest[f"{figure}_n"] else None
            national_group = NATIONAL_COMPARATOR.get(key, key)
            national_pupils = national_pupils_of(key)
            comparisons = [
                ("school", "rest of the school", rest_mean, in_rest),
                (
                    "national",
                    f"{national_pupils} nationally, {year}",
                    national.get((national_group, measure)),
                    None,
                ),
            ]
            rest_hidden = (key, COMPARISON_FAMILY.get(measure, "attainment8")) in hidden_rest
            for where, label, reference, other in comparisons:
                if where == "school" and (suppressed or rest_hidden or value is None):
                    reference = None
                usable = not suppressed and value is not None and reference is not None
                gap = value - reference if usable else None
                se = (
                    _standard_error(kind, in_group, other, figure, reference, national_sd)
                    if usable
                    else None
                )
                if suppressed:
                    why = "too few pupils to publish"
                elif value is None:
                    why = (
                        "too few pupils with prior attainment to publish"
                        if measure == "progress8"
                        else "no pupils with this figure"
                    )
                elif reference is None and where == "national":
                    why = f"no national figure for {national_pupils} in {year}"
                elif reference is None and rest_hidden:
                    why = "not shown: with the other figures it would reveal a small group"
                elif reference is None:
                    why = "no other pupils to compare with"
                elif not se:
                    why = "no spread in the figures to test against"
                else:
                    why = None
                rows.append(
                    {
                        "group": key,
                        "measure": measure,
                        "comparator": where,
                        "comparator_description": label,
                        "value": None if suppressed else value,
                        "comparator_value": None
                        if reference is None or (suppressed and where == "school")
                        else float(reference),
                        "gap": gap,
                        "standard_error": se,
                        "significant": None
                        if gap is None or se is None or se == 0
                        else bool(abs(gap) > Z95 * se),
                        "pupils": pupil_count,
                        "suppressed": suppressed,
                        "not_tested_because": why,
                    }
                )
    return rows


def national_pupils_of(key: str) -> str:
    """The pupils nationally a group is compared with, in words ("non-disadvantaged pupils"
    for disadvantaged pupils, as the DfE compares them; else the same group)."""
    return GROUP_NAMES[NATIONAL_COMPARATOR.get(key, key)][1]


def key_group_gaps(
    gaps: list[dict[str, object]], groups: dict[str, str] = KEY_GROUPS
) -> list[dict[str, object]]:
    """The groups schools are held to (:data:`~schoolperf.reference.KEY_GROUPS`), one row each
    from the :func:`gap_table` rows: A8 and P8 each against the national comparator the DfE
    uses where one is published, else against the rest of the school, with the gap in words;
    ``against`` names what each measure (and the row: both, if they differ) is compared with,
    without the year. ``groups``: other groups (key: label) to show the same way."""
    rows = []
    for key, label in groups.items():
        found = [r for r in gaps if r["group"] == key]
        if not found:
            continue
        row: dict[str, object] = {"group": key, "label": label, "pupils": found[0]["pupils"]}
        row["suppressed"] = found[0]["suppressed"]
        for measure in ("attainment8", "progress8"):
            pair = {r["comparator"]: r for r in found if r["measure"] == measure}
            chosen, rest = pair["national"], pair["school"]
            if chosen["comparator_value"] is None and rest["comparator_value"] is not None:
                chosen = rest
            row[measure] = {
                "value": chosen["value"],
                "comparator_value": chosen["comparator_value"],
                "gap": chosen["gap"],
                "against": f"{national_pupils_of(key)} nationally"
                if chosen["comparator"] == "national"
                else str(chosen["comparator_description"]),
                "verdict": gap_in_words(chosen["significant"], chosen["gap"]),
                "why": chosen["not_tested_because"],
            }
        p8, a8 = row["progress8"]["against"], row["attainment8"]["against"]  # type: ignore[index]
        row["against"] = p8 if p8 == a8 else f"Progress 8: {p8}; Attainment 8: {a8}"
        rows.append(row)
    return rows


def gap_in_words(significant: object, gap: object) -> str | None:
    """A tested gap in words: significantly below, not significantly different, significantly
    above."""
    if significant is None:
        return None
    if not significant:
        return "not significantly different"
    return "significantly above" if float(gap or 0) > 0 else "significantly below"  # type: ignore[arg-type]
