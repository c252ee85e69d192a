"""House rules checked over the source, on its syntax tree (Zulip-style custom checks).

A door (page, API view, template tag, statistics, dashboard) must never read a protected
record without the access rule: every query that starts at a protected model's manager goes
through `visible_to(user)` / `restrict(user, …)` somewhere in its chain, or sits in a view
whose mixin applies the rule to its `queryset` (`VisibleMixin`, `VisibleQuerysetMixin`), or
says on its line why it is already scoped (`# scoped: …`, e.g. the referrals of a victim the
view fetched through `visible_to`). `get_object_or_404(Model, …)` on a protected model is
never right: it answers 404 or the record without asking who is looking.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOORS = sorted(
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
    if path.exists() and ".venv" not in path.parts and "tests" not in path.relative_to(ROOT).parts
)
PROTECTED = {
    "Case", "CaseShare", "CaseGrant", "CooperationRequest", "Message", "TimelineEvent",
    "JusticeEvent",
    "Victim", "Referral", "FollowUp", "Consent", "PersonalAccess",
    "PersonOfInterest", "Identifier",
}  # fmt: skip
SCOPING_CALLS = {"visible_to", "restrict", "held_by"}  # held_by: the user's own shares
SCOPING_MIXINS = {"VisibleMixin", "VisibleQuerysetMixin"}
FETCH_SHORTCUTS = {"get_object_or_404", "get_list_or_404"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _chain_top(node: ast.AST, parents) -> tuple[ast.AST, set[str]]:
    """The whole expression `Model.objects.a(…).b(…)…` around `Model.objects`, and the names of
    the methods it calls."""
    called = set()
    while True:
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            called.add(parent.attr)
        elif not (isinstance(parent, ast.Call) and parent.func is node):
            return node, called
        node = parent


def _in_scoping_view(node: ast.AST, parents) -> bool:
    """`queryset = Model.objects…` as a class attribute of a view whose mixin applies the rule."""
    assign = parents.get(node)
    if not isinstance(assign, ast.Assign) or not any(
        isinstance(t, ast.Name) and t.id == "queryset" for t in assign.targets
    ):
        return False
    owner = parents.get(assign)
    return isinstance(owner, ast.ClassDef) and any(
        isinstance(base, ast.Name) and base.id in SCOPING_MIXINS for base in owner.bases
    )


def offences_in(source: str, name: str = "<source>") -> list[str]:
    tree = ast.parse(source)
    parents = _parents(tree)
    lines = source.splitlines()
    found = []

    def offend(node: ast.AST, what: str) -> None:
        first, last = node.lineno, getattr(node, "end_lineno", node.lineno)
        # The comment may sit on the expression's lines or on the line above it.
        if any("# scoped:" in lines[n - 1] for n in range(max(first - 1, 1), last + 1)):
            return
        found.append(f"{name}:{first}: {what}: {lines[first - 1].strip()}")

    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGERS
            and isinstance(node.value, ast.Name)
            and node.value.id in PROTECTED
        ):
            top, called = _chain_top(node, parents)
            if called & SCOPING_CALLS or _in_scoping_view(top, parents):
                continue
            offend(top, f"{node.value.id}.{node.attr} read without visible_to/restrict")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FETCH_SHORTCUTS
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in PROTECTED
        ):
            offend(node, f"{node.func.id}({node.args[0].id}, …) skips the access rule")
    return found


def test_doors_exist_to_be_checked():
    assert len(DOORS) >= 10


def test_no_door_reads_a_protected_model_without_the_access_rule():
    offences = [
        offence
        for path in DOORS
        for offence in offences_in(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert offences == [], (
        "read protected records through Model.objects.visible_to(user) / restrict(user, …), "
        "or say on or above the line why they are already scoped (# scoped: …):\n"
        + "\n".join(offences)
    )


@pytest.mark.parametrize(
    "source",
    [
        "case = get_object_or_404(Case, pk=pk)",
        "case = Case.objects.select_related('lead_office').get(pk=pk)",
        "shares = CaseShare.objects.filter(case=case)",
        "n = Victim._default_manager.count()",
        "rows = (Referral.objects\n    .filter(partner=p)\n    .order_by('-id'))",
        "class V(PageView):\n    queryset = Case.objects.all()",
    ],
)
def test_the_check_catches_unscoped_reads(source):
    assert len(offences_in(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "case = Case.objects.visible_to(user).select_related('x').get(pk=pk)",
        "qs = Case.objects.select_related('x').restrict(user, 'change')",
        "class V(VisibleQuerysetMixin, GenericViewSet):\n    queryset = Case.objects.all()",
        "rows = victim.referrals.all()",
        "rows = Referral.objects.filter(victim=victim)  # scoped: victim came from visible_to",
        "# scoped: a victim they see\nrows = Consent.objects.filter(victim=victim)",
        "office = LinkOffice.objects.get(pk=pk)",
    ],
)
def test_the_check_lets_scoped_reads_through(source):
    assert offences_in(source) == []
