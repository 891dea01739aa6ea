from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Meetings"

    def ready(self) -> None:
        from meetings.agenda import register_builtin_providers
        from meetings.cost_items import register_cost_items
        from meetings.sections import register_stakeholder_sections

        register_builtin_providers()
        register_cost_items()
        register_stakeholder_sections()

        from meetings.health import register_health_panels

        register_health_panels()

        from meetings.review_packs import register_scope_offer_for_packs

        register_scope_offer_for_packs()
