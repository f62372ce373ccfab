"""Suppression of small groups' figures, so that no pupil can be picked out.

Rule (statistical disclosure control as the DfE practises it: its school files suppress the
figures of small groups, ``SUPP``, ks4-methodology §8 note 10; and, as the Government
Statistical Service's guidance on disclosure control in tables asks, further figures are
suppressed where a suppressed one could be worked out by subtraction, "secondary
suppression"; docs/method.md, Suppression):

- a group of fewer than ``--min-group`` pupils shows only its size; a group's Progress 8
  resting on fewer pupils with prior attainment is blanked;
- no set of between 1 and ``--min-group`` − 1 pupils may have its figures worked out by adding
  and subtracting published ones: the school's, every group's shown (standard, ``--group``
  columns and intersections) and every "rest of the school" a gap is measured against. That
  covers a suppressed group beside the rest of its partition, the pupils a partition leaves
  out (a blank gender, no KS2), and intersections asked for beside their parents. Where such
  a set exists, the smallest published group used to work it out is suppressed too, until
  none is left.

The check is exact linear algebra over *cells* (pupils with the same group-defining values are
indistinguishable), so its cost depends on the number of cells, never on the cohort's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product

import numpy as np

SMALL_GROUP = 10  # fewer pupils: figures flagged as unreliable (the DfE's own size)
TOLERANCE = 1e-7  # a float from sums of 0/1 sets this far from a whole number is not one
MOST_FREE_CELLS = 12  # beyond 2**12 combinations to try, suppress rather than search


def suppress(figures: dict[str, object]) -> dict[str, object]:
    """A group's figures with everything but its size blanked."""
    keep = ("pupils", "small_group", "suppressed")
    return {k: (v if k in keep else None) for k, v in figures.items()} | {"suppressed": True}


def suppress_progress8(figures: dict[str, object]) -> dict[str, object]:
    """A group's figures with its Progress 8 blanked (its number of pupils with P8 kept)."""
    return {
        k: (None if k.startswith("progress8") and k != "progress8_pupils" else v)
        for k, v in figures.items()
    }


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis (columns) of the vectors ``y`` with ``matrix @ y == 0``."""
    if matrix.shape[0] == 0:
        return np.eye(matrix.shape[1])
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > TOLERANCE * max(matrix.shape)).sum())
    return vt[rank:].T


def _row_echelon(matrix: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """``matrix``'s independent rows in reduced row echelon form, and their pivot columns."""
    rows = matrix.astype(float).copy()
    pivots: list[int] = []
    r = 0
    for c in range(rows.shape[1]):
        if r == rows.shape[0]:
            break
        best = r + int(np.argmax(np.abs(rows[r:, c])))
        if abs(rows[best, c]) < TOLERANCE:
            continue
        rows[[r, best]] = rows[[best, r]]
        rows[r] /= rows[r, c]
        others = np.arange(rows.shape[0]) != r
        rows[others] -= np.outer(rows[others, c], rows[r])
        pivots.append(c)
        r += 1
    return rows[:r], pivots


def recoverable_set(published: np.ndarray, counts: np.ndarray, min_group: int) -> np.ndarray | None:
    """A set of cells holding 1 to ``min_group`` − 1 pupils (``counts``: pupils per cell) whose
    figures the ``published`` sets (rows, 0/1 over the cells) give by adding and subtracting;
    ``None`` when there is none. Where too many combinations remain to try, a combination of
    the published sets that depends on small cells only stands for one."""
    small = (counts > 0) & (counts < min_group)
    if not small.any():
        return None
    large = counts >= min_group
    # combinations of published sets with nothing in any large cell: all a small set can be
    across = _null_space(published[:, large].T)
    if across.shape[1] == 0:
        return None
    within = published[:, small].T @ across  # those combinations, over the small cells
    basis, _ = _row_echelon(within.T)
    if len(basis) == 0:
        return None
    full = np.zeros(len(counts))
    if len(basis) > MOST_FREE_CELLS:
        full[small] = basis[0]
        return full
    # a vector of the space is fixed by its values on the pivots: try every 0/1 choice there
    choices = np.array(list(product((0.0, 1.0), repeat=len(basis)))[1:])
    candidates = choices @ basis
    whole = np.all((np.abs(candidates) < TOLERANCE) | (np.abs(candidates - 1) < TOLERANCE), axis=1)
    sizes = np.rint(candidates) @ counts[small]
    found = np.flatnonzero(whole & (sizes > 0) & (sizes < min_group))
    if len(found) == 0:
        return None
    full[small] = np.rint(candidates[found[0]])
    return full


def secondary_suppressions(
    sets: dict[str, np.ndarray],
    counts: np.ndarray,
    min_group: int,
    first: Iterable[str] = (),
) -> list[str]:
    """The published ``sets`` (boolean masks over the cells; the school's own figures are
    published beside them) to suppress as well, so that no set of fewer than ``min_group``
    pupils can be worked out from what is left; of the sets that would serve, those named in
    ``first`` (cheaper to lose, such as a comparison) go first, then the smallest. Sets of the
    same pupils are one figure, shown or suppressed together."""
    first = set(first)
    alike: dict[bytes, list[str]] = {}
    for name in sets:
        alike.setdefault(np.asarray(sets[name], dtype=bool).tobytes(), []).append(name)
    school = np.ones(len(counts), dtype=bool).tobytes()
    shown = sorted(
        (key for key in alike if key != school),  # the school's figures are always published
        key=lambda key: (int(counts[np.frombuffer(key, dtype=bool)].sum()), alike[key]),
    )
    extra: list[str] = []
    while True:
        rows = [np.frombuffer(key, dtype=bool).astype(float) for key in [school, *shown]]
        published = np.vstack(rows)
        found = recoverable_set(published, counts, min_group)
        if found is None:
            return extra
        # a fewest-sets way of working it out, then the smallest set in it is suppressed;
        # another way round, if any, is found and broken in turn
        needed = list(range(1, len(rows)))
        for i in sorted(needed, key=lambda i: -published[i] @ counts):
            fewer = [0, *(j for j in needed if j != i)]
            if _gives(published[fewer], found):
                needed.remove(i)
        if not needed:  # the school alone gives it: nothing to suppress would help
            return extra
        chosen = shown[
            min(
                needed,
                key=lambda i: (
                    not first.issuperset(alike[shown[i - 1]]),
                    published[i] @ counts,
                ),
            )
            - 1
        ]
        extra.extend(alike[chosen])
        shown.remove(chosen)


def _gives(published: np.ndarray, target: np.ndarray) -> bool:
    """Whether adding and subtracting the ``published`` sets gives ``target``."""
    weights, *_ = np.linalg.lstsq(published.T, target, rcond=None)
    return bool(np.abs(published.T @ weights - target).max() < TOLERANCE * len(target))
