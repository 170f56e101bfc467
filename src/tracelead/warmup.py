"""Work done once when a web server starts, so that no visitor waits for it.

Django imports the URL configuration, compiles templates and builds Altair's chart
classes on first use, so the first request after a restart took seconds (the heatmap
page about 2.5 s). :func:`warm_up` does that work at start-up instead; ``tracelead.wsgi``
calls it after creating the application (gunicorn and ``runserver`` both import it).
Commands and tests do not, so they start as quickly as before.
"""

from __future__ import annotations

# Templates compiled at start-up: the layout every page extends, the design system's
# macros it imports, and the report pages (the largest templates).
WARM_TEMPLATE_FOLDERS = ("core/", "nhsuk/", "reports/")


def warm_up() -> None:
    """Import every view, compile the common templates and build the heatmap's chart.

    Must run after ``django.setup()`` (the WSGI application's creation does that).
    """
    from django.template import engines
    from django.urls import get_resolver

    from tracelead.instruments.registry import available_instruments
    from tracelead.reports import charts

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every app's URLs and views
    resolver.reverse_dict  # noqa: B018 - compiles every pattern for reverse() and url()
    for engine in engines.all():
        env = getattr(engine, "env", None)  # the Jinja2 engine; Django's own has no env
        if env is None:
            continue
        for name in env.list_templates(extensions=["jinja", "html"]):
            if name.startswith(WARM_TEMPLATE_FOLDERS):
                env.get_template(name)
    # The heatmap's chart without data is cached per instrument, measure and width; the
    # page asks for the width of its container.
    for instrument in available_instruments():
        names = tuple(scale.name for scale in instrument.scales)
        for measure in ("level", "sharedness"):
            charts.heatmap_skeleton(measure, names, "container", True)
