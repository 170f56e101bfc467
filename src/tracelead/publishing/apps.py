from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "tracelead.publishing"
    label = "publishing"
    verbose_name = "Publishing"
