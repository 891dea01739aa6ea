"""An explanation no longer points at its action item: the action item points at its explanation
(meetings 0008 copied every link before this drops the column)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("costdata", "0014_variance_decision_moves_to_meetings"),
        ("meetings", "0008_action_item_explanation"),
    ]

    operations = [migrations.RemoveField(model_name="explanation", name="action_item")]
