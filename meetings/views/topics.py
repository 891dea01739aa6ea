"""Pages for the glossary and the programme's topics."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from common.page_errors import add_form_errors
from meetings import forms, permissions, selectors, services
from meetings.models import (
    GlossaryTerm,
    Topic,
)
from meetings.views.base import form_page, require, require_read
from stakeholders.models import Group

# --- Glossary ------------------------------------------------------------------------------------


@login_required
def glossary_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    q = request.GET.get("q", "").strip()
    terms = selectors.glossary_term_list(q=q)
    context = {"terms": terms, "q": q, "can_edit": permissions.can_manage_topics(request.user)}
    return render(request, "meetings/glossary_list.html", context)


@login_required
def glossary_create(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_topics(request.user))
    form = forms.GlossaryTermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.glossary_term_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, f"Added “{term.term}” to the glossary.")
            return redirect(term.get_absolute_url())
    return form_page(request, form, title="New glossary term", cancel=reverse("glossary-list"))


@login_required
def glossary_edit(request: HttpRequest, slug: str) -> HttpResponse:
    require(permissions.can_manage_topics(request.user))
    term = get_object_or_404(GlossaryTerm, slug=slug)
    form = forms.GlossaryTermForm(request.POST or None, instance=GlossaryTerm.objects.get(pk=term.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.glossary_term_update(item=term, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, f"Saved “{term.term}”.")
            return redirect(term.get_absolute_url())
    return form_page(request, form, title=f"Edit “{term.term}”", cancel=term.get_absolute_url())


# --- Topics --------------------------------------------------------------------------------------


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    q, group, due = (
        request.GET.get("q", "").strip(),
        request.GET.get("group", ""),
        request.GET.get("due") == "1",
    )
    today = timezone.localdate()
    topics = selectors.topic_list(q=q, group=group, due_on=today if due else None)
    context = {
        "topics": topics,
        "q": q,
        "group": group,
        "due": due,
        "today": today,
        "groups": Group.choices,
        "can_edit": permissions.can_manage_topics(request.user),
    }
    return render(request, "meetings/topic_list.html", context)


@login_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
    topic = get_object_or_404(Topic.objects.prefetch_related("members", "glossary_terms"), pk=pk)
    context = {
        "topic": topic,
        "today": timezone.localdate(),
        "decisions": permissions.visible_meeting_records(request.user, topic.decisions.all())
        .select_related("meeting")
        .order_by("-created_at")[:20],
        "action_items": permissions.visible_action_items(request.user, topic.action_items.all())
        .select_related("owner")
        .order_by("-created_at")[:20],
        "can_edit": permissions.can_manage_topics(request.user),
    }
    return render(request, "meetings/topic_detail.html", context)


def _topic_form_save(request: HttpRequest, form: forms.TopicForm, topic: Topic | None) -> Topic | None:
    data = dict(form.cleaned_data)
    data.pop("processes_text", None)
    members, terms = data.pop("members"), data.pop("glossary_terms")
    try:
        if topic is None:
            active = data.pop("active", True)
            topic = services.topic_create(members=members, glossary_terms=terms, actor=request.user, **data)
            if not active:
                services.topic_update(topic=topic, active=False, actor=request.user)
            return topic
        return services.topic_update(
            topic=topic, members=members, glossary_terms=terms, actor=request.user, **data
        )
    except ValidationError as exc:
        add_form_errors(form, exc)
        return None


@login_required
def topic_create(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_topics(request.user))
    form = forms.TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        topic = _topic_form_save(request, form, None)
        if topic is not None:
            messages.success(request, f"Added the topic “{topic.name}”.")
            return redirect(topic.get_absolute_url())
    return form_page(request, form, title="New topic", cancel=reverse("topic-list"))


@login_required
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(permissions.can_manage_topics(request.user))
    topic = get_object_or_404(Topic, pk=pk)
    form = forms.TopicForm(request.POST or None, instance=Topic.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        if _topic_form_save(request, form, topic) is not None:
            messages.success(request, f"Saved “{topic.name}”.")
            return redirect(topic.get_absolute_url())
    return form_page(request, form, title=f"Edit “{topic.name}”", cancel=topic.get_absolute_url())
