"""A meeting's decision about a variance belongs to the meetings app (meetings sit above costdata): only
Django's idea of the model's app changes; the table costdata_variancedecision and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("costdata", "0013_review_pack_moves_to_meetings")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="VarianceDecision")], database_operations=[]
        ),
    ]
