"""Results-meeting packs: rendered in a real headless Chromium, parsed as GFM, scanned for pupil
data, escaped (in charts too), overridable (a broken template a clean error), and byte-stable."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from schoolperf.cli import cli
from schoolperf.reports.render import CHROMIUM_FLAGS, chromium
from tests.conftest import DEMO, invoke, write_long

# Hosts Chromium itself calls (sign-in, updates, time); anything else would come from the page.
BROWSER_HOSTS = re.compile(r"^https?://[^/]*(google\.com|googleapis\.com|gstatic\.com)/")


def run(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    for audience in ("governors", "staff"):
        for fmt in ("html", "md"):
            run(
                "pack",
                str(DEMO),
                "--audience",
                audience,
                "--format",
                fmt,
                "--out",
                str(out / f"{audience}.{fmt}"),
            )
    return out


def browser() -> str:
    path = chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is missing in CI: .ci/run installs it")
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    return path


class MeasureParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        a = dict(attrs)
        if "data-measure" in a and a.get("data-value"):
            self.values[a["data-measure"]] = a["data-value"]


def test_html_pack_in_headless_chromium(packs, demo_json, tmp_path):
    path = browser()
    page = (packs / "governors.html").resolve().as_uri()
    profile = tmp_path / "profile"
    netlog = tmp_path / "net.json"
    screenshot = tmp_path / "page.png"
    common = [path, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1200,2400"]
    subprocess.run(
        [*common, f"--screenshot={screenshot}", page], check=True, timeout=120, capture_output=True
    )
    dom = subprocess.run(
        [*common, f"--log-net-log={netlog}", "--dump-dom", page],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    import matplotlib.image

    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[0] > 1000 and float(np.std(pixels)) > 0.05  # not a blank page
    parser = MeasureParser()
    parser.feed(dom)
    school = demo_json["school"]
    for key in (
        "attainment8",
        "progress8",
        "basics_4_pct",
        "basics_5_pct",
        "ebacc_aps",
        "attainment8_english",
        "attainment8_open",
        "progress8_adjusted",
    ):
        assert float(parser.values[key]) == school[key], key
    assert int(parser.values["pupils"]) == school["pupils"]
    requested = set(re.findall(r'"url":"([^"]+)"', netlog.read_text()))
    from_page = {
        u for u in requested if not u.startswith(("file:", "data:")) and not BROWSER_HOSTS.match(u)
    }
    assert from_page == set()


def test_html_pack_is_self_contained(packs):
    html = (packs / "governors.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and not re.search(r"url\((?!#)", html)
    assert html.count("<svg") >= 4 and "@media print" in html
    assert re.search(r'<figure role="img" aria-label="[^"]{20,}">', html)


def tables(markdown: str) -> list[list[list[str]]]:
    """Each GFM table as rows of cell texts (header first), via markdown-it-py."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found, rows, row, cell = [], None, None, None
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            cell = ""
        elif token.type == "inline" and cell is not None:
            cell += token.content
        elif token.type in ("th_close", "td_close"):
            row.append(cell)
            cell = None
        elif token.type == "tr_close":
            rows.append(row)
        elif token.type == "table_close":
            found.append(rows)
    return found


@pytest.mark.parametrize("audience", ["governors", "staff"])
def test_markdown_tables_parse_with_the_right_columns(packs, audience):
    found = tables((packs / f"{audience}.md").read_text(encoding="utf-8"))
    headers = {tuple(t[0]) for t in found}
    # without --previous there is nothing to show in Previous and Change: no empty columns
    assert ("Measure", "School", "National 2024") in headers
    assert (
        "Group",
        "Pupils",
        "Compared with",
        "Progress 8",
        "P8 comparison",
        "P8 gap",
        "Attainment 8",
        "A8 comparison",
        "A8 gap",
    ) in headers
    assert (
        "Group",
        "Pupils",
        "Attainment 8",
        "Progress 8",
        "95% confidence interval",
        "Grade 5+ English and maths",
    ) in headers
    assert (
        "Subject",
        "Entries",
        "4+",
        "5+",
        "7+",
        "Average points",
        "Against pupils' other subjects",
        "Value added against national",
        "95% confidence interval",
    ) in headers
    for table in found:
        assert all(len(row) == len(table[0]) for row in table), table[0]
    pupil_list = (
        "Pupil",
        "Attainment 8",
        "Estimate",
        "Progress 8",
        "Counted in the school's P8 (adjusted)",
    )
    assert (pupil_list in headers) == (audience == "staff")


