"""A link padded or mangled to thousands of characters gets the service's own page.

gunicorn refuses a request line over its limit with a bare page of its own; `tracelead
serve` raises that limit to gunicorn's maximum and the application answers addresses over
2,048 characters itself, in the service's look, without repeating the address.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from schema_from_models import make_schema
from tracelead.core.middleware import MAX_ADDRESS_LENGTH

TOO_LONG = "This web address is too long"
PADDED_LINK = "/r/" + "a" * 5000 + "/"


def test_an_address_over_the_limit_gets_the_services_414_page(db: Any) -> None:
    response = Client().get(PADDED_LINK)

    assert response.status_code == 414
    page = response.content.decode()
    assert TOO_LONG in page and "tracelead" in page
    assert "a" * 100 not in page  # the link is not repeated
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]


def test_the_query_counts_towards_the_limit_and_shorter_addresses_pass(db: Any) -> None:
    short_enough = "/r/" + "b" * (MAX_ADDRESS_LENGTH - 4) + "/"
    padded_query = "/accounts/login/?next=" + "c" * MAX_ADDRESS_LENGTH

    assert len(short_enough) == MAX_ADDRESS_LENGTH
    assert Client().get(short_enough).status_code == 404  # an unknown link, as usual
    assert Client().get(padded_query).status_code == 414


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture
def served(tmp_path: Path) -> Any:
    """`tracelead serve` (gunicorn, one worker) on a free port with its own SQLite file."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TRACELEAD_DATA_DIR"] = str(tmp_path)
    make_schema(env)  # the tables from the models: this is about addresses, not migrations
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "tracelead.cli", "serve", "--no-migrate", "--host",
         "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            with contextlib.suppress(OSError):
                if _get(port, "/accounts/login/")[0] == 200:
                    break
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.1)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()


@pytest.mark.no_database
def test_gunicorn_passes_a_5000_character_link_to_the_service_and_its_page(served: int) -> None:
    status, page = _get(served, PADDED_LINK)

    assert status == 414
    assert "Request Line is too large" not in page
    assert TOO_LONG in page and "tracelead" in page
