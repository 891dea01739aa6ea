from django.urls import path

from stakeholders import views

urlpatterns = [
    path("people/", views.stakeholder_index, name="stakeholder-list"),
    path("people/me/", views.stakeholder_me, name="stakeholder-me"),
    path("people/new/", views.stakeholder_create, name="stakeholder-create"),
    path("people/<int:pk>/", views.stakeholder_detail, name="stakeholder-detail"),
    path("people/<int:pk>/edit/", views.stakeholder_edit, name="stakeholder-edit"),
    path("people/<int:pk>/active/", views.stakeholder_set_active, name="stakeholder-set-active"),
    path("teams/", views.team_index, name="team-list"),
    path("teams/new/", views.team_create, name="team-create"),
    path("teams/<int:pk>/", views.team_detail, name="team-detail"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team-edit"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team-delete"),
    path("ownership/", views.ownership_index, name="ownership-list"),
    path("ownership/new/", views.ownership_create, name="ownership-create"),
    path("ownership/<int:pk>/", views.ownership_edit, name="ownership-edit"),
    path("ownership/<int:pk>/make-primary/", views.ownership_make_primary, name="ownership-make-primary"),
    path("ownership/<int:pk>/delete/", views.ownership_delete, name="ownership-delete"),
    path("engagements/", views.engagement_index, name="engagement-list"),
    path("engagements/new/", views.engagement_create, name="engagement-create"),
    path("engagements/<int:pk>/", views.engagement_detail, name="engagement-detail"),
    path("engagements/<int:pk>/edit/", views.engagement_edit, name="engagement-edit"),
    path("engagement-savings/<int:pk>/delete/", views.saving_delete, name="saving-delete"),
    path("readiness/", views.readiness, name="readiness"),
]
