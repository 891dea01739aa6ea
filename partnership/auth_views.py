"""Login with throttling and session timestamps; the user's own account page with API tokens."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common import services as tokens
from common.client import client_address
from common.models import ApiToken
from common.types import AuthenticatedHttpRequest
from partnership import services
from partnership.sessions import session_started


class ThrottledLogin:
    """Login through the backoff of partnership/services.py: a refused attempt is answered 429 and not
    even checked; every failure is counted for the account and the client's address."""

    locked_message = "Too many failed attempts. Wait a few minutes before trying again."
    request: HttpRequest

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        if services.login_locked(username=username, address=client_address(request)):
            form = self.get_form()  # type: ignore[attr-defined]
            form.errors.clear()
            context = self.get_context_data(form=form, locked=self.locked_message)  # type: ignore[attr-defined]
            return self.render_to_response(context, status=429)  # type: ignore[attr-defined]
        return super().post(request, *args, **kwargs)  # type: ignore[misc]

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)  # type: ignore[misc]  # logs in and rotates the session key
        services.login_success_record(username=form.get_user().get_username())
        session_started(self.request)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        services.login_failure_record(
            username=self.request.POST.get("username", ""), address=client_address(self.request)
        )
        return super().form_invalid(form)  # type: ignore[misc]


class LoginView(ThrottledLogin, auth_views.LoginView):
    redirect_authenticated_user = True


class AdminLoginView(ThrottledLogin, auth_views.LoginView):
    """The Django admin's login page and form (staff only), counted like every other login."""

    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if admin.site.has_permission(request):  # already signed in as staff: as the admin's own login does
            return redirect(reverse("admin:index", current_app=admin.site.name))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            admin.site.each_context(self.request),
            title="Log in",
            subtitle=None,
            app_path=self.request.get_full_path(),
            username=self.request.user.get_username(),
        )
        if REDIRECT_FIELD_NAME not in self.request.GET and REDIRECT_FIELD_NAME not in self.request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=admin.site.name)
        if context.get("locked"):
            context["form"].add_error(None, context["locked"])
        return context


def _account_page(
    request: AuthenticatedHttpRequest, *, new_key: str | None = None, status: int = 200
) -> HttpResponse:
    context = {"tokens": ApiToken.objects.filter(user=request.user), "new_key": new_key}
    return render(request, "account.html", context, status=status)


@login_required
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new key is in this response only: never in the session, a cookie or a log. The page says to
    copy it now; reloading the account page shows only its prefix."""
    try:
        expires_on = _date_or_none(request.POST.get("expires_on", ""))
        issued = tokens.api_token_create(
            user=request.user, name=request.POST.get("name", ""), expires_on=expires_on
        )
    except ValidationError as exc:
        for field_errors in exc.message_dict.values():
            for error in field_errors:
                messages.error(request, error)
        return redirect("account")
    messages.success(
        request, f"Token “{issued.token.name}” created. Copy it now: it will not be shown again."
    )
    return _account_page(request, new_key=issued.key, status=201)


def _date_or_none(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationError({"expires_on": "Give the expiry day as YYYY-MM-DD."}) from exc


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        token = tokens.api_token_revoke(user=request.user, token_id=pk)
    except ApiToken.DoesNotExist:
        return render(request, "404.html", status=404)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("account")