def test_markdown_charts_are_files_beside_the_pack(packs):
    text = (packs / "governors.md").read_text(encoding="utf-8")
    for name in re.findall(r"\]\((governors_charts/[a-z0-9-]+\.svg)\)", text):
        assert (packs / name).read_text().startswith("<svg")
    assert "governors_charts/p8-groups.svg" in text


def input_names_and_upns() -> set[str]:
    with open(DEMO, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    values = {r["UPN"] for r in rows} | {r["Forename"] for r in rows} | {r["Surname"] for r in rows}
    return {v for v in values if len(v) >= 3}


def test_governor_pack_has_no_names_or_upns(packs):
    secrets = input_names_and_upns()
    for path in [
        packs / "governors.html",
        packs / "governors.md",
        *(packs / "governors_charts").glob("*.svg"),
    ]:
        text = path.read_text(encoding="utf-8")
        words = set(re.findall(r"[\w'’-]+", text))
        leaked = {s for s in secrets if s in words or ("DEMO" in s and s in text)}
        assert not leaked, (path.name, sorted(leaked)[:5])
    staff = (packs / "staff.html").read_text(encoding="utf-8")
    assert "DEMO0001" in staff or "DEMO00" in staff  # the staff pack does list pupils


def test_markup_in_a_name_is_escaped(tmp_path):
    text = DEMO.read_text(encoding="utf-8")
    # a pupil without KS2, so listed in the staff pack's "no KS2" table
    first = next(r for r in csv.reader(text.splitlines()[1:]) if r[7] == r[8] == "")
    upn, forename = first[0], first[1]
    hostile = "<script>alert(1)</script>"
    lines = [
        line.replace(f"{upn},{forename},", f"{upn},{hostile},", 1) for line in text.splitlines()
    ]
    export = tmp_path / "hostile.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for fmt in ("html", "md"):
        out = tmp_path / f"staff.{fmt}"
        run("pack", str(export), "--audience", "staff", "--format", fmt, "--out", str(out))
        body = out.read_text(encoding="utf-8")
        assert hostile not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_dollar_signs_in_chart_labels(tmp_path):
    """A group's name with dollar signs and a backslash (math markup to a chart library) still
    renders as a chart label."""
    pupils = {
        f"P{i}": {
            "ks2": (105, 105),
            "Tutor": "Tom $\\frac$",
            "results": [("Maths", "5"), ("English Language", "6")],
        }
        for i in range(8)
    }
    export = write_long(tmp_path / "r.csv", pupils)
    result = invoke(
        "pack",
        str(export),
        "--audience",
        "staff",
        "--group",
        "Tutor",
        "--out",
        str(tmp_path / "p.html"),
    )
    assert result.exit_code == 0, result.stderr


def test_template_override_changes_one_heading_and_nothing_else(tmp_path):
    override = tmp_path / "templates" / "html"
    override.mkdir(parents=True)
    (override / "_groups.html").write_text(
        '{% extends "default:html/_groups.html" %}'
        "{% block heading %}<h2>How our pupil groups did</h2>{% endblock %}"
    )
    plain, custom = tmp_path / "plain.html", tmp_path / "custom.html"
    run("pack", str(DEMO), "--audience", "governors", "--out", str(plain))
    run(
        "pack",
        str(DEMO),
        "--audience",
        "governors",
        "--out",
        str(custom),
        "--template",
        str(tmp_path / "templates"),
    )
    before, after = plain.read_text().splitlines(), custom.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        ("<h2>Disadvantaged pupils and other groups</h2>", "<h2>How our pupil groups did</h2>")
    ]


def test_broken_template_is_a_clean_error(tmp_path):
    """An override template naming an unknown variable, or not a template at all: exit 2 with
    one message naming the file and row."""
    override = tmp_path / "t" / "html"
    override.mkdir(parents=True)
    pack = [
        "pack",
        str(DEMO),
        "--audience",
        "staff",
        "--out",
        str(tmp_path / "p.html"),
        "--template",
        str(tmp_path / "t"),
    ]
    (override / "_groups.html").write_text("{{ no_such_variable }}")
    result = invoke(*pack)
    assert result.exit_code == 2 and "could not be rendered" in result.stderr
    (override / "_groups.html").write_text("{% if %}")
    result = invoke(*pack)
    assert result.exit_code == 2 and "_groups.html, row 1" in result.stderr


