from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CostdataConfig(AppConfig):
    name = "costdata"
    verbose_name = "Cost data"

    def ready(self) -> None:
        from costdata.money import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="costdata-sqlite-decimal-sum")

        from costdata.registrations import register_all

        register_all()
