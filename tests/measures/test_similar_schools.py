"""Similar schools and targets: the DfE school files parse with all their quirks, and the peer
group, percentiles and rank match an independent calculation on the raw DfE file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from schoolperf.cli import cli
from schoolperf.comparisons import similar_schools_for_urn
from schoolperf.ingest.benchmark import read_benchmark
from schoolperf.measures.similar_schools import PeerSettings
from tests.conftest import DEMO, MAINSTREAM, public_data

SAMPLES = [
    "dfe-ks4-2019-final-national-subset/england_ks4final_2019_subset.csv",
    "dfe-ks4-2019-provisional-national-subset/england_ks4provisional.csv",
    "london-ks4-2019-with-ks2aps/LondonGCSEData.csv",
    "dfe-ks4-2024-final-herts-sample/919_ks4final_2023-24_first5rows.csv",
]


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_real_sample_parses(sample):
    schools = read_benchmark(public_data(sample)).schools
    assert len(schools) > 0 and schools["attainment8"].notna().any()


def test_herts_2023_24_sample_real_values():
    """Ragged rows, text banding, NP/NE/SUPP, % strings, KS2ASS, disadvantaged P8 (2023/24)."""
    schools = read_benchmark(public_data(SAMPLES[3])).schools.set_index("name")
    ashlyns = schools.loc["Ashlyns School"]
    assert ashlyns["progress8_adjusted"] == 0.36 and ashlyns["banding"] == "Above average"
    adeyfield = schools.loc["The Adeyfield Academy"]
    assert adeyfield["progress8_adjusted"] == -0.97
    assert adeyfield["ks2_scaled"] == 100.8
    assert adeyfield["disadvantaged_pct"] == 40.0
    assert adeyfield["disadvantaged_progress8"] == -1.37
    assert np.isnan(schools.loc["Abbot's Hill School", "progress8"])  # NP


def write(tmp_path, text, name="england_ks4final.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8-sig"))  # the DfE files start with a BOM
    return path


def test_quirks_codes_percent_ragged_banding_and_renames(tmp_path):
    path = write(
        tmp_path,
        "RECTYPE,URN,SCHNAME,NFTYPE,ATT8SCR,P8MEA,P8MEA_ORIG,PTL2BASICS_95,"
        "PTEBACC_E_PTQ_EE,KS2APS,P8_BANDING\n"
        "1,1,A,CY,50.1,0.20,0.22,40.00%,12.5%,28.1,2\n"
        "1,2,B,AC,NP,NE,SUPP,LOWCOV,NA,z,\n"
        "1,3,C,AC,45,-0.1,-0.12,,30%,27\n",
    )  # ragged: no banding field
    schools = read_benchmark(path).schools.set_index("urn")
    assert schools.loc["1", "progress8"] == 0.22  # _ORIG (unadjusted) preferred
    assert schools.loc["1", "progress8_adjusted"] == 0.20
    assert schools.loc["1", "basics_5_pct"] == 40.0  # "40.00%"
    assert schools.loc["1", "ebacc_entry_pct"] == 12.5  # _PTQ_EE suffix
    assert schools.loc["1", "ks2_points"] == 28.1  # KS2APS (levels era)
    assert schools.loc["1", "banding"] == "Above average"  # code 2 → text
    assert (
        schools.loc[
            "2", ["attainment8", "progress8", "basics_5_pct", "ebacc_entry_pct", "ks2_points"]
        ]
        .isna()
        .all()
    )
    assert schools.loc["3", "banding"] == "" and schools.loc["3", "attainment8"] == 45


def test_fractions_in_republished_extracts_become_percentages():
    benchmark = read_benchmark(public_data(SAMPLES[2]))
    assert benchmark.schools["disadvantaged_pct"].max() > 1
    assert any("fractions" in note for note in benchmark.notes)


def independent_peers(raw: pd.DataFrame, urn: str, peers: int) -> pd.DataFrame:
    """Written apart from the package: the 2018/19 provisional file, straight from tests/data/.
    State-funded mainstream types with 6+ P8 pupils; every school tied with the N-th kept."""
    numeric = raw.replace(
        {"NA": np.nan, "NE": np.nan, "NP": np.nan, "SUPP": np.nan, "LOWCOV": np.nan, "": np.nan}
    )
    for column in ("ATT8SCR", "P8MEA_ORIG", "PTL2BASICS_95", "P8PUP"):
        numeric[column] = pd.to_numeric(
            numeric[column].astype(str).str.rstrip("%"), errors="coerce"
        )
    mainstream = numeric[
        (numeric["RECTYPE"] == "1")
        & numeric["NFTYPE"].isin(MAINSTREAM)
        & (numeric["P8PUP"] >= 6)
        & numeric["ATT8SCR"].notna()
        & numeric["P8MEA_ORIG"].notna()
    ].copy()
    mainstream["expected"] = (mainstream["ATT8SCR"] - 10 * mainstream["P8MEA_ORIG"]).round(1)
    target = mainstream.loc[mainstream["URN"] == urn, "expected"].iloc[0]
    others = mainstream[mainstream["URN"] != urn].copy()
    others["distance"] = (others["expected"] - target).abs().round(6)
    boundary = others["distance"].sort_values().iloc[peers - 1]
    return others[others["distance"] <= boundary]


@pytest.mark.parametrize("urn", ["100053", "100052"])  # Acland Burghley, Hampstead
def test_peer_group_percentiles_and_rank_match_an_independent_calculation(urn):
    raw = pd.read_csv(
        public_data(SAMPLES[1]), dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    peers = independent_peers(raw, urn, 50)
    result = similar_schools_for_urn(urn, str(public_data(SAMPLES[1])), PeerSettings(50, 80))
    assert sorted(p["urn"] for p in result["peer_list"]) == sorted(peers["URN"])
    assert result["peers"] == len(peers) > 50  # ties at the boundary all kept
    rows = {r["measure"]: r for r in result["measures"]}
    assert rows["attainment8"]["percentile_value"] == pytest.approx(
        np.percentile(peers["ATT8SCR"], 80)
    )
    assert rows["attainment8"]["median"] == pytest.approx(np.median(peers["ATT8SCR"]))
    mine = float(raw.loc[raw["URN"] == urn, "ATT8SCR"].iloc[0])
    assert rows["attainment8"]["rank"] == int((peers["ATT8SCR"] > mine).sum()) + 1
    assert rows["attainment8"]["out_of"] == len(peers) + 1
    basics = peers["PTL2BASICS_95"].dropna()
    assert rows["basics_5_pct"]["percentile_value"] == pytest.approx(np.percentile(basics, 80))


def test_acland_burghley_expected_attainment():
    """2018/19 provisional: A8 47.2, unadjusted P8 −0.09 → expected 47.2 + 0.9 = 48.1."""
    result = similar_schools_for_urn("100053", None, PeerSettings(50, 80))
    assert result["school_expected_attainment8"] == pytest.approx(48.1)
    assert "100053" not in [p["urn"] for p in result["peer_list"]]


def run_json(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_compare_json_states_the_method_in_words():
    document = run_json(
        "compare", str(DEMO), "--format", "json", "--peers", "30", "--percentile", "75"
    )
    section = document["similar_schools"]
    assert section["peers_requested"] == 30
    assert section["peers"] == len(section["peer_list"]) == 45  # 15 more tie with the 30th
    method = section["method"]
    for words in (
        "45 mainstream schools",
        "30 were asked for; 45 are used",
        "2018/19",
        "expected attainment",
        "75th percentile",
        "75% of those schools",
    ):
        assert words in method
    assert "school" in document and "pupils" in document


def test_match_on_disadvantaged_is_stated():
    document = run_json("compare", str(DEMO), "--format", "json", "--match", "disadvantaged")
    assert "% disadvantaged (standardised distance)" in document["similar_schools"]["method"]
    assert document["similar_schools"]["matching"] == ["expected attainment", "% disadvantaged"]


@pytest.mark.parametrize("low, high", [(50, 80), (80, 95)])
def test_higher_percentile_never_lowers_a_target(low, high):
    def targets(percentile, by_subject):
        args = ["targets", str(DEMO), "--format", "json", "--percentile", str(percentile)]
        return pd.DataFrame(run_json(*args, *(["--by-subject"] if by_subject else []))["targets"])

    a, b = targets(low, False), targets(high, False)
    both = a["target_attainment8"].notna()
    assert (b.loc[both, "target_attainment8"] >= a.loc[both, "target_attainment8"]).all()
    sa, sb = targets(low, True), targets(high, True)
    known = sa["target_points"].notna()
    assert (sb.loc[known, "target_points"] >= sa.loc[known, "target_points"]).all()
    assert (
        sb.loc[known, "chance_of_target_or_better"]
        <= sa.loc[known, "chance_of_target_or_better"] + 1e-12
    ).all()


def test_target_a8_is_estimate_plus_ten_peer_percentile_p8():
    document = run_json("compare", str(DEMO), "--format", "json")
    p8 = next(r for r in document["similar_schools"]["measures"] if r["measure"] == "progress8")[
        "percentile_value"
    ]
    targets = pd.DataFrame(run_json("targets", str(DEMO), "--format", "json")["targets"])
    row = targets.dropna(subset=["attainment8_estimate"]).iloc[0]
    assert row["target_attainment8"] == pytest.approx(
        row["attainment8_estimate"] + 10 * p8, abs=0.005
    )


def test_targets_csv_is_the_table_alone_and_rounded():
    """The CSV opens cleanly in a spreadsheet: no '#' method lines that split into cells (the
    method goes to standard error and the JSON), targets rounded like the estimates."""
    import csv
    import io

    result = CliRunner().invoke(cli, ["targets", str(DEMO)])
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:3] == ["upn", "attainment8_estimate", "target_attainment8"]
    assert all(len(row) == len(rows[0]) for row in rows)
    assert "note: Targets at the 80th percentile of similar schools" in result.stderr
    assert "2018/19" in result.stderr
    numbers = [cell for row in rows[1:] for cell in row[1:8] if cell]
    assert numbers and all(len(cell.partition(".")[2]) <= 2 for cell in numbers)


def test_no_ks2_cannot_find_similar_schools(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("UPN,Subject,Grade\nA,Maths,5\n")
    result = CliRunner().invoke(cli, ["compare", str(path)])
    assert result.exit_code == 2 and "expected attainment" in result.stderr


def test_small_percent_strings_are_not_taken_for_fractions(tmp_path):
    path = write(tmp_path, "URN,ATT8SCR,PTFSM6CLA1A\n1,50,0.5%\n2,40,0.8%\n")
    assert read_benchmark(path).schools["disadvantaged_pct"].tolist() == [0.5, 0.8]


def test_odd_percentile_is_named_exactly():
    document = run_json("compare", str(DEMO), "--format", "json", "--percentile", "80.5")
    assert "80.5th percentile" in document["similar_schools"]["method"]


def test_targets_before_results_from_entries_or_ks2_alone(tmp_path):
    """September target setting: a file of entries without grades gives each entry its target
    (the same as once graded: targets rest on KS2, not on results), and a file of pupils and
    their KS2 alone gives A8 and element targets."""
    import io

    rows = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    rows.assign(Grade="").to_csv(tmp_path / "entries.csv", index=False)
    pupils = rows.drop_duplicates("UPN")[
        ["UPN", "KS2 Reading Scaled Score", "KS2 Maths Scaled Score"]
    ]
    pupils.to_csv(tmp_path / "ks2.csv", index=False)

    def table(*args: str) -> pd.DataFrame:
        result = CliRunner().invoke(cli, ["targets", *args])
        assert result.exit_code == 0, result.stderr
        return pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)

    graded = table(str(DEMO), "--by-subject")
    planned = table(str(tmp_path / "entries.csv"), "--by-subject")
    assert (planned["grade"] == "").all()
    # every graded entry was planned (and a few absent or blank ones more) with the same target
    both = graded.merge(planned, on=["upn", "subject_title"], suffixes=("", "_planned"))
    assert len(both) == len(graded) and len(planned) > len(graded)
    # entries of pupils with KS2 have target grades (but subjects without a national
    # transition matrix), adding up to the A8 target as the graded file's do
    with_ks2 = planned[planned["ks2_band"] != ""]
    assert len(with_ks2) > 1400 and (with_ks2["target_grade"] != "").mean() > 0.9
    pupils = table(str(tmp_path / "entries.csv"))
    known = pupils[pupils["subject_targets_attainment8"] != ""]
    gap = known["subject_targets_attainment8"].astype(float) - known["target_attainment8"].astype(
        float
    )
    assert len(known) >= 171 and gap.abs().max() <= 1.0
    a8 = table(str(tmp_path / "ks2.csv"))
    full = table(str(DEMO))
    assert a8["target_attainment8"].tolist() == full["target_attainment8"].tolist()
    assert (a8["target_attainment8"] != "").sum() == 172  # every pupil with KS2
