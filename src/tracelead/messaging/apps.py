from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "tracelead.messaging"
    label = "messaging"
    verbose_name = "Email and background jobs"
