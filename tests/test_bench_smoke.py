"""`seed_bench` at a tiny scale: the counts it promises, and the same seed gives the same data.

No timing here: speed is measured by `bench/run.py`, never in tests (issue 8).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction

from cases.constants import ShareLevel
from cases.models import Case, CaseShare, RouteLeg, Suspect, TimelineEvent
from liaison_offices.access import scope_of
from liaison_offices.models import LinkOffice, Membership, PartnerOrganisation

SCALE = "0.002"


def _command(seed: int) -> list[str]:
    # --force: the test runner turns DEBUG off, which seed_bench takes for production.
    return ["seed_bench", "--seed", str(seed), "--scale", SCALE, "--no-analyze", "--force"]


class _Rollback(Exception):
    pass


def _seed(seed: int) -> tuple[dict, dict]:
    """Seed in a savepoint, take a snapshot of what was made, and roll it back."""
    out = io.StringIO()
    snapshot: dict = {}
    try:
        with transaction.atomic():
            call_command(*_command(seed), stdout=out)
            snapshot["references"] = list(
                Case.objects.order_by("reference").values_list("reference", flat=True)
            )
            snapshot["cases"] = list(
                Case.objects.order_by("reference").values_list(
                    "reference", "lead_office__code", "status", "updated_at"
                )
            )
            snapshot["shares"] = sorted(
                CaseShare.objects.values_list(
                    "case__reference", "office__code", "partner__name", "revoked_at", "expires_at"
                ),
                key=repr,
            )
            raise _Rollback
    except _Rollback:
        pass
    return json.loads(out.getvalue()), snapshot


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_seeds_the_promised_volumes_and_named_users():
    out = io.StringIO()
    call_command(
        "seed_bench", "--seed", "3", "--scale", SCALE, "--no-analyze", "--force", stdout=out
    )
    summary = json.loads(out.getvalue())

    assert LinkOffice.objects.count() == 60
    assert PartnerOrganisation.objects.count() == 60
    assert Membership.objects.count() == 400
    assert Case.objects.count() == summary["cases"] == 200
    assert CaseShare.objects.count() == summary["shares"] == 100
    assert TimelineEvent.objects.count() == summary["timeline_events"] == 600
    assert RouteLeg.objects.filter(case__isnull=False).count() >= 200
    assert Suspect.objects.exists()
    if summary["victims"]:
        from victims.models import Victim

        assert Victim.objects.count() == summary["victims"] == 500
        sealed = Victim.objects.values_list("full_name", flat=True).first()
        # Stored as a Fernet token under the configured key: it opens to a name.
        assert sealed.token.startswith("gAAAA") and " " in sealed.reveal()

    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    worst = users.get(username="bench.worst")
    assert len(scope_of(worst).view_office_ids) == 40
    median = users.get(username="bench.median")
    assert len(scope_of(median).view_office_ids) == 1
    assert Case.objects.visible_to(median).count() == summary["median_visible"]
    assert Case.objects.visible_to(worst).count() > Case.objects.visible_to(median).count()
    # 40 desks: the same rows as the rule says — led by a desk, or with a live share to a desk
    # (the seeder writes the grants as the case services do).
    desks = scope_of(worst).view_office_ids
    expected = set(Case.objects.filter(lead_office_id__in=desks).values_list("pk", flat=True))
    expected |= set(
        CaseShare.objects.live().filter(office_id__in=desks).values_list("case_id", flat=True)
    )
    assert set(Case.objects.visible_to(worst).values_list("pk", flat=True)) == expected
    # Each message case is led by the poster's office and shared live with five more offices.
    poster = users.get(username="bench.poster")
    for reference in summary["message_cases"]:
        case = Case.objects.visible_to(poster).get(reference=reference)
        live = CaseShare.objects.live().filter(case=case)
        assert live.filter(office__isnull=False).count() == 5
        assert not live.filter(level=ShareLevel.SUMMARY).exists()  # all five see messages
        assert not live.filter(partner__isnull=False).exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_visible_cases_count_the_rows_they_fetch():
    """visible_to's count, whole or bounded, is that of the rows it fetches, for one desk, many
    desks and a partner; and the seeder's grants are those the case services would write."""
    call_command(*_command(4), stdout=io.StringIO())
    from cases.grants import grant_drift

    assert grant_drift() == []
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    shared = CaseShare.objects.live().filter(partner__isnull=False).order_by("id").first()
    partner_user = users.filter(memberships__partner=shared.partner_id).first()
    for user in (
        users.get(username="bench.median"),
        users.get(username="bench.worst"),
        partner_user,
    ):
        visible = Case.objects.visible_to(user)
        rows = set(visible.values_list("pk", flat=True))
        assert rows, user
        assert visible.count() == len(rows)
        assert visible.order_by().values("pk")[:7].count() == min(7, len(rows))
        tip = visible.filter(kind="TIP")
        assert tip.count() == len(set(tip.values_list("pk", flat=True)))
        # a count is also right once the rows are fetched (the cache is used)
        fetched = list(visible)
        assert visible.count() == len(fetched)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    first_summary, first = _seed(5)
    again_summary, again = _seed(5)
    _, other = _seed(6)

    assert first["references"] and first == again
    assert {k: v for k, v in first_summary.items() if k != "seconds"} == {
        k: v for k, v in again_summary.items() if k != "seconds"
    }
    assert other["cases"] != first["cases"]


def test_the_baseline_pages_like_the_api():
    import rest_framework.views  # noqa: F401  (DRF first, as the URL conf loads it)

    from bench import views
    from glo_act.api import BoundedCountPagination

    assert BoundedCountPagination.count_limit == views.COUNT_LIMIT
    assert BoundedCountPagination.page_size == views.PAGE_SIZE
    assert BoundedCountPagination.max_page_size == views.MAX_PAGE_SIZE
