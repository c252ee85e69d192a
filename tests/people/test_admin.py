"""HQ's admin of the person index (people/admin.py): listed by case, values masked, removal
through the service; officers never get in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import TimelineEvent
from people.models import Identifier, PersonOfInterest


@pytest.mark.django_db
def test_hq_lists_people_with_masked_identifiers_and_removes_through_the_service(
    cast, login, make_case, person_with
):
    case = make_case("GBR")
    person = person_with(case, ("phone", "0300 1234567"), ("name", "Zarmina Qureshi"))
    client = login(cast.hq)
    listing = client.get(reverse("admin:people_personofinterest_changelist")).content.decode()
    assert case.reference in listing and "Recruiter" in listing
    page = client.get(
        reverse("admin:people_personofinterest_change", args=[person.pk])
    ).content.decode()
    assert "Phone number" in page and "+92" in page
    assert "1234567" not in page and "Zarmina" not in page and "Qureshi" not in page
    response = client.post(
        reverse("admin:people_personofinterest_delete", args=[person.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not PersonOfInterest.objects.exists() and not Identifier.objects.exists()
    assert TimelineEvent.objects.filter(case=case, summary__startswith="Person of interest removed")


@pytest.mark.django_db
def test_officers_do_not_get_in(cast, login):
    response = login(cast.uk).get(reverse("admin:people_personofinterest_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url
