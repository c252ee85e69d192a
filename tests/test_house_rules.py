"""House rules checked over the source (Zulip-style custom checks).

A door (page, API view, template tag, statistics) must never fetch a case, victim, referral
or request by id without the access rule: the look-up goes through `visible_to(user)` /
`restrict(user, …)` or a helper that answers 404.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOORS = [
    path
    for path in [
        *ROOT.glob("*/views.py"),
        *ROOT.glob("*/views/*.py"),
        *ROOT.glob("*/api/*.py"),
        *ROOT.glob("*/templatetags/*.py"),
        *ROOT.glob("*/stats.py"),
        *ROOT.glob("*/dashboard.py"),
        ROOT / "glo_act" / "pages.py",
    ]
    if "tests" not in path.relative_to(ROOT).parts and ".venv" not in path.parts
]
# Fetching by id is banned outright; a broader read of the four protected models needs the
# rule too, unless the line says why it is already scoped (`# scoped: …`, e.g. the referrals of
# a victim the view fetched through visible_to).
UNSCOPED = re.compile(
    r"\b(Case|CaseShare|Victim|Referral|CooperationRequest|Message|Consent)\.objects\.get\("
    r"|\b(Case|Victim|Referral|CooperationRequest)\.objects\.(filter|all|exclude)\("
)


def test_doors_exist_to_be_checked():
    assert len([path for path in DOORS if path.exists()]) >= 10


def test_no_door_fetches_a_protected_object_without_the_access_rule():
    offences = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in DOORS
        if path.exists()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if UNSCOPED.search(line) and "# scoped:" not in line
    ]
    assert offences == [], "use Model.objects.visible_to(user) / restrict(user, …):\n" + "\n".join(
        offences
    )
