"""Build the daily rollups for the facts already held (later pulls and imports keep them up to date)."""

from decimal import Decimal

from django.db import migrations


def build(apps, schema_editor):
    connection = schema_editor.connection
    DailyCost = apps.get_model("costdata", "DailyCost")
    DailyAccountCost = apps.get_model("costdata", "DailyAccountCost")
    DailyServiceCost = apps.get_model("costdata", "DailyServiceCost")
    pairs = ((DailyAccountCost, "account_id"), (DailyServiceCost, "service"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model, key in pairs:
                cursor.execute(
                    f"INSERT INTO {model._meta.db_table} "
                    f"(source_id, day, provider, {key}, currency, unblended, amortized, estimated) "
                    f"SELECT source_id, day, provider, {key}, currency, SUM(unblended), SUM(amortized), "
                    f"BOOL_OR(estimated) FROM {DailyCost._meta.db_table} "
                    f"GROUP BY source_id, day, provider, {key}, currency"
                )
        return
    # Elsewhere (SQLite, the embedded default): sum exactly in Python, one source-day group at a time.
    for model, key in pairs:
        totals: dict[tuple, list] = {}
        for row in DailyCost.objects.values_list(
            "source_id", "day", "provider", key, "currency", "unblended", "amortized", "estimated"
        ).iterator():
            group = totals.setdefault(row[:5], [Decimal(0), Decimal(0), False])
            group[0] += Decimal(str(row[5]))
            group[1] += Decimal(str(row[6]))
            group[2] = group[2] or bool(row[7])
        model.objects.bulk_create(
            [
                model(
                    source_id=k[0],
                    day=k[1],
                    provider=k[2],
                    currency=k[4],
                    unblended=v[0],
                    amortized=v[1],
                    estimated=v[2],
                    **{key: k[3]},
                )
                for k, v in totals.items()
            ],
            batch_size=2000,
        )


class Migration(migrations.Migration):
    dependencies = [("costdata", "0011_daily_rollups_holidays")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
