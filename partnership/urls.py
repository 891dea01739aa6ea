"""Root URLs: each app brings its pages (<app>/urls.py) and its API routes under /api/v1/ (<app>/api_urls.py)."""

from importlib import import_module

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from audit import apis as audit_apis
from audit import views as audit_views
from common.transactions import atomic_writes_only
from partnership import auth_views as account_views
from partnership import views

APPS = ["stakeholders", "meetings", "costdata"]

# Every app's API routes under one namespace, so API route names (router "source-list" and the like)
# never shadow page names: reverse("api:source-list") vs reverse("source-list").
api_patterns = [pattern for app in APPS for pattern in import_module(f"{app}.api_urls").urlpatterns]
api_patterns.append(path("audit/", audit_apis.AuditEntryList.as_view(), name="audit-list"))

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (Django admin's, the API's).
    path("favicon.ico", views.favicon),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account_views.account, name="account"),
    path("account/tokens/", account_views.token_create, name="token-create"),
    path("account/tokens/<int:pk>/revoke/", account_views.token_revoke, name="token-revoke"),
    path("audit/", audit_views.audit_list, name="audit-list"),
    # The schema and its docs are for signed-in people and token holders: they map every endpoint.
    path("api/v1/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[IsAuthenticated]),
        name="api-docs",
    ),
    # The API before the apps' pages: an API request then skips the pages' patterns (no page lives under
    # /api/), which took a quarter of a millisecond of every API request to try one by one.
    path("api/v1/", include((api_patterns, "api"))),
    *[path("", include(f"{app}.urls")) for app in APPS],
    path("", include("costdata.dashboards.urls")),
    re_path(r"^admin/partnership/auditlogentry/(?P<rest>.*)$", views.moved_admin),
    # The admin's login goes through the same backoff as every other login.
    path("admin/login/", account_views.AdminLoginView.as_view(), name="admin-login"),
    re_path(r"^admin/costdata/reviewpack/(?P<rest>.*)$", views.moved_admin, {"to": "meetings/reviewpack"}),
    path("admin/", admin.site.urls),
]
# Writes run in one transaction per request (ATOMIC_REQUESTS); reads open none (partnership/transactions.py).
atomic_writes_only(urlpatterns)

admin.site.site_header = "Partnership administration"
admin.site.site_title = "Partnership admin"

handler400 = "partnership.views.bad_request"
handler403 = "partnership.views.permission_denied"
handler404 = "partnership.views.not_found"
handler500 = "partnership.views.server_error"
