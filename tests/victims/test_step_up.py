"""Step-up before a reveal: a reason every time (kept on the access record), and the code
again when the session's last second-factor check is older than REVEAL_STEP_UP_MINUTES."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.two_factor import REVEAL, age_verification, authenticator_of, code_for
from tests.victims.conftest import ALICE
from victims.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

NAME = ALICE["full_name"]


@pytest.fixture(autouse=True)
def no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def reveal_url(victim):
    return reverse("victims:reveal", kwargs={"code": victim.code})


def detail(victim):
    return reverse("victims:detail", kwargs={"code": victim.code})


def test_a_reveal_without_a_reason_shows_nothing_and_says_what_is_missing(cast, login, victim):
    client = login(cast.uk)
    response = client.post(reveal_url(victim), {"purpose": "", "reason": " "})
    assert response.status_code == 400
    html = response.content.decode()
    assert NAME not in html
    assert "Choose why you need this victim" in html
    assert "Say in a few words what for" in html
    assert not PersonalDataAccess.objects.exists()

    unknown = client.post(reveal_url(victim), {"purpose": "curiosity", "reason": "x"})
    assert unknown.status_code == 400 and NAME not in unknown.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_the_reason_is_kept_on_the_access_record(cast, login, victim):
    client = login(cast.uk)
    page = client.get(detail(victim)).content.decode()
    assert 'name="purpose"' in page and 'name="reason"' in page
    assert 'name="code"' not in page, "the sign-in was a moment ago"

    response = client.post(reveal_url(victim), REVEAL)
    assert response.status_code == 200 and NAME in response.content.decode()
    record = PersonalDataAccess.objects.get()
    assert (record.purpose, record.reason) == (REVEAL["purpose"], REVEAL["reason"])


def test_an_old_check_asks_for_the_code_again_before_the_reveal(cast, login, victim, settings):
    client = login(cast.uk)
    device = authenticator_of(cast.uk)
    age_verification(client, settings.REVEAL_STEP_UP_MINUTES + 1)
    page = client.get(detail(victim)).content.decode()
    assert 'name="code"' in page
    assert f"more than {settings.REVEAL_STEP_UP_MINUTES} minutes ago" in page

    missing = client.post(reveal_url(victim), REVEAL)
    assert missing.status_code == 400
    assert "Enter a current code: personal data needs one" in missing.content.decode()
    good = code_for(device)
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    refused = client.post(reveal_url(victim), {**REVEAL, "code": wrong})
    assert refused.status_code == 400 and NAME not in refused.content.decode()
    assert "That code is not right" in refused.content.decode()
    assert not PersonalDataAccess.objects.exists()

    shown = client.post(reveal_url(victim), {**REVEAL, "code": good})
    assert shown.status_code == 200 and NAME in shown.content.decode()
    assert PersonalDataAccess.objects.count() == 1
    # The check is fresh again: the next reveal asks only for its reason.
    assert client.post(reveal_url(victim), REVEAL).status_code == 200
    assert PersonalDataAccess.objects.count() == 2


def test_just_inside_the_window_no_code_is_asked(cast, login, victim, settings):
    client = login(cast.uk)
    age_verification(client, settings.REVEAL_STEP_UP_MINUTES - 1)
    assert client.post(reveal_url(victim), REVEAL).status_code == 200


def test_the_edit_form_shows_personal_data_only_after_a_fresh_code(cast, login, victim, settings):
    client = login(cast.uk)
    device = authenticator_of(cast.uk)
    age_verification(client, settings.REVEAL_STEP_UP_MINUTES + 5)
    edit = reverse("victims:edit", kwargs={"code": victim.code})
    response = client.get(edit)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert not PersonalDataAccess.objects.exists()

    back = client.post(response["Location"], {"code": code_for(device)})
    assert back["Location"] == edit
    form = client.get(edit)
    assert form.status_code == 200 and NAME in form.content.decode()
    assert PersonalDataAccess.objects.get().purpose == "correction"


def test_someone_without_an_authenticator_is_asked_to_set_one_up_first(
    client, cast, victim, uk_case
):
    """A focal point who said "Not now" at sign-in, with a share that opens the victim."""
    from cases.constants import ShareLevel
    from tests.cast import PASSWORD
    from tests.victims.conftest import share
    from victims import services
    from victims.constants import ConsentPurpose

    share(uk_case, partner=cast.partners["BHC"], level=ShareLevel.FULL_WITH_VICTIMS)
    services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        partner=cast.partners["BHC"],
    )
    client.post(reverse("login"), {"username": cast.focal_point.username, "password": PASSWORD})
    client.post(reverse("accounts:skip"))
    page = client.get(detail(victim)).content.decode()
    assert "Set up two-factor sign-in" in page and 'name="purpose"' not in page
    response = client.post(reveal_url(victim), REVEAL)
    assert response.status_code == 403 and NAME not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_the_admin_reveal_asks_the_code_again_too(cast, login, victim, settings):
    client = login(cast.hq)
    cast.hq.is_staff = True
    cast.hq.save(update_fields=["is_staff"])
    age_verification(client, settings.REVEAL_STEP_UP_MINUTES + 1)
    url = reverse("admin:victims_victim_reveal", args=[victim.pk])
    response = client.post(url, {"reason": "Checking a duplicate"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert not PersonalDataAccess.objects.exists()
