"""Read a DfE school-level KS4 performance-tables file (any year's layout) as benchmark data.

Handles what the real files do (ks4-methodology §8.10): a UTF-8 BOM; ``NP``,
``NE``, ``SUPP``, ``LOWCOV``, ``NA``, ``NEW``, ``z``, ``-`` and blank for "no value"; percentages as
``"40.0%"`` strings (or as fractions 0–1 in some re-published extracts); ragged rows (a row one
field short when ``P8_BANDING`` is missing); banding as a code 1–5 or as text; and columns renamed
across years (``KS2APS`` → ``KS2ASS``, ``_PTQ_EE`` suffixes, ``_ORIG`` for unadjusted P8, as
``P8MEA_ORIG`` and ``P8MEA_FSM6CLA1A_ORIG``: 2023/24 layout, tests/data
dfe-ks4-2024-final-herts-sample/ks4final_2023-24_columns.txt). Records which DfE column each field
came from (``Benchmark.columns``: adjusted or unadjusted P8, ks4-methodology §2.4-2.5) and the
academic year. The school type is ``NFTYPE`` (DfE), else a re-publisher's ``SCHTYPE``; pupils
covered are ``P8PUP`` and ``TPUP`` (``TOTPUPS``, pupils on roll of all ages, is no KS4 count).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from schoolperf.errors import InputError, Problem
from schoolperf.reference import HERE, counted, load_estimates, shipped_estimates

MISSING = {"", "NP", "NE", "SUPP", "LOWCOV", "NA", "NEW", "Z", "-", "X", ".", ":"}
# canonical field → DfE column names, first present wins (newer names first)
FIELDS: dict[str, list[str]] = {
    "urn": ["URN"],
    "name": ["SCHNAME"],
    "rectype": ["RECTYPE"],
    "school_type": ["NFTYPE", "SCHTYPE"],
    "pupils": ["TPUP", "TOTPUPS"],
    "ks4_pupils": ["TPUP"],
    "attainment8": ["ATT8SCR"],
    "progress8": ["P8MEA_ORIG", "P8MEA"],
    "progress8_adjusted": ["P8MEA"],
    "progress8_pupils": ["P8PUP"],
    "basics_4_pct": ["PTL2BASICS_94"],
    "basics_5_pct": ["PTL2BASICS_95"],
    "ebacc_aps": ["EBACCAPS"],
    "ebacc_entry_pct": ["PTEBACC_E_PTQ_EE", "PTEBACC_E_PTQ", "PTEBACC_E"],
    "disadvantaged_pct": ["PTFSM6CLA1A", "PNUMFSMEVER"],
    "ks2_scaled": ["KS2ASS"],
    "ks2_points": ["KS2APS"],
    "disadvantaged_attainment8": ["ATT8SCR_FSM6CLA1A"],
    # the DfE's unadjusted disadvantaged P8 is P8MEA_FSM6CLA1A_ORIG (2023/24 file, column 174)
    "disadvantaged_progress8": ["P8MEA_FSM6CLA1A_ORIG", "P8MEA_FSM6CLA1A"],
    "progress8_english": ["P8MEAENG"],
    "progress8_maths": ["P8MEAMAT"],
    "progress8_ebacc": ["P8MEAEBAC"],
    "progress8_open": ["P8MEAOPEN"],
    "banding": ["P8_BANDING"],
}
TEXT_FIELDS = {"urn", "name", "school_type", "banding"}
PERCENT_FIELDS = {f for f in FIELDS if f.endswith("_pct")}
BANDING_CODES = {
    "1": "Well above average",
    "2": "Above average",
    "3": "Average",
    "4": "Below average",
    "5": "Well below average",
}
DEFAULT_BENCHMARK = HERE / "benchmarks" / "england_ks4_2019.csv"
DEFAULT_YEAR = "2018/19"
DEFAULT_DESCRIPTION = (
    "DfE KS4 performance tables 2018/19 (provisional), all schools in England, with % FSM-ever "
    "from the January 2019 school census as the disadvantage measure"
)


@dataclass(frozen=True)
class Benchmark:
    """Benchmark schools, one row per school, canonical numeric fields (NaN = not published);
    ``columns``: the DfE column each canonical field was read from (fields the file lacks are
    left out); ``year``: the academic year (``"2018/19"``), None where it is not known."""

    schools: pd.DataFrame
    description: str
    notes: tuple[str, ...] = ()
    columns: dict[str, str] = dataclasses.field(default_factory=dict)
    year: str | None = None

    @property
    def progress8_figure(self) -> str:
        """Which P8 the file gives as ``progress8``: ``"unadjusted"`` (``P8MEA_ORIG``, preferred)
        or ``"adjusted"`` (``P8MEA`` only: the 2019 final and London files; ks4-methodology
        §2.4–2.5: ``P8MEA`` is after the extreme-negative adjustment, ``_ORIG`` before it)."""
        return "adjusted" if self.columns.get("progress8") == "P8MEA" else "unadjusted"

    @property
    def disadvantaged_progress8_figure(self) -> str | None:
        """As :attr:`progress8_figure`, for disadvantaged pupils' P8 (None: not in the file)."""
        name = self.columns.get("disadvantaged_progress8")
        return None if name is None else ("unadjusted" if name.endswith("_ORIG") else "adjusted")


