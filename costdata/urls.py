from django.urls import path

from costdata.ingestion import views
from costdata.planning import views as budget_views
from costdata.variances import views as variance_views

urlpatterns = [
    path("costs/sources/", views.source_index, name="source-list"),
    path("costs/sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("costs/sources/<int:pk>/progress/", views.source_progress, name="source-progress"),
    path("costs/sources/<int:pk>/pull/", views.source_pull_now, name="source-pull"),
    path("costs/sources/<int:pk>/import/", views.focus_upload, name="source-import"),
    # Variances and the procedure
    path("costs/variances/", variance_views.variance_index, name="variance-list"),
    path("costs/variances/detect/", variance_views.variance_detect_now, name="variance-detect"),
    path("costs/variances/<int:pk>/", variance_views.variance_detail, name="variance-detail"),
    path("costs/variances/<int:pk>/explain/", variance_views.variance_explain, name="variance-explain"),
    path("costs/variances/<int:pk>/review/", variance_views.variance_review, name="variance-review"),
    path("costs/variances/<int:pk>/reassign/", variance_views.variance_reassign, name="variance-reassign"),
    path("costs/variances/<int:pk>/comment/", variance_views.variance_comment, name="variance-comment"),
    # Budgets
    path("costs/budgets/", budget_views.budget_index, name="budget-list"),
    path("costs/budgets/<int:pk>/", budget_views.budget_detail, name="budget-detail"),
    path(
        "costs/budgets/versions/<int:pk>/", budget_views.budget_version_detail, name="budget-version-detail"
    ),
    path(
        "costs/budgets/versions/<int:pk>/import/",
        budget_views.budget_version_import,
        name="budget-version-import",
    ),
    path(
        "costs/budgets/versions/<int:pk>/export.<str:fmt>",
        budget_views.budget_version_export,
        name="budget-version-export",
    ),
    path(
        "costs/budgets/versions/<int:pk>/lock/",
        budget_views.budget_version_lock,
        name="budget-version-lock",
    ),
    path(
        "costs/budgets/versions/<int:pk>/activate/",
        budget_views.budget_version_activate,
        name="budget-version-activate",
    ),
]
