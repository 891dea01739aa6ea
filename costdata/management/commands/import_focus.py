"""`manage.py import_focus PATH --source NAME`: load a FOCUS 1.0 file (CSV, CSV.gz, Parquet with pyarrow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from audit.recording import AuditedCommand
from costdata.ingestion import services
from costdata.ingestion.focus import FocusFileRefused
from costdata.models import CostSource


class Command(AuditedCommand):  # changes are audited as channel 'command'
    help = (
        "Import a FOCUS 1.0 billing file into a FOCUS source. The file replaces what the source holds for "
        "the days it covers (its billing periods); a file with any problem is refused whole."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", required=True, help="A FOCUS file source's name (see add_source).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"PATH: no file at {path}")
        source = CostSource.objects.filter(name=options["source"]).first()
        if source is None:
            raise CommandError(
                f"--source: no source named {options['source']!r}; add one with "
                f"`manage.py add_source --name NAME --kind focus_file`"
            )
        try:
            run = services.focus_import(source=source, path=path)
        except FocusFileRefused as exc:
            more = "\n(only the first 50 problems are listed)" if exc.more else ""
            raise CommandError(
                f"{path.name} refused, nothing imported:\n" + "\n".join(exc.problems) + more
            ) from exc
        except ValidationError as exc:
            raise CommandError(f"--source: {' '.join(exc.messages)}") from exc
        except (services.SourceBusy, services.FocusImportFailed) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {path.name} into {source.name}: {run.rows_written} daily rows for "
                f"{run.window_start}..{run.window_end} (end exclusive), replacing what was there."
            )
        )