def _not_csv(path: Path, what: str) -> InputError:
    return InputError(
        [
            Problem(
                "not-a-ks4-file",
                f"is {what}, not a CSV, so it is not a DfE KS4 performance-tables file.",
                "Give england_ks4final.csv (or provisional) as downloaded from the DfE's "
                "compare-school-performance site; save a workbook as CSV first.",
                file=path.name,
            )
        ]
    )


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    if raw.startswith(b"PK\x03\x04"):
        raise _not_csv(path, "an Excel workbook (or another zip file)")
    if b"\x00" in raw[:65536]:
        raise _not_csv(path, "a binary file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _not_csv(path, f"not readable as CSV ({exc})") from None
    if not rows:
        raise InputError(
            [Problem("empty-file", "is empty.", "Give a DfE KS4 school file.", file=path.name)]
        )
    header = [h.strip().upper() for h in rows[0]]
    width = len(header)
    long = [n for n, row in enumerate(rows[1:], 2) if any(c.strip() for c in row[width:])]
    if long:
        raise InputError(
            [
                Problem(
                    "extra-cells",
                    f"has {counted(len(long), 'row')} with more cells than its header, so their "
                    "figures would be read from the wrong columns.",
                    "Give the DfE file as downloaded (a comma in a school name must be inside "
                    "quotes).",
                    file=path.name,
                    row=", ".join(str(n) for n in long[:10]) + (" …" if len(long) > 10 else ""),
                )
            ]
        )
    # ragged rows: pad short rows, drop empty trailing cells of long ones
    body = [(row + [""] * width)[:width] for row in rows[1:] if any(c.strip() for c in row)]
    return header, body


def _numbers(column: pd.Series) -> pd.Series:
    """The column's numbers, NaN for "no value" codes and for text that is not a number."""
    text = column.astype(str).str.strip()
    text = text.where(~text.str.upper().isin(MISSING), "")
    percent = text.str.endswith("%")
    number = pd.to_numeric(text.str.rstrip("%").str.replace(",", ""), errors="coerce")
    number = number.where(np.isfinite(number))  # "inf", 1e999: no figure the DfE publishes
    return number.where(text != "").astype(float).where(~percent | number.notna())


def _record_types(values: pd.Series, file: str) -> pd.Series:
    """RECTYPE as whole numbers (1 for every row where the file has none); an
    :class:`InputError` where one is a number but not a record type (a whole number to 99)."""
    if not values.notna().any():
        return pd.Series(pd.array([1] * len(values), dtype="Int64"), index=values.index)
    bad = values.notna() & ((values != values.round()) | (values.abs() > 99))
    if bad.any():
        raise InputError(
            [
                Problem(
                    "not-a-ks4-file",
                    f"has {counted(int(bad.sum()), 'RECTYPE value')} that are not record types "
                    "(whole numbers: 1 for a school).",
                    "Give the DfE file as downloaded.",
                    file=file,
                    column="RECTYPE",
                    value=f"{values[bad].iloc[0]:g}",
                )
            ]
        )
    return values.astype("Int64")


def benchmark_year(path: Path, given: str | None) -> str:
    """The academic year of a benchmark file (``2023/24``): from ``given`` (``2023/24``,
    ``2023-24``, ``2023-2024`` or the summer's year ``2024``; anything else is refused) if
    given, else from the file's name; a pair of years must be consecutive."""
    if given is not None:
        pair = re.fullmatch(r"\s*(20\d\d)\s*[-_ /]?\s*(?:20)?(\d\d)\s*", given)
        lone = re.fullmatch(r"\s*(20\d\d)\s*", given)
        if pair and int(pair.group(2)) == (int(pair.group(1)) + 1) % 100:
            return f"{pair.group(1)}/{pair.group(2)}"
        if lone:
            return f"{int(lone.group(1)) - 1}/{lone.group(1)[2:]}"
        raise InputError(
            [
                Problem(
                    "bad-benchmark-year",
                    f"--benchmark-year {given!r} is not an academic year.",
                    "Give it as 2023/24 (or 2023-24, 2023-2024, or the summer's year 2024).",
                )
            ]
        )
    for text in [path.name]:
        for pair in re.finditer(r"(?<!\d)(20\d\d)[-_ /]?(20)?(\d\d)(?!\d)", text):
            if int(pair.group(3)) == (int(pair.group(1)) + 1) % 100:
                return f"{pair.group(1)}/{pair.group(3)}"
        lone = re.search(r"(?<!\d)(20\d\d)(?!\d)", text)
        if lone:
            return f"{int(lone.group(1)) - 1}/{lone.group(1)[2:]}"
    return given or "year not stated (give it with --benchmark-year)"


def read_benchmark(path: str | Path | None = None, year: str | None = None) -> Benchmark:
    """A DfE KS4 school-level file as a :class:`Benchmark` (the embedded 2018/19 file if none)."""
    source = Path(path) if path is not None else DEFAULT_BENCHMARK
    if not source.is_file():
        raise InputError(
            [
                Problem(
                    "no-such-file",
                    "does not exist.",
                    "Give the path of a DfE england_ks4final.csv file.",
                    file=source.name,
                )
            ]
        )
    header, body = _read_rows(source)
    table = pd.DataFrame(body, columns=header).loc[:, lambda t: ~t.columns.duplicated()]
    if "URN" not in table.columns or "ATT8SCR" not in table.columns:
        raise InputError(
            [
                Problem(
                    "not-a-ks4-file",
                    "has no URN and ATT8SCR columns, so it is not a DfE KS4 "
                    "performance-tables file.",
                    "Download england_ks4final.csv (or provisional) from "
                    "the DfE's compare-school-performance site.",
                    file=source.name,
                )
            ]
        )
    schools = pd.DataFrame(index=table.index)
    notes = []
    percent_signs: set[str] = set()
    columns: dict[str, str] = {}
    for field, names in FIELDS.items():
        name = next((n for n in names if n in table.columns), None)
        if name is None:
            schools[field] = "" if field in TEXT_FIELDS else np.nan
            continue
        columns[field] = name
        if field in TEXT_FIELDS:
            schools[field] = table[name].astype(str).str.strip()
        else:
            schools[field] = _numbers(table[name])
            if field in PERCENT_FIELDS and table[name].astype(str).str.contains("%").any():
                percent_signs.add(field)  # written as "40.0%": already a percentage
        if field == "progress8" and name == "P8MEA":
            notes.append("P8 is the DfE's adjusted score (the file has no unadjusted P8MEA_ORIG)")
        if field == "school_type" and name == "SCHTYPE":
            notes.append(
                "school type from the file's SCHTYPE column (added by its re-publisher, not a "
                "DfE column)"
            )
        if field == "disadvantaged_pct" and name == "PNUMFSMEVER":
            notes.append("% disadvantaged is % FSM-ever from the school census (a close proxy)")
    for field in PERCENT_FIELDS - percent_signs:
        values = schools[field].dropna()
        if len(values) and values.max() <= 1:  # some extracts give fractions, not percentages
            schools[field] = schools[field] * 100
            notes.append(f"{field} was given as fractions and was converted to percentages")
    schools["banding"] = schools["banding"].map(lambda b: BANDING_CODES.get(b, b))
    schools["rectype"] = _record_types(schools["rectype"], source.name)
    named = DEFAULT_YEAR if path is None else benchmark_year(source, year)
    description = (
        DEFAULT_DESCRIPTION
        if path is None
        else (f"the DfE KS4 performance tables {named} ({source.name})")
    )
    schools = schools[schools["urn"] != ""].reset_index(drop=True)
    repeated = schools.loc[schools["urn"].duplicated(), "urn"].unique()
    if len(repeated):
        raise InputError(
            [
                Problem(
                    "duplicate-urn",
                    f"has {counted(len(repeated), 'URN')} on more than one row (e.g. "
                    f"{', '.join(repeated[:5])}), so a school would count as several peers.",
                    "Give the DfE file as downloaded, one row per school.",
                    file=source.name,
                )
            ]
        )
    return Benchmark(
        schools,
        description,
        tuple(notes),
        columns,
        named if re.fullmatch(r"20\d\d/\d\d", named) else None,
    )


def estimates_year(name: str) -> str | None:
    """Academic year of a shipped estimates table: ``2024`` → ``2023/24`` (the 2024 cohort),
    ``2023-revised`` → ``2022/23``; None for a user's table."""
    if name not in shipped_estimates():
        return None
    year = int(name[:4])
    return f"{year - 1}/{str(year)[2:]}"


def table_for_year(year: str | None) -> str | None:
    """The shipped estimates table (latest release) of an academic year, if schoolperf has one."""
    names = [n for n in shipped_estimates() if estimates_year(n) == year]
    return load_estimates(names[0][:4]).name if year and names else None
