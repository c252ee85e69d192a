"""Reference data: offences of Pakistan's 2018 trafficking and smuggling acts.

Only the core offence sections are loaded; HQ adds further sections in the admin.
"""

from django.db import migrations

PROVISIONS = [
    ("PTPA_2018", "3", "Trafficking in persons"),
    ("PTPA_2018", "4", "Aggravating circumstances"),
    ("PSMA_2018", "3", "Smuggling of migrants"),
    ("PSMA_2018", "4", "Aggravating circumstances"),
]


def load(apps, schema_editor):
    LegalProvision = apps.get_model("cases", "LegalProvision")
    for act, section, title in PROVISIONS:
        LegalProvision.objects.get_or_create(act=act, section=section, defaults={"title": title})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
