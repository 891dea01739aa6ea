"""Root URLs: each app brings its pages (<app>/urls.py) and its API routes under /api/v1/ (<app>/api_urls.py)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from partnership import views

APPS = ["stakeholders", "meetings", "costdata"]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *[path("", include(f"{app}.urls")) for app in APPS],
    *[path("api/v1/", include(f"{app}.api_urls")) for app in APPS],
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Partnership administration"
admin.site.site_title = "Partnership admin"
