from django.apps import AppConfig


class CostdataConfig(AppConfig):
    name = "costdata"
    verbose_name = "Cost data"

    def ready(self) -> None:
        from costdata.registrations import register_all

        register_all()

        from django.db.models.signals import pre_delete

        from costdata.signals import source_lock_before_delete

        pre_delete.connect(
            source_lock_before_delete,
            sender="costdata.CostSource",
            dispatch_uid="costdata-source-delete-lock",
        )
