"""Provisions belong to statutes: the column `act` now refers to `Statute.code`.

The existing rows keep their ids and their act codes. Loading the other provisions is the next
migration's, in its own transaction (PostgreSQL alters no table with rows changed in the same
transaction, going forward or back).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_statutes")]

    operations = [
        migrations.AlterField(
            model_name="legalprovision",
            name="act",
            field=models.ForeignKey(
                db_column="act",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="provisions",
                to="cases.statute",
                to_field="code",
            ),
        ),
        migrations.AlterField(
            model_name="legalprovision",
            name="section",
            field=models.CharField(blank=True, max_length=12),
        ),
    ]
