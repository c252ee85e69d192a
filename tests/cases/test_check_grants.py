"""`manage.py check_grants`: clean after the services wrote; every drift printed, exit 1."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from cases import services
from cases.constants import HandlingCode, ShareLevel
from cases.models import CaseGrant, CaseShare
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


def check() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("check_grants", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_the_services_leave_no_drift_and_a_write_around_them_is_reported(cast, uk_case):
    share = services.case_share(
        acting_user=fresh(cast.uk),
        case=uk_case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H1,
    )
    assert check() == (0, "Grants match cases and shares.\n")
    # A share changed behind the services' back: its grant no longer says what it does.
    CaseShare.objects.filter(pk=share.pk).update(level=ShareLevel.SUMMARY)
    code, out = check()
    assert code == 1
    assert f"missing: case {uk_case.pk} share {share.pk}" in out and "level 1" in out
    assert f"unexpected: case {uk_case.pk} share {share.pk}" in out and "level 2" in out
    # A lead office's grant gone missing.
    CaseGrant.objects.filter(case=uk_case, is_lead=True).delete()
    code, out = check()
    assert code == 1 and f"missing: case {uk_case.pk} lead office" in out
