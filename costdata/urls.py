from django.urls import path

from costdata import views

urlpatterns = [
    path("costs/sources/", views.source_index, name="source-list"),
    path("costs/sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("costs/sources/<int:pk>/pull/", views.source_pull_now, name="source-pull"),
    path("costs/sources/<int:pk>/import/", views.focus_upload, name="source-import"),
]