def test_same_input_same_bytes(tmp_path):
    for name in ("a", "b"):
        run(
            "pack",
            str(DEMO),
            "--audience",
            "staff",
            "--format",
            "md",
            "--out",
            str(tmp_path / name / "pack.md"),
        )
    assert (tmp_path / "a" / "pack.md").read_bytes() == (tmp_path / "b" / "pack.md").read_bytes()
    for chart in (tmp_path / "a" / "pack_charts").iterdir():
        assert chart.read_bytes() == (tmp_path / "b" / "pack_charts" / chart.name).read_bytes()


def test_small_groups_show_as_suppressed_in_the_governor_pack(packs, tmp_path):
    """A group too small to publish is "suppressed"; a group with no pupils says so."""
    html = (packs / "governors.html").read_text(encoding="utf-8")
    row = re.search(
        r"Disadvantaged, high prior attainment</th><td>0</td>\s*<td[^>]*>([^<]+)<", html
    )
    assert row and row.group(1) == "no pupils in this group"
    out = tmp_path / "pack.html"
    run("pack", str(DEMO), "--audience", "governors", "--min-group", "10", "--out", str(out))
    html = out.read_text(encoding="utf-8")
    row = re.search(r"EHC plan</th><td>7</td>\s*<td[^>]*>([^<]+)<", html)
    assert row and row.group(1) == "suppressed (fewer than 10 pupils)"


def test_similar_schools_section_and_pdf(tmp_path):
    out = tmp_path / "pack.html"
    args = ["pack", str(DEMO), "--audience", "governors", "--out", str(out), "--similar-schools"]
    if chromium() is not None:
        args.append("--pdf")
    run(*args)
    html = out.read_text(encoding="utf-8")
    assert "<h2>Similar schools (2018/19 results)</h2>" in html
    # each measure in words, with a picture of the peers, and no raw keys anywhere
    assert "above the 80th percentile of 74 similar schools: 9th of 75." in html
    assert "Entering the EBacc</strong>: 25.0%, below the median of 74 similar schools" in html
    # governors read how far the ranks move with the estimates table, not the tool's method
    assert "The Progress 8 rank is uncertain here: anywhere from 11th to 56th" in html
    assert "years&#39; national estimates, anywhere from 11th to 56th." in html
    assert "11th of 75 (anywhere from 11th to 56th)</td>" in html  # in the table too
    assert "estimates_sensitivity" not in html and "P8PUP" not in html
    assert 'id="similar-schools"' in html and html.count("<svg") >= 5
    for key in ("basics 4 pct", "ebacc aps", ">attainment8<", ">ebacc_entry_pct<"):
        assert key not in html
    # the status box says the ranks set 2023/24 results against 2018/19 peers
    status = html[html.index('id="status"') : html.index('id="at-a-glance"')]
    assert "2023/24 results against other schools&#39; 2018/19 results" in status
    if chromium() is not None:
        pdf = out.with_suffix(".pdf").read_bytes()
        assert pdf.startswith(b"%PDF")
        # A4 (595 x 842 points), not US Letter (612 x 792)
        sizes = {
            tuple(round(float(v)) for v in m)
            for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
        }
        assert sizes == {(595, 842)}


