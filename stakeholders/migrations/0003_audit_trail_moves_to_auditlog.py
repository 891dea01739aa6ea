"""The hand-written AuditEntry table gives way to the audit library (partnership.AuditLogEntry).

Its rows are copied across first, in the library's shape: content type and object id, the summary as
the object's representation, changes as {field: [old, new]} text, channel "legacy" (the old table did
not record one). The original action and summary stay in additional_data.
"""

import json

from django.db import migrations

ACTIONS = {"create": 0, "delete": 2}  # everything else was an update (edit, activate, make_primary, ...)


def _text(value):
    if value is None:
        return "None"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)  # as auditlog writes values: True -> "True", 5 -> "5"


def copy_to_audit_log(apps, schema_editor):
    Old = apps.get_model("stakeholders", "AuditEntry")
    Entry = apps.get_model("partnership", "AuditLogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = {}
    batch = []
    for row in Old.objects.order_by("pk").iterator():
        model_name = row.object_type.replace("_", "")
        if model_name not in content_types:
            content_types[model_name], _ = ContentType.objects.get_or_create(app_label="stakeholders", model=model_name)
        verb = row.action.rsplit(".", 1)[-1]
        changes, extra = {}, {}
        for name, value in (row.changes or {}).items():
            if isinstance(value, list) and len(value) == 2:
                changes[name] = [_text(value[0]), _text(value[1])]
            else:
                extra[name] = value
        batch.append(
            Entry(
                content_type=content_types[model_name],
                object_pk=str(row.object_id),
                object_id=row.object_id,
                object_repr=row.summary,
                action=ACTIONS.get(verb, 1),
                changes=changes or None,
                actor_id=row.actor_id,
                timestamp=row.at,
                channel="legacy",
                additional_data={"migrated_from": "stakeholders.AuditEntry", "action": row.action, "summary": row.summary, **extra},
            )
        )
        if len(batch) >= 500:
            Entry.objects.bulk_create(batch)
            batch = []
    Entry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ('stakeholders', '0002_ownership_engagements_audit'),
        ("partnership", "0002_auditlogentry"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(copy_to_audit_log, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='AuditEntry',
        ),
    ]
