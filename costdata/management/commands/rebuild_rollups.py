"""Rebuild the monthly and daily rollups from the facts: `manage.py rebuild_rollups [--source NAME ...]`.

Pulls and imports keep the rollups in step in their own transactions; this is for data loaded another
way (a restore, a bulk load) or to check after an incident. One transaction per source.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Max, Min

from costdata.facts.services import daily_rollup_rebuild, monthly_rollup_rebuild
from costdata.models import CostSource, DailyCost


class Command(BaseCommand):
    help = "Rebuild MonthlyCost, DailyAccountCost and DailyServiceCost from DailyCost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source", action="append", help="a source's name; repeat for several (default all)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sources = CostSource.objects.order_by("name")
        if options["source"]:
            sources = sources.filter(name__in=options["source"])
            missing = set(options["source"]) - set(sources.values_list("name", flat=True))
            if missing:
                raise CommandError(f"--source: no source named {', '.join(sorted(missing))}")
        for source in sources:
            span = DailyCost.objects.filter(source=source).aggregate(first=Min("day"), last=Max("day"))
            if span["first"] is None:
                self.stdout.write(f"{source.name}: no facts.")
                continue
            end = span["last"] + timedelta(days=1)
            with transaction.atomic():
                months = monthly_rollup_rebuild(source=source, start=span["first"], end=end)
                days = daily_rollup_rebuild(source=source, start=span["first"], end=end)
            self.stdout.write(
                f"{source.name}: {span['first']}..{span['last']}: {months} monthly rows, {days} daily rollup rows."
            )
