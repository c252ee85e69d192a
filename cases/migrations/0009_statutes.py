"""Statutes as reference data: Pakistan's acts and the host countries' (cases.law)."""

import django.db.models.deletion
from django.db import migrations, models

# A copy, so that the migration keeps loading what it loaded when cases.law changes.
STATUTES = [
    ("PTPA_2018", "PAK", "Prevention of Trafficking in Persons Act, 2018", "PTPA 2018", "section"),
    ("PSMA_2018", "PAK", "Prevention of Smuggling of Migrants Act, 2018", "PSMA 2018", "section"),
    ("EO_1979", "PAK", "Emigration Ordinance, 1979 (XVIII of 1979)", "Emigration Ordinance 1979",
     "section"),
    ("GBR_MSA_2015", "GBR", "Modern Slavery Act 2015", "Modern Slavery Act 2015", "section"),
    ("GBR_IA_1971", "GBR", "Immigration Act 1971", "Immigration Act 1971", "section"),
    ("ITA_CP", "ITA", "Codice penale (Regio decreto 19 ottobre 1930, n. 1398)", "Codice penale",
     "article"),
    ("ITA_DLGS_286_1998", "ITA",
     "Decreto legislativo 25 luglio 1998, n. 286 (Testo unico sull'immigrazione)",
     "d.lgs. 286/1998", "article"),
    ("ESP_CP_1995", "ESP", "Código Penal (Ley Orgánica 10/1995, de 23 de noviembre)",
     "Código Penal", "article"),
    ("TUR_TCK_5237", "TUR", "Türk Ceza Kanunu (Turkish Penal Code, Law No. 5237)", "TCK",
     "article"),
    ("ARE_FL_51_2006", "ARE", "Federal Law No. 51 of 2006 on Combating Human Trafficking Crimes",
     "Federal Law No. 51 of 2006", "article"),
    ("GRC_PC", "GRC", "Ποινικός Κώδικας (Greek Penal Code, Law 4619/2019)", "Greek Penal Code",
     "article"),
    ("GRC_L4251_2014", "GRC", "Law 4251/2014, Code of Immigration and Social Integration",
     "Law 4251/2014", "article"),
    ("OMN_RD_126_2008", "OMN",
     "Royal Decree No. 126/2008 promulgating the Law Combating Human Trafficking",
     "Royal Decree 126/2008", "article"),
]  # fmt: skip


def load_statutes(apps, schema_editor):
    Statute = apps.get_model("cases", "Statute")
    Country = apps.get_model("liaison_offices", "Country")
    known = set(Country.objects.values_list("iso3", flat=True))
    for code, country, title, short_title, unit in STATUTES:
        if country in known:
            Statute.objects.get_or_create(
                code=code,
                defaults={
                    "country_id": country,
                    "title": title,
                    "short_title": short_title,
                    "unit": unit,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_flags_exports"),
        ("liaison_offices", "0002_load_countries"),
    ]

    operations = [
        migrations.CreateModel(
            name="Statute",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.CharField(
                        help_text="e.g. PTPA_2018, GBR_MSA_2015", max_length=24, unique=True
                    ),
                ),
                ("title", models.CharField(help_text="The official title", max_length=200)),
                (
                    "short_title",
                    models.CharField(help_text="As cited: “PTPA 2018”", max_length=60),
                ),
                (
                    "unit",
                    models.CharField(
                        choices=[("section", "Section (s.)"), ("article", "Article (art.)")],
                        default="section",
                        max_length=8,
                    ),
                ),
                (
                    "country",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="liaison_offices.country",
                    ),
                ),
            ],
            options={"ordering": ["country", "code"]},
        ),
        migrations.RunPython(load_statutes, migrations.RunPython.noop),
    ]
