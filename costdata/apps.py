from django.apps import AppConfig


class CostdataConfig(AppConfig):
    name = "costdata"
    verbose_name = "Cost data"

    def ready(self) -> None:
        from costdata.registrations import register_all

        register_all()
