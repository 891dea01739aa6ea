from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from stakeholders import sections
from stakeholders.models import Group, Stakeholder
from stakeholders.selectors import stakeholder_list


@login_required
def stakeholder_index(request: HttpRequest) -> HttpResponse:
    people = stakeholder_list()
    by_group = [(label, [p for p in people if p.group == value]) for value, label in Group.choices]
    return render(request, "stakeholders/stakeholder_list.html", {"by_group": by_group})


@login_required
def stakeholder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    stakeholder = get_object_or_404(stakeholder_list(active_only=False), pk=pk)
    context = {"stakeholder": stakeholder, "sections": sections.sections_for(stakeholder, request)}
    return render(request, "stakeholders/stakeholder_detail.html", context)
