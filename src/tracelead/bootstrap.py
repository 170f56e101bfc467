"""Start Django outside a web server: for the command line and its sub-commands."""

from __future__ import annotations

import os


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracelead.settings")
    import django

    django.setup()
