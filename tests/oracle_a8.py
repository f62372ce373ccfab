"""Independent, deliberately simple reference ("oracle") for one pupil's Attainment 8.

Pure Python, plain loops, no pandas/numpy. Used by property tests to cross-check the
vectorised engine; it must not import anything from ``schoolperf``.

Rules follow docs/ks4-methodology.md:
  * §1.1 structure: 2 x English + 2 x maths + best 3 EBacc + best 3 open; empty slots 0.
  * §1.2 English: higher of language/literature, doubled only if BOTH were entered
    (U is an entry, X/'' is not); the other one may go to the open element.
  * §1.3 maths: always doubled; statistics (RB71) is open-only.
  * §1.4 EBacc: greedy, 3 highest EBacc units; combined science = two units at (a+b)/2.
  * §1.5 open: 3 highest of everything left; non-GCSEs only ever in open.
  * §1.6 discounting: same discount code -> first entry counts (earliest exam_date);
    equal dates -> higher points. A None date is never strictly earlier or later than
    any other date (so it "ties" with everything).
  * §1.8 points: GCSE 9..1, U=0; double award per-slot table; technical award scale.
  * §8 pitfalls 1-4.
"""

GCSE, DOUBLE, TECHNICAL = "gcse", "double", "technical"

SUBJECTS = {
    "English Language": ("english_language", "FK2B", GCSE),
    "English Literature": ("english_literature", "FC4", GCSE),
    "Mathematics": ("maths", "RB1", GCSE),
    "Statistics": ("open", "RB71", GCSE),
    "Combined Science": ("combined_science", "RA1E", DOUBLE),
    "Biology": ("ebacc", "RH3", GCSE),
    "Chemistry": ("ebacc", "RD1", GCSE),
    "Physics": ("ebacc", "RC1", GCSE),
    "Computer Science": ("ebacc", "CK1", GCSE),
    "History": ("ebacc", "DB", GCSE),
    "Geography": ("ebacc", "RF4", GCSE),
    "French": ("ebacc", "FKF", GCSE),
    "Spanish": ("ebacc", "FKS", GCSE),
    "German": ("ebacc", "FKG", GCSE),
    "Latin": ("ebacc", "F1L", GCSE),
    "Art and Design": ("open", "JA2", GCSE),
    "Photography": ("open", "KJ1", GCSE),  # DfE code KJ1 (not JA2 like Art)
    "Drama": ("open", "LC11", GCSE),
    "Music": ("open", "LF1", GCSE),
    "Physical Education": ("open", "MA1", GCSE),
    "Religious Studies": ("open", "DD1", GCSE),
    "Design and Technology": ("open", "VF1", GCSE),
    "Business": ("open", "AA3", GCSE),
    "BTEC Tech Award Sport": ("open_technical", "MA1", TECHNICAL),  # = PE code
    "BTEC Tech Award Performing Arts": ("open_technical", "LC11", TECHNICAL),  # = Drama
    "BTEC Tech Award Health and Social Care": ("open_technical", "PA1", TECHNICAL),
    "Cambridge National Creative iMedia": ("open_technical", "KA4", TECHNICAL),
}

TECHNICAL_POINTS = {
    "L2D*": 8.5,
    "L2D": 7.0,
    "L2M": 5.5,
    "L2P": 4.0,
    "L1D": 3.0,
    "L1M": 2.0,
    "L1P": 1.25,
    "U": 0.0,
}

NO_ENTRY = ("X", "")
DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


def points(subject, grade):
    """Points per slot for one result, or None when the grade means 'no entry'."""
    if grade is None or grade.strip() in NO_ENTRY:
        return None
    grade = grade.strip()
    scale = SUBJECTS[subject][2]
    if grade == "U":
        return 0.0
    if scale == GCSE:
        if grade in DIGITS:
            return float(grade)
    elif scale == DOUBLE:
        parts = grade.split("-")
        if len(parts) == 2 and parts[0] in DIGITS and parts[1] in DIGITS:
            a, b = int(parts[0]), int(parts[1])
            if abs(a - b) <= 1:
                return (a + b) / 2.0
    elif scale == TECHNICAL:
        if grade in TECHNICAL_POINTS:
            return TECHNICAL_POINTS[grade]
    raise ValueError(f"invalid grade {grade!r} for {subject!r}")


def _strictly_earlier(d1, d2):
    """True if date d1 is strictly before d2; None is never earlier or later."""
    if d1 is None or d2 is None:
        return False
    return d1 < d2  # ISO 'YYYY-MM-DD' strings sort chronologically


def _discount(entries):
    """§1.6: keep one entry per discount code (first entry, then higher points)."""
    by_code = {}
    for e in entries:
        by_code.setdefault(e["code"], []).append(e)
    kept = []
    for code in by_code:
        group = by_code[code]
        best = None
        for e in group:
            first = True
            for other in group:
                if _strictly_earlier(other["date"], e["date"]):
                    first = False
            if first and (best is None or e["points"] > best["points"]):
                best = e
        kept.append(best)
    return kept


