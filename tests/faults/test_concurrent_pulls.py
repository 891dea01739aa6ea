"""Two pulls of the same source started at once, as two `manage.py pull_costs` processes: one runs, the
other exits at once (status 75, EX_TEMPFAIL) naming the run that holds the source and since when."""

from __future__ import annotations

import pytest
from django.utils import timezone

from costdata.management.commands.pull_costs import EXIT_BUSY
from costdata.models import CostSource, IngestionRun
from tests.faults.conftest import clean_pull, facts, manage, requires_services, service_env, wait_for

pytestmark = [requires_services, pytest.mark.django_db(transaction=True)]


def test_a_second_pull_of_a_busy_source_exits_at_once_naming_the_holder(
    fake_ce, aws_source, window, tmp_path
):
    env = service_env()
    args = ["pull_costs", "--source", aws_source.name, "--start", str(window[0]), "--end", str(window[1])]
    go = tmp_path / "go"
    first = manage(*args, env=env)
    second = manage(*args, env=env, when=go)  # boots beside the first, starts when told
    holder = wait_for(
        lambda: CostSource.objects.filter(pk=aws_source.pk, locked_by_run__isnull=False).first(),
        "the first pull to take the source's lease",
    ).locked_by_run
    # Cost Explorer stops answering the first pull: it cannot finish while the second one starts.
    fake_ce.hold()

    go.touch()
    try:
        _, stderr = second.communicate(timeout=90)
    finally:
        second.kill()

    assert second.returncode == EXIT_BUSY
    assert first.poll() is None, "the first pull is still running: the second did not wait for it"
    since = timezone.localtime(holder.started_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    assert f"pull of {aws_source.name} did not start: Another pull of this source is running" in stderr
    assert f"run #{holder.pk} (backfill, a command-line pull) since {since}" in stderr
    assert "holding the lease until" in stderr
    skipped = aws_source.runs.get(status=IngestionRun.Status.SKIPPED)
    assert skipped.requests_made == 0 and skipped.error in stderr

    fake_ce.release()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert f"Pulled {aws_source.name} {window[0]}..{window[1]}" in out
    statuses = sorted(aws_source.runs.values_list("status", flat=True))
    assert statuses == [IngestionRun.Status.SKIPPED, IngestionRun.Status.SUCCEEDED]
    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference)
