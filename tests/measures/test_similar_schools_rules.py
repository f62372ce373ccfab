"""Similar schools that a school can defend: who may be a peer, a mistyped URN, too few peers,
ties, like-with-like P8, and years mixed. Each test is a hand-worked case on a
small DfE-style file written here, or a check on the real DfE files against a calculation made
apart from the package."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from schoolperf.analysis import AnalysisOptions, analyse
from schoolperf.cli import cli
from schoolperf.comparisons import similar_schools, similar_schools_for_urn, targets
from schoolperf.ingest.benchmark import read_benchmark
from schoolperf.measures.similar_schools import PeerSettings, candidates
from schoolperf.reference import load_estimates
from tests.conftest import DEMO, MAINSTREAM, ROOT, invoke, public_data

EMBEDDED = ROOT / "schoolperf" / "reference" / "benchmarks" / "england_ks4_2019.csv"
FINAL_2019 = "dfe-ks4-2019-final-national-subset/england_ks4final_2019_subset.csv"
HEADER = "RECTYPE,URN,SCHNAME,NFTYPE,TPUP,P8PUP,ATT8SCR,P8MEA_ORIG,P8MEA,PTL2BASICS_95\n"


def school(urn, expected, p8, kind="ACC", rectype=1, pupils=150, basics=""):
    """One row of a DfE-style KS4 file: A8 = expected + 10 × P8 (unadjusted = adjusted)."""
    a8 = round(expected + 10 * p8, 1)
    return f"{rectype},{urn},School {urn},{kind},{pupils},{pupils},{a8},{p8},{p8},{basics}\n"


def write(tmp_path, rows, name="england_ks4final_2018-19.csv", header=HEADER):
    path = tmp_path / name
    path.write_bytes((header + "".join(rows)).encode("utf-8-sig"))
    return str(path)


def section(*args):
    result = invoke("compare", str(DEMO), "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["similar_schools"]


@pytest.fixture(scope="module")
def demo():
    return analyse(DEMO, AnalysisOptions())


# --- point 8: FE colleges and other non-school types; a minimum cohort ------------------------


def test_colleges_special_independent_and_unknown_types_are_never_peers(tmp_path):
    """School 100 (expected 40.0); twelve academies at 40.1…41.2; an FE college (FESI), an
    independent school, a special school and an unknown type, all at 40.0: none of the last
    four is a peer, and each is counted as left out."""
    rows = [school(100, 40.0, 0.0)]
    rows += [school(200 + k, 40.1 + k / 10, 0.1) for k in range(12)]
    rows += [
        school(301, 40.0, -3.16, kind="FESI"),
        school(302, 40.0, 0.5, kind="IND"),
        school(303, 40.0, -1.0, kind="CYS", rectype=2),
        school(304, 40.0, 0.2, kind="XYZ"),
    ]
    result = similar_schools_for_urn("100", write(tmp_path, rows), PeerSettings(peers=12))
    assert sorted(int(p["urn"]) for p in result["peer_list"]) == list(range(200, 212))
    assert result["schools_left_out"] == {
        "not a state-funded mainstream school (CYS)": 1,
        "not a state-funded mainstream school (FESI)": 1,
        "not a state-funded mainstream school (IND)": 1,
        "not a state-funded mainstream school (XYZ)": 1,
    }
    assert "state-funded mainstream" in result["method"]


def test_south_essex_college_is_no_longer_a_peer_in_the_2019_final_file():
    """2019 final file (school type in its SCHTYPE column): South Essex College (URN 130672,
    A8 5.3, P8 −3.16, so expected 36.9) was a peer of The Victory Academy (URN 136108,
    expected 37.0); none of the 14 colleges with P8 is a candidate now."""
    path = str(public_data(FINAL_2019))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    colleges = raw.loc[
        (raw["SCHTYPE"] == "College") & pd.to_numeric(raw["P8MEA"], errors="coerce").notna(),
        "URN",
    ]
    assert len(colleges) == 14
    pool = candidates(read_benchmark(path), load_estimates())
    assert not set(colleges) & set(pool["urn"]) and len(pool) > 3000
    result = similar_schools_for_urn("136108", path, PeerSettings())
    assert "130672" not in {p["urn"] for p in result["peer_list"]}
    assert result["school_expected_attainment8"] == pytest.approx(37.0)


def test_minimum_cohort_is_the_dfe_publication_minimum_and_an_option(tmp_path):
    """Schools at expected 40.0 with 5, 6 and 10 pupils in P8: the default minimum (6, the
    DfE's: it suppresses figures for 5 or fewer) leaves out the 5; min_pupils=11 all three."""
    rows = [school(100, 40.0, 0.0)]
    rows += [school(200 + k, 40.5 + k / 10, 0.1) for k in range(12)]
    rows += [school(305, 40.0, 0.3, pupils=5), school(306, 40.0, 0.3, pupils=6)]
    rows += [school(310, 40.0, 0.3, pupils=10)]
    path = write(tmp_path, rows)
    default = similar_schools_for_urn("100", path, PeerSettings(peers=10))
    assert {"306", "310"} <= {p["urn"] for p in default["peer_list"]}
    assert "305" not in {p["urn"] for p in default["peer_list"]}
    assert default["min_pupils"] == 6
    assert default["schools_left_out"] == {"fewer than 6 pupils": 1}
    stricter = similar_schools_for_urn("100", path, PeerSettings(peers=10, min_pupils=11))
    assert not {"305", "306", "310"} & {p["urn"] for p in stricter["peer_list"]}
    assert stricter["schools_left_out"] == {"fewer than 11 pupils": 3}
    assert "fewer than 11 pupils in Progress 8 (P8PUP) are left out (3)" in stricter["method"]


# --- point 9: a URN that is not in the benchmark ------------------------------------------------


def test_unknown_urn_exits_2_and_says_so():
    result = invoke("compare", str(DEMO), "--urn", "999999")
    assert result.exit_code == 2
    assert "URN 999999 is not in the benchmark file" in result.stderr


def test_known_urn_is_left_out_of_its_own_group():
    found = section("--urn", "100053")
    assert found["excluded_urn"] == "100053"
    assert "100053" not in {p["urn"] for p in found["peer_list"]}


# --- point 10: too few peers ------------------------------------------------------------------


def test_two_usable_schools_give_no_percentile(tmp_path):
    path = write(tmp_path, [school(101, 44.0, 0.1), school(102, 45.0, -0.1)])
    result = invoke("compare", str(DEMO), "--benchmark", path)
    assert result.exit_code == 2
    assert "only 2 usable similar schools" in result.stderr


def test_fewer_than_ten_peers_asked_for_is_refused():
    result = invoke("compare", str(DEMO), "--peers", "5")
    assert result.exit_code == 2 and "--peers 5 is too few" in result.stderr


def test_asking_for_more_peers_than_exist_warns_with_the_number_used():
    """Embedded 2018/19 file, counted apart from the package: RECTYPE 1, a mainstream type,
    6+ pupils in P8, A8 and unadjusted P8 published: 3,182 schools."""
    raw = pd.read_csv(EMBEDDED, dtype=str, keep_default_na=False)

    def number(column):
        return pd.to_numeric(raw[column].str.rstrip("%"), errors="coerce")

    usable = (
        (raw["RECTYPE"] == "1")
        & raw["NFTYPE"].isin(MAINSTREAM)
        & (number("P8PUP") >= 6)
        & number("ATT8SCR").notna()
        & number("P8MEA_ORIG").notna()
    )
    assert usable.sum() == 3182
    found = section("--peers", "5000")
    assert found["peers"] == 3182 and found["peers_requested"] == 5000
    assert "Only 3182 similar schools could be used, fewer than the 5000 asked for" in " ".join(
        found["warnings"]
    )


def test_a_measure_with_fewer_than_ten_values_has_no_percentile(tmp_path):
    """Twelve peers, three with % grade 5+ English and maths: no median or percentile for it."""
    rows = [school(100, 44.7, 0.0)]
    rows += [school(200 + k, 44.0 + k / 10, 0.1, basics="40%" if k < 3 else "") for k in range(12)]
    result = similar_schools_for_urn("100", write(tmp_path, rows), PeerSettings(peers=12))
    basics = next(r for r in result["measures"] if r["measure"] == "basics_5_pct")
    assert basics["peers_with_value"] == 3
    assert basics["percentile_value"] is None and basics["median"] is None
    assert any("basics_5_pct: only 3 of the similar schools" in w for w in result["warnings"])


# --- point 11: ties -------------------------------------------------------------------------


def test_every_school_tied_at_the_boundary_is_kept(tmp_path):
    """School 100 at expected 40.0; five schools at distance 0.1 (40.1 as 41.3 − 10 × 0.12, which
    is 40.099999… in floating point), seven at 0.2, three at 0.3. Ten asked for: the 10th is at
    0.2, so all twelve within 0.2 are kept. Their P8s, sorted: −0.5 … 0.6 in steps of 0.1; the
    80th percentile of 12 values is v9 + 0.8 × (v10 − v9) = 0.3 + 0.8 × 0.1 = 0.38."""
    p8 = [-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    expected = [40.1, 39.9, 40.1, 39.9, 40.1, 40.2, 39.8, 40.2, 39.8, 40.2, 39.8, 40.2]
    rows = [school(100, 40.0, 0.0)]
    rows += [school(200 + k, e, p) for k, (e, p) in enumerate(zip(expected, p8, strict=True))]
    rows += [school(300 + k, 40.3, 0.9) for k in range(3)]
    rows.append("1,999,School 999,ACC,150,150,41.3,0.13,0.13,\n")  # 41.3 − 1.3 = 40.0 exactly
    result = similar_schools_for_urn("100", write(tmp_path, rows), PeerSettings(peers=10))
    assert sorted(int(p["urn"]) for p in result["peer_list"]) == [*range(200, 212), 999]
    assert result["peers"] == 13 and result["peers_tied_at_boundary"] == 3
    assert result["boundary_distance"] == pytest.approx(0.2)
    p8_row = next(r for r in result["measures"] if r["measure"] == "progress8")
    assert p8_row["percentile_value"] == pytest.approx(np.percentile([*p8, 0.13], 80))
    assert "10 were asked for; 13 are used" in result["method"]


def test_relabelled_urns_give_the_same_peers_and_percentiles(tmp_path):
    """The embedded file with its URNs shuffled among its rows: the same schools (by name and
    A8) and the same percentiles for the demo cohort (29 schools tie at the 50th place)."""
    raw = pd.read_csv(EMBEDDED, dtype=str, keep_default_na=False)
    shuffled = raw.assign(URN=np.random.default_rng(22).permutation(raw["URN"].to_numpy()))
    path = tmp_path / "england_ks4_2019.csv"
    shuffled.to_csv(path, index=False)
    original, relabelled = section(), section("--benchmark", str(path))

    def schools(found):
        return sorted((p["name"], p["attainment8"]) for p in found["peer_list"])

    assert schools(original) == schools(relabelled)
    assert original["peers"] == 74 and original["peers_tied_at_boundary"] == 24
    for a, b in zip(original["measures"], relabelled["measures"], strict=True):
        assert a["percentile_value"] == pytest.approx(b["percentile_value"])


# --- point 12: like with like -----------------------------------------------------------------


def test_adjusted_only_benchmark_is_compared_with_the_schools_adjusted_p8(tmp_path, demo):
    """A file with P8MEA only (as the 2019 final and London files): the school's adjusted P8
    (the mean of its pupils' adjusted scores) is the one compared."""
    header = "RECTYPE,URN,SCHNAME,NFTYPE,TPUP,P8PUP,ATT8SCR,P8MEA\n"
    rows = [
        f"1,{200 + k},School {200 + k},ACC,150,150,{44.0 + k / 10 + 1:.1f},0.1\n" for k in range(14)
    ]
    found = similar_schools(demo, write(tmp_path, rows, header=header))
    p8 = next(r for r in found["measures"] if r["measure"] == "progress8")
    adjusted = demo.pupils["progress8_adjusted"].dropna().mean()
    assert p8["school"] == pytest.approx(adjusted) == pytest.approx(0.28184, abs=1e-5)
    assert found["school_progress8_figure"] == "adjusted"


def test_benchmark_with_unadjusted_p8_is_compared_unadjusted(demo):
    found = section()
    p8 = next(r for r in found["measures"] if r["measure"] == "progress8")
    assert p8["school"] == pytest.approx(demo.pupils["progress8"].dropna().mean())
    assert p8["school"] == pytest.approx(0.27674, abs=1e-5)
    assert found["school_progress8_figure"] == "unadjusted"


def test_disadvantaged_p8_reads_the_dfe_unadjusted_column(tmp_path):
    """The DfE's unadjusted disadvantaged P8 is P8MEA_FSM6CLA1A_ORIG (2023/24 layout)."""
    header = "URN,ATT8SCR,P8MEA_FSM6CLA1A,P8MEA_FSM6CLA1A_ORIG\n"
    bench = read_benchmark(write(tmp_path, ["1,40.0,-0.25,-0.30\n"], header=header))
    assert bench.schools.loc[0, "disadvantaged_progress8"] == -0.30
    assert bench.disadvantaged_progress8_figure == "unadjusted"


# --- point 13: two years, one scale -------------------------------------------------------------


def test_years_mixed_are_stated_and_quantified(demo):
    """Embedded 2018/19 file, demo analysed on the 2024 estimates: a warning names both years,
    and estimates_sensitivity gives the school's expected A8 on each shipped table: the mean,
    over its P8 pupils, of their group's estimate (2024: 44.68; 2022 revised: 49.01)."""
    found = section()
    assert any("Years mixed" in w and "2018/19" in w and "2024" in w for w in found["warnings"])
    rows = {r["estimates"]: r for r in found["estimates_sensitivity"]}
    assert set(rows) == {"2024", "2023-revised", "2023-provisional", "2022-revised",
                         "2022-provisional"}  # fmt: skip
    in_p8 = demo.pupils["progress8"].notna()
    for name, value in (("2024", 44.676), ("2022-revised", 49.013)):
        table = load_estimates(name).table
        prior = demo.pupils.loc[in_p8, "ks2_prior"].to_numpy()
        row = np.searchsorted(table["ks2_high"].to_numpy(), prior, side="left")
        assert table["attainment8"].to_numpy()[row].mean() == pytest.approx(value, abs=1e-3)
        assert rows[name]["school_expected_attainment8"] == pytest.approx(value, abs=1e-3)
    assert rows["2022-revised"]["school_progress8"] == pytest.approx(-0.15693, abs=1e-5)
    assert rows["2022-revised"]["progress8_rank"] > rows["2024"]["progress8_rank"]


def test_benchmark_of_a_year_with_shipped_estimates_puts_the_school_on_its_scale(tmp_path):
    """A 2023/24 file and the demo analysed on the 2022 revised estimates: the school's
    expected A8 and P8 are worked out on the 2024 estimates (44.68 and +0.277, not 49.01 and
    −0.157), said in a warning; with --estimates 2024 there is nothing to warn about."""
    rows = [school(200 + k, 44.0 + k / 10, 0.1) for k in range(14)]
    path = write(tmp_path, rows, name="england_ks4final_2023-2024.csv")
    old = analyse(DEMO, AnalysisOptions(estimates="2022-revised"))
    found = similar_schools(old, path)
    assert found["benchmark_year"] == "2023/24" and found["estimates"] == "2024"
    assert found["school_expected_attainment8"] == pytest.approx(44.676, abs=1e-3)
    p8 = next(r for r in found["measures"] if r["measure"] == "progress8")
    assert p8["school"] == pytest.approx(0.27674, abs=1e-5)
    assert any("uses the DfE 2024 estimates" in w for w in found["warnings"])
    assert "estimates_sensitivity" not in found
    pupils = targets(old, found)[0].set_index("upn")  # targets on the same (2024) estimates
    assert pupils.loc["DEMO0001", "attainment8_estimate"] == 26.42
    assert old.pupils.loc["DEMO0001", "attainment8_estimate"] != 26.42
    same = similar_schools(analyse(DEMO, AnalysisOptions()), path)
    assert not any("estimates" in w or "Years" in w for w in same["warnings"])


def test_settings_keep_their_positional_order():
    """The CLI builds PeerSettings(peers, percentile, match, urn); min_pupils comes last."""
    fields = [f.name for f in dataclasses.fields(PeerSettings)]
    assert fields == ["peers", "percentile", "match", "urn", "min_pupils"]


@pytest.mark.parametrize("given", ["2023/24", "2023-24", "2023-2024", "2024"])
def test_benchmark_year_given_in_any_usual_spelling(tmp_path, given):
    path = write(tmp_path, [school(200, 44.0, 0.1)], name="LondonGCSEData.csv")
    assert read_benchmark(path).year is None
    assert read_benchmark(path, given).year == "2023/24"


def test_a_workbook_or_binary_benchmark_is_refused(tmp_path):
    workbook = tmp_path / "england_ks4final.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(200))
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"URN,ATT8SCR\n\x00\x01\x02")
    for path, what in ((workbook, "is an Excel workbook"), (binary, "is a binary file, not a CSV")):
        result = CliRunner().invoke(cli, ["compare", str(DEMO), "--benchmark", str(path)])
        assert result.exit_code == 2 and what in result.stderr


def test_a_school_twice_in_the_benchmark_is_refused(tmp_path):
    source = public_data("london-ks4-2019-with-ks2aps/LondonGCSEData.csv")
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    doubled = tmp_path / "london_2019.csv"
    doubled.write_text("\n".join([lines[0], *lines[1:], *lines[1:3]]) + "\n")
    result = CliRunner().invoke(cli, ["compare", str(DEMO), "--benchmark", str(doubled)])
    assert result.exit_code == 2 and "URNs on more than one row" in result.stderr


@pytest.mark.parametrize("year", ["2023-2025", "23/24", "last year"])
def test_a_benchmark_year_that_is_not_one_is_refused(year):
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            str(DEMO),
            "--benchmark",
            str(public_data(FINAL_2019)),
            "--benchmark-year",
            year,
        ],
    )
    assert result.exit_code == 2 and "is not an academic year" in result.stderr


def test_schools_without_disadvantaged_are_counted_when_matching_on_it():
    result = CliRunner().invoke(
        cli, ["compare", str(DEMO), "--match", "disadvantaged", "--format", "json"]
    )
    section = json.loads(result.stdout)["similar_schools"]
    assert section["schools_left_out"]["no % disadvantaged (--match disadvantaged)"] == 47
    assert "47 candidate schools with no % disadvantaged" in result.stderr
