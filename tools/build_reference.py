"""Rebuild the DfE reference tables shipped in ``schoolperf/reference/`` from the DfE downloads.

Run from the repository root: ``python tools/build_reference.py DATA``, where ``DATA`` is a folder
holding the public downloads in the folders named below (``dfe-p8-ready-reckoner-model-values``,
``dfe-ks4-qualifications-points-discount-ebacc``, ``dfe-ks2-ks4-transition-matrices``,
``dfe-ks4-2019-provisional-national-subset``; each is named with its source in
``schoolperf/reference/index.csv``). The output files are committed;
this script documents exactly where each number came from and lets a reviewer regenerate them.
All source data is DfE official statistics under the Open Government Licence v3.0.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data")
REF = ROOT / "schoolperf" / "reference"

# table name -> folder in dfe-p8-ready-reckoner-model-values (commit in that folder's README)
ESTIMATES = {
    "2022-provisional": "2022_provisional",
    "2022-revised": "2022_revised",
    "2023-provisional": "2023_provisional",
    "2023-revised": "2023_revised",
    "2024": "2024",
}
QUALIFICATION_FILES = [
    "performance_points_2019.csv",
    "discount_codes_2019.csv",
    "discount_codes_2020.csv",
    "discount_codes_2021.csv",
    "ebacc_eligible_qualifications_2016_2021.csv",
    "btec_large_small_pairs.csv",
]


def _bounds(label: str) -> tuple[str, str]:
    low, high = label.split(" to ")
    return low.strip(), high.strip()


def build_estimates() -> None:
    source = SOURCE / "dfe-p8-ready-reckoner-model-values"
    sd_rows = []
    for name, folder in ESTIMATES.items():
        with open(source / folder / "p8_att8_splits.csv", encoding="utf-8-sig", newline="") as f:
            splits = {row[0]: row for row in csv.reader(f)}
        with open(
            source / folder / "p8_pupil_coefficients_file.csv", encoding="utf-8-sig", newline=""
        ) as f:
            coefficients = list(csv.DictReader(f))
        out = REF / "estimates" / f"{name}.csv"
        with open(out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(
                [
                    "prior_attainment_group",
                    "ks2_low",
                    "ks2_high",
                    "attainment8",
                    "english",
                    "maths",
                    "ebacc",
                    "open",
                ]
            )
            for row in coefficients:
                low, high = _bounds(splits[row["ks2emss_grp"]][1])
                w.writerow(
                    [
                        row["ks2emss_grp"],
                        low,
                        high,
                        row["p8est"],
                        row["p8esteng"],
                        row["p8estmat"],
                        row["p8estebac"],
                        row["p8estopen"],
                    ]
                )
        with open(source / folder / "p8_stdev_file.csv", encoding="utf-8-sig", newline="") as f:
            sd = next(csv.DictReader(f))
        sd_rows.append(
            [
                name,
                sd["p8stdev"],
                sd["p8engstdev"],
                sd["p8matstdev"],
                sd["p8ebacstdev"],
                sd["p8openstdev"],
            ]
        )
    with open(REF / "estimates" / "national_sd.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["table", "progress8", "english", "maths", "ebacc", "open"])
        w.writerows(sd_rows)


def copy_qualifications() -> None:
    source = SOURCE / "dfe-ks4-qualifications-points-discount-ebacc" / "csv"
    for name in QUALIFICATION_FILES:
        shutil.copyfile(source / name, REF / "qualifications" / name)


MATRIX_BANDS = {  # DfE transition-matrix KS2 groups → bounds on the KS2 prior-score scale
    "Less than 80": (59, 79.5),
    "80 - 89.5": (80, 89.5),
    "90 - 95.5": (90, 95.5),
    "96 - 99.5": (96, 99.5),
    "100 - 102": (100, 102),
    "102.5 - 104.5": (102.5, 104.5),
    "105 - 107": (105, 107),
    "107.5 - 109.5": (107.5, 109.5),
    "110 - 113": (110, 113),
    "113.5 - 116.5": (113.5, 116.5),
    "117 - 120": (117, 120),
}


def build_transition_matrices() -> None:
    """National KS2→KS4 grade counts, 2023/24 revised (all pupils), in a long tidy shape."""
    source = SOURCE / "dfe-ks2-ks4-transition-matrices"
    rows = []
    for name in (
        "2024_Tidy_Data_Output_91_Scaled_Scores_Final_v2.csv",
        "2024_Tidy_Data_Output_Comb_Science_Scaled_Scores_Final_v2.csv",
    ):
        with open(source / name, encoding="utf-8-sig", newline="") as f:
            for record in csv.DictReader(f):
                band = record["ks2_scaled_score_group"]
                if record["breakdown_topic"] != "Total" or band not in MATRIX_BANDS:
                    continue
                for column, value in record.items():
                    if column.startswith("num_") and column != "num_covid_impacted":
                        grade = column[4:]
                        if grade in ("X", "XX"):
                            continue  # no result: not part of a grade distribution
                        low, high = MATRIX_BANDS[band]
                        rows.append(
                            [
                                record["subject"],
                                band,
                                low,
                                high,
                                "U" if grade == "UU" else grade,
                                value,
                            ]
                        )
    with open(REF / "transition_matrices_2024.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["matrix_subject", "ks2_band", "ks2_low", "ks2_high", "grade", "pupils"])
        w.writerows(rows)


def build_benchmark() -> None:
    """The embedded similar-schools benchmark: the DfE 2018/19 provisional KS4 school file
    (trimmed, as in the download) with the school census % FSM-ever (PNUMFSMEVER) joined on URN,
    kept in the DfE's own text format (codes and % strings) so the same reader parses it."""
    source = SOURCE / "dfe-ks4-2019-provisional-national-subset"
    with open(source / "england_census.csv", encoding="utf-8-sig", newline="") as f:
        fsm = {row["URN"]: row["PNUMFSMEVER"] for row in csv.DictReader(f)}
    with open(source / "england_ks4provisional.csv", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [row for row in reader if row and row[0] in ("1", "2")]
    urn = header.index("URN")
    with open(REF / "benchmarks" / "england_ks4_2019.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*header, "PNUMFSMEVER"])
        for row in rows:
            w.writerow([*row, fsm.get(row[urn], "")])


if __name__ == "__main__":
    if not SOURCE.is_dir():
        sys.exit(f"usage: python tools/build_reference.py DATA ({SOURCE} is not a folder)")
    build_estimates()
    copy_qualifications()
    build_transition_matrices()
    (REF / "benchmarks").mkdir(exist_ok=True)
    build_benchmark()
    print(f"reference tables rebuilt in {REF}")
