"""Several roles per suspect (HTCDS): each suspect's one role becomes its list of roles."""

from django.db import migrations, models


def roles_from_role(apps, schema_editor):
    Suspect = apps.get_model("cases", "Suspect")
    for suspect in Suspect.objects.filter(roles=[]).only("pk", "role").iterator():
        Suspect.objects.filter(pk=suspect.pk).update(roles=[suspect.role])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0012_justice_events'),
    ]

    operations = [
        migrations.AddField(
            model_name='suspect',
            name='roles',
            field=models.JSONField(blank=True, default=list, help_text='Every role, the main first'),
        ),
        migrations.AlterField(
            model_name='suspect',
            name='role',
            field=models.CharField(choices=[('recruiter', 'Recruiter'), ('transporter', 'Transporter'), ('smuggler', 'Smuggler'), ('facilitator', 'Facilitator'), ('exploiter', 'Exploiter'), ('financier', 'Financier'), ('harbourer', 'Harbourer')], max_length=12),
        ),
        migrations.RunPython(roles_from_role, migrations.RunPython.noop),
    ]
