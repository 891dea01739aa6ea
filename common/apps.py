from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"
