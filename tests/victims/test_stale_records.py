"""Two tabs on one consent, referral or follow-up: tab B, opened before tab A saved, is refused
with a merge (who changed what, theirs against the user's), keeps the user's input and changes
nothing (docs/forms.md, "Stale edits"). On the API, referral actions answer 412
(tests/api/test_victims_api.py).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from glo_act.errors import ConflictError
from glo_act.submit_once import new_token
from victims import services
from victims.constants import ReferralStatus
from victims.models import Consent, Referral, ReferralUpdate, ReintegrationFollowUp

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def opened_version(page) -> str:
    """The version a page's form was drawn on, as the browser would send it back."""
    return re.search(r'name="version" value="(\d+)"', text(page)).group(1)


def merge_rows(response) -> dict[str, tuple[str, str, str]]:
    """The merge box: field → (when opened, now, what the form holds)."""
    rows = re.findall(
        r'<th scope="row" data-label="Field">(.*?)</th><td data-label="Before">(.*?)</td>'
        r'<td data-label="Now">(.*?)</td>\s*<td data-label="In the form">(.*?)</td>',
        text(response),
        re.S,
    )
    return {field: (before, now, re.sub(r"<.*?>", "", held)) for field, before, now, held in rows}


# --- consents -----------------------------------------------------------------------------------


def test_a_consent_withdrawn_in_tab_a_is_refused_in_tab_b_with_who_and_nothing_twice(
    cast, login, victim, shelter_consent, referral
):
    client = login(cast.uk)
    url = reverse(
        "victims:consent_withdraw", kwargs={"code": victim.code, "pk": shelter_consent.pk}
    )
    tab_b = client.get(url)  # opened first
    version = opened_version(tab_b)
    tab_a = client.post(url, {"form_token": new_token(), "confirm": "on", "version": version})
    assert tab_a.status_code == 302
    shelter_consent.refresh_from_db()
    withdrawn = (shelter_consent.withdrawn_at, shelter_consent.version)
    assert withdrawn[1] == 2
    paused = ReferralUpdate.objects.filter(referral=referral, kind="paused").count()
    assert paused == 1

    refused = client.post(url, {"form_token": new_token(), "confirm": "on", "version": version})
    assert refused.status_code == 200
    body = text(refused)
    assert "Someone else changed this consent while you were editing" in body
    assert merge_rows(refused)["The consent"][:2] == ("Live", "Withdrawn")
    assert "It is withdrawn already: there is nothing left to do." in body
    assert "Withdraw consent</button>" not in body, "nothing left to send"
    shelter_consent.refresh_from_db()
    assert (shelter_consent.withdrawn_at, shelter_consent.version) == withdrawn
    assert ReferralUpdate.objects.filter(referral=referral, kind="paused").count() == paused


def test_a_consent_withdrawal_on_an_older_version_is_refused_by_the_service(cast, shelter_consent):
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent, expected_version=1)
    with pytest.raises(ConflictError) as refused:
        services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent, expected_version=1)
    assert refused.value.changes == {"state": ("Live", "Withdrawn")}
    assert Consent.objects.get(pk=shelter_consent.pk).version == 2


# --- referrals ----------------------------------------------------------------------------------


def _action(referral, name: str) -> str:
    return reverse("victims:referral_action", kwargs={"pk": referral.pk, "action": name})


def test_a_referral_closed_in_tab_b_after_progress_in_tab_a_is_refused_and_keeps_the_note(
    cast, login, referral
):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    client = login(cast.provider)
    tab_b = client.get(_action(referral, "close"))  # opened first
    version = opened_version(tab_b)
    tab_a = client.post(
        _action(referral, "progress"),
        {"form_token": new_token(), "note": "Placed in the Lahore shelter", "version": version},
    )
    assert tab_a.status_code == 302
    referral.refresh_from_db()
    before = (referral.status, referral.version, referral.updates.count())
    assert before[0] == ReferralStatus.IN_PROGRESS

    refused = client.post(
        _action(referral, "close"),
        {"form_token": new_token(), "note": "No bed free", "version": version},
    )
    assert refused.status_code == 200
    body = text(refused)
    assert "Someone else changed this referral while you were editing" in body
    rows = merge_rows(refused)
    assert rows["Status"][:2] == ("Accepted", "In progress")
    assert "Placed in the Lahore shelter" in rows["Newest entry in the thread"][1]
    assert "No bed free</textarea>" in body, "the user's note is kept"
    assert opened_version(refused) == str(referral.version), "saving again is deliberate"
    referral.refresh_from_db()
    assert (referral.status, referral.version, referral.updates.count()) == before

    again = client.post(
        _action(referral, "close"),
        {"form_token": new_token(), "note": "No bed free", "version": opened_version(refused)},
    )
    assert again.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED


def test_the_form_that_takes_files_refuses_a_stale_report_with_the_same_merge(
    cast, login, referral
):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    client = login(cast.provider)
    tab_b = client.get(_action(referral, "progress"))
    version = opened_version(tab_b)
    services.referral_progress(acting_user=cast.provider, referral=referral, note="Bed found")
    entries = referral.updates.count()
    url = reverse("evidence:update_post", kwargs={"pk": referral.pk, "action": "progress"})
    refused = client.post(url, {"form_token": new_token(), "note": "Moved in", "version": version})
    assert refused.status_code == 200
    assert "Someone else changed this referral while you were editing" in text(refused)
    assert "Moved in</textarea>" in text(refused)
    assert referral.updates.count() == entries


