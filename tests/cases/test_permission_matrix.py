"""The access rule, by every role of the cast, in every situation a UK case can be in.

For each situation (own office, another office, a granted office, shared at each level, under H2,
expired, revoked) and each role (uk, italy, spain, focal_point, provider, hq), the five doors are
tried — list (`visible_to`), detail (`get_case_for_user`), change (`restrict("change")` and
`case_update`), share and transition — and compared with the table below. Hidden cases never
appear in a list and answer 404; a case seen but not one's own answers 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cases import services
from cases.constants import HandlingCode, ShareLevel
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare
from cases.querysets import get_case_for_user
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices import services as office_services
from liaison_offices.constants import CHANGE_CASES, VIEW_CASES
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db

ROLES = ("uk", "italy", "spain", "focal_point", "provider", "hq")
LEAD = frozenset({"uk", "hq"})


def _grant(*permissions):
    def setup(cast, case):
        for permission in permissions:
            office_services.office_permission_grant(
                acting_user=cast.hq,
                office=cast.offices["GBR"],
                permission=permission,
                user=cast.italy,
                reason="Joint investigation",
            )

    return setup


def _share(recipient: str, level=ShareLevel.FULL, code=HandlingCode.H0, then=None):
    def setup(cast, case):
        target = (
            {"office": cast.offices[recipient]}
            if recipient in cast.offices
            else {"partner": cast.partners[recipient]}
        )
        share = services.case_share(
            acting_user=cast.uk, case=case, level=level, handling_code=code, **target
        )
        if then == "expired":
            CaseShare.objects.filter(pk=share.pk).update(
                expires_at=timezone.now() - dt.timedelta(minutes=1)
            )
            sync_case_grants(share.case_id)
        elif then == "revoked":
            services.share_revoke(acting_user=cast.uk, share=share)

    return setup


# situation: (set-up, who sees it, who may change/transition it, who may share it)
SITUATIONS: dict[str, tuple[Callable, frozenset, frozenset, frozenset]] = {
    "own office only": (lambda cast, case: None, LEAD, LEAD, LEAD),
    "granted view on GBR to italy": (_grant(VIEW_CASES), LEAD | {"italy"}, LEAD, LEAD),
    "granted view+change on GBR to italy": (
        _grant(VIEW_CASES, CHANGE_CASES),
        LEAD | {"italy"},
        LEAD | {"italy"},
        LEAD | {"italy"},
    ),
    "granted change only (no view) to italy": (_grant(CHANGE_CASES), LEAD, LEAD, LEAD),
    **{
        f"shared with ITA, {level.label}": (
            _share("ITA", level=level),
            LEAD | {"italy"},
            LEAD,
            LEAD | {"italy"},
        )
        for level in ShareLevel
    },
    "shared with ITA under H2": (_share("ITA", code=HandlingCode.H2), LEAD | {"italy"}, LEAD, LEAD),
    **{
        f"shared with BHC, {level.label}": (
            _share("BHC", level=level),
            LEAD | {"focal_point"},
            LEAD,
            LEAD,
        )
        for level in ShareLevel
    },
    "share to ITA expired": (_share("ITA", then="expired"), LEAD, LEAD, LEAD),
    "share to ITA revoked": (_share("ITA", then="revoked"), LEAD, LEAD, LEAD),
    "share to BHC expired": (_share("BHC", then="expired"), LEAD, LEAD, LEAD),
    "share to BHC revoked": (_share("BHC", then="revoked"), LEAD, LEAD, LEAD),
    "shared with IOM (provider)": (_share("IOM"), LEAD | {"provider"}, LEAD, LEAD),
}


def outcome(action: Callable[[], object]) -> str:
    """Run a write in a savepoint that is always rolled back: 'ok', '403' or '404'."""
    try:
        with transaction.atomic():
            action()
            transaction.set_rollback(True)
    except Http404:
        return "404"
    except (PermissionDenied, DjangoPermissionDenied):
        return "403"
    return "ok"


def expected(allowed: frozenset, seen: frozenset, role: str) -> str:
    if role in allowed:
        return "ok"
    return "403" if role in seen else "404"


def try_doors(cast, case: Case, role: str) -> dict[str, object]:
    """What each door answers `role` for `case`, each time as a fresh request's user."""

    def user():
        return fresh(cast.users[role])

    return {
        "list": Case.objects.visible_to(user()).filter(pk=case.pk).exists(),
        "detail": outcome(lambda: get_case_for_user(user(), case.reference)),
        "detail for change": outcome(
            lambda: get_case_for_user(user(), case.reference, action="change")
        ),
        "restrict(change)": Case.objects.restrict(user(), "change").filter(pk=case.pk).exists(),
        "case_update": outcome(
            lambda: services.case_update(
                acting_user=user(), case=case, expected_version=case.version, title="X"
            )
        ),
        "case_transition": outcome(
            lambda: services.case_transition(
                acting_user=user(), case=case, to_status="under_investigation"
            )
        ),
        "case_share": outcome(
            lambda: services.case_share(
                acting_user=user(),
                case=case,
                office=cast.offices["ESP"],
                level=ShareLevel.SUMMARY,
                handling_code=HandlingCode.H0,
            )
        ),
    }


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_each_role_reaches_a_uk_case_through_exactly_the_doors_it_should(cast, uk_case, situation):
    setup, seen, changers, sharers = SITUATIONS[situation]
    setup(cast, uk_case)
    # Another office's case, never shared: only Spain and HQ ever see it.
    spanish = services.case_create(
        acting_user=cast.spain,
        lead_office=cast.offices["ESP"],
        kind="SOM",
        title="Boat to Almería",
    )
    wrong = []
    for role in ROLES:
        want = {
            "list": role in seen,
            "detail": "ok" if role in seen else "404",
            "detail for change": expected(changers, seen, role),
            "restrict(change)": role in changers,
            "case_update": expected(changers, seen, role),
            "case_transition": expected(changers, seen, role),
            "case_share": expected(sharers, seen, role),
        }
        got = try_doors(cast, uk_case, role)
        wrong += [
            f"{role} / {door}: expected {want[door]}, got {got[door]}"
            for door in want
            if got[door] != want[door]
        ]
        other = Case.objects.visible_to(fresh(cast.users[role])).filter(pk=spanish.pk).exists()
        if other != (role in {"spain", "hq"}):
            wrong.append(f"{role} / list (ESP case): got {other}")
    assert not wrong, f"{situation}:\n" + "\n".join(wrong)


def test_the_matrix_checks_do_not_leave_changes_behind(cast, uk_case):
    """The savepoints above really roll back: otherwise later roles would see stale state."""
    outcome(
        lambda: services.case_update(
            acting_user=cast.uk, case=uk_case, expected_version=1, title="Changed"
        )
    )
    uk_case.refresh_from_db()
    assert (uk_case.title, uk_case.version) == ("Forced labour ring (GBR)", 1)


def test_domain_refusals_are_not_mistaken_for_access_refusals(cast, uk_case):
    # A DomainError (bad input) must not be counted as "403" by the matrix helper.
    with pytest.raises(DomainError):
        outcome(
            lambda: services.case_share(
                acting_user=cast.uk,
                case=uk_case,
                office=cast.offices["GBR"],
                level=1,
                handling_code="H0",
            )
        )
