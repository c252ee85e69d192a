"""Partners' webhook secrets encrypted at rest (issue 16): the plaintext column becomes a Fernet
token under FIELD_ENCRYPTION_KEYS, the key ring of victims' personal data (glo_act/keyring.py).

Three steps: widen the column to text (a token is longer than 128 characters), encrypt every
secret that is not yet a token, then let the model read it through EncryptedSecretField.
Reversible: going back decrypts.
"""

from django.db import migrations, models

import glo_act.keyring
import liaison_offices.notification_models


def encrypt_existing(apps, schema_editor):
    PartnerWebhook = apps.get_model("liaison_offices", "PartnerWebhook")
    for pk, secret in PartnerWebhook.objects.values_list("pk", "secret"):
        if secret and not glo_act.keyring.is_token(secret):
            PartnerWebhook.objects.filter(pk=pk).update(secret=glo_act.keyring.encrypt(secret))


def decrypt_existing(apps, schema_editor):
    PartnerWebhook = apps.get_model("liaison_offices", "PartnerWebhook")
    for pk, secret in PartnerWebhook.objects.values_list("pk", "secret"):
        if secret and glo_act.keyring.is_token(secret):
            PartnerWebhook.objects.filter(pk=pk).update(secret=glo_act.keyring.decrypt(secret))


class Migration(migrations.Migration):
    dependencies = [
        ("liaison_offices", "0010_flags"),
    ]

    operations = [
        migrations.AlterField(
            model_name="partnerwebhook",
            name="secret",
            field=models.TextField(
                default=liaison_offices.notification_models.generate_webhook_secret
            ),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
        migrations.AlterField(
            model_name="partnerwebhook",
            name="secret",
            field=glo_act.keyring.EncryptedSecretField(
                default=liaison_offices.notification_models.generate_webhook_secret,
                help_text="Shared with the partner; signs every body (HMAC-SHA256).",
            ),
        ),
    ]
