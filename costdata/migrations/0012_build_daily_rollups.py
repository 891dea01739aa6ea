"""Build the daily rollups for the facts already held (later pulls and imports keep them up to date)."""

from django.db import migrations


def build(apps, schema_editor):
    connection = schema_editor.connection
    DailyCost = apps.get_model("costdata", "DailyCost")
    DailyAccountCost = apps.get_model("costdata", "DailyAccountCost")
    DailyServiceCost = apps.get_model("costdata", "DailyServiceCost")
    pairs = ((DailyAccountCost, "account_id"), (DailyServiceCost, "service"))
    with connection.cursor() as cursor:
        for model, key in pairs:
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} "
                f"(source_id, day, provider, {key}, currency, unblended, amortized, estimated) "
                f"SELECT source_id, day, provider, {key}, currency, SUM(unblended), SUM(amortized), "
                f"BOOL_OR(estimated) FROM {DailyCost._meta.db_table} "
                f"GROUP BY source_id, day, provider, {key}, currency"
            )


class Migration(migrations.Migration):
    dependencies = [("costdata", "0011_daily_rollups_holidays")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
