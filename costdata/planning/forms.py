"""Forms of the budget pages (validation of shape only; the services decide the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from costdata.planning.models import Budget, BudgetVersion


class BudgetCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    fiscal_year = forms.IntegerField(min_value=2000, max_value=2100)
    currency = forms.CharField(max_length=3, initial="USD")


class VersionCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    note = forms.CharField(required=False)
    copy_from = forms.ModelChoiceField(queryset=BudgetVersion.objects.none(), required=False)

    def __init__(self, *args: Any, budget: Budget | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if budget is not None:
            copy_from = self.fields["copy_from"]
            assert isinstance(copy_from, forms.ModelChoiceField)
            copy_from.queryset = budget.versions.order_by("number")


class BudgetImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX: scope_type, scope_value, month, amount, currency.")
