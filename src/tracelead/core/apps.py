from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tracelead.core"
    label = "core"
    verbose_name = "Core"
