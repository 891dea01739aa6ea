from django.urls import path

from stakeholders import views

urlpatterns = [
    path("people/", views.stakeholder_index, name="stakeholder-list"),
]
