"""`manage.py add_source --name NAME --kind KIND [--role-arn ARN --external-id ID] [--tag-keys team,cost-centre]`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from audit.recording import AuditedCommand
from costdata.ingestion.services import source_create
from costdata.models import CostSource


class Command(AuditedCommand):  # changes are audited as channel 'command'
    help = "Add a cost source: an AWS Cost Explorer connection, a FOCUS file source or the demo source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="A unique name, e.g. 'Payer 1'.")
        parser.add_argument("--kind", required=True, choices=[k.value for k in CostSource.Kind])
        parser.add_argument("--role-arn", default="", help="An IAM role to assume through STS (optional).")
        parser.add_argument(
            "--external-id", default="", help="The external id the role's trust policy requires."
        )
        parser.add_argument(
            "--tag-keys", default="", help="Comma-separated allocation tag keys, e.g. team,cost-centre."
        )
        parser.add_argument(
            "--interval-hours", type=int, default=None, help="Hours between scheduled pulls (default 4)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["external_id"] and not options["role_arn"]:
            raise CommandError("--external-id is used only with --role-arn")
        try:
            source = source_create(
                name=options["name"],
                kind=options["kind"],
                role_arn=options["role_arn"],
                external_id=options["external_id"],
                tag_keys=options["tag_keys"].split(","),
                interval_hours=options["interval_hours"],
            )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from exc
        schedule = f", pulled every {source.schedule.interval.every} hours" if source.schedule else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Added source {source.name} (id {source.pk}, {source.get_kind_display()}{schedule})."
            )
        )


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"--{field.replace('_', '-')}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)
