"""Serializers of the costs API: the query and its rows."""

from typing import Any

from rest_framework import serializers

from costdata.facts.selectors import BASES, GROUPINGS, CostQuery
from costdata.ingestion.models import CostSource
from costdata.permissions import may_read_sources

NO_SOURCE = 0  # an id no source has: filtering by it shows no row


class CostRowSerializer(serializers.Serializer):
    """One row of GET /costs/: one field per grouping (only those asked for), then the amount."""

    day = serializers.DateField(source="k_day", required=False)
    month = serializers.DateField(source="k_month", required=False, help_text="The first of the month.")
    account = serializers.CharField(source="k_account", required=False)
    service = serializers.CharField(source="k_service", required=False)
    provider = serializers.CharField(source="k_provider", required=False)
    source = serializers.CharField(  # type: ignore[assignment]  # a declared field, not Field.source
        source="k_source", required=False, help_text="The source's name."
    )
    tag = serializers.CharField(
        source="k_tag", required=False, help_text="The tag value for tag:KEY; empty means untagged."
    )
    amount = serializers.DecimalField(
        max_digits=30, decimal_places=12, help_text="Sum at full stored precision (12 places), as a string."
    )
    currency = serializers.CharField()
    estimated = serializers.BooleanField(help_text="True if any day in the row is still estimated.")

    def __init__(self, *args: Any, groupings: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if groupings is not None:  # None: every field, as the schema documents them
            keys = {"day", "month", "account", "service", "provider", "source", "tag"}
            for name in keys - set(groupings):
                self.fields.pop(name)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row = dict(instance)
        row["estimated"] = bool(row.get("estimated"))
        return super().to_representation(row)


class CostQuerySerializer(serializers.Serializer):
    """The query string of GET /costs/, validated into a selectors.CostQuery; each error names its parameter."""

    start = serializers.DateField(help_text="First day, YYYY-MM-DD.")
    end = serializers.DateField(help_text="Day after the last, YYYY-MM-DD (exclusive).")
    group_by = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Up to two of day, month, account, service, provider, source, tag:KEY, comma-separated.",
    )
    account = serializers.CharField(required=False, help_text="Account id(s), comma-separated.")
    service = serializers.CharField(required=False, help_text="Service name(s), comma-separated.")
    source = serializers.CharField(  # type: ignore[assignment]  # a declared field, not Field.source
        required=False, help_text="A source's name or id (comma-separated for several)."
    )
    basis = serializers.ChoiceField(choices=list(BASES), default="unblended")

    MAX_DAYS = 3 * 366

    def validate_group_by(self, value: str) -> tuple[str, ...]:
        keys = tuple(part.strip() for part in value.split(",") if part.strip())
        if len(keys) > 2:
            raise serializers.ValidationError(f"at most two groupings, got {len(keys)}: {', '.join(keys)}")
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError("a grouping is repeated")
        for key in keys:
            if key.startswith("tag:"):
                if not key.removeprefix("tag:"):
                    raise serializers.ValidationError("tag: needs a tag key, e.g. tag:team")
            elif key not in GROUPINGS:
                raise serializers.ValidationError(
                    f"unknown grouping {key!r}: use day, month, account, service, provider, source or tag:KEY"
                )
        if sum(key.startswith("tag:") for key in keys) > 1:
            raise serializers.ValidationError("only one tag:KEY grouping at a time")
        if {"day", "month"} <= set(keys):
            raise serializers.ValidationError("group by day or by month, not both")
        return keys

    def validate_source(self, value: str) -> tuple[int, ...]:
        """Source names or ids. Only those who may read the sources are told that one does not exist;
        for anyone else an unknown source is one with no cost to show, so the answer never says which
        names exist."""
        request = self.context.get("request")
        names_sources = request is not None and may_read_sources(request.user)
        ids = []
        for part in (p.strip() for p in value.split(",") if p.strip()):
            source = CostSource.objects.filter(name=part).first()
            if source is None and part.isdigit():
                source = CostSource.objects.filter(pk=int(part)).first()
            if source is None and names_sources:
                raise serializers.ValidationError(f"no source named or numbered {part!r}")
            ids.append(source.pk if source is not None else NO_SOURCE)
        return tuple(ids)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "end must be after start (end is exclusive)"})
        if (attrs["end"] - attrs["start"]).days > self.MAX_DAYS:
            raise serializers.ValidationError({"end": f"a query spans at most {self.MAX_DAYS} days"})
        group_by = attrs.get("group_by") or ()
        if any(key.startswith("tag:") for key in group_by):
            if "service" in group_by:
                raise serializers.ValidationError(
                    {"group_by": "a tag breakdown is at account grain: it cannot be grouped by service"}
                )
            if attrs.get("service"):
                raise serializers.ValidationError(
                    {"service": "a tag breakdown is at account grain: it cannot be filtered by service"}
                )
        return attrs

    def to_query(self) -> CostQuery:
        data = self.validated_data

        def split(name: str) -> tuple[str, ...]:
            return tuple(p.strip() for p in (data.get(name) or "").split(",") if p.strip())

        return CostQuery(
            start=data["start"],
            end=data["end"],
            group_by=tuple(data.get("group_by") or ()),
            accounts=split("account"),
            services=split("service"),
            source_ids=tuple(data.get("source") or ()),
            basis=data["basis"],
        )
