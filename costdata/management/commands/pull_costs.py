"""`manage.py pull_costs --source NAME [--start YYYY-MM-DD --end YYYY-MM-DD]`: a pull from the command line.

With dates, backfills [start, end) (end exclusive, up to the 13 months Cost Explorer keeps); without,
reads the computed refresh window exactly as the schedule does. Exits 75 (EX_TEMPFAIL) at once when
another pull holds the source, naming that run; 1 when the pull fails.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from audit.recording import AuditedCommand
from costdata.ingestion import services
from costdata.ingestion.services.errors import PullTimedOut
from costdata.models import CostSource, IngestionRun

BAR_WIDTH = 30
# sysexits' EX_TEMPFAIL: another pull holds the source; try again later (a cron job can tell it apart).
EXIT_BUSY = 75


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


class Command(AuditedCommand):  # changes are audited as channel 'command'
    help = "Pull a cost source now: a backfill of --start..--end (end exclusive), or the refresh window."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, help="The source's name (or id).")
        parser.add_argument("--start", help="First day to read, YYYY-MM-DD.")
        parser.add_argument("--end", help="Day after the last day to read, YYYY-MM-DD (exclusive).")

    def handle(self, *args: Any, **options: Any) -> None:
        source = _find_source(options["source"])
        start = end = None
        if bool(options["start"]) != bool(options["end"]):
            raise CommandError(
                "give both --start and --end (end exclusive), or neither for the refresh window"
            )
        try:
            if options["start"]:
                start, end = _date(options["start"]), _date(options["end"])
        except ValueError as exc:
            raise CommandError(f"--start/--end: {exc}") from exc
        trigger = IngestionRun.Trigger.BACKFILL if start else IngestionRun.Trigger.MANUAL
        try:
            run = services.source_pull(
                source_id=source.pk, start=start, end=end, trigger=trigger, progress=self._bar
            )
        except services.SourceBusy as exc:
            self._end_bar()
            raise CommandError(f"pull of {source.name} did not start: {exc}", returncode=EXIT_BUSY) from exc
        except (services.PullFailed, services.PullThrottled, PullTimedOut) as exc:
            self._end_bar()
            raise CommandError(f"pull of {source.name} did not complete: {exc}") from exc
        self._end_bar()
        self.stdout.write(
            self.style.SUCCESS(
                f"Pulled {source.name} {run.window_start}..{run.window_end} (end exclusive): "
                f"{run.rows_written} rows, {run.requests_made} requests, {run.estimated_days} days estimated."
            )
        )

    _bar_open = False

    def _bar(self, fraction: float, note: str) -> None:
        done = int(BAR_WIDTH * fraction)
        line = f"[{'#' * done}{'.' * (BAR_WIDTH - done)}] {fraction:4.0%} {note}"
        stream = self.stderr
        if sys.stderr.isatty():
            stream.write(f"\r{line:<80}", ending="")
            self._bar_open = True
        else:
            stream.write(line)
        stream.flush()

    def _end_bar(self) -> None:
        if self._bar_open:
            self.stderr.write("")
            self._bar_open = False


def _find_source(name_or_id: str) -> CostSource:
    source = CostSource.objects.filter(name=name_or_id).first()
    if source is None and name_or_id.isdigit():
        source = CostSource.objects.filter(pk=int(name_or_id)).first()
    if source is None:
        known = ", ".join(CostSource.objects.values_list("name", flat=True)) or "none yet (see add_source)"
        raise CommandError(f"--source: no source named {name_or_id!r}; sources: {known}")
    if not source.pulls_from_cost_explorer:
        raise CommandError(
            f"--source: {source.name} is a {source.get_kind_display()} source: load it with import_focus"
        )
    return source
