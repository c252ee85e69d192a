"""Partners' webhook secrets at rest (issue 16): encrypted with the key ring of victims' data,
never shown back by the admin, and the migration that encrypts the existing ones."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from glo_act import keyring
from liaison_offices import notifications
from liaison_offices.models import PartnerWebhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stored(hook) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret FROM {PartnerWebhook._meta.db_table} WHERE id = %s",  # noqa: S608
            [hook.pk],
        )
        return cursor.fetchone()[0]


def test_the_secret_is_a_token_in_the_database_and_plain_for_signing(cast, settings):
    hook = PartnerWebhook.objects.create(partner=cast.partners["BHC"], url="https://bhc.example/h")
    secret = hook.secret
    assert len(secret) == 64
    column = stored(hook)
    assert secret not in column
    assert Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(column.encode()).decode() == secret
    assert PartnerWebhook.objects.get(pk=hook.pk).secret == secret  # read back for signing

    rotated = notifications.webhook_rotate_secret(acting_user=cast.hq, webhook=hook)
    assert rotated.secret != secret and rotated.secret not in stored(hook)


def test_an_older_key_of_the_ring_still_opens_it_and_a_wrong_ring_says_so(cast, settings):
    hook = PartnerWebhook.objects.create(partner=cast.partners["BHC"], url="https://bhc.example/h")
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]  # rotated
    assert PartnerWebhook.objects.get(pk=hook.pk).secret == hook.secret
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key lost
    with pytest.raises(keyring.SecretUnreadable) as caught:
        PartnerWebhook.objects.get(pk=hook.pk)
    assert hook.secret not in str(caught.value)


def test_the_admin_never_shows_a_secret_back(cast, login):
    hook = PartnerWebhook.objects.create(partner=cast.partners["BHC"], url="https://bhc.example/h")
    client = login(cast.hq)
    for url in [
        "/admin/liaison_offices/partnerwebhook/",
        f"/admin/liaison_offices/partnerwebhook/{hook.pk}/change/",
    ]:
        page = client.get(url).content.decode()
        assert hook.secret not in page and stored(hook) not in page
    change = client.get(f"/admin/liaison_offices/partnerwebhook/{hook.pk}/change/")
    assert "not shown again" in change.content.decode()


def test_a_new_secret_is_shown_once_right_after_it_is_generated(cast, login):
    hook = PartnerWebhook.objects.create(partner=cast.partners["BHC"], url="https://bhc.example/h")
    old = hook.secret
    client = login(cast.hq)
    response = client.post(
        "/admin/liaison_offices/partnerwebhook/",
        {"action": "rotate_secrets", "_selected_action": [hook.pk]},
    )
    hook.refresh_from_db()
    assert hook.secret != old
    page = response.content.decode()
    assert hook.secret in page and old not in page
    assert "no-store" in response["Cache-Control"]
    # Afterwards, nowhere again.
    change = client.get(f"/admin/liaison_offices/partnerwebhook/{hook.pk}/change/")
    assert hook.secret not in change.content.decode()


def test_adding_a_webhook_shows_its_generated_secret_once(cast, login):
    client = login(cast.hq)
    response = client.post(
        "/admin/liaison_offices/partnerwebhook/add/",
        {"partner": cast.partners["IOM"].pk, "url": "https://iom.example/hooks", "is_active": "on"},
    )
    assert response.status_code == 200, response.content[:2000]
    hook = PartnerWebhook.objects.get(partner=cast.partners["IOM"])
    assert hook.secret in response.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_encrypts_existing_plaintext_secrets_and_back(cast):
    executor = MigrationExecutor(connection)
    before = [("liaison_offices", "0010_flags")]
    after = [("liaison_offices", "0011_webhook_secret_encrypted")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldWebhook = old_apps.get_model("liaison_offices", "PartnerWebhook")
    plain = "a" * 64
    hook = OldWebhook.objects.create(partner_id=cast.partners["BHC"].pk, url="https://b.example")
    OldWebhook.objects.filter(pk=hook.pk).update(secret=plain)
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        assert stored(hook) != plain and keyring.decrypt(stored(hook)) == plain
        assert PartnerWebhook.objects.get(pk=hook.pk).secret == plain

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(before)  # and back: plaintext again
        assert stored(hook) == plain
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_secret_no_key_opens_fails_the_webhook_without_sending_or_retrying(cast, settings):
    from liaison_offices import delivery
    from liaison_offices.constants import Channel, DeliveryStatus, EventKind
    from liaison_offices.models import Delivery
    from liaison_offices.notifications import publish
    from tests.liaison_offices.notify_support import WebhookReceiver, make_case

    receiver = WebhookReceiver().start()
    try:
        PartnerWebhook.objects.create(partner=cast.partners["BHC"], url=receiver.url)
        event = publish(
            kind=EventKind.CASE_SHARED,
            subject=make_case(cast),
            actor=cast.uk,
            partners=[cast.partners["BHC"]],
        )
        delivery.dispatch_event(event.pk)
        row = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key was lost
        assert delivery.send_webhook(row.pk) is None  # no retry
    finally:
        receiver.stop()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and "cannot be decrypted" in row.last_error
    assert receiver.received == []


def test_reseal_puts_every_secret_under_the_newest_key_so_the_old_can_go(cast, settings):
    from django.core.management import CommandError, call_command

    hook = PartnerWebhook.objects.create(partner=cast.partners["BHC"], url="https://bhc.example/h")
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]  # rotated: the new key first
    call_command("reseal_webhook_secrets", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key removed
    assert PartnerWebhook.objects.get(pk=hook.pk).secret == hook.secret

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # a ring that opens none
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("reseal_webhook_secrets", stdout=io.StringIO())
