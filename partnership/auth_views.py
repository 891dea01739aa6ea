"""Login with throttling and session timestamps; the user's own account page with API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from common import services as tokens
from common.models import ApiToken
from common.types import AuthenticatedHttpRequest
from partnership import services
from partnership.sessions import session_started


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR is the proxy's address behind a reverse proxy; gunicorn's --forwarded-allow-ips
    # makes it the client's. Never trust a raw X-Forwarded-For header here: anyone can send one.
    return request.META.get("REMOTE_ADDR", "unknown")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    locked_message = "Too many failed attempts. Wait a few minutes before trying again."

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        if services.login_locked(username=username, address=client_address(request)):
            form = self.get_form()
            form.errors.clear()
            return self.render_to_response(
                self.get_context_data(form=form, locked=self.locked_message), status=429
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)  # logs in and rotates the session key
        services.login_success_record(username=form.get_user().get_username())
        session_started(self.request)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        services.login_failure_record(
            username=self.request.POST.get("username", ""), address=client_address(self.request)
        )
        return super().form_invalid(form)


@login_required
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request, "account.html", {"tokens": tokens, "new_key": request.session.pop("new_token_key", None)}
    )


@login_required
@require_POST
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        issued = tokens.api_token_create(user=request.user, name=request.POST.get("name", ""))
    except ValidationError as exc:
        for error in exc.message_dict.get("name", []):
            messages.error(request, error)
        return redirect("account")
    # Shown on the next page once, then gone: it is not stored anywhere but the user's session until then.
    request.session["new_token_key"] = issued.key
    messages.success(
        request, f"Token “{issued.token.name}” created. Copy it now: it will not be shown again."
    )
    return redirect("account")


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        token = tokens.api_token_revoke(user=request.user, token_id=pk)
    except ApiToken.DoesNotExist:
        return render(request, "404.html", status=404)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("account")
