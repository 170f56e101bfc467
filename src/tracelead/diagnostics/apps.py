from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "tracelead.diagnostics"
    label = "diagnostics"
    verbose_name = "Diagnostics"
