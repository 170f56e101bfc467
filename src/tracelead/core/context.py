"""Values every page template needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def page(request: HttpRequest) -> dict[str, Any]:
    # The NHS base template reads these names; the nonce lets its inline script run
    # under our Content Security Policy.
    # django-csp's nonce is lazy and is falsy until read, so read it here.
    nonce = getattr(request, "csp_nonce", None)
    return {"cspNonce": str(nonce) if nonce is not None else "", "assetPath": "/assets"}