def test_accepting_a_referral_declined_meanwhile_says_there_is_nothing_left_to_save(
    cast, login, referral
):
    client = login(cast.provider)
    tab_b = client.get(_action(referral, "accept"))
    services.referral_decline(acting_user=cast.provider, referral=referral, reason="Full")
    refused = client.post(
        _action(referral, "accept"),
        {"form_token": new_token(), "note": "", "version": opened_version(tab_b)},
    )
    body = text(refused)
    assert refused.status_code == 200 and "Someone else changed this referral" in body
    assert merge_rows(refused)["Status"][:2] == ("Pending", "Declined")
    assert "this action is no longer possible, so there is nothing left to save" in body
    assert 'name="note"' not in body
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


def test_the_inbox_accept_button_of_a_stale_row_is_refused_in_the_row(cast, login, referral):
    client = login(cast.provider)
    listing = text(client.get(reverse("victims:referrals")))
    version = re.search(
        rf'id="ref-{referral.pk}".*?name="version" value="(\d+)"', listing, re.S
    ).group(1)
    services.referral_revoke(acting_user=cast.uk, referral=referral, reason="Found a bed")
    row = client.post(
        _action(referral, "accept"),
        {"form_token": new_token(), "note": "", "version": version},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"ref-{referral.pk}",
    )
    assert row.status_code == 200 and "was changed after you opened it" in text(row)
    assert 'role="alert"' in text(row)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVOKED


def test_a_referral_action_on_an_older_version_is_refused_under_the_lock(cast, referral):
    """What the API's If-Match relies on between its check and the write."""
    services.referral_accept(acting_user=cast.provider, referral=referral, expected_version=1)
    with pytest.raises(ConflictError) as refused:
        services.referral_progress(
            acting_user=cast.provider, referral=referral, note="Late", expected_version=1
        )
    assert refused.value.changes["status"] == ("Pending", "Accepted")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


# --- follow-ups ---------------------------------------------------------------------------------


@pytest.fixture
def followup(cast, referral) -> ReintegrationFollowUp:
    import datetime as dt

    services.referral_accept(acting_user=cast.provider, referral=referral)
    return services.followup_schedule(
        acting_user=cast.provider,
        referral=referral,
        due_dates=[dt.date.today() + dt.timedelta(days=30)],
    )[0]


def _scores(economic, social, psychosocial, notes, version) -> dict:
    return {
        "form_token": new_token(),
        "economic_score": str(economic),
        "social_score": str(social),
        "psychosocial_score": str(psychosocial),
        "notes": notes,
        "version": version,
    }


def test_a_follow_up_recorded_in_tab_a_is_refused_in_tab_b_with_theirs_against_yours(
    cast, login, followup
):
    client = login(cast.provider)
    url = reverse("victims:followup_record", kwargs={"pk": followup.pk})
    tab_b = client.get(url)
    version = opened_version(tab_b)
    assert client.post(url, _scores(3, 3, 3, "Doing well", version)).status_code == 302
    followup.refresh_from_db()
    recorded = (followup.economic_score, followup.psychosocial_score, followup.notes)
    assert recorded == (3, 3, "Doing well") and followup.version == 2

    refused = client.post(url, _scores(4, 3, 2, "", version))
    assert refused.status_code == 200
    body = text(refused)
    assert "Someone else changed this follow-up while you were editing" in body
    rows = merge_rows(refused)
    assert rows["Economic"] == ("—", "3 — fair", "Yours — you both changed it")
    assert rows["Social"] == ("—", "3 — fair", "Theirs (you had not changed it)")
    assert rows["Psychosocial"] == ("—", "3 — fair", "Yours — you both changed it")
    assert rows["Notes"] == ("—", "Doing well", "Theirs (you had not changed it)")
    assert re.search(r'name="economic_score" value="4"[^>]*checked', body), "yours kept"
    assert "Doing well</textarea>" in body, "theirs taken where you had not changed it"
    followup.refresh_from_db()
    assert (followup.economic_score, followup.psychosocial_score, followup.notes) == recorded
    assert followup.done_by == cast.provider and followup.version == 2

    # Saving the merged form again, on the version it now carries, corrects the record.
    corrected = client.post(url, _scores(4, 3, 2, "Doing well", opened_version(refused)))
    assert corrected.status_code == 302
    followup.refresh_from_db()
    assert (followup.economic_score, followup.psychosocial_score) == (4, 2)
    assert followup.version == 3


def test_a_follow_up_posted_again_without_a_version_is_refused_as_recorded(cast, followup):
    services.followup_record(
        acting_user=cast.provider,
        followup=followup,
        economic_score=3,
        social_score=3,
        psychosocial_score=3,
    )
    from glo_act.errors import DomainError

    with pytest.raises(DomainError, match="already recorded"):
        services.followup_record(
            acting_user=cast.provider,
            followup=followup,
            economic_score=1,
            social_score=1,
            psychosocial_score=1,
        )
    assert ReintegrationFollowUp.objects.get(pk=followup.pk).economic_score == 3
