from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stakeholders.models import Group
from stakeholders.selectors import stakeholder_list


@login_required
def stakeholder_index(request: HttpRequest) -> HttpResponse:
    people = stakeholder_list()
    by_group = [(label, [p for p in people if p.group == value]) for value, label in Group.choices]
    return render(request, "stakeholders/stakeholder_list.html", {"by_group": by_group})
