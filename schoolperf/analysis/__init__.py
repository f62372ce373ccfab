"""An analysis: the options a run is told (:mod:`.model`), the pipeline from a results export
to its figures (:mod:`.run`), prior attainment (:mod:`.prior`), warnings about Progress 8
(:mod:`.warnings`) and trends since earlier runs (:mod:`.trends`)."""

from schoolperf.analysis.model import (
    Analysis,
    AnalysisOptions,
    PupilResults,
    plain_value,
    pupil_json_table,
)
from schoolperf.analysis.run import (
    analyse,
    analyse_cohort,
    load_options_cohort,
    pupil_results,
    summarise,
)

__all__ = [
    "Analysis",
    "AnalysisOptions",
    "PupilResults",
    "analyse",
    "analyse_cohort",
    "load_options_cohort",
    "plain_value",
    "pupil_json_table",
    "pupil_results",
    "summarise",
]
