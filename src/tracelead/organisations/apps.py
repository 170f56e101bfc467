from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "tracelead.organisations"
    label = "organisations"
    verbose_name = "Systems, organisations and groups"
