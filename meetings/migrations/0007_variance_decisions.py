"""Meetings own their decisions about variances (moved from costdata with the table and rows as they are)."""

import django.db.models.deletion
from django.db import migrations, models


def rename_content_type(apps, schema_editor):
    """Audit rows and permissions point at the model's content type: keep the row, rename its app."""
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="costdata", model="variancedecision").update(app_label="meetings")


def restore_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="meetings", model="variancedecision").update(app_label="costdata")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("meetings", "0006_review_packs"),
        ("costdata", "0014_variance_decision_moves_to_meetings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VarianceDecision",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "decision",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="variance_link",
                                to="meetings.decision",
                            ),
                        ),
                        (
                            "variance",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="costdata.variance",
                            ),
                        ),
                    ],
                    options={"db_table": "costdata_variancedecision"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
