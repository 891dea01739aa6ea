"""People in the partnership, and the teams and business units they belong to."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from stakeholders import roi as roi_rules
from stakeholders import scopes


class Group(models.TextChoices):
    FINANCE = "finance", "Finance"
    TECHNOLOGY = "technology", "Technology"
    BUSINESS_UNIT = "business_unit", "Business unit"
    ENGINEERING = "engineering", "Engineering"
    THIRD_PARTY = "third_party", "Third party"


class Role(models.TextChoices):
    CFO = "cfo", "CFO"
    FINANCIAL_CONTROLLER = "financial_controller", "Financial controller"
    FINANCIAL_PLANNER = "financial_planner", "Financial planner"
    BUSINESS_ANALYST = "business_analyst", "Business analyst"
    PROCUREMENT = "procurement", "Procurement"
    SOURCING = "sourcing", "Sourcing"
    ACCOUNTS_PAYABLE = "accounts_payable", "Accounts payable"
    PRODUCT_OWNER = "product_owner", "Product owner"
    APPLICATION_OWNER = "application_owner", "Application owner"
    TECHNICAL_MANAGER = "technical_manager", "Technical manager"
    TEAM_REPRESENTATIVE = "team_representative", "Team representative"
    BUSINESS_UNIT_OWNER = "business_unit_owner", "Business-unit owner"
    ENGINEER = "engineer", "Engineer"
    ENGINEERING_LEAD = "engineering_lead", "Engineering lead"
    CONSULTANT = "consultant", "Consultant"
    TOOL_VENDOR = "tool_vendor", "Tool vendor"


ROLES_BY_GROUP: dict[str, set[str]] = {
    Group.FINANCE: {
        Role.CFO,
        Role.FINANCIAL_CONTROLLER,
        Role.FINANCIAL_PLANNER,
        Role.BUSINESS_ANALYST,
        Role.PROCUREMENT,
        Role.SOURCING,
        Role.ACCOUNTS_PAYABLE,
    },
    Group.TECHNOLOGY: {
        Role.PRODUCT_OWNER,
        Role.APPLICATION_OWNER,
        Role.TECHNICAL_MANAGER,
        Role.TEAM_REPRESENTATIVE,
    },
    Group.BUSINESS_UNIT: {Role.BUSINESS_UNIT_OWNER},
    Group.ENGINEERING: {Role.ENGINEER, Role.ENGINEERING_LEAD},
    Group.THIRD_PARTY: {Role.CONSULTANT, Role.TOOL_VENDOR},
}


def _role_in_group() -> models.Q:
    condition = models.Q()
    for group, roles in ROLES_BY_GROUP.items():
        condition |= models.Q(group=group, role__in=sorted(roles))
    return condition


class Team(models.Model):
    class Kind(models.TextChoices):
        TEAM = "team", "Team"
        BUSINESS_UNIT = "business_unit", "Business unit"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The business unit a team belongs to.",
    )
    description = models.TextField(blank=True)
    members = models.ManyToManyField("stakeholders.Stakeholder", blank=True, related_name="teams")

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Stakeholder(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    title = models.CharField(max_length=200, blank=True)
    group = models.CharField(max_length=16, choices=Group.choices)
    role = models.CharField(max_length=32, choices=Role.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="stakeholder"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group__in=Group.values), name="stakeholder_group_valid"
            ),
            models.CheckConstraint(condition=_role_in_group(), name="stakeholder_role_in_group"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.group and self.role and self.role not in ROLES_BY_GROUP.get(self.group, set()):
            raise ValidationError(
                {"role": f"{self.get_role_display()} is not a role in the {self.get_group_display()} group."}
            )


class ScopeKind(models.TextChoices):
    ACCOUNT = scopes.ACCOUNT, "AWS account"
    TAG = scopes.TAG, "Allocation tag"
    COST_CATEGORY = scopes.COST_CATEGORY, "Cost category"
    SERVICE = scopes.SERVICE, "Service"


class ScopeFields(models.Model):
    """A cost scope: kind plus key (tag key or cost-category name; empty otherwise) plus value."""

    scope_kind = models.CharField("scope kind", max_length=16, choices=ScopeKind.choices)
    scope_key = models.CharField(
        "key",
        max_length=scopes.MAX_KEY,
        blank=True,
        help_text="Tag key or cost-category name; empty for an account or a service.",
    )
    scope_value = models.CharField(
        "value",
        max_length=scopes.MAX_VALUE,
        help_text="The 12-digit account id, the tag or category value, or the service name.",
    )

    class Meta:
        abstract = True

    @property
    def scope(self) -> scopes.Scope:
        return scopes.Scope(self.scope_kind, self.scope_key, self.scope_value)

    @property
    def scope_label(self) -> str:
        return scopes.describe(self.scope_kind, self.scope_key, self.scope_value)

    def clean_fields(self, exclude=None) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.message_dict
        for field, message in scopes.scope_errors(self.scope_kind, self.scope_key, self.scope_value).items():
            if field not in errors and field not in (exclude or ()):
                errors[field] = [message]
        if errors:
            raise ValidationError(errors)


def _account_id_valid() -> models.Q:
    return ~models.Q(scope_kind=scopes.ACCOUNT) | models.Q(scope_value__regex=scopes.ACCOUNT_ID_PATTERN)


def _key_only_when_keyed() -> models.Q:
    return models.Q(scope_kind__in=sorted(scopes.KEYED_KINDS)) & ~models.Q(scope_key="") | models.Q(
        scope_kind__in=[scopes.ACCOUNT, scopes.SERVICE], scope_key=""
    )


class Ownership(ScopeFields):
    """A team or a stakeholder owns a cost scope. Claims may overlap; one claim per scope is primary."""

    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="ownerships"
    )
    owner_stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.CASCADE, related_name="ownerships"
    )
    is_primary = models.BooleanField(
        "primary owner", default=False, help_text="The owner variances and questions go to."
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scope_kind", "scope_key", "scope_value", "-is_primary", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_team__isnull=False, owner_stakeholder__isnull=True)
                | models.Q(owner_team__isnull=True, owner_stakeholder__isnull=False),
                name="ownership_one_owner",
                violation_error_message="An ownership has exactly one owner: a team or a stakeholder.",
            ),
            models.CheckConstraint(
                condition=_account_id_valid(),
                name="ownership_account_id_12_digits",
                violation_error_message="An AWS account id is exactly 12 digits.",
            ),
            models.CheckConstraint(condition=_key_only_when_keyed(), name="ownership_key_matches_kind"),
            models.UniqueConstraint(
                fields=["scope_kind", "scope_key", "scope_value"],
                condition=models.Q(is_primary=True),
                name="ownership_one_primary_per_scope",
                violation_error_message="This scope already has a primary owner.",
            ),
            models.UniqueConstraint(
                fields=["scope_kind", "scope_key", "scope_value", "owner_team"],
                condition=models.Q(owner_team__isnull=False),
                name="ownership_team_claims_once",
                violation_error_message="This team already claims this scope.",
            ),
            models.UniqueConstraint(
                fields=["scope_kind", "scope_key", "scope_value", "owner_stakeholder"],
                condition=models.Q(owner_stakeholder__isnull=False),
                name="ownership_stakeholder_claims_once",
                violation_error_message="This stakeholder already claims this scope.",
            ),
        ]
        indexes = [models.Index(fields=["scope_kind", "scope_value"])]

    def __str__(self) -> str:
        primary = " (primary)" if self.is_primary else ""
        return f"{self.owner} owns {self.scope_label}{primary}"

    @property
    def owner(self) -> Team | Stakeholder | None:
        return self.owner_team or self.owner_stakeholder

    @property
    def owner_kind(self) -> str:
        return "team" if self.owner_team_id else "stakeholder"


class Engagement(models.Model):
    """A third party's contract: what it costs per period and which scopes it manages."""

    class Model(models.TextChoices):
        FIXED_FEE = "fixed_fee", "Fixed fee"
        RETAINER = "retainer", "Retainer"
        SHARE_OF_SAVINGS = "share_of_savings", "Share of savings"
        TOOL_SUBSCRIPTION = "tool_subscription", "Tool subscription"

    class Period(models.TextChoices):
        MONTHLY = roi_rules.MONTHLY, "Monthly"
        QUARTERLY = roi_rules.QUARTERLY, "Quarterly"
        YEARLY = roi_rules.YEARLY, "Yearly"

    party = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="engagements")
    name = models.CharField(max_length=200, help_text="e.g. 'Rightsizing programme 2026'.")
    model = models.CharField("engagement model", max_length=24, choices=Model.choices)
    fee = models.DecimalField(
        "fee per period",
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="The fixed part of the fee each period (zero for a pure share of savings).",
    )
    savings_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Share of savings paid to the party, as a fraction (0.2500 = 25%); share-of-savings only.",
    )
    currency = models.CharField(max_length=3, default="USD")
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.MONTHLY)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Exclusive; empty while it runs.")
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-active", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="engagement_fee_not_negative"),
            models.CheckConstraint(
                condition=models.Q(savings_share__isnull=True)
                | models.Q(savings_share__gte=0, savings_share__lte=1),
                name="engagement_share_is_a_fraction",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=models.F("starts_on")),
                name="engagement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.party.name})"

    def clean(self) -> None:
        # The constraint refuses it too, but as a bare constraint name against the whole row.
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": "The end (exclusive) must be after the start."})

    @property
    def period_noun(self) -> str:
        return {"monthly": "month", "quarterly": "quarter", "yearly": "year"}[self.period]

    def fee_for(self, savings: Decimal) -> Decimal:
        """What the party is paid for a period with these attributed savings."""
        share = self.savings_share if self.model == self.Model.SHARE_OF_SAVINGS and self.savings_share else 0
        return self.fee + share * savings


class EngagementScope(ScopeFields):
    """A cost scope a third party manages for the organisation."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="scopes")

    class Meta:
        ordering = ["scope_kind", "scope_key", "scope_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "scope_kind", "scope_key", "scope_value"],
                name="engagement_scope_once",
                violation_error_message="The engagement already manages this scope.",
            ),
            models.CheckConstraint(
                condition=_account_id_valid(),
                name="engagement_scope_account_id_12_digits",
                violation_error_message="An AWS account id is exactly 12 digits.",
            ),
        ]

    def __str__(self) -> str:
        return self.scope_label


class AttributedSaving(models.Model):
    """Savings the organisation attributes to an engagement for one of its periods."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="savings")
    period_start = models.DateField(help_text="First day of the month, calendar quarter or year.")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["engagement", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "period_start"],
                name="saving_once_per_period",
                violation_error_message="Savings for this period are already recorded; edit them instead.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engagement.name} {self.period_start}: {self.amount}"

    @property
    def period_end(self):
        return roi_rules.period_end(self.period_start, self.engagement.period)

    @property
    def period_label(self) -> str:
        return roi_rules.period_label(self.period_start, self.engagement.period)
