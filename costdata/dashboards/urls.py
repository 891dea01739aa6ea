"""Page URLs of the dashboards (kept apart from the ingestion pages' costdata/urls.py)."""

from django.urls import path

from costdata.dashboards import views

urlpatterns = [
    path("dashboards/", views.overview, name="dashboard-overview"),
    path("dashboards/commitments/", views.commitments, name="dashboard-commitments"),
    path("dashboards/scope/<str:kind>/<path:value>/", views.scope_page, name="dashboard-scope"),
]
