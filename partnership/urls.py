from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from costdata import apis as cost_apis
from costdata import views as cost_views
from partnership import views
from stakeholders import apis as stakeholder_apis
from stakeholders import views as stakeholder_views

router = DefaultRouter()
router.register("sources", cost_apis.CostSourceViewSet, basename="source")
router.register("stakeholders", stakeholder_apis.StakeholderViewSet, basename="stakeholder")
router.register("teams", stakeholder_apis.TeamViewSet, basename="team")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("costs/sources/", cost_views.source_index, name="source-list"),
    path("costs/sources/<int:pk>/", cost_views.source_detail, name="source-detail"),
    path("people/", stakeholder_views.stakeholder_index, name="stakeholder-list"),
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Partnership administration"
admin.site.site_title = "Partnership admin"
