# Reminders are de-duplicated by key in the notifications outbox, so no "last reminded" column.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("victims", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(model_name="referral", name="last_reminded_at"),
        migrations.RemoveField(model_name="reintegrationfollowup", name="last_reminded_at"),
    ]
