"""The pupil results model: read an export, validate it, and return pupils and their results.

Every problem found is collected and raised together as one :class:`InputError`; usable oddities
become warnings. Modules:

- :mod:`~schoolperf.cohort.model`: :class:`Cohort`, :class:`RowFacts`, the codes of the coded
  pupil columns, :func:`pupil_key` and :func:`resolve_by`;
- :mod:`~schoolperf.cohort.checks`: the problem collector (:class:`Checker`,
  :func:`capped_problems`) and the checks across rows (footer rows, spellings, KS2 codes);
- :mod:`~schoolperf.cohort.pupils`: one row per pupil, its columns parsed and checked;
- :mod:`~schoolperf.cohort.results`: one row per result, subjects recognised and grades scored;
- :mod:`~schoolperf.cohort.warnings`: the cohort's warnings (:func:`row_facts`,
  :func:`row_warnings`);
- :mod:`~schoolperf.cohort.load`: :func:`load_cohort`, the steps from file to :class:`Cohort`,
  :func:`anonymise` and its :func:`pseudonym_key`.
"""

from schoolperf.cohort.checks import capped_problems
from schoolperf.cohort.load import PSEUDONYM_KEY, anonymise, load_cohort, pseudonym_key
from schoolperf.cohort.model import RESULT_CONTEXT, Cohort, RowFacts, pupil_key, resolve_by
from schoolperf.cohort.results import parse_exam_dates
from schoolperf.cohort.warnings import MISSING_GROUP_COLUMNS, row_facts, row_warnings

__all__ = [
    "MISSING_GROUP_COLUMNS",
    "PSEUDONYM_KEY",
    "RESULT_CONTEXT",
    "Cohort",
    "RowFacts",
    "anonymise",
    "capped_problems",
    "load_cohort",
    "parse_exam_dates",
    "pseudonym_key",
    "pupil_key",
    "resolve_by",
    "row_facts",
    "row_warnings",
]
