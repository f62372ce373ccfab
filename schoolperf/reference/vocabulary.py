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
