"""API shapes. Output serializers describe rows; input serializers check types, services check rules."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.types import User
from stakeholders.models import (
    AttributedSaving,
    Engagement,
    EngagementScope,
    Group,
    Ownership,
    Role,
    ScopeKind,
    Stakeholder,
    Team,
)
from stakeholders.roi import percent


class TeamRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "kind"]


class StakeholderRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stakeholder
        fields = ["id", "name", "group", "role"]


class StakeholderSerializer(serializers.ModelSerializer):
    teams = TeamRefSerializer(many=True, read_only=True)
    group_display = serializers.CharField(source="get_group_display", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "name",
            "email",
            "title",
            "group",
            "group_display",
            "role",
            "role_display",
            "user",
            "username",
            "active",
            "teams",
        ]


class StakeholderInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    group = serializers.ChoiceField(choices=Group.choices)
    role = serializers.ChoiceField(choices=Role.choices)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
    )
    active = serializers.BooleanField(required=False)
    teams = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), many=True, required=False)


class TeamSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None, allow_null=True)
    member_details = StakeholderRefSerializer(source="members", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "parent", "parent_name", "description", "members", "member_details"]
        read_only_fields = ["members"]


class TeamInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Team.Kind.choices, required=False)
    # A declared field, not the serializer's own `parent` (DRF moves declared fields off the class).
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    description = serializers.CharField(required=False, allow_blank=True)
    members = serializers.PrimaryKeyRelatedField(
        queryset=Stakeholder.objects.all(), many=True, required=False
    )


class OwnershipSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_label", read_only=True)
    owner_type = serializers.CharField(source="owner_kind", read_only=True)
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = Ownership
        fields = [
            "id",
            "scope_kind",
            "scope_key",
            "scope_value",
            "scope",
            "owner_type",
            "owner_team",
            "owner_stakeholder",
            "owner_name",
            "is_primary",
            "note",
            "created_at",
        ]

    @extend_schema_field(serializers.CharField())
    def get_owner_name(self, ownership: Ownership) -> str:
        return ownership.owner.name if ownership.owner else ""


class OwnershipInputSerializer(serializers.Serializer):
    scope_kind = serializers.ChoiceField(choices=ScopeKind.choices)
    scope_key = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    scope_value = serializers.CharField(max_length=256, trim_whitespace=False)
    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    owner_stakeholder = serializers.PrimaryKeyRelatedField(
        queryset=Stakeholder.objects.all(), required=False, allow_null=True
    )
    is_primary = serializers.BooleanField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OwnershipNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, allow_blank=True)


class OwnerMatchSerializer(serializers.Serializer):
    owner_type = serializers.CharField()
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField()
    scope_kind = serializers.CharField()
    scope_key = serializers.CharField()
    scope_value = serializers.CharField()
    scope = serializers.CharField()
    ownership = serializers.IntegerField()
    considered = serializers.ListField(child=serializers.CharField())


class ScopeSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_label", read_only=True)

    class Meta:
        model = EngagementScope
        fields = ["scope_kind", "scope_key", "scope_value", "scope"]
        extra_kwargs = {"scope_key": {"required": False, "allow_blank": True, "default": ""}}
        validators: list = []


class PeriodReturnSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="Exclusive.")
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    savings = serializers.CharField(help_text="Decimal string.")
    fee = serializers.CharField(help_text="Decimal string: the fixed fee plus any share of the savings.")
    roi = serializers.CharField(
        allow_null=True, help_text="(savings - fee) / fee as an exact decimal; null: no stated ROI."
    )
    roi_display = serializers.CharField()


class EngagementReturnSerializer(serializers.Serializer):
    currency = serializers.CharField()
    savings = serializers.CharField(
        help_text="Decimal string: savings over the periods with savings attributed."
    )
    fee = serializers.CharField(help_text="Decimal string: fees over the same periods.")
    roi = serializers.CharField(allow_null=True, help_text="Exact decimal ratio; null: no stated ROI.")
    roi_display = serializers.CharField()
    periods = PeriodReturnSerializer(many=True)


class SavingSerializer(serializers.ModelSerializer):
    period_end = serializers.DateField(read_only=True)
    period_label = serializers.CharField(read_only=True)

    class Meta:
        model = AttributedSaving
        fields = [
            "id",
            "engagement",
            "period_start",
            "period_end",
            "period_label",
            "amount",
            "note",
            "recorded_at",
        ]
        read_only_fields = ["recorded_at"]
        validators: list = []


class EngagementSerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)
    scopes = ScopeSerializer(many=True, read_only=True)
    returns = serializers.SerializerMethodField()

    class Meta:
        model = Engagement
        fields = [
            "id",
            "party",
            "party_name",
            "name",
            "model",
            "fee",
            "savings_share",
            "currency",
            "period",
            "starts_on",
            "ends_on",
            "description",
            "active",
            "scopes",
            "returns",
        ]

    @extend_schema_field(EngagementReturnSerializer)
    def get_returns(self, engagement: Engagement) -> dict:
        from stakeholders.selectors import engagement_return

        result = engagement_return(engagement)
        return {
            "currency": result.currency,
            "savings": str(result.savings),
            "fee": str(result.fee),
            "roi": None if result.roi is None else str(result.roi),
            "roi_display": result.roi_display,
            "periods": [
                {
                    "period_start": p.period_start.isoformat(),
                    "period_end": p.period_end.isoformat(),
                    "label": p.label,
                    "savings": str(p.savings),
                    "fee": str(p.fee),
                    "roi": None if p.roi is None else str(p.roi),
                    "roi_display": percent(p.roi),
                }
                for p in result.periods
            ],
        }


class EngagementInputSerializer(serializers.Serializer):
    party = serializers.PrimaryKeyRelatedField(queryset=Stakeholder.objects.all())
    name = serializers.CharField(max_length=200)
    model = serializers.ChoiceField(choices=Engagement.Model.choices)
    fee = serializers.DecimalField(max_digits=18, decimal_places=2)
    savings_share = serializers.DecimalField(max_digits=5, decimal_places=4, required=False, allow_null=True)
    currency = serializers.CharField(max_length=3)
    period = serializers.ChoiceField(choices=Engagement.Period.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    scopes = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)), required=False
    )


class SavingInputSerializer(serializers.Serializer):
    engagement = serializers.PrimaryKeyRelatedField(queryset=Engagement.objects.all())
    period_start = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReadinessCheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField())


class ReadinessSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    findings = ReadinessCheckSerializer(many=True)
    checks = ReadinessCheckSerializer(many=True)
