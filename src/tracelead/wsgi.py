import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracelead.settings")
application = get_wsgi_application()

from tracelead.warmup import warm_up  # noqa: E402 - needs the application set up first

warm_up()
