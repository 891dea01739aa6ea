from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from costdata import permissions as cost_permissions
from costdata.facts import selectors as cost_selectors
from partnership import health
from stakeholders.selectors import stakeholder_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # What the signed-in role may see of the costs (costdata.permissions); nothing without a role.
    visible = cost_permissions.cost_filter(request.user).facts
    context = {
        # When the data was refreshed is everyone's; which source and how many rows, the sources' readers'.
        "last_run": cost_selectors.last_successful_run(),
        "may_read_sources": cost_permissions.may_read_sources(request.user),
        "month_to_date": cost_selectors.month_to_date_totals(visible=visible),
        "stakeholder": stakeholder_for_user(request.user),
    }
    return render(request, "home.html", context)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = health.database_status()
    broker = health.broker_status(settings.CELERY_BROKER_URL)
    healthy = database["ok"] and broker["ok"]
    body = {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker}
    return JsonResponse(body, status=200 if healthy else 503)


def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: with fingerprinted static files the name is only known after collectstatic.
    return redirect(static("img/favicon.svg"), permanent=True)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a URL nothing matched: JSON under /api/ (integrations parse it), the site's page elsewhere."""
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Server error. It has been logged."}, status=500)
    return render(request, "500.html", status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return render(request, "403.html", status=403)


def moved_admin(request: HttpRequest, rest: str, to: str = "audit/auditlogentry") -> HttpResponse:
    """An admin page whose model moved to another app (the audit trail from /admin/partnership/, review
    packs from /admin/costdata/): old bookmarks still land."""
    query = request.META.get("QUERY_STRING", "")
    target = f"/admin/{to}/{rest}" + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(target)
