from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tracelead.reports"
    label = "reports"
    verbose_name = "Reports"