def _printed_pages(pdf: Path) -> list[tuple[str, float]]:
    """Each PDF page's text and how far down the page its content reaches (0 to 1), the page
    number in the bottom margin left out."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(pdf).pages:
        heights = []

        def visit(text, cm, tm, font, size, heights=heights):
            y = tm[5] * cm[3] + cm[5]
            if text.strip() and y > 40:  # the page number sits lower, in the margin
                heights.append(y)

        text = page.extract_text(visitor_text=visit)
        pages.append((text, 1 - min(heights) / float(page.mediabox.height)))
    return pages


@pytest.mark.skipif(chromium() is None, reason="needs headless Chromium")
@pytest.mark.parametrize("audience", ["governors", "staff"])
def test_printed_pack_opens_with_the_story_and_leaves_no_empty_pages(tmp_path, audience):
    """Page one is the status and "At a glance" alone; a small table is never split across
    pages; a chart too tall for the rest of a page leaves no half-empty page behind it."""
    out = tmp_path / "pack.html"
    run("pack", str(DEMO), "--audience", audience, "--out", str(out), "--similar-schools", "--pdf")
    pages = _printed_pages(out.with_suffix(".pdf"))
    first = pages[0][0]
    assert "At a glance" in first and "Boys" in first and "The cohort" not in first
    [cohort] = [text for text, _ in pages if "The cohort" in text]
    assert "No prior attainment" in cohort  # the table whole on its heading's page
    assert all(filled > 0.7 for _, filled in pages[:-1]), [round(f, 2) for _, f in pages]


def test_pdf_without_chromium_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = CliRunner().invoke(
        cli, ["pack", str(DEMO), "--audience", "staff", "--out", str(tmp_path / "p.html"), "--pdf"]
    )
    assert result.exit_code == 2
    assert "needs headless Chromium" in result.stderr
    assert (tmp_path / "p.html").exists()  # the HTML pack is still written


def test_refuses_to_overwrite_the_input(tmp_path):
    copy = tmp_path / "results.csv"
    copy.write_bytes(DEMO.read_bytes())
    result = CliRunner().invoke(cli, ["pack", str(copy), "--audience", "staff", "--out", str(copy)])
    assert result.exit_code == 2 and copy.read_bytes() == DEMO.read_bytes()
    assert Path(copy).read_text(encoding="utf-8").startswith("UPN,")


def test_governors_pack_tells_the_story_first_in_words(packs):
    """Page one: headlines and the four groups' gaps in words; at most 100 table rows in all,
    the full gap table in the staff pack only; no machine-made labels or raw keys."""
    text = (packs / "governors.md").read_text(encoding="utf-8")
    found = tables(text)
    assert sum(len(t) - 1 for t in found) <= 100
    story = text[text.index("## At a glance") : text.index("## The cohort")]
    assert "**Progress 8: +0.28** (95% confidence interval +0.07 to +0.49)" in story
    [key_groups] = [t for t in found if t[0][:3] == ["Group", "Pupils", "Compared with"]]
    rows = {r[0]: r for r in key_groups[1:]}
    assert list(rows) == [
        "Disadvantaged (pupil premium)",
        "High prior attainers",
        "SEND: SEN support",
        "SEND: EHC plan (under 10 pupils: treat with caution)",
        "Boys",
    ]
    # a small group's verdict is not in bold: it is said, not stressed
    ehcp = rows["SEND: EHC plan (under 10 pupils: treat with caution)"]
    assert ehcp[5] == "-1.45, significantly below"
    disadvantaged = rows["Disadvantaged (pupil premium)"]
    assert disadvantaged[2] == "non-disadvantaged pupils nationally"
    assert "the same group nationally in 2024 (for disadvantaged pupils" in story
    # the group's figure, the figure it is compared with, the gap and what it means
    assert disadvantaged[3:6] == ["-0.41", "+0.16", "-0.57, **significantly below**"]
    assert disadvantaged[6:9] == ["30.0", "50.0", "-20.0, **significantly below**"]
    # boys are there as the DfE compares them; girls are named where the reader finds them
    assert rows["Boys"][2] == "boys nationally" and "Girls and the other groups are" in story
    assert (
        "For comparison, girls (90 pupils): Progress 8 +0.34 against +0.09 for girls nationally, "
        "not significantly different." in story
    )
    # SEN support has no national figure for 2024: compared with the rest of the school
    assert rows["SEND: SEN support"][2] == "rest of the school"
    staff = (packs / "staff.md").read_text(encoding="utf-8")
    assert "Significant (95%)?" not in text and "Significant (95%)?" in staff
    for machine in ("boys pupils", "sen-support pupils", "ehcp pupils", "too few pupils)"):
        assert machine not in text and machine not in staff
    assert text.split("\n")[0] == "# Results pack: Summer 2024"
    assert staff.split("\n")[0] == "# Results pack: Summer 2024 (staff version, with pupil names)"
    # questions from what the figures show, each group's comparison in a sentence
    assert (
        "- Pupils with an EHC plan (7): Progress 8 of -1.11 is significantly below that of the "
        "rest of the school (+0.34). What is the plan" in text
    )
    assert "- 25.0% of pupils entered the EBacc, against 40.4% nationally" in text
    assert "Class-level" not in staff  # no class figures in a pack: no caveat about them
    # the national P8 is not 0, and the elements are weighted: both said, so nothing looks off
    assert "The national Progress 8 (-0.03) is not 0 because it counts special schools'" in text
    assert "(2 × English + 2 × maths + 3 × EBacc + 3 × open) ÷ 10" in text


def test_staff_gap_table_says_why_a_gap_was_not_tested(packs):
    text = (packs / "staff.md").read_text(encoding="utf-8")
    # rows without a national figure are named once, not one "not tested" row each
    assert "The DfE publishes no national figure for 2024 for some groups." in text
    rest = text[text.index("Compared with the rest of the school only: ") :].split(". ")[0]
    assert rest.count("boys (Grade 4+") == 1 and "pupils with SEN support; pupils with an" in rest
    # girls, no SEN and the prior bands have no rest-of-school rows: not said to be compared
    absent = text[text.index("Not in this table: ") :].split("\n")[0]
    assert "girls (Grade 4+" in absent and "pupils with no SEN" in absent
    assert "girls" not in rest and "| Girls | Grade 4+" not in text
    assert "nationally, 2024 | – | – | not tested" not in text
    assert "-0.00" not in text and "-0.0 " not in text


def test_markdown_in_names_is_never_a_live_link_or_image(tmp_path):
    """A label, group or drop named with Markdown ("![img](http://…)", "[x](javascript:…)")
    rendered as a live image or link in the packs (the governors' .md too) and in the
    tracking report."""
    from markdown_it import MarkdownIt

    rows = list(csv.reader(DEMO.read_text(encoding="utf-8").splitlines()))
    tutor = rows[0].index("Tutor Group")
    image, link = "![img](http://e.invalid/p.png)", "[x](javascript:alert(1))"
    for row in rows[1:]:  # a tutor group of half the pupils, named as a link
        row[tutor] = link if int(row[0][-1]) % 2 else "11A"
    export = tmp_path / "hostile_2024-06-01.csv"
    with open(export, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    texts = []
    for audience in ("governors", "staff"):
        out = tmp_path / f"{audience}.md"
        args = ["--group", "Tutor Group", "--label", image, "--out", str(out)]
        run("pack", str(export), "--audience", audience, "--format", "md", *args)
        texts.append(out.read_text(encoding="utf-8"))
    texts.append(run("track", str(export), "--labels", image, "--format", "md").stdout)
    for text in texts:
        assert "e.invalid" in text  # the name is shown, as text
        rendered = MarkdownIt("commonmark").enable("table").render(text)
        assert 'src="http://e.invalid' not in rendered and 'href="javascript' not in rendered
    assert "javascript" in texts[1]  # the tutor group is in the staff pack, as text


def test_charts_of_one_page_have_ids_of_their_own(packs):
    """matplotlib gives every figure the same ids (figure_1, axes_1 …): six inline charts
    shared 122 ids in one HTML page."""
    html = (packs / "governors.html").read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) > 50 and len(ids) == len(set(ids))
    # every reference inside a chart points at an id of the page
    assert set(re.findall(r"url\(#([^)]+)\)", html)) <= set(ids)


def test_terms_define_what_a_governor_reads_and_never_call_a_substitute_ks2(tmp_path):
    """The pack's terms define its banding, elements, value added and prior bands; a pack on a
    substitute baseline defines its prior bands by that baseline, not by KS2."""
    from schoolperf.analysis import AnalysisOptions, analyse
    from schoolperf.reports.context import build_context

    results = {"A": {"results": [("Maths", "6")]}, "B": {"results": [("Maths", "4")]}}
    export = write_long(tmp_path / "r.csv", results)
    terms = dict(build_context(analyse(export), "governors")["terms"])
    assert {"Progress 8 banding", "Elements and slots", "Value added (subjects)"} <= set(terms)
    assert (
        "110 or more" in terms["Prior attainment bands"]
        and "KS2" in terms["Prior attainment bands"]
    )
    baseline = tmp_path / "cat4.csv"
    baseline.write_text("UPN,Mean SAS\nA,100\nB,115\n")
    options = AnalysisOptions(baseline_file=str(baseline))
    substitute = dict(build_context(analyse(export, options), "governors")["terms"])
    assert substitute["Prior attainment bands"].startswith("By the pupil's substitute baseline")
    assert "KS2 reading" not in substitute["Prior attainment bands"]


def test_governors_chart_merges_neighbouring_bands_so_no_pupil_is_left_out():
    """Bands of 2, 3 and 4 pupils make one point of 9; 10 pupils one; a last run of 1 and 1
    joins the band before it: every pupil is in a point, and every point has 6 or more."""
    import pandas as pd

    from schoolperf.reports.charts import _merged_bands

    sizes = {20: 2, 21: 3, 22: 4, 25: 10, 30: 1, 31: 1}
    points = pd.DataFrame(
        [(band, 90.0 + band, 10.0 * band) for band, n in sizes.items() for _ in range(n)],
        columns=["prior_attainment_group", "ks2_prior", "attainment8"],
    )
    merged = _merged_bands(points, 6)
    assert merged["n"].tolist() == [9, 12]
    first, second = (2 * 200 + 3 * 210 + 4 * 220) / 9, (10 * 250 + 300 + 310) / 12
    assert merged["a8"].tolist() == pytest.approx([first, second])
    assert _merged_bands(points.head(5), 6).empty  # fewer than 6 pupils in all: no point
