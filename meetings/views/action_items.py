"""Pages for action items: the list, the form, and closing or reopening one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.page_errors import add_form_errors
from meetings import forms, permissions, selectors, services
from meetings.cost_items import action_item_origin
from meetings.models import (
    ActionItem,
)
from meetings.views.base import form_page, next_url, page_of, require, require_read
from stakeholders.models import Stakeholder

# --- Action items --------------------------------------------------------------------------------


@login_required
def action_item_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "open")
    owner_id = request.GET.get("owner", "")
    owner = Stakeholder.objects.filter(pk=owner_id).first() if owner_id.isdigit() else None
    items = selectors.action_item_list(
        viewer=request.user,
        q=q,
        owner=owner,
        status="" if status in {"open", "all"} else status,
        open_only=status == "open",
    )
    context = {
        "page": page_of(request, items.order_by("due_on", "pk")),
        "q": q,
        "status": status,
        "owner_id": owner_id,
        "owners": Stakeholder.objects.filter(action_items__isnull=False).distinct(),
        "statuses": ActionItem.Status.choices,
        "today": timezone.localdate(),
    }
    return render(request, "meetings/action_item_list.html", context)


@login_required
def action_item_create(request: HttpRequest) -> HttpResponse:
    require_read(request)
    stakeholder = permissions.stakeholder_of(request.user)
    require(permissions.can_manage_programme(request.user) or stakeholder is not None)
    initial = {} if permissions.can_manage_programme(request.user) else {"owner": stakeholder}
    form = forms.ActionItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        require(permissions.can_create_action_item(request.user, form.cleaned_data["owner"]))
        try:
            item = services.action_item_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, f"Action item added for {item.owner.name}.")
            return redirect(reverse("action-item-list"))
    return form_page(request, form, title="New action item", cancel=reverse("action-item-list"))


@login_required
def action_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
    readable = permissions.visible_action_items(request.user, ActionItem.objects.all())
    item = get_object_or_404(
        readable.select_related("owner", "origin_meeting", "explanation__variance"), pk=pk
    )
    origin = action_item_origin(item=item, viewer=request.user)
    if request.method == "GET" and not permissions.can_edit_action_item(request.user, item):
        context = {"item": item, "origin": origin, "today": timezone.localdate()}
        return render(request, "meetings/action_item_detail.html", context)
    require(permissions.can_edit_action_item(request.user, item))
    can_reassign = permissions.can_reassign_action_item(request.user)
    form = forms.ActionItemForm(
        request.POST or None, instance=ActionItem.objects.get(pk=pk), can_reassign=can_reassign
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_item_update(item=item, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, "Action item saved.")
            return redirect(next_url(request, reverse("action-item-list")))
    return form_page(
        request, form, title=f"Action item: {item.title}", cancel=reverse("action-item-list"), origin=origin
    )


@login_required
@require_POST
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner's one-click update from their page or the list: in progress, done, dropped."""
    item = get_object_or_404(ActionItem, pk=pk)
    require(permissions.can_edit_action_item(request.user, item))
    status = request.POST.get("status", "")
    try:
        services.action_item_update(item=item, status=status, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    return redirect(next_url(request, reverse("action-item-list")))
