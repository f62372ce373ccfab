"""schoolperf: Attainment 8 and Progress 8 for English secondary schools, exactly as the DfE
computes them, explained pupil by pupil.

Use from Python::

    from schoolperf import analyse
    result = analyse("results.csv")
    result.school["attainment8"]

Heavy libraries load only when a function needs them, so ``schoolperf --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schoolperf.version import __version__

__all__ = ["Analysis", "AnalysisOptions", "__version__", "analyse"]

if TYPE_CHECKING:
    from schoolperf.analysis import Analysis, AnalysisOptions, analyse


def __getattr__(name: str) -> Any:
    if name in ("Analysis", "AnalysisOptions", "analyse"):
        from schoolperf import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'schoolperf' has no attribute {name!r}")
