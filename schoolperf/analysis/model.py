"""What a run is told and what it gives: :class:`AnalysisOptions`, the plain :class:`Analysis`
(unrounded numbers, which ``to_dict`` turns into docs/contract.md §3 JSON) and
:class:`PupilResults`, the pupils' figures and sums the school figures are built from."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from schoolperf.frames import pupil_positions, sort_order
from schoolperf.measures.points import SubgradeMapping
from schoolperf.measures.subjects import SubjectSums
from schoolperf.measures.totals import PupilCells
from schoolperf.reference import (
    LATEST_ESTIMATES,
    EstimatesTable,
    shipped_estimates,
)
from schoolperf.version import __version__

# what the JSON's pupils array needs of the slots
JSON_SLOT_COLUMNS = [
    "upn",
    "element_order",
    "element",
    "slot",
    "subject_title",
    "grade",
    "points",
    "weight",
]


@dataclass(frozen=True)
class AnalysisOptions:
    """Everything a run can be told; the CLI's options map one to one onto these fields."""

    estimates: str = LATEST_ESTIMATES
    columns_file: str | None = None
    subjects_file: str | None = None
    sheet: str | None = None
    layout: str = "auto"
    ks2_year: int | None = None
    groups: tuple[str, ...] = ()
    min_group: int = 6
    comparator_year: int | None = None
    baseline_file: str | None = None
    baseline_map: str = "linear"
    baseline_norm: tuple[float, float] = (100.0, 15.0)
    previous: tuple[str, ...] = ()
    label: str | None = None
    subjects_by_group: bool = False
    subgrades: SubgradeMapping | None = None  # tracking files: teachers' sub-grades
    anonymise: bool = False
    by: str | None = None  # a pupil column (e.g. school): measures per value in one pass
    # the outputs include the slot audit (write_outputs writes it): the CLI unless
    # --no-slot-audit
    slot_audit: bool = True
    # DuckDB's memory limit (e.g. "4GB"; default: 80% of the memory) and the folder it spills
    # to beyond it, in a folder of its own (default: the open output set's staging folder,
    # else the system's temporary folder)
    memory_limit: str | None = None
    temp_directory: str | None = None
    # the spreadsheet row of the headings (--header-row), where not row 1 or below a title
    header_row: int | None = None
    # False for target setting: entries without grades, or pupils and their KS2 alone
    results_required: bool = True

    def paths_read(self) -> list[tuple[str, str]]:
        """Every file a run under these options reads besides the results export, with the
        option that names it (so that no output is written over one)."""
        shipped = shipped_estimates()
        named = [
            ("--columns", self.columns_file),
            ("--subjects", self.subjects_file),
            ("--baseline", self.baseline_file),
        ]
        if self.baseline_map != "linear":
            named.append(("--baseline-map", self.baseline_map))
        bare = self.estimates in shipped or any(n.startswith(f"{self.estimates}-") for n in shipped)
        if not bare:
            named.append(("--estimates", self.estimates))
        named += [("--previous", path) for path in self.previous]
        return [(option, str(path)) for option, path in named if path]


