"""Guessing links is throttled per client address, and only guesses are counted.

A trust's staff reach tracelead from one outgoing address. Mallory, behind that address,
tries made-up links. Before, once the address passed the limit every link answered 429
until the minute ended, so Ann (half-way through her questionnaire) and Bob (opening
his invitation) were locked out with her. Now only misses count and only misses are
refused; behind a trusted proxy, each client is counted by its own address.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from tracelead.diagnostics import services

TRUST = "192.0.2.10"
GUESS = override_settings(TRACELEAD_TOKEN_GUESS_RATE="5/h")


def _guess(client: Client, n: int) -> list[int]:
    return [client.get(f"/r/{'m' * 30}{i:04d}/").status_code for i in range(n)]


@pytest.fixture
def links(assessment: Any) -> dict[str, str]:
    ann, bob = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["Ann", "Bob"]
    )
    return {
        "ann": ann.token,
        "bob": bob.token,
        "open": services.assessment_open_link(assessment=assessment),
    }


@GUESS
def test_valid_links_and_drafts_are_served_after_the_address_used_its_guesses(
    links: dict[str, str], trace: Any
) -> None:
    ann = Client(REMOTE_ADDR=TRUST)
    assert ann.post(f"/r/{links['ann']}/").status_code == 302  # Ann starts
    mallory = Client(REMOTE_ADDR=TRUST)
    assert _guess(mallory, 7) == [404] * 5 + [429] * 2
    # Ann carries on with her draft, from the same address.
    page = {item.key: "3" for item in trace.scales[0].items} | {"action": "next"}
    assert ann.post(f"/r/{links['ann']}/1/", page).status_code == 302
    assert ann.get(f"/r/{links['ann']}/2/").status_code == 200
    # Bob opens his invitation, and someone the open link, from the same address.
    assert Client(REMOTE_ADDR=TRUST).get(f"/r/{links['bob']}/").status_code == 200
    assert Client(REMOTE_ADDR=TRUST).get(f"/r/{links['open']}/").status_code == 200
    # Mallory's next guess is still refused.
    assert _guess(mallory, 1) == [429]


@GUESS
def test_only_misses_count_towards_the_limit(links: dict[str, str]) -> None:
    client = Client(REMOTE_ADDR=TRUST)
    for _ in range(20):
        assert client.get(f"/r/{links['bob']}/").status_code == 200
    assert _guess(client, 5) == [404] * 5


@GUESS
@override_settings(TRACELEAD_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_each_client_has_its_own_count(db: Any) -> None:
    def via_proxy(client_address: str) -> Client:
        # The left part of the header is whatever the client sent: never believed.
        return Client(
            REMOTE_ADDR="10.1.1.1",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client_address}, 10.2.2.2",
        )

    assert _guess(via_proxy("198.51.100.7"), 6) == [404] * 5 + [429]
    assert _guess(via_proxy("198.51.100.8"), 1) == [404]


@GUESS
def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(db: Any) -> None:
    def spoofing(pretend: str) -> Client:
        return Client(REMOTE_ADDR=TRUST, HTTP_X_FORWARDED_FOR=pretend)

    results = [_guess(spoofing(f"198.51.100.{i}"), 1)[0] for i in range(7)]
    assert results == [404] * 5 + [429] * 2


@override_settings(TRACELEAD_RESUME_RATE="2/h")
def test_the_resume_code_limit_is_a_setting_and_its_message_says_the_wait(
    links: dict[str, str]
) -> None:
    first = Client(REMOTE_ADDR=TRUST)
    assert first.post(f"/r/{links['ann']}/").status_code == 302
    other = Client(REMOTE_ADDR=TRUST)
    codes = [
        other.post(f"/r/{links['ann']}/resume/", {"code": "AAAA-AAAA"}).status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
    refused = other.post(f"/r/{links['ann']}/resume/", {"code": "AAAA-AAAA"})
    assert "Wait 1 hour" in refused.content.decode()
