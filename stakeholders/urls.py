from django.urls import path

from stakeholders import views

urlpatterns = [
    path("people/", views.stakeholder_index, name="stakeholder-list"),
    path("people/<int:pk>/", views.stakeholder_detail, name="stakeholder-detail"),
]
