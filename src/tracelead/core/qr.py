"""QR codes as downloadable SVG files (segno)."""

from __future__ import annotations

import io

import segno
from django.http import HttpResponse


def qr_download(url: str, *, title: str, filename: str) -> HttpResponse:
    """A QR code of ``url`` as a stand-alone SVG file (with its XML declaration and
    namespace, so it opens as an image on its own; ``svg_inline`` is for pages)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, title=title)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
