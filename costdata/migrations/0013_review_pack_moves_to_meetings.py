"""Review packs move to the meetings app (frozen figures for a meeting belong to the meeting).

State only: the table costdata_reviewpack and its rows stay; meetings 0006_review_packs takes the model
over under the same table and renames its content type.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("costdata", "0012_build_daily_rollups"),
        ("meetings", "0005_audit_trail_moves_to_auditlog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ReviewPack")],
            database_operations=[],
        ),
    ]
