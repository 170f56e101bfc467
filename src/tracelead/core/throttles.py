"""Who a request comes from, and the keys and words of the product's throttles.

Every throttle (sign-in, link guessing, resume codes, email codes) counts per client
address or per account name; both must be the value an attacker cannot vary for free:

* The client address is ``REMOTE_ADDR``, unless the request came through a proxy named in
  ``TRACELEAD_TRUSTED_PROXIES``: then it is the right-most address in ``X-Forwarded-For``
  that is not itself a trusted proxy (the left part of that header is whatever the client
  sent, so it is never believed). Without the setting the header is ignored, since anyone
  can send it.
* An account name is keyed as Django compares it: NFKC-normalised (so the fullwidth
  "ａｌｉｃｅ" is "alice", as ``AbstractBaseUser.normalize_username`` makes it), then
  case-folded, so look-alikes share one budget.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import ngettext

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"TRACELEAD_TRUSTED_PROXIES must list addresses or networks: {error}"
        ) from error


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address a request came from, believing only trusted proxies (see above)."""
    # META holds strings for these keys (the WSGI environ); the stubs type its values Any.
    remote: str = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.TRACELEAD_TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else remote


def ratelimit_address(group: str, request: HttpRequest) -> str:
    """django-ratelimit's key function for "per client address"."""
    return client_address(request)


def account_key(username: str) -> str:
    """An account name as Django compares it (NFKC), case-folded, without outer spaces."""
    return AbstractBaseUser.normalize_username(username.strip()).casefold()


def rate_seconds(rate: str) -> tuple[int, int]:
    """A django-ratelimit rate such as "5/15m" as (count, seconds): (5, 900)."""
    count, _, period = rate.partition("/")
    period = period.strip() or "s"
    unit = period[-1]
    multiple = int(period[:-1]) if period[:-1] else 1
    if unit not in PERIODS or not count.strip().isdigit():
        raise ImproperlyConfigured(f"A rate must look like 30/m or 5/15m; got {rate!r}")
    return int(count), multiple * PERIODS[unit]


def wait_words(rate: str) -> str:
    """How long a throttled person waits, in words: "1 minute", "15 minutes", "1 hour"."""
    seconds = rate_seconds(rate)[1]
    # In the reader's language (the respondent pages are offered in Welsh).
    for size in (86400, 3600, 60, 1):
        if seconds % size == 0:
            n = seconds // size
            if size == 86400:
                words = ngettext("%(n)s day", "%(n)s days", n)
            elif size == 3600:
                words = ngettext("%(n)s hour", "%(n)s hours", n)
            elif size == 60:
                words = ngettext("%(n)s minute", "%(n)s minutes", n)
            else:
                words = ngettext("%(n)s second", "%(n)s seconds", n)
            return words % {"n": n}
    return f"{seconds} seconds"  # pragma: no cover - every whole number divides by 1
