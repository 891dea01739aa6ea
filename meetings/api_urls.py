from django.urls import path
from rest_framework.routers import SimpleRouter

from meetings import apis, variance_decision_views

router = SimpleRouter()
router.register("glossary-terms", apis.GlossaryTermViewSet, basename="api-glossary-term")
router.register("topics", apis.TopicViewSet, basename="api-topic")
router.register("cadences", apis.CadenceViewSet, basename="api-cadence")
router.register("meetings", apis.MeetingViewSet, basename="api-meeting")
router.register("attendances", apis.AttendanceViewSet, basename="api-attendance")
router.register("agenda-items", apis.AgendaItemViewSet, basename="api-agenda-item")
router.register("decisions", apis.DecisionViewSet, basename="api-decision")
router.register("action-items", apis.ActionItemViewSet, basename="api-action-item")
router.register("calendar-feeds", apis.CalendarFeedViewSet, basename="api-calendar-feed")

urlpatterns = [
    # Before costdata's variance routes (partnership/urls.py includes meetings first); the path predates the
    # move from costdata's variances API.
    path(
        "variances/<int:pk>/decisions/",
        variance_decision_views.VarianceDecisionCreate.as_view(),
        name="api-variance-decisions",
    ),
    *router.urls,
]
