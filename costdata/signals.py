"""Signal receivers of the cost data app (connected in CostdataConfig.ready)."""

from __future__ import annotations

from typing import Any


def source_lock_before_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Lock a source's row FOR UPDATE before Django's cascade deletes its facts, then the row itself.

    The fact tables reference their source without a database foreign key (it costs ~4 s of Postgres CPU
    per million loaded rows), so the guarantee that no fact outlives its source rests on this lock and
    on the FOR KEY SHARE lock every window replace takes first (facts.source_lock_for_facts): a delete
    waits for a pull committing into the source, and then deletes what that pull wrote too (each
    statement of the cascade reads the committed rows); a pull that starts while the delete is under way
    waits for it and then finds the source gone and writes nothing. Runs inside the deleting transaction
    (Django sends pre_delete inside it, before the cascade's first DELETE).
    """
    from costdata.models import CostSource

    list(CostSource.objects.select_for_update().filter(pk=instance.pk).values_list("pk", flat=True))
