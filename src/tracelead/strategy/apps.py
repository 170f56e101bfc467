from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "tracelead.strategy"
    label = "strategy"
    verbose_name = "Collective leadership strategy"
