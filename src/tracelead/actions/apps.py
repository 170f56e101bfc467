from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "tracelead.actions"
    label = "actions"
    verbose_name = "Action plans, sharing and response tracking"

    def ready(self) -> None:
        from . import tracking

        tracking.connect()
