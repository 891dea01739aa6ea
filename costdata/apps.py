from django.apps import AppConfig


class CostdataConfig(AppConfig):
    name = "costdata"
    verbose_name = "Cost data"
