from django.urls import path

from meetings import review_pack_views, variance_decision_views, views

urlpatterns = [
    path("glossary/", views.glossary_list, name="glossary-list"),
    path("glossary/new/", views.glossary_create, name="glossary-create"),
    path("glossary/<slug:slug>/edit/", views.glossary_edit, name="glossary-edit"),
    path("topics/", views.topic_list, name="topic-list"),
    path("topics/new/", views.topic_create, name="topic-create"),
    path("topics/<int:pk>/", views.topic_detail, name="topic-detail"),
    path("topics/<int:pk>/edit/", views.topic_edit, name="topic-edit"),
    path("cadences/", views.cadence_list, name="cadence-list"),
    path("cadences/new/", views.cadence_create, name="cadence-create"),
    path("cadences/<int:pk>/", views.cadence_detail, name="cadence-detail"),
    path("cadences/<int:pk>/edit/", views.cadence_edit, name="cadence-edit"),
    path("cadences/<int:pk>/series.ics", views.cadence_series_ics, name="cadence-series-ics"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/meeting.ics", views.meeting_ics, name="meeting-ics"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting-attendance"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting-minutes"),
    path("meetings/<int:pk>/decisions/", views.meeting_decision_add, name="meeting-decision-add"),
    path("meetings/<int:pk>/action-items/", views.meeting_action_add, name="meeting-action-add"),
    path("meetings/<int:pk>/agenda/", views.meeting_agenda_add, name="meeting-agenda-add"),
    path("meetings/<int:pk>/agenda/rebuild/", views.meeting_agenda_rebuild, name="meeting-agenda-rebuild"),
    path("meetings/<int:pk>/agenda/send/", views.meeting_agenda_send, name="meeting-agenda-send"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/", views.meeting_agenda_item, name="meeting-agenda-item"),
    path("meetings/<int:pk>/status/", views.meeting_status, name="meeting-status"),
    path("action-items/", views.action_item_list, name="action-item-list"),
    path("action-items/new/", views.action_item_create, name="action-item-create"),
    path("action-items/<int:pk>/", views.action_item_edit, name="action-item-edit"),
    path("action-items/<int:pk>/status/", views.action_item_status, name="action-item-status"),
    path("calendar/feeds/new/", views.feed_create, name="calendar-feed-create"),
    path("calendar/feeds/<int:pk>/<str:verb>/", views.feed_action, name="calendar-feed-action"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    # A meeting's decision about a variance (the path predates the move from costdata)
    path(
        "costs/meetings/<int:meeting_pk>/variance-decision/",
        variance_decision_views.meeting_variance_decision,
        name="meeting-variance-decision",
    ),
    # Review packs sit beside the dashboards they freeze (their addresses predate the move to meetings).
    path("dashboards/review-packs/", review_pack_views.review_pack_index, name="review-pack-list"),
    path(
        "dashboards/review-packs/<int:pk>/", review_pack_views.review_pack_detail, name="review-pack-detail"
    ),
    path(
        "dashboards/review-packs/<int:pk>/xlsx/", review_pack_views.review_pack_xlsx, name="review-pack-xlsx"
    ),
    path(
        "dashboards/review-packs/<int:pk>/csv/<str:key>/",
        review_pack_views.review_pack_csv,
        name="review-pack-csv",
    ),
    path(
        "dashboards/meetings/<int:meeting_pk>/review-packs/",
        review_pack_views.review_pack_create,
        name="review-pack-create",
    ),
]
