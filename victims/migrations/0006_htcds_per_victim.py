"""HTCDS per victim (means of control, sectors, recruiter relationship, recruitment, online
platforms) and the identification screening.

A case's means of control, sector and recruiter relationship are copied to its victim where
the case has exactly one victim and that victim one case: there the case's values can only be
the victim's. Elsewhere nothing is guessed; the case keeps its own values either way.
"""

from django.db import migrations, models


def copy_down_from_single_victim_cases(apps, schema_editor):
    Victim = apps.get_model("victims", "Victim")
    Link = apps.get_model("victims", "VictimCaseLink")
    from django.db.models import Count

    single_cases = (
        Link.objects.values("case_id").annotate(n=Count("victim_id")).filter(n=1)
        .values_list("case_id", flat=True)
    )
    single_victims = (
        Link.objects.values("victim_id").annotate(n=Count("case_id")).filter(n=1)
        .values_list("victim_id", flat=True)
    )
    links = Link.objects.filter(
        case_id__in=list(single_cases), victim_id__in=list(single_victims)
    ).select_related("case")
    for link in links.iterator():
        case = link.case
        Victim.objects.filter(pk=link.victim_id).update(
            means_of_control=list(case.means_of_control or []),
            labour_sectors=[case.labour_sector] if case.labour_sector else [],
            recruiter_relationship=case.recruiter_relationship or "",
        )


class Migration(migrations.Migration):

    dependencies = [
        ('victims', '0005_victim_version'),
        ('cases', '0013_suspect_roles'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalvictim',
            name='exploitation_platforms',
            field=models.JSONField(blank=True, default=list, help_text='Online platforms used to exploit'),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='labour_sectors',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='means_of_control',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='recruiter_relationship',
            field=models.CharField(blank=True, choices=[('intimate_partner', 'Intimate partner'), ('family', 'Family member'), ('friend', 'Friend'), ('acquaintance', 'Other acquaintance'), ('agent', 'Recruitment agent / employer'), ('stranger', 'Stranger'), ('unknown', 'Unknown')], max_length=20),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='recruitment_methods',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='recruitment_platforms',
            field=models.JSONField(blank=True, default=list, help_text='Online platforms used to recruit'),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='screening_acts',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='screening_means',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='historicalvictim',
            name='screening_purposes',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='victim',
            name='exploitation_platforms',
            field=models.JSONField(blank=True, default=list, help_text='Online platforms used to exploit'),
        ),
        migrations.AddField(
            model_name='victim',
            name='labour_sectors',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='victim',
            name='means_of_control',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='victim',
            name='recruiter_relationship',
            field=models.CharField(blank=True, choices=[('intimate_partner', 'Intimate partner'), ('family', 'Family member'), ('friend', 'Friend'), ('acquaintance', 'Other acquaintance'), ('agent', 'Recruitment agent / employer'), ('stranger', 'Stranger'), ('unknown', 'Unknown')], max_length=20),
        ),
        migrations.AddField(
            model_name='victim',
            name='recruitment_methods',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='victim',
            name='recruitment_platforms',
            field=models.JSONField(blank=True, default=list, help_text='Online platforms used to recruit'),
        ),
        migrations.AddField(
            model_name='victim',
            name='screening_acts',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='victim',
            name='screening_means',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='victim',
            name='screening_purposes',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(copy_down_from_single_victim_cases, migrations.RunPython.noop),
    ]
