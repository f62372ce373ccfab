"""The vocabulary of the domain, defined once: the four Attainment 8 elements, the roles a
subject plays, the pupil groups' names, the kinds of qualification that count nowhere or by
exception, and the columns that identify a pupil."""

from __future__ import annotations

import re

ELEMENTS = ("english", "maths", "ebacc", "open")
ROW = "_row"  # the column holding each row's number as a spreadsheet shows it (header = 1)
NAME_COLUMNS = ("forename", "surname", "name")  # never quoted, never a group
PERSONAL_COLUMNS = {"upn", *NAME_COLUMNS}  # columns that identify a pupil
# the role a subject plays in Attainment 8 (the subject catalogue's ``role`` column)
ENGLISH_ROLES = ("english_language", "english_literature")
EBACC_ROLES = (
    "combined_science",
    "science",
    "computer_science",
    "history",
    "geography",
    "language",
)
OPEN_ROLES = ("open", "open_technical")
NOT_COUNTING = "not_counting"  # a result of a kind that counts nowhere (short courses, IGCSEs)
ROLES = {*ENGLISH_ROLES, "maths", *EBACC_ROLES, *OPEN_ROLES, NOT_COUNTING}

# the four groups schools are held to (SEND as its two DfE groups), as a summary names them
KEY_GROUPS = {
    "disadvantaged": "Disadvantaged (pupil premium)",
    "high_prior": "High prior attainers",
    "sen_support": "SEND: SEN support",
    "ehcp": "SEND: EHC plan",
    "boys": "Boys",
}
# the pupil groups, as a heading names them and as a sentence names their pupils
GROUP_NAMES = {
    "disadvantaged": ("Disadvantaged", "disadvantaged pupils"),
    "non_disadvantaged": ("Non-disadvantaged", "non-disadvantaged pupils"),
    "boys": ("Boys", "boys"),
    "girls": ("Girls", "girls"),
    "sen_support": ("SEN support", "pupils with SEN support"),
    "ehcp": ("EHC plan", "pupils with an EHC plan"),
    "no_sen": ("No SEN", "pupils with no SEN"),
    "eal": ("EAL", "pupils with English as an additional language"),
    "low_prior": ("Low prior attainment", "pupils with low prior attainment"),
    "middle_prior": ("Middle prior attainment", "pupils with middle prior attainment"),
    "high_prior": ("High prior attainment", "pupils with high prior attainment"),
    "disadvantaged_high_prior": (
        "Disadvantaged, high prior attainment",
        "disadvantaged pupils with high prior attainment",
    ),
}

SHORT_COURSE = "short_course"
IGCSE = "igcse"
AS_LEVEL = "as_level"
QUALIFICATION_KINDS = {
    SHORT_COURSE: "GCSE short course",
    IGCSE: "IGCSE or Level 1/2 Certificate",
    AS_LEVEL: "AS level",
}
_IGCSE_WORDS = r"igcse|international gcse|(?:level|l) ?1 (?:level |l)?2 certificate"
# in a subject title: "Religious Studies Short Course", "GCSE (Short Course) RS",
# "IGCSE English Language", "AS Mathematics", "GCE AS Level Maths", "Mathematics (AS)"
TITLE_KINDS = {
    SHORT_COURSE: re.compile(r"\bshort course\b"),
    IGCSE: re.compile(rf"\b(?:{_IGCSE_WORDS})\b"),
    AS_LEVEL: re.compile(
        r"^(?:(?:aqa|pearson|edexcel|ocr|wjec|eduqas|ccea) )*(?:gce )?as(?: level)?\b"
        r"(?! a\b| an\b)|\bas level\b|\badvanced subsidiary\b|"
        r"\bgce as\b|\bas$"
    ),
}
# in the qualification column: "GCSE Short Course", "Short Course", "International GCSE",
# "IGCSE", "Level 1/2 Certificate", "AS", "AS Level", "GCE AS", "Advanced Subsidiary"
QUALIFICATION_COLUMN_KINDS = {
    SHORT_COURSE: re.compile(r"\bshort\b"),
    IGCSE: re.compile(rf"\b(?:{_IGCSE_WORDS})\b"),
    AS_LEVEL: re.compile(r"^(?:gce )?as(?: level)?$|\badvanced subsidiary\b|\bgce as\b"),
}
# a Level 1/2 Certificate that is a technical award (Cambridge National Certificate, VRQ), not an
# IGCSE-style certificate
NOT_IGCSE = re.compile(r"\b(?:cambridge national|technical|vocational|btec|vrq|ncfe|award)\b")
# words left out of an AS level's title to find its subject ("GCE AS Level Mathematics" → maths)
AS_LEVEL_WORDS = re.compile(
    r"\b(?:gce|as level|advanced subsidiary|level 3|as)\b|\bin\b(?= )|^\s*in\b"
)

# the terms a pack uses, each defined for a reader who is not a data specialist (a governor)
TERMS = (
    (
        "Attainment 8 (A8)",
        "A pupil's points in eight GCSE-level subjects, grade 9 = 9 points: English and maths "
        "count twice, three English Baccalaureate subjects and three others once each.",
    ),
    (
        "Elements and slots",
        "Attainment 8's four parts: English and maths (two slots each), EBacc (three slots) and "
        "open (three slots, any approved subject). A slot without a result scores 0.",
    ),
    (
        "Progress 8 (P8)",
        "How a pupil's Attainment 8 compares with that of pupils nationally with the same prior "
        "attainment (KS2: the tests at the end of primary school). 0 is the average of pupils in "
        "mainstream schools; +0.5 means half a grade better in each of the eight subjects.",
    ),
    (
        "95% confidence interval",
        'The range the true figure is likely to lie in; a figure is "significantly" above or '
        "below another only when the whole range is.",
    ),
    (
        "Progress 8 banding",
        "The DfE's five bands: well above average (above +0.5, the interval above 0), above "
        "average (the interval above 0), average (the interval includes 0), below average (the "
        "interval below 0), well below average (below -0.5, the interval below 0).",
    ),
    (
        "EBacc (English Baccalaureate)",
        "English, maths, science, history or geography, and a language. The EBacc average "
        "point score is the DfE's headline EBacc measure: points across these subjects.",
    ),
    (
        "Disadvantaged (pupil premium)",
        "Pupils known to have been eligible for free school meals in the last six years, or "
        "looked after.",
    ),
    (
        "SEND",
        "Special educational needs: SEN support (help within school) or an EHC plan (an "
        "education, health and care plan).",
    ),
    ("EAL", "English as an additional language."),
    (
        "Prior attainment bands",
        "By the pupil's average KS2 reading and maths scaled score (100 is the expected "
        "standard): low (below 100), middle (100 to under 110), high (110 or more).",
    ),
    (
        "Value added (subjects)",
        "A subject's average points per entry against what pupils nationally with the same KS2 "
        "results got in that subject (the DfE's transition matrices).",
    ),
    (
        "Against pupils' other subjects",
        "How the pupils' points in a subject compare with their own points in their other "
        "subjects.",
    ),
    (
        "Percentage points (pts)",
        "The difference between two percentages: 50% against 45% is a gap of 5 percentage points.",
    ),
    (
        "Suppressed",
        "Figures of groups too small to publish without identifying pupils are not shown.",
    ),
)
# a pack whose progress is from a substitute baseline says so where the terms name KS2
SUBSTITUTE_TERMS = {
    "Prior attainment bands": "By the pupil's substitute baseline, mapped onto the KS2 scale "
    "(this cohort has no KS2 results): low (below 100), middle (100 to under 110), high (110 "
    "or more).",
}
