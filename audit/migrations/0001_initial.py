"""The audit trail's table moves from the project package into this app: the table, its rows and its
append-only trigger stay as they are (only Django's idea of which app owns the model changes)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor):
    """Audit rows and permissions point at the model's content type: keep the row, rename its app."""
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="partnership", model="auditlogentry").update(app_label="audit")


def restore_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="audit", model="auditlogentry").update(app_label="partnership")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("partnership", "0003_audit_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='AuditLogEntry',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('object_pk', models.CharField(db_index=True, max_length=255, verbose_name='object pk')),
                    ('object_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='object id')),
                    ('object_repr', models.TextField(verbose_name='object representation')),
                    ('serialized_data', models.JSONField(null=True)),
                    ('action', models.PositiveSmallIntegerField(choices=[(0, 'create'), (1, 'update'), (2, 'delete'), (3, 'access')], db_index=True, verbose_name='action')),
                    ('changes_text', models.TextField(blank=True, verbose_name='change message')),
                    ('changes', models.JSONField(null=True, verbose_name='change message')),
                    ('cid', models.CharField(blank=True, db_index=True, max_length=255, null=True, verbose_name='Correlation ID')),
                    ('remote_addr', models.GenericIPAddressField(blank=True, null=True, verbose_name='remote address')),
                    ('remote_port', models.PositiveIntegerField(blank=True, null=True, verbose_name='remote port')),
                    ('timestamp', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='timestamp')),
                    ('additional_data', models.JSONField(blank=True, null=True, verbose_name='additional data')),
                    ('actor_email', models.CharField(blank=True, max_length=254, null=True, verbose_name='actor email')),
                    ('channel', models.CharField(choices=[('page', 'Page'), ('api', 'API'), ('admin', 'Admin'), ('task', 'Task'), ('command', 'Command'), ('system', 'System'), ('legacy', 'Before the audit library')], db_index=True, default='system', help_text='page, api, admin, task or command; system when no entry point set one.', max_length=12)),
                    ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                    ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype', verbose_name='content type')),
                ],
                options={
                    'verbose_name': 'audit log entry',
                    'verbose_name_plural': 'audit log entries',
                    'ordering': ['-timestamp', '-pk'],
                    'get_latest_by': 'timestamp',
                    'abstract': False,
                    'db_table': 'partnership_auditlogentry',
                    'indexes': [models.Index(fields=['content_type', 'object_id', 'timestamp'], name='audit_object_time'), models.Index(fields=['actor', 'timestamp'], name='audit_actor_time')],
                },
            ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
