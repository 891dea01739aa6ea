"""Page forms. They check shapes; the services check the rules and the views map their errors back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from stakeholders import scopes
from stakeholders.models import Engagement, Group, ScopeKind, Stakeholder, Team


def _choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """A relation's field of a model form (a ModelChoiceField or ModelMultipleChoiceField)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), f"{name} is not a relation field"
    return field


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's errors on the form fields they name (or on the form as a whole)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            if target is None and field not in ("__all__", "owner"):
                message = f"{field}: {message}"
            form.add_error(target, message)


class StakeholderForm(forms.ModelForm):
    """A person. `may_change_access` False (not an admin): an existing person's group and role show but
    do not change (disabled fields keep their initial values whatever is posted); the service refuses
    such a change too."""

    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("kind", "name"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Stakeholder
        fields = ["name", "email", "title", "group", "role", "active"]

    def __init__(self, *args: Any, may_change_access: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["teams"].initial = list(self.instance.teams.all())
        self.fields["role"].help_text = "Must be a role in the chosen group."
        if self.instance.pk and not may_change_access:
            for name in ("group", "role"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Only an admin changes a person's group and role."

    def _post_clean(self) -> None:
        """Leave model validation to the service, which reports the same errors."""


class TeamForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.filter(active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Team
        fields = ["name", "kind", "parent", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "parent").queryset = Team.objects.filter(kind=Team.Kind.BUSINESS_UNIT).order_by("name")
        self.fields["parent"].label = "Business unit"
        if self.instance.pk:
            members = Stakeholder.objects.filter(active=True) | Stakeholder.objects.filter(
                teams=self.instance
            )
            _choices(self, "members").queryset = members.distinct().order_by("name")
            self.fields["members"].initial = list(self.instance.members.all())

    def _post_clean(self) -> None:
        """Leave model validation to the service."""


class OwnershipForm(forms.Form):
    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("kind", "name"), required=False, label="Owning team or business unit"
    )
    owner_stakeholder = forms.ModelChoiceField(
        queryset=Stakeholder.objects.filter(active=True).order_by("name"),
        required=False,
        label="…or owning person",
    )
    scope_kind = forms.ChoiceField(choices=ScopeKind.choices, label="Scope")
    scope_key = forms.CharField(
        required=False,
        max_length=scopes.MAX_KEY,
        label="Key",
        help_text="The tag key (e.g. team) or the cost category name.",
    )
    scope_value = forms.CharField(
        max_length=scopes.MAX_VALUE,
        strip=False,
        label="Value",
        help_text="A 12-digit AWS account id, a tag or category value, or a service name.",
    )
    is_primary = forms.BooleanField(
        required=False,
        label="Primary owner",
        help_text="The first claim on a scope is always primary; hand over later from the claim itself.",
    )
    note = forms.CharField(required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if bool(data.get("owner_team")) == bool(data.get("owner_stakeholder")):
            raise ValidationError("Choose exactly one owner: a team or a person.")
        return data


class OwnershipNoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=300)


class OwnerLookupForm(forms.Form):
    account_id = forms.CharField(label="Account id", max_length=12, help_text="12 digits")
    service = forms.CharField(required=False, max_length=255)
    tags = forms.CharField(
        required=False,
        label="Tags",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="key=value, one a line",
    )
    cost_categories = forms.CharField(
        required=False,
        label="Cost categories",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="name=value, one a line",
    )

    def clean_account_id(self) -> str:
        value = self.cleaned_data["account_id"].strip()
        if message := scopes.account_id_error(value):
            raise ValidationError(message)
        return value

    @staticmethod
    def _pairs(text: str, field: str) -> dict[str, str]:
        pairs = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise ValidationError(f"Line {number}: write key=value; got {line.strip()!r}.")
            pairs[key.strip()] = value.strip()
        return pairs

    def clean_tags(self) -> dict[str, str]:
        return self._pairs(self.cleaned_data["tags"], "tags")

    def clean_cost_categories(self) -> dict[str, str]:
        return self._pairs(self.cleaned_data["cost_categories"], "cost_categories")


class EngagementForm(forms.ModelForm):
    scopes_text = forms.CharField(
        required=False,
        label="Scopes it manages",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line: account 210987654321 · tag team=payments · cost_category Environment=prod · "
        "service Amazon Relational Database Service",
    )

    class Meta:
        model = Engagement
        fields = [
            "party",
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
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "party").queryset = Stakeholder.objects.filter(group=Group.THIRD_PARTY).order_by(
            "name"
        )
        if self.instance.pk:
            self.fields["scopes_text"].initial = "\n".join(
                scopes.scope_line(scope.scope) for scope in self.instance.scopes.all()
            )

    def clean_scopes_text(self) -> list[dict[str, str]]:
        parsed, errors = [], []
        for number, line in enumerate(self.cleaned_data["scopes_text"].splitlines(), start=1):
            if not line.strip():
                continue
            scope, message = scopes.parse_scope_line(line)
            if scope is None:
                errors.append(f"Line {number}: {message}")
            else:
                parsed.append({"scope_kind": scope.kind, "scope_key": scope.key, "scope_value": scope.value})
        if errors:
            raise ValidationError(errors)
        return parsed

    def _post_clean(self) -> None:
        """Leave model validation to the service."""


class SavingForm(forms.Form):
    period_start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="First day of the period."
    )
    amount = forms.DecimalField(max_digits=18, decimal_places=2)
    note = forms.CharField(required=False, max_length=300)
