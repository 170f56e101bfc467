from django.apps import AppConfig


class AcademyConfig(AppConfig):
    name = "tracelead.academy"
    label = "academy"
    verbose_name = "Leadership academy"
