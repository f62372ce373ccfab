"""Pack charts with matplotlib, as SVG text with alt text.

Colour-blind-safe (Okabe–Ito) palette; significance is shown by filled versus hollow markers and
stated in the alt text, never by colour alone. SVG output is made byte-stable (fixed hash salt, no
date) so the same input gives the same pack.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from schoolperf.reports.formatters import ci, score

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


@dataclass(frozen=True)
class Chart:
    name: str
    svg: str
    alt: str  # the chart in words; its title is drawn in it

    def __post_init__(self) -> None:
        # matplotlib numbers the ids of every figure alike (figure_1, axes_1 …): prefixed with
        # the chart's name, the charts of one page keep ids of their own
        prefixed = re.sub(r'(id="|url\(#|href="#)', rf"\g<1>{self.name}-", self.svg)
        object.__setattr__(self, "svg", prefixed)


def _pyplot():  # noqa: ANN202 - imported lazily: matplotlib is slow to import
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.hashsalt": "schoolperf",
            "svg.fonttype": "none",
            "font.size": 9,
            "text.parse_math": False,  # a "$" in a subject or group name is text, not maths
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.family": "DejaVu Sans",
        }
    )
    return plt


def _svg(fig) -> str:  # noqa: ANN001 - a matplotlib Figure
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    _pyplot().close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: drop the XML prolog and DOCTYPE


def forest(
    rows: list[dict],
    name: str,
    title: str,
    xlabel: str,
    value: str = "value",
    low: str = "ci_low",
    high: str = "ci_high",
) -> Chart | None:
    """Point estimates with 95% CIs; filled marker = CI excludes 0."""
    shown = [r for r in rows if r.get(value) is not None and r.get(low) is not None]
    if not shown:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(shown) + 1.2))
    y = np.arange(len(shown))[::-1]
    words = []
    for yi, row in zip(y, shown, strict=True):
        significant = row[low] > 0 or row[high] < 0
        ax.plot([row[low], row[high]], [yi, yi], color=OKABE_ITO[0], linewidth=1.5)
        ax.plot(
            row[value],
            yi,
            marker="o",
            markersize=6,
            color=OKABE_ITO[0],
            markerfacecolor=OKABE_ITO[0] if significant else "white",
        )
        words.append(
            f"{row['label']} {score(row[value])} ({ci(row[low], row[high])}"
            f"{', significant' if significant else ''})"
        )
    ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
    ax.set_yticks(y, [r["label"] for r in shown])
    ax.set_xlabel(f"{xlabel} (filled: interval excludes 0)")
    ax.set_title(title, loc="left")
    return Chart(name, _svg(fig), f"{title}: " + "; ".join(words) + ".")


def attainment_against_prior(
    points: pd.DataFrame,
    estimates: pd.DataFrame,
    pupil_level: bool,
    min_group: int,
    prior: str = "KS2 prior attainment",
) -> Chart | None:
    """A8 against prior attainment (``prior``: what it is, KS2 or a substitute baseline on the
    KS2 scale) with the national estimate line. Governors see group means only (groups of at
    least ``min_group`` pupils); staff see every pupil."""
    points = points.dropna(subset=["ks2_prior"])
    if points.empty:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    middle = (estimates["ks2_low"] + estimates["ks2_high"]) / 2
    # the national line over the pupils' range only, so their points are not crowded
    near = middle.between(points["ks2_prior"].min() - 3, points["ks2_prior"].max() + 3)
    ax.plot(
        middle[near],
        estimates["attainment8"][near],
        color=OKABE_ITO[7],
        linewidth=1.2,
        label="national A8 estimate (DfE)",
    )
    if pupil_level:
        ax.scatter(
            points["ks2_prior"],
            points["attainment8"],
            s=12,
            color=OKABE_ITO[0],
            alpha=0.7,
            label="pupils",
        )
        alt = (
            f"Scatter of {len(points)} pupils' Attainment 8 against {prior}, "
            "with the DfE national estimate line; points above the line made more progress "
            "than similar pupils nationally."
        )
    else:
        means = _merged_bands(points, min_group)
        ax.scatter(
            means["ks2"],
            means["a8"],
            s=30,
            color=OKABE_ITO[0],
            marker="s",
            label=f"this school: average of pupils with similar scores ({min_group} or more each)",
        )
        above = int((means["a8"] > np.interp(means["ks2"], middle, estimates["attainment8"])).sum())
        alt = (
            f"Mean Attainment 8 of the school's pupils in each of {len(means)} groups of "
            f"neighbouring KS2 score bands (the DfE's prior-attainment groups, finer than the "
            f"three bands above, merged until each holds {min_group} or more pupils) "
            f"against {prior}, with the DfE national estimate line; {above} of them are above "
            "it."
        )
    ax.set_xlabel(f"{prior} (mean scaled score)")
    ax.set_ylabel("Attainment 8")
    ax.legend(loc="upper left", frameon=False)
    title = "Attainment 8 against prior attainment"
    ax.set_title(title, loc="left")
    return Chart("attainment-vs-prior", _svg(fig), alt)


def _merged_bands(points: pd.DataFrame, min_group: int) -> pd.DataFrame:
    """The pupils' mean KS2 score and Attainment 8 per DfE prior-attainment group, neighbouring
    groups merged in score order until each holds at least ``min_group`` pupils (a short last
    run joins the one before), so no pupil is left out of the chart and none is shown alone."""
    sums = points.groupby("prior_attainment_group", observed=True).agg(
        ks2=("ks2_prior", "sum"), a8=("attainment8", "sum"), n=("attainment8", "size")
    )
    sums = sums.iloc[np.argsort((sums["ks2"] / sums["n"]).to_numpy(), kind="stable")]
    merged, filled = [], 0
    for n in sums["n"].to_numpy():  # one step per band (at most a few dozen), not per pupil
        merged.append(len(merged) and merged[-1] + (filled >= min_group))
        filled = n if filled >= min_group else filled + n
    labels = np.array(merged)
    if len(labels) and filled < min_group and labels[-1] > 0:
        labels[labels == labels[-1]] -= 1
    out = sums.groupby(labels).sum()
    out = out[out["n"] >= min_group]
    return pd.DataFrame({"ks2": out["ks2"] / out["n"], "a8": out["a8"] / out["n"], "n": out["n"]})


def elements(
    school: dict[str, float | None], national: dict[str, float | None], year: int
) -> Chart:
    """A8 element averages: school against national."""
    plt = _pyplot()
    names = ["english", "maths", "ebacc", "open"]
    mine = [school.get(f"attainment8_{n}") or 0 for n in names]
    theirs = [national.get(f"attainment8_{n}") for n in names]
    fig, ax = plt.subplots(figsize=(6.5, 3))
    x = np.arange(len(names))
    ax.bar(x - 0.2, mine, 0.4, color=OKABE_ITO[0], label="school")
    ax.bar(
        x + 0.2,
        [t or 0 for t in theirs],
        0.4,
        color=OKABE_ITO[1],
        hatch="//",
        label=f"national {year}",
    )
    shown = ["English", "maths", "EBacc", "open"]
    ax.set_xticks(x, shown)
    ax.set_ylabel("average points")
    ax.legend(frameon=False)
    title = "Attainment 8 elements against national"
    ax.set_title(title, loc="left")
    words = "; ".join(
        f"{n} {m:.1f} against {'no national figure' if t is None else f'{t:.1f}'}"
        for n, m, t in zip(shown, mine, theirs, strict=True)
    )
    return Chart("elements", _svg(fig), f"{title}: {words}.")


def grade_distribution(counts: dict[str, int]) -> Chart | None:
    """How many GCSE (9–1) results at each grade, all subjects."""
    if not counts:
        return None
    plt = _pyplot()
    grades = [g for g in ["9", "8", "7", "6", "5", "4", "3", "2", "1", "U"] if g in counts]
    fig, ax = plt.subplots(figsize=(6.5, 3))
    ax.bar(grades, [counts[g] for g in grades], color=OKABE_ITO[2])
    ax.set_xlabel("grade")
    ax.set_ylabel("results")
    title = "GCSE grades awarded, all subjects (combined science as its two grades)"
    ax.set_title(title, loc="left")
    words = ", ".join(f"{g}: {counts[g]}" for g in grades)
    return Chart("grades", _svg(fig), f"{title}: {words}.")


def similar_schools(
    measures: list[dict], peers: list[dict], labels: dict[str, str], percentile: str
) -> Chart | None:
    """Each measure as a strip of the similar schools' values (dots), the school's (a diamond)
    and the chosen percentile (a line), so a reader sees where the school stands."""
    shown = [m for m in measures if m.get("school") is not None and m.get("percentile_value")]
    if not shown:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(len(shown), 1, figsize=(6.5, 0.85 * len(shown) + 0.6))
    axes = np.atleast_1d(axes)
    words = []
    for ax, row in zip(axes, shown, strict=True):
        key = row["measure"]
        values = [p[key] for p in peers if p.get(key) is not None]
        ax.scatter(values, np.zeros(len(values)), s=14, color="#999999", alpha=0.7)
        ax.axvline(row["percentile_value"], color=OKABE_ITO[1], linewidth=1.5)
        ax.scatter([row["school"]], [0], s=60, marker="D", color=OKABE_ITO[0], zorder=3)
        ax.set_yticks([0], [labels.get(key, key) + (" (%)" if key.endswith("_pct") else "")])
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        words.append(f"{labels.get(key, key)}: {similar_sentence(row, percentile)}")
    title = f"This school (diamond) among its similar schools (dots); line: {percentile} percentile"
    axes[0].set_title(title, loc="left")
    fig.tight_layout()
    return Chart("similar-schools", _svg(fig), f"{title}. " + "; ".join(words) + ".")


def similar_sentence(row: dict, percentile: str) -> str:
    """One measure against the similar schools in words: "above the 80th percentile of 74
    similar schools: 9th of 75" (the rank counts this school), or where below it, whether
    above or below their median."""
    if row.get("school") is None or row.get("percentile_value") is None:
        return "no comparison (too few similar schools with this figure)"
    school, median = row["school"], row.get("median")
    peers = f"{row['peers_with_value']} similar schools"
    if school > row["percentile_value"]:
        where = f"above the {percentile} percentile of {peers}"
    elif median is not None and school > median:
        where = f"below the {percentile} percentile of {peers}, above their median"
    elif median is not None and school < median:
        where = f"below the median of {peers}"
    else:
        where = f"at the {percentile} percentile of {peers}"
    rank = f": {row['rank_text']}" if row.get("rank_text") else ""
    return where + rank
