"""What a user's ``--subjects`` file may change in the shipped subject catalogue.

English and mathematics fill the double-weighted English and maths elements of Attainment 8
(ks4-methodology §1.2–§1.3): a file that moves one of them to another role, or gives either
role to another subject, would change every pupil's A8 without a word, so it is refused. Any
other change to a shipped subject is allowed and listed in a warning."""

from __future__ import annotations

import pandas as pd

from schoolperf.errors import Problem, ReferenceDataError
from schoolperf.reference.vocabulary import ENGLISH_ROLES

CORE_ROLES = (*ENGLISH_ROLES, "maths")
COMPARED = ("subject", "role", "scale", "discount_code")  # what a change is listed by


def check_core_roles(user: pd.DataFrame, shipped: pd.DataFrame, file: str) -> None:
    """Refuse ``user`` catalogue rows (one per alias, as ``shipped``) that change a core role."""
    ours = shipped.set_index("alias")
    theirs = user.set_index("alias")
    both = theirs.index.intersection(ours.index)
    moved = both[
        (ours.loc[both, "role"] != theirs.loc[both, "role"]).to_numpy()
        & (
            ours.loc[both, "role"].isin(CORE_ROLES) | theirs.loc[both, "role"].isin(CORE_ROLES)
        ).to_numpy()
    ]
    core = shipped[shipped["role"].isin(CORE_ROLES)][["subject", "role"]].drop_duplicates()
    new = theirs[~theirs.index.isin(ours.index) & theirs["role"].isin(CORE_ROLES)]
    added = new.merge(core, on=["subject", "role"], how="left", indicator=True)
    given = sorted({*moved, *new.index[(added["_merge"] == "left_only").to_numpy()]})
    if not given:
        return
    subjects = sorted(set(theirs.loc[given, "subject"]))
    raise ReferenceDataError(
        Problem(
            "core-subject-role",
            f"changes the role of English or mathematics for {', '.join(subjects)}: these fill "
            "the double-weighted elements of Attainment 8, so every pupil's A8 would change.",
            "Remove those rows: English and mathematics subjects keep the DfE's roles. To add "
            "another name for one, give it that subject's own title and role (e.g. "
            "Mathematics,maths,…).",
            file=file,
        )
    )


def catalogue_changes(user: pd.DataFrame, shipped: pd.DataFrame) -> list[str]:
    """The shipped subjects ``user`` rows change, each as "Drama (role open → ebacc)"."""
    ours = shipped.drop_duplicates("subject").set_index("subject")
    theirs = user.drop_duplicates("subject").set_index("subject")
    both = theirs.index.intersection(ours.index)
    changes = []
    for subject in both:  # a user file lists a handful of subjects, not pupils
        different = [
            f"{c} {ours.at[subject, c] or 'blank'} → {theirs.at[subject, c] or 'blank'}"
            for c in COMPARED[1:]
            if str(ours.at[subject, c]) != str(theirs.at[subject, c])
        ]
        if different:
            changes.append(f"{subject} ({', '.join(different)})")
    return changes
