from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "tracelead.network"
    label = "network"
    verbose_name = "Relationships"
