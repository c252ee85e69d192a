"""Load ISO 3166-1 countries from the standard (via pycountry): never typed by hand."""

from django.db import migrations


def load_countries(apps, schema_editor):
    import pycountry

    Country = apps.get_model("liaison_offices", "Country")
    existing = set(Country.objects.values_list("iso3", flat=True))
    Country.objects.bulk_create(
        Country(iso3=c.alpha_3, iso2=c.alpha_2, name=getattr(c, "common_name", None) or c.name)
        for c in pycountry.countries
        if c.alpha_3 not in existing
    )


class Migration(migrations.Migration):
    dependencies = [("liaison_offices", "0001_initial")]
    operations = [migrations.RunPython(load_countries, migrations.RunPython.noop)]
