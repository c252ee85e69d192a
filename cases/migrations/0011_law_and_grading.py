"""The other statutes' provisions; Europol's 4x4 grading on answers and its labels.

The Emigration Ordinance's and the host countries' provisions are loaded, and
each case's free-text host-country law is read for the provisions it names, which are added to
its legal basis; the text itself is kept as it was.
"""

from django.db import migrations, models

# A copy, as in 0009 (cases.law holds the current lists).
PROVISIONS = [
    ("EO_1979", "17", "Unlawful emigration, etc."),
    ("EO_1979", "18", "Fraudulently inducing to emigrate, etc."),
    ("EO_1979", "22", "Receiving money, etc. for providing foreign employment"),
    ("GBR_MSA_2015", "1", "Slavery, servitude and forced or compulsory labour"),
    ("GBR_MSA_2015", "2", "Human trafficking"),
    ("GBR_IA_1971", "25", "Assisting unlawful immigration"),
    ("ITA_CP", "600", "Riduzione o mantenimento in schiavitù o in servitù (slavery, servitude)"),
    ("ITA_CP", "601", "Tratta di persone (trafficking in persons)"),
    ("ITA_CP", "602", "Acquisto e alienazione di schiavi (purchase and sale of slaves)"),
    ("ITA_DLGS_286_1998", "12",
     "Disposizioni contro le immigrazioni clandestine (against clandestine immigration)"),
    ("ESP_CP_1995", "177 bis", "Trata de seres humanos (trafficking in human beings)"),
    ("ESP_CP_1995", "318 bis",
     "Delitos contra los derechos de los ciudadanos extranjeros (smuggling of migrants)"),
    ("TUR_TCK_5237", "79", "Göçmen kaçakçılığı (migrant smuggling)"),
    ("TUR_TCK_5237", "80", "İnsan ticareti (human trafficking)"),
    ("ARE_FL_51_2006", "", "Combating human trafficking crimes (the law as a whole)"),
    ("GRC_PC", "323A", "Εμπορία ανθρώπων (trafficking in human beings)"),
    ("GRC_L4251_2014", "29", "Illegal entry into and exit from Greek territory, facilitation"),
    ("GRC_L4251_2014", "30", "Transport of third-country nationals without the right of entry"),
    ("OMN_RD_126_2008", "", "Law Combating Human Trafficking (the law as a whole)"),
]  # fmt: skip


def load_provisions(apps, schema_editor):
    Statute = apps.get_model("cases", "Statute")
    LegalProvision = apps.get_model("cases", "LegalProvision")
    known = set(Statute.objects.values_list("code", flat=True))
    for act, section, title in PROVISIONS:
        if act in known:
            LegalProvision.objects.get_or_create(
                act_id=act, section=section, defaults={"title": title}
            )


def link_host_country_law(apps, schema_editor):
    """Add to each case's legal basis the provisions its host-country text names."""
    from cases.law import cited_provisions

    Case = apps.get_model("cases", "Case")
    LegalProvision = apps.get_model("cases", "LegalProvision")
    provisions = list(LegalProvision.objects.values_list("id", "act_id", "section"))
    through = Case.legal_provisions.through
    rows = []
    cases = Case.objects.exclude(host_country_law="").values_list("id", "host_country_law")
    for case_id, text in cases.iterator():
        have = set(
            through.objects.filter(case_id=case_id).values_list("legalprovision_id", flat=True)
        )
        for provision_id in sorted(cited_provisions(text, provisions) - have):
            rows.append(through(case_id=case_id, legalprovision_id=provision_id))
    through.objects.bulk_create(rows, batch_size=1000)


def load(apps, schema_editor):
    load_provisions(apps, schema_editor)
    link_host_country_law(apps, schema_editor)


def unload(apps, schema_editor):
    """Back to provisions of Pakistan's two acts only, as before (the text was never changed):
    the other statutes' provisions, and the cases' links to them, go."""
    LegalProvision = apps.get_model("cases", "LegalProvision")
    LegalProvision.objects.exclude(act_id__in=["PTPA_2018", "PSMA_2018"]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_provisions_of_statutes")]

    operations = [
        migrations.AddField(
            model_name="cooperationrequest",
            name="answer_accuracy",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "1 — no doubt about its accuracy"),
                    (2, "2 — known personally to the source, not to the official passing it on"),
                    (3, "3 — not known personally to the source, corroborated"),
                    (4, "4 — not known personally to the source, cannot be corroborated"),
                ],
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="cooperationrequest",
            name="answer_reliability",
            field=models.CharField(
                blank=True,
                choices=[
                    ("A", "A — no doubt of authenticity, trustworthiness and competence"),
                    ("B", "B — in most instances proved reliable"),
                    ("C", "C — in most instances proved unreliable"),
                    ("X", "X — reliability cannot be assessed"),
                ],
                max_length=1,
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="accuracy",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "1 — no doubt about its accuracy"),
                    (2, "2 — known personally to the source, not to the official passing it on"),
                    (3, "3 — not known personally to the source, corroborated"),
                    (4, "4 — not known personally to the source, cannot be corroborated"),
                ],
                default=4,
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="reliability",
            field=models.CharField(
                choices=[
                    ("A", "A — no doubt of authenticity, trustworthiness and competence"),
                    ("B", "B — in most instances proved reliable"),
                    ("C", "C — in most instances proved unreliable"),
                    ("X", "X — reliability cannot be assessed"),
                ],
                default="X",
                max_length=1,
            ),
        ),
        migrations.RunPython(load, unload),
    ]