@dataclass
class Analysis:
    """The result of a run: per-pupil table, slot audit, school figures and warnings."""

    file: str
    estimates: EstimatesTable
    pupils: pd.DataFrame  # every pupil's figures, by UPN
    slots: pd.DataFrame  # every result unit and where it counted (the slot audit's rows)
    school: dict[str, object]
    warnings: list[str] = field(default_factory=list)
    groups: dict[str, dict[str, object]] = field(default_factory=dict)
    gaps: list[dict[str, object]] = field(default_factory=list)
    trends: dict[str, dict[str, object]] = field(default_factory=dict)
    label: str = ""
    comparator_year: int | None = None
    # each pupil's first entry in each subject, with its residual and value added
    subject_entries: pd.DataFrame = field(default_factory=pd.DataFrame)
    subjects: list[dict[str, object]] = field(default_factory=list)
    subjects_by: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    subjects_by_group: dict[str, list[dict[str, object]] | None] = field(default_factory=dict)
    by: dict[str, dict[str, object]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (--profile)
    slot_audit: bool = True  # the outputs include the slot audit (AnalysisOptions.slot_audit)

    def pupils_json(self) -> pa.Table:
        """The JSON's ``pupils`` array, a row per pupil (:func:`pupil_json_table`)."""
        return pupil_json_table(self.pupils, self.slots[JSON_SLOT_COLUMNS])

    def to_dict(self, pupils: bool = True) -> dict[str, object]:
        """docs/contract.md §3: unrounded numbers, ``None`` (JSON null) for anything not computed;
        ``pupils=False`` leaves out the per-pupil array (for very large files)."""
        return {
            "schoolperf_version": __version__,
            "label": self.label,
            "estimates": self.estimates.name,
            "comparator_year": self.comparator_year,
            "school": _plain_dict(self.school),
            "groups": {k: _plain_dict(v) for k, v in self.groups.items()},
            "gaps": [_plain_dict(row) for row in self.gaps],
            "trends": self.trends,
            "subjects": [_plain_dict(row) for row in self.subjects],
            "subjects_by": {k: [_plain_dict(r) for r in v] for k, v in self.subjects_by.items()},
            "by": self.by,
            "subjects_by_group": {
                k: None if v is None else [_plain_dict(r) for r in v]
                for k, v in self.subjects_by_group.items()
            },
            "pupils": self.pupils_json().to_pylist() if pupils else None,
            "warnings": list(self.warnings),
        }


def plain_value(value: object) -> object:
    """A JSON-safe scalar: numpy numbers to Python, NaN/NA to None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def _plain_dict(values: dict[str, object]) -> dict[str, object]:
    return {k: plain_value(v) for k, v in values.items()}


PUPIL_JSON_FIELDS = [
    "attainment8",
    "attainment8_english",
    "attainment8_maths",
    "attainment8_ebacc",
    "attainment8_open",
    "ks2_prior",
    "ks2_nominal",
    "prior_attainment_group",
    "attainment8_estimate",
    "progress8",
    "progress8_english",
    "progress8_maths",
    "progress8_ebacc",
    "progress8_open",
    "progress8_adjusted",
    "progress8_was_adjusted",
    "prior_attainment_band",
    "basics_4",
    "basics_5",
    "ebacc_entered",
    "ebacc_94",
    "ebacc_95",
    "ebacc_aps",
]


def _arrow_text(values: pd.Series) -> pa.Array:
    """Text as Arrow: a categorical as a dictionary array (each text once)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        texts = pa.array(values.cat.categories.to_numpy(dtype=object), pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), texts)
    return pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)


def pupil_json_table(pupils: pd.DataFrame, slots: pd.DataFrame) -> pa.Table:
    """The ``pupils`` array of the JSON as an Arrow table, a row per pupil with its filled
    slots in element and slot order, built column-wise (no per-pupil loop); Arrow turns NaN
    into null and categoricals into dictionaries (their text in the JSON)."""
    filled = slots.loc[slots["weight"].to_numpy() > 0, JSON_SLOT_COLUMNS]
    filled["pupil"] = pupil_positions(filled["upn"], pupils.index)
    filled = filled.iloc[sort_order(filled, ["pupil", "element_order", "slot"], [True] * 3)]
    counts = np.bincount(filled["pupil"].to_numpy(), minlength=len(pupils))
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int32())
    structs = pa.table(
        {
            "element": _arrow_text(filled["element"]),
            "slot": pa.array(filled["slot"].to_numpy(dtype=np.int64)),
            "subject": _arrow_text(filled["subject_title"]),
            "grade": _arrow_text(filled["grade"]),
            "points": pa.array(filled["points"].to_numpy(dtype=float), from_pandas=True),
            "weight": pa.array(filled["weight"].to_numpy(dtype=np.int64)),
        }
    ).to_struct_array()
    table = pa.Table.from_pandas(
        pupils[PUPIL_JSON_FIELDS].reset_index(), preserve_index=False
    ).append_column("progress8_note", pa.array(pupils["progress8_note"].astype(str)))
    return table.append_column("slots", pa.ListArray.from_arrays(offsets, structs.combine_chunks()))


@dataclass
class PupilResults:
    """What each pupil's own results give: the pupil table, the slot audit, the subject
    entries, and the sums the figures are built from (the pupils by cell, the subject sums,
    the per-``--by`` figures)."""

    pupils: pd.DataFrame
    slots: pd.DataFrame
    entries: pd.DataFrame
    subject_sums: SubjectSums  # what the subject figures are built from
    cells: PupilCells  # what the school, group and gap figures are built from
    by_table: pd.DataFrame | None  # the measures per --by value (e.g. each school)
    baseline: str
    adjustment_method: str
