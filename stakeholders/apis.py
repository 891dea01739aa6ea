from rest_framework import viewsets

from stakeholders.models import Team
from stakeholders.selectors import stakeholder_list
from stakeholders.serializers import StakeholderSerializer, TeamSerializer


class StakeholderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StakeholderSerializer
    filterset_fields = ["group", "role", "active"]
    ordering_fields = ["name", "group", "role"]
    ordering = ["name"]

    def get_queryset(self):
        return stakeholder_list(active_only=False)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    queryset = Team.objects.prefetch_related("members")
    filterset_fields = ["kind", "parent"]
    ordering_fields = ["name"]
    ordering = ["name"]
