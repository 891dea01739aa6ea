"""The project package keeps no model: the audit trail moved to the audit app and API tokens to the common
app, with their tables (state only: nothing in the database changes)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("partnership", "0003_audit_append_only"),
        ("audit", "0001_initial"),
        ("common", "0001_initial"),
        # These copied the old change records into the trail through the model's earlier home.
        ("stakeholders", "0003_audit_trail_moves_to_auditlog"),
        ("meetings", "0005_audit_trail_moves_to_auditlog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditLogEntry"),
                migrations.DeleteModel(name="ApiToken"),
            ],
            database_operations=[],
        ),
    ]
