"""Review packs join the meetings app: the table costdata_reviewpack, its rows and its constraint stay as
they are (only Django's idea of which app owns the model changes; see costdata 0013)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor):
    """Audit rows and permissions point at the model's content type: keep the row, rename its app."""
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="meetings", model="reviewpack").exists():
        content_types.objects.filter(app_label="costdata", model="reviewpack").update(app_label="meetings")


def restore_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="costdata", model="reviewpack").exists():
        content_types.objects.filter(app_label="meetings", model="reviewpack").update(app_label="costdata")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("costdata", "0013_review_pack_moves_to_meetings"),
        ("meetings", "0005_audit_trail_moves_to_auditlog"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReviewPack",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("version", models.PositiveIntegerField()),
                        ("generated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("period", models.DateField(help_text="The first of the month the pack is about.")),
                        ("basis", models.CharField(default="unblended", max_length=16)),
                        ("currency", models.CharField(blank=True, max_length=3)),
                        ("data_up_to", models.DateField(blank=True, help_text="The last day of cost data it saw.", null=True)),
                        ("content", models.JSONField(default=dict)),
                        ("generated_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("meeting", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="review_packs", to="meetings.meeting")),
                    ],
                    options={
                        "db_table": "costdata_reviewpack",
                        "ordering": ["meeting", "-version"],
                        "constraints": [models.UniqueConstraint(fields=("meeting", "version"), name="uniq_review_pack_version")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
