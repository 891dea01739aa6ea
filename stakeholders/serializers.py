from rest_framework import serializers

from stakeholders.models import Stakeholder, Team


class StakeholderSerializer(serializers.ModelSerializer):
    teams = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Stakeholder
        fields = ["id", "name", "email", "title", "group", "role", "active", "teams"]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "kind", "parent", "description", "members"]
