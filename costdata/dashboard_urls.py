"""Page URLs of the dashboards and review packs (kept apart from the ingestion pages' costdata/urls.py)."""

from django.urls import path

from costdata import dashboard_views as views

urlpatterns = [
    path("dashboards/", views.overview, name="dashboard-overview"),
    path("dashboards/commitments/", views.commitments, name="dashboard-commitments"),
    path("dashboards/scope/<str:kind>/<path:value>/", views.scope_page, name="dashboard-scope"),
    path("dashboards/review-packs/", views.review_pack_index, name="review-pack-list"),
    path("dashboards/review-packs/<int:pk>/", views.review_pack_detail, name="review-pack-detail"),
    path("dashboards/review-packs/<int:pk>/xlsx/", views.review_pack_xlsx, name="review-pack-xlsx"),
    path("dashboards/review-packs/<int:pk>/csv/<str:key>/", views.review_pack_csv, name="review-pack-csv"),
    path(
        "dashboards/meetings/<int:meeting_pk>/review-packs/",
        views.review_pack_create,
        name="review-pack-create",
    ),
]
