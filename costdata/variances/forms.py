"""Forms of the variance pages (validation of shape only; the services decide the rules)."""

from __future__ import annotations

from django import forms

from costdata.variances.models import Explanation
from stakeholders.models import Stakeholder, Team


class ExplanationForm(forms.Form):
    category = forms.ChoiceField(choices=Explanation.Category.choices)
    narrative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), help_text="What happened, why, and what it cost."
    )
    expected_duration = forms.ChoiceField(choices=Explanation.Duration.choices)
    planned_action = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    action_item_title = forms.CharField(
        max_length=300,
        required=False,
        label="Action item",
        help_text="Optional: tracked with the meetings' actions.",
    )
    action_item_due_on = forms.DateField(
        required=False, label="Action due", widget=forms.DateInput(attrs={"type": "date"})
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("send_back", "Send back"), ("close", "Close")]
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ReassignForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)
    assignee = forms.ModelChoiceField(
        queryset=Stakeholder.objects.filter(active=True).order_by("name"), required=False
    )
    comment = forms.CharField(required=False)
