"""People in the partnership, and the teams and business units they belong to."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
    members = models.ManyToManyField("Stakeholder", blank=True, related_name="teams")

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
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.group and self.role and self.role not in ROLES_BY_GROUP.get(self.group, set()):
            raise ValidationError(
                {"role": f"{self.get_role_display()} is not a role in the {self.get_group_display()} group."}
            )
