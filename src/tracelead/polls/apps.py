from django.apps import AppConfig


class PollsConfig(AppConfig):
    name = "tracelead.polls"
    label = "polls"
    verbose_name = "Live polls"
