import functools

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

        from costdata.variances.selectors import register_timeline_source
        from meetings.variance_decisions import decision_timeline_entries

        register_timeline_source(decision_timeline_entries)

        from costdata.variances.services import register_action_item_maker
        from meetings.services import action_item_create

        register_action_item_maker(functools.partial(action_item_create, notify=False))

        from costdata.variances.selectors import register_explanation_follow_ups
        from meetings.selectors import explanation_action_items

        register_explanation_follow_ups(explanation_action_items)

        from meetings.review_packs import register_scope_offer_for_packs

        register_scope_offer_for_packs()

        from meetings.feed_access import register_feed_revocation

        register_feed_revocation()
