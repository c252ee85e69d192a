"""The demo victims, and the guarantee that no victim's name reaches a log or an event."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from glo_act.errors import ConsentRequired, DomainError
from liaison_offices.constants import Service
from liaison_offices.models import NotificationEvent
from liaison_offices.reminders import send_due_reminders
from victims import access, services
from victims.constants import AccessDoor, ConsentPurpose, ReferralStatus
from victims.crypto import PersonalDataUnreadable
from victims.demo import DEMO_VICTIM_NAMES, DEMO_VICTIMS
from victims.models import Consent, Referral, ReintegrationFollowUp, Victim


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True  # seed_demo refuses to run with DEBUG off
    call_command("seed_demo", stdout=io.StringIO())


def user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.mark.django_db
def test_the_demo_has_referrals_in_every_status_and_victims_with_and_without_consent(seeded):
    assert Victim.objects.count() == len(DEMO_VICTIMS)
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    sharing = Consent.objects.live().filter(purpose=ConsentPurpose.SHARING)
    assert sharing.exists()
    assert Victim.objects.exclude(consents__in=sharing).exists()
    followups = ReintegrationFollowUp.objects.all()
    assert followups.filter(done_at__isnull=False).exists()
    assert followups.filter(done_at__isnull=True).exists()
    # Names are encrypted like any other: the blind index found them, not a plaintext column.
    assert not Victim.objects.filter(full_name__icontains=DEMO_VICTIM_NAMES[0]).exists()


@pytest.mark.django_db
def test_seeding_again_adds_no_victim(seeded):
    before = (Victim.objects.count(), Referral.objects.count(), Consent.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Victim.objects.count(), Referral.objects.count(), Consent.objects.count()) == before


@pytest.mark.django_db
def test_no_demo_victim_name_reaches_the_logs_errors_or_events(settings, caplog):
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    call_command("seed_demo", stdout=io.StringIO())
    officer, provider = user("ilo.gbr"), user("iom.pk")
    uk_victims = Victim.objects.filter(recorded_by_office__code="GBR").order_by("code")
    first, second = uk_victims[0], uk_victims[1]
    errors: list[str] = []

    # Reads that show personal data, and one that fails to decrypt.
    shown = access.reveal_personal_data(user=officer, victim=first, door=AccessDoor.PAGE)
    assert shown.full_name in DEMO_VICTIM_NAMES
    logging.getLogger("tests").info("revealed %r", shown)
    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        with pytest.raises(PersonalDataUnreadable) as unreadable:
            access.reveal_personal_data(
                user=officer, victim=Victim.objects.get(pk=first.pk), door=AccessDoor.API
            )
        errors.append(str(unreadable.value))

    # Refused actions.
    with pytest.raises(ConsentRequired) as refused:
        services.referral_create(
            acting_user=officer,
            victim=second,
            partner=Referral.objects.filter(partner__short_name="IOM").first().partner,
            service=Service.SHELTER,
        )
    errors.append(refused.value.message)
    pending = Referral.objects.filter(status=ReferralStatus.PENDING).first()
    with pytest.raises(DomainError) as no_reason:
        services.referral_decline(acting_user=user("inspire.pk"), referral=pending, reason="")
    errors.append(no_reason.value.message)

    # More writes: an update of personal data, a withdrawal, reminders.
    services.victim_update(acting_user=officer, victim=second, full_name=DEMO_VICTIM_NAMES[1])
    consent = Consent.objects.live().filter(victim=first, purpose=ConsentPurpose.SHARING).first()
    services.consent_withdraw(acting_user=officer, consent=consent)
    send_due_reminders(timezone.now())
    assert provider  # the provider's referrals were driven by the demo itself

    texts = [
        caplog.text,
        *errors,
        *(str(e.payload) + e.subject_label for e in NotificationEvent.objects.all()),
        *(str(v) + repr(v) for v in Victim.objects.all()),
    ]
    assert "Victim V-GBR-" in caplog.text  # the services did log, by code
    assert NotificationEvent.objects.exists()
    for text in texts:
        for name in DEMO_VICTIM_NAMES:
            assert name not in text
        for spec in DEMO_VICTIMS:
            assert spec.passport_number not in text
