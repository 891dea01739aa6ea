"""The link between a variance explanation and the action item made from its planned action is kept by
the action item (meetings sit above costdata): each existing link is copied over before costdata drops
its column (costdata 0015)."""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    explanations = apps.get_model("costdata", "Explanation")
    items = apps.get_model("meetings", "ActionItem")
    for explanation_id, item_id in explanations.objects.filter(action_item__isnull=False).values_list(
        "pk", "action_item_id"
    ):
        items.objects.filter(pk=item_id).update(explanation_id=explanation_id)


def copy_links_back(apps, schema_editor):
    explanations = apps.get_model("costdata", "Explanation")
    items = apps.get_model("meetings", "ActionItem")
    for item_id, explanation_id in items.objects.filter(explanation__isnull=False).values_list(
        "pk", "explanation_id"
    ):
        explanations.objects.filter(pk=explanation_id).update(action_item_id=item_id)


class Migration(migrations.Migration):
    # The copy commits on its own (RunPython is atomic by itself): taken back, its updates of
    # costdata_explanation must be committed before the column's foreign key is dropped, which Postgres
    # refuses while those rows' constraint checks are pending in the same transaction.
    atomic = False

    dependencies = [
        ("meetings", "0007_variance_decisions"),
        ("costdata", "0014_variance_decision_moves_to_meetings"),
    ]

    operations = [
        migrations.AddField(
            model_name="actionitem",
            name="explanation",
            field=models.OneToOneField(
                blank=True,
                help_text="The variance explanation whose planned action this is, if any.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="costdata.explanation",
            ),
        ),
        migrations.RunPython(copy_links, copy_links_back),
    ]
