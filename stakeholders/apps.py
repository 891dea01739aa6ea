from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholders"

    def ready(self) -> None:
        from audit.access import register_reader_rule
        from stakeholders.permissions import may_read_audit

        register_reader_rule(may_read_audit)