def _top3(units):
    """Sort descending; return (sum of best 3, the leftovers)."""
    ordered = sorted(units, reverse=True)
    return float(sum(ordered[:3])), ordered[3:]


def attainment8(results):
    """One pupil's A8 and element totals (English/maths already weighted)."""
    # 1. drop no-entry results, attach points/role/code
    entries = []
    for r in results:
        p = points(r["subject"], r["grade"])
        if p is None:
            continue
        role, code, _scale = SUBJECTS[r["subject"]]
        entries.append(
            {
                "subject": r["subject"],
                "role": role,
                "code": code,
                "date": r.get("exam_date"),
                "points": p,
            }
        )
    # 2. discounting / first entry
    entries = _discount(entries)

    english_entries, maths_entries, ebacc_units, open_units = [], [], [], []
    for e in entries:
        role = e["role"]
        if role in ("english_language", "english_literature"):
            english_entries.append(e)
        elif role == "maths":
            maths_entries.append(e)
        elif role == "combined_science":
            ebacc_units.append(e["points"])
            ebacc_units.append(e["points"])  # double award = two units
        elif role == "ebacc":
            ebacc_units.append(e["points"])
        else:  # 'open' GCSEs and 'open_technical' non-GCSEs
            open_units.append(e["points"])

    # 3. English element
    english = 0.0
    has_lang = any(e["role"] == "english_language" for e in english_entries)
    has_lit = any(e["role"] == "english_literature" for e in english_entries)
    if has_lang and has_lit:
        scores = sorted((e["points"] for e in english_entries), reverse=True)
        english = 2 * scores[0]
        open_units.extend(scores[1:])  # the non-chosen English goes to open
    elif english_entries:
        english = english_entries[0]["points"]  # single English: counted once

    # 4. maths element (at most one survives discounting: single code RB1)
    maths = 0.0
    for e in maths_entries:
        maths = max(maths, 2 * e["points"])

    # 5. EBacc element, leftovers to open
    ebacc, leftover = _top3(ebacc_units)
    open_units.extend(leftover)

    # 6. open element
    open_, _unused = _top3(open_units)

    # 7. total
    return {
        "attainment8": english + maths + ebacc + open_,
        "english": english,
        "maths": maths,
        "ebacc": ebacc,
        "open": open_,
    }


def _r(subject, grade, date=None):
    return {"subject": subject, "grade": grade, "exam_date": date}


def _self_check():
    a = attainment8(
        [
            _r("English Language", "6"),
            _r("English Literature", "5"),
            _r("Mathematics", "5"),
            _r("Combined Science", "6-5"),
            _r("History", "5"),
            _r("French", "4"),
            _r("Art and Design", "6"),
            _r("BTEC Tech Award Sport", "L2M"),
        ]
    )
    assert a == {"attainment8": 54.5, "english": 12, "maths": 10, "ebacc": 16, "open": 16.5}, a
    b = attainment8(
        [
            _r("English Language", "5"),
            _r("Mathematics", "6"),
            _r("Biology", "6"),
            _r("Chemistry", "6"),
            _r("Physics", "6"),
            _r("Art and Design", "5"),
            _r("Drama", "5"),
            _r("Music", "5"),
        ]
    )
    assert b["attainment8"] == 50 and b["english"] == 5, b
    c = attainment8(
        [
            _r("English Language", "4"),
            _r("English Literature", "3"),
            _r("Mathematics", "3"),
            _r("Combined Science", "4-3"),
            _r("Drama", "3"),
            _r("Music", "U"),
        ]
    )
    assert c["attainment8"] == 27.0, c
    d = attainment8(
        [
            _r("English Language", "5"),
            _r("English Literature", "6"),
            _r("Mathematics", "7"),
            _r("Combined Science", "7-7"),
            _r("Religious Studies", "6"),
            _r("Spanish", "9"),
            _r("French", "5", "2018-07-01"),
            _r("French", "6", "2019-07-01"),
        ]
    )
    assert d["attainment8"] == 65.0, d
    for date in ("2019-06-10", None):
        e = attainment8(
            [_r("Physical Education", "5", date), _r("BTEC Tech Award Sport", "L2D*", date)]
        )
        assert e["attainment8"] == 8.5 and e["open"] == 8.5, e
    # extra: X / '' ignored; U still makes English double; CS 'U' = two zero units
    f = attainment8(
        [
            _r("English Language", "7"),
            _r("English Literature", "U"),
            _r("Mathematics", "X"),
            _r("Combined Science", "U"),
            _r("Drama", ""),
        ]
    )
    assert f == {"attainment8": 14.0, "english": 14.0, "maths": 0.0, "ebacc": 0.0, "open": 0.0}, f
    print("oracle_a8 self-check passed")


if __name__ == "__main__":
    _self_check()
