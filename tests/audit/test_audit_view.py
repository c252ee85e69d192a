"""HQ's audit view: reads of personal data with their reason, cases opened, exports; filters,
pages, CSV; and the weekly digest of unusual reading."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.digest import send_digest, unusual_readers
from audit.models import AuditEntry, AuditKind
from tests.two_factor import REVEAL
from victims.access import record_personal_data_read
from victims.models import PersonalDataAccess

pytestmark = pytest.mark.django_db
AUDIT = reverse("audit:audit")


def reveal(client, victim, **reason):
    response = client.post(
        reverse("victims:reveal", kwargs={"code": victim.code}), {**REVEAL, **reason}
    )
    assert response.status_code == 200
    return response


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_only_hq_opens_the_audit_view(cast, login):
    assert login(cast.uk).get(AUDIT).status_code == 403
    assert login(cast.focal_point).get(AUDIT).status_code == 403
    assert login(cast.hq).get(AUDIT).status_code == 200


def test_hq_sees_who_read_which_victim_and_why(cast, login, victim):
    from django.test import Client

    uk = Client()
    uk.force_login(cast.uk)
    reveal(uk, victim, purpose="referral", reason="Shelter place for tonight")
    page = login(cast.hq).get(AUDIT).content.decode()
    assert victim.code in page and "uk.officer" in page
    assert "Arranging or following up a referral" in page
    assert "Shelter place for tonight" in page
    assert "GBR" in page, "the reader's office"
    assert victim.full_name.reveal() not in page, "the audit view shows no personal data"


def test_the_filters_narrow_by_user_office_victim_and_date(cast, login, register):
    first = register(passport_number="P0000001").victim
    second = register(passport_number="P0000002").victim
    for who, whom in [(cast.uk, first), (cast.uk, second), (cast.hq, first)]:
        record_personal_data_read(user=who, victim=whom, door="page", fields=["full_name"])
    old = PersonalDataAccess.objects.filter(user=cast.hq).get()
    PersonalDataAccess.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))
    hq = login(cast.hq)

    def shown(**query):
        response = hq.get(AUDIT, {"tab": "reads", **query})
        assert response.status_code == 200
        return response.context["page"].object_list

    assert len(shown()) == 3
    assert {r.user for r in shown(user="uk.officer")} == {cast.uk}
    assert {r.user for r in shown(office="GBR")} == {cast.uk}
    assert shown(office="ITA") == []
    assert {r.victim for r in shown(code=second.code.lower())} == {second}
    since = (timezone.now() - dt.timedelta(days=7)).date().isoformat()
    assert {r.user for r in shown(date_from=since)} == {cast.uk}
    bad = hq.get(AUDIT, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.content.decode()


def test_opening_a_case_and_exporting_are_recorded_and_listed(cast, login, uk_case):
    uk = login(cast.uk)
    assert uk.get(uk_case.get_absolute_url()).status_code == 200
    opened = AuditEntry.objects.get(kind=AuditKind.CASE_OPENED)
    assert (opened.user, opened.subject) == (cast.uk, uk_case.reference)
    assert uk.get(reverse("stats"), {"csv": "cases-by-status-and-kind"}).status_code == 200
    export = AuditEntry.objects.get(kind=AuditKind.EXPORT)
    assert export.user == cast.uk and export.subject == "statistics: cases-by-status-and-kind"

    hq = login(cast.hq)
    assert hq.get(reverse("ctdc_export")).status_code == 200
    assert AuditEntry.objects.filter(kind=AuditKind.EXPORT, user=cast.hq).count() == 1
    cases_tab = hq.get(AUDIT, {"tab": "cases"}).content.decode()
    assert uk_case.reference in cases_tab and "uk.officer" in cases_tab
    exports_tab = hq.get(AUDIT, {"tab": "exports"}).content.decode()
    assert "statistics: cases-by-status-and-kind" in exports_tab and "CTDC records" in exports_tab


def test_the_csv_holds_every_filtered_row_and_its_download_is_recorded(cast, login, register):
    victims = [register(passport_number=f"P{i:07d}").victim for i in range(3)]
    for v in victims:
        record_personal_data_read(
            user=cast.uk,
            victim=v,
            door="page",
            fields=["full_name"],
            purpose="other",
            reason='=HYPERLINK("x")',
        )
    response = login(cast.hq).get(AUDIT, {"tab": "reads", "csv": "1", "user": "uk.officer"})
    assert response["Content-Type"].startswith("text/csv")
    table = rows(response)
    assert table[0][:4] == ["at_utc", "user", "office", "victim"]
    assert sorted(r[3] for r in table[1:]) == sorted(v.code for v in victims)
    assert all(r[7] == '\'=HYPERLINK("x")' for r in table[1:]), "no formula reaches a spreadsheet"
    download = AuditEntry.objects.get(kind=AuditKind.EXPORT, user=cast.hq)
    assert download.subject == "audit: Personal data read" and "uk.officer" in download.detail


@pytest.mark.parametrize("n", [3, 30])
def test_the_audit_page_query_count_does_not_grow(cast, login, victim, assert_queries, n):
    for _ in range(n):
        record_personal_data_read(user=cast.uk, victim=victim, door="page", fields=["full_name"])
    hq = login(cast.hq)
    # 1 session, 2 user, 3 scope, 4 the office choices, 5 bounded count, 6 the page (user and
    # victim joined), 7 the readers' offices, 8 unread badge.
    with assert_queries(8):
        response = hq.get(AUDIT, {"tab": "reads"})
    assert len(response.context["page"].object_list) == min(n, 25)
    if n > 25:
        assert hq.get(AUDIT, {"tab": "reads", "page": 2}).status_code == 200


def test_the_weekly_digest_names_whoever_read_many_victims_not_their_own(cast, register, settings):
    settings.UNUSUAL_READING_MIN = 3
    victims = [register(passport_number=f"Q{i:07d}").victim for i in range(4)]
    for v in victims:
        # HQ holds no case or referral for these; the UK office recorded them.
        record_personal_data_read(user=cast.hq, victim=v, door="page", fields=["full_name"])
        record_personal_data_read(user=cast.uk, victim=v, door="page", fields=["full_name"])
    found = unusual_readers()
    assert [(r.username, r.not_their_own) for r in found] == [("hq.director", 4)]

    assert send_digest() == 1
    (message,) = mail.outbox
    assert message.to == [cast.hq.email]
    assert "hq.director: 4 of 4 victims read are not theirs" in message.body
    assert "uk.officer" not in message.body
    assert all(v.code not in message.body for v in victims)
    assert victims[0].full_name.reveal() not in message.body


def test_no_digest_mail_in_a_quiet_week(cast, victim, settings):
    settings.UNUSUAL_READING_MIN = 3
    record_personal_data_read(user=cast.hq, victim=victim, door="page", fields=["full_name"])
    assert send_digest() == 0
    assert mail.outbox == []


def test_the_digest_task_is_scheduled_weekly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-unusual-reading-digest"]
    assert entry["task"] == "audit.tasks.send_unusual_reading_digest"
    assert entry["schedule"].day_of_week == {1}
