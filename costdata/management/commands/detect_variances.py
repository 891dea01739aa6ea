"""Run variance detection now: `manage.py detect_variances [--month YYYY-MM ...]`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from audit.recording import AuditedCommand
from costdata.variances.services import variances_detect


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError as error:
        raise CommandError(f"--month {text!r}: write the month as YYYY-MM") from error


class Command(AuditedCommand):  # changes are audited as channel 'command'
    help = "Detect variances for the given months (default: the latest month of data and the one before)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", action="append", help="YYYY-MM; repeat for several months")

    def handle(self, *args: Any, **options: Any) -> None:
        months = [_month(m) for m in options["month"]] if options["month"] else None
        result = variances_detect(months=months)
        if not result.months and not result.skipped_months:
            self.stdout.write("No cost data to judge yet.")
        for month in result.skipped_months:
            self.stdout.write(f"{month:%Y-%m} is closed: its variances no longer change.")
        if result.months:
            self.stdout.write(
                f"Checked {result.scopes} scope-months in {', '.join(f'{m:%Y-%m}' for m in result.months)}: "
                f"{result.created} new variances, {result.updated} updated."
            )
        for month in result.closed_months:
            self.stdout.write(f"{month:%Y-%m} is complete and final: closed.")
