"""Referral pages: sending (consented targets only), the provider's inbox (accept / decline with
reason / progress / complete), revoking, follow-ups — who sees what, errors and query counts.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from glo_act import pages
from glo_act.submit_once import new_token
from liaison_offices import services as office_services
from liaison_offices.constants import PartnerKind, Role, Service
from liaison_offices.models import Country
from tests.cast import make_user
from tests.victims.conftest import fresh
from victims import services
from victims.constants import ConsentPurpose, ReferralStatus
from victims.models import Referral, ReintegrationFollowUp

pytestmark = pytest.mark.django_db
LIST = "/victims/referrals/"


def text(response) -> str:
    return response.content.decode()


def page(referral) -> str:
    return reverse("victims:referral", kwargs={"pk": referral.pk})


def action(referral, name: str) -> str:
    return reverse("victims:referral_action", kwargs={"pk": referral.pk, "action": name})


@pytest.fixture
def inspire(cast):
    """A second service provider with its own caseworker."""
    partner = office_services.partner_create(
        acting_user=None,
        name="Inspire Pakistan",
        short_name="Inspire",
        kind=PartnerKind.SERVICE_PROVIDER,
        country=Country.objects.get(iso3="PAK"),
        services=[Service.PSYCHOSOCIAL, Service.LEGAL_AID],
    )
    user = make_user("inspire.caseworker")
    office_services.membership_add(
        acting_user=None, user=user, role=Role.CASEWORKER, partner=partner
    )
    return partner, user


def consent(cast, victim, partner, service):
    return services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=partner,
        service=service,
    )


# --- sending ------------------------------------------------------------------------------------


def test_only_consented_organisations_and_services_are_offered(cast, login, victim, inspire):
    consent(cast, victim, cast.partners["IOM"], Service.SHELTER)
    consent(cast, victim, inspire[0], Service.PSYCHOSOCIAL)
    html = text(login(cast.uk).get(reverse("victims:refer", kwargs={"code": victim.code})))
    iom, other = cast.partners["IOM"].pk, inspire[0].pk
    assert f'value="{iom}:shelter"' in html and f'value="{other}:psychosocial"' in html
    assert f'value="{iom}:return"' not in html and f'value="{other}:legal_aid"' not in html
    assert "override" not in html.lower().split("</form>")[0].split("<form")[-1]


def test_sending_a_referral_to_an_unconsented_service_is_refused(cast, login, victim):
    consent(cast, victim, cast.partners["IOM"], Service.SHELTER)
    url = reverse("victims:refer", kwargs={"code": victim.code})
    response = login(cast.uk).post(
        url, {"form_token": new_token(), "target": f"{cast.partners['IOM'].pk}:return"}
    )
    assert "Select a valid choice" in text(response)
    assert not Referral.objects.exists()


def test_sending_a_referral_tells_the_provider_and_shows_it_pending(cast, login, victim):
    consent(cast, victim, cast.partners["IOM"], Service.SHELTER)
    url = reverse("victims:refer", kwargs={"code": victim.code})
    response = login(cast.uk).post(
        url,
        {
            "form_token": new_token(),
            "target": f"{cast.partners['IOM'].pk}:shelter",
            "note": "Bed needed tonight",
        },
        follow=True,
    )
    referral = Referral.objects.get()
    assert response.redirect_chain[-1][0] == page(referral)
    html = text(response)
    assert "Referral sent to IOM for shelter; they are notified." in html
    assert "Pending" in html and "Bed needed tonight" in html
    # An open referral is not offered again.
    assert "There is nothing to refer to" in text(login(cast.uk).get(url))


# --- who sees which referral --------------------------------------------------------------------


def test_the_provider_sees_only_referrals_to_its_organisation(cast, login, victim, inspire):
    consent(cast, victim, cast.partners["IOM"], Service.SHELTER)
    consent(cast, victim, inspire[0], Service.PSYCHOSOCIAL)
    to_iom = services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.SHELTER
    )
    to_inspire = services.referral_create(
        acting_user=cast.uk, victim=victim, partner=inspire[0], service=Service.PSYCHOSOCIAL
    )
    client = login(cast.provider)
    html = text(client.get(LIST))
    assert f'id="ref-{to_iom.pk}"' in html and f'id="ref-{to_inspire.pk}"' not in html
    assert client.get(page(to_inspire)).status_code == 404
    assert client.post(action(to_inspire, "accept")).status_code == 404
    to_inspire.refresh_from_db()
    assert to_inspire.status == ReferralStatus.PENDING
    # The referring office sees both.
    html = text(login(cast.uk).get(LIST))
    assert f'id="ref-{to_iom.pk}"' in html and f'id="ref-{to_inspire.pk}"' in html


def test_other_countries_get_404_on_a_referral(cast, login, referral):
    for user in (cast.italy, cast.spain, cast.focal_point):
        client = login(fresh(user))
        assert client.get(page(referral)).status_code == 404
        assert client.get(action(referral, "decline")).status_code == 404
        assert (
            client.post(
                action(referral, "revoke"), {"form_token": new_token(), "confirm": "on"}
            ).status_code
            == 404
        )
        assert f'id="ref-{referral.pk}"' not in text(client.get(LIST))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING


def test_an_unknown_action_is_404(cast, login, referral):
    assert login(cast.provider).post(action(referral, "approve")).status_code == 404


# --- the provider answers -----------------------------------------------------------------------


def test_the_provider_accepts_from_the_inbox_with_htmx(cast, login, referral):
    client = login(cast.provider)
    html = text(client.get(LIST))
    assert "Accept" in html and "Decline…" in html and 'class="waiting"' in html
    response = client.post(
        action(referral, "accept"),
        {"form_token": new_token(), "note": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"ref-{referral.pk}",
    )
    row = text(response)
    assert row.lstrip().startswith(f'<tr id="ref-{referral.pk}"')
    assert "Accepted" in row and "Referral accepted; Office GBR is told." in row
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED


def test_a_refused_answer_from_the_inbox_comes_back_in_the_row(cast, login, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)  # a colleague did
    response = login(cast.provider).post(
        action(referral, "accept"),
        {"form_token": new_token(), "note": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"ref-{referral.pk}",
    )
    row = text(response)
    assert row.lstrip().startswith(f'<tr id="ref-{referral.pk}"') and "<html" not in row
    assert "A referral that is accepted cannot become accepted." in row
    assert "Accepted" in row


def test_declining_needs_a_reason(cast, login, referral):
    client = login(cast.provider)
    html = text(
        client.post(action(referral, "decline"), {"form_token": new_token(), "reason": "  "})
    )
    assert "This field is required." in html
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    response = client.post(
        action(referral, "decline"),
        {"form_token": new_token(), "reason": "No bed free"},
        follow=True,
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == "No bed free"
    assert "Referral declined; Office GBR is told why." in text(response)
    # The referring office reads why.
    assert "No bed free" in text(login(cast.uk).get(page(referral)))


def test_the_provider_reports_progress_then_completes(cast, login, referral):
    client = login(cast.provider)
    client.post(action(referral, "accept"), {"form_token": new_token(), "note": ""})
    assert "This field is required." in text(
        client.post(
            action(referral, "progress"),
            {"form_token": new_token()},
        )
    )
    client.post(
        action(referral, "progress"),
        {"form_token": new_token(), "note": "Placed in the Lahore shelter"},
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_PROGRESS
    html = text(client.get(page(referral)))
    assert "Placed in the Lahore shelter" in html and "Complete" in html
    client.post(
        action(referral, "complete"), {"form_token": new_token(), "note": "Stayed three weeks"}
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    html = text(login(cast.uk).get(page(referral)))
    assert "Completed" in html and "Revoke" not in html


def test_the_referring_office_sees_accepted(cast, login, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    html = text(login(cast.uk).get(page(referral)))
    assert '<span class="status referral-accepted">Accepted</span>' in html
    html = text(
        login(cast.uk).get(reverse("victims:detail", kwargs={"code": referral.victim.code}))
    )
    assert "Accepted" in html


def test_the_referring_office_cannot_answer_for_the_provider(cast, login, referral):
    response = login(cast.uk).post(
        action(referral, "accept"), {"form_token": new_token(), "note": ""}
    )
    assert "Only IOM can answer this referral." in text(response)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING


def test_a_transition_not_in_the_table_is_refused_with_a_message(cast, login, referral):
    response = login(cast.provider).post(
        action(referral, "complete"), {"form_token": new_token(), "note": ""}
    )
    assert "A referral that is pending cannot become completed." in text(response)


def test_revoking_needs_confirmation_and_only_the_sender_may(cast, login, referral):
    client = login(cast.uk)
    assert "Tick the box to confirm." in text(
        client.post(
            action(referral, "revoke"),
            {"form_token": new_token()},
        )
    )
    response = login(cast.provider).post(
        action(referral, "revoke"), {"form_token": new_token(), "confirm": "on"}
    )
    assert "Only Office GBR (GBR) can do this to its referral." in text(response)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    login(cast.uk).post(
        action(referral, "revoke"),
        {"form_token": new_token(), "confirm": "on", "reason": "Returned home"},
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVOKED


# --- follow-ups ---------------------------------------------------------------------------------


def test_follow_ups_are_planned_and_scored(cast, login, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    client = login(cast.uk)
    soon = timezone.localdate() + dt.timedelta(days=90)
    url = reverse("victims:followup_schedule", kwargs={"pk": referral.pk})
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert "A follow-up cannot be in the past" in text(
        client.post(url, {"form_token": new_token(), "first": past})
    )
    response = client.post(url, {"form_token": new_token(), "first": soon.isoformat()}, follow=True)
    assert "1 follow-up planned." in text(response)
    followup = ReintegrationFollowUp.objects.get()
    record = reverse("victims:followup_record", kwargs={"pk": followup.pk})
    provider = login(cast.provider)
    html = text(
        provider.post(
            record, {"form_token": new_token(), "economic_score": "6", "social_score": "3"}
        )
    )
    assert "Select a valid choice" in html and "This field is required." in html
    provider.post(
        record,
        {
            "form_token": new_token(),
            "economic_score": "2",
            "social_score": "4",
            "psychosocial_score": "3",
            "notes": "Job",
        },
    )
    followup.refresh_from_db()
    assert (followup.economic_score, followup.social_score, followup.psychosocial_score) == (
        2,
        4,
        3,
    )
    assert "2/5" in text(login(cast.uk).get(page(referral)))
    # Italy cannot reach it.
    assert login(cast.italy).get(record).status_code == 404


def test_follow_ups_are_not_planned_on_a_pending_referral(cast, login, referral):
    html = text(login(cast.uk).get(page(referral)))
    assert "Plan follow-ups" not in html
    url = reverse("victims:followup_schedule", kwargs={"pk": referral.pk})
    soon = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    assert "Follow-ups are planned on accepted referrals" in text(
        login(cast.uk).post(url, {"form_token": new_token(), "first": soon})
    )
    assert not ReintegrationFollowUp.objects.exists()


# --- query counts -------------------------------------------------------------------------------


def _grow(cast, register, n):
    for i in range(n):
        victim = register(full_name=f"Person {i}", passport_number=f"Q{i:07d}").victim
        consent(cast, victim, cast.partners["IOM"], Service.SHELTER)
        services.referral_create(
            acting_user=cast.uk,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
        )


@pytest.mark.parametrize("n", [1, 8])
def test_the_referral_list_query_count_does_not_grow(cast, login, register, assert_queries, n):
    _grow(cast, register, n)
    for user in (cast.uk, cast.provider):
        client = login(user)
        # 1 session, 2 user, 3 scope, 4 bounded count, 5 the page (victim, partner and office
        # joined; waiting first), 6 unread badge.
        with assert_queries(6):
            response = client.get(LIST)
        assert text(response).count('data-label="Victim"') == min(n, pages.PAGE_SIZE)


@pytest.mark.parametrize("n", [1, 5])
def test_the_referral_page_query_count_does_not_grow(cast, login, referral, assert_queries, n):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    for i in range(n):
        services.referral_progress(acting_user=cast.provider, referral=referral, note=f"step {i}")
    services.followup_schedule(
        acting_user=cast.uk,
        referral=referral,
        due_dates=[timezone.localdate() + dt.timedelta(days=30 * (i + 1)) for i in range(n)],
    )
    client = login(cast.uk)
    # 1 session, 2 user, 3 scope, 4 the referral (victim, partner, offices, sender joined),
    # 5 updates (authors joined), 6 follow-ups, 7 the referral's files (evidence), 8 unread
    # badge.
    with assert_queries(8):
        assert client.get(page(referral)).status_code == 200
