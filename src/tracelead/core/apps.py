from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tracelead.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .storage import keep_database_files_private

        connection_created.connect(keep_database_files_private, dispatch_uid="tracelead-private")
