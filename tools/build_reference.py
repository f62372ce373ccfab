"""Rebuild the DfE reference tables shipped in ``schoolperf/reference/`` from ``../shared/data``.

Run from the repository root: ``python tools/build_reference.py``. The output files are committed;
this script documents exactly where each number came from and lets a reviewer regenerate them.
All source data is DfE official statistics under the Open Government Licence v3.0.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
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
    source = SHARED / "dfe-p8-ready-reckoner-model-values"
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
    source = SHARED / "dfe-ks4-qualifications-points-discount-ebacc" / "csv"
    for name in QUALIFICATION_FILES:
        shutil.copyfile(source / name, REF / "qualifications" / name)


if __name__ == "__main__":
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found: the shared data folder is needed to rebuild the tables")
    build_estimates()
    copy_qualifications()
    print(f"reference tables rebuilt in {REF}")
