"""Audit rows are append-only: a trigger refuses UPDATE and DELETE on the log table.

One update is let through: Django setting actor_id to NULL when the user it names is deleted
(the row keeps actor_email, so who it was stays readable). TRUNCATE is not row-level and stays
possible for whoever owns the database (test databases are emptied that way).
"""

from django.db import migrations

TABLE = "partnership_auditlogentry"

CREATE = f"""
CREATE OR REPLACE FUNCTION partnership_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit log entries are append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_append_only ON {TABLE};
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION partnership_audit_append_only();
"""

DROP = f"""
DROP TRIGGER IF EXISTS audit_append_only ON {TABLE};
DROP FUNCTION IF EXISTS partnership_audit_append_only();
"""


def create_trigger(apps, schema_editor):
    schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("partnership", "0002_auditlogentry")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
