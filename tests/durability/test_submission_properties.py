"""Property tests: whatever is posted to the respondent's pages, nothing breaks.

Arbitrary POST bodies (known and unknown fields, values in and out of the scale, odd
actions, pages out of range) sent to the introduction and to every page, on top of a
draft that already holds an arbitrary set of valid answers, must never cause a server
error, never store a value outside the response scale, and create a response only when
the last page is submitted and every question has a valid answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tracelead.diagnostics import services
from tracelead.diagnostics.models import Invitation, Response, ResponseDraft
from tracelead.instruments import get_instrument

pytestmark = pytest.mark.django_db

TRACE = get_instrument("trace")
ITEM_KEYS = list(TRACE.item_keys)
FREE_TEXT = {prompt.key: prompt.max_length for prompt in TRACE.free_text}
LAST_PAGE = len(TRACE.scales) + 1
VALID = ["1", "2", "3", "4", "5", "dk"]
OK_STATUSES = {200, 302, 400, 404, 410}
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

def posted(data: dict[str, Any], key: str) -> Any:
    """What the view reads for ``key``: Django's QueryDict.get gives a list's last value."""
    value = data.get(key)
    return value[-1] if isinstance(value, list) and value else value


values = st.one_of(
    st.sampled_from(VALID),
    st.sampled_from(["", "0", "6", "-1", "1.5", " 3", "DK", "null", "None", "١"]),
    st.text(max_size=40),
)
field_names = st.one_of(
    st.sampled_from(ITEM_KEYS + list(FREE_TEXT) + ["action", "rater_kind"]),
    st.text(min_size=1, max_size=20),
)
free_text_values = st.one_of(
    st.text(max_size=60),
    st.integers(min_value=480, max_value=520).map(lambda n: "x" * n),
)
bodies = st.dictionaries(
    field_names,
    st.one_of(values, st.lists(values, min_size=1, max_size=3)),
    max_size=45,
)
# Weighted towards the interesting case: the last page, submitted, on a complete draft.
actions = st.one_of(
    st.just("submit"), st.sampled_from(["next", "back", "submit", None]), st.text(max_size=10)
)
pages = st.one_of(
    st.just(LAST_PAGE), st.integers(min_value=1, max_value=LAST_PAGE), st.integers(0, 99)
)
scale_values = st.sampled_from([1, 2, 3, 4, 5, None])
prefilled = st.one_of(
    st.fixed_dictionaries(dict.fromkeys(ITEM_KEYS, scale_values)),
    st.dictionaries(st.sampled_from(ITEM_KEYS), scale_values),
)


def new_draft(
    assessment: Any, answers: dict[str, int | None], handler: Any = None
) -> tuple[str, ResponseDraft, dict[str, str]]:
    """A personal link started through its page (so the draft is bound to a device), with
    ``answers`` saved; returns the token, the draft and that device's cookies."""
    invitation = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[
        0
    ]
    starter = client_for(handler) if handler is not None else Client()
    assert starter.post(f"/r/{invitation.token}/").status_code == 302
    draft = ResponseDraft.objects.get(invitation=invitation)
    draft = services.draft_save(draft=draft, page=1, answers=answers)
    cookies = {name: morsel.value for name, morsel in starter.cookies.items()}
    return invitation.token, draft, cookies


def with_cookies(client: Client, cookies: dict[str, str]) -> Client:
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


@pytest.fixture(scope="module")
def shared_handler() -> Any:
    return Client().handler


def client_for(handler: Any) -> Client:
    client = Client()
    client.handler = handler  # middleware loaded once, as in a server worker
    return client


def all_valid(answers: dict[str, Any]) -> bool:
    return set(answers) <= set(ITEM_KEYS) and all(
        value is None or value in {1, 2, 3, 4, 5} for value in answers.values()
    )


@PROPERTY_SETTINGS
@given(answers=prefilled, page=pages, body=bodies, action=actions, extra=free_text_values)
def test_no_post_to_a_page_fails_or_creates_an_incomplete_response(
    assessment, shared_handler, answers, page, body, action, extra
):
    cache.clear()  # out-of-range pages count as guesses; each example starts afresh
    token, draft, cookies = new_draft(assessment, answers, shared_handler)
    data = dict(body)
    if action is not None:
        data["action"] = action
    if extra and "one_change" not in data:
        data["one_change"] = extra
    before = Response.objects.count()

    device = with_cookies(client_for(shared_handler), cookies)
    response = device.post(f"/r/{token}/{page}/", data)

    assert response.status_code in OK_STATUSES, response.status_code
    created = Response.objects.count() - before
    remaining = ResponseDraft.objects.filter(pk=draft.pk).first()
    event(f"status {response.status_code}, response created: {bool(created)}")
    if created:
        # Only the last page, told to submit, with every item answered from the scale.
        assert created == 1
        assert page == LAST_PAGE and data.get("action") == "submit"
        assert response.status_code == 302 and response["Location"] == "/r/done/"
        new = Response.objects.order_by("-pk").filter(assessment=assessment)
        assert any(set(r.answers) == set(ITEM_KEYS) and all_valid(r.answers) for r in new)
        assert remaining is None
        assert Invitation.objects.get(token_hash=Invitation.hash_token(token)).used
    else:
        assert remaining is not None
        assert all_valid(remaining.answers)
        assert all(
            key in FREE_TEXT and isinstance(text, str) and 0 < len(text) <= FREE_TEXT[key]
            for key, text in remaining.free_text.items()
        )
    complete = set(answers) == set(ITEM_KEYS)
    if page == LAST_PAGE and data.get("action") == "submit" and complete:
        too_long = any(
            len((posted(data, key) or "").strip()) > limit for key, limit in FREE_TEXT.items()
        )
        assert bool(created) == (not too_long)


@PROPERTY_SETTINGS
@given(body=bodies, open_link=st.booleans())
def test_no_post_to_the_introduction_fails_or_creates_a_response(
    assessment, shared_handler, body, open_link
):
    cache.clear()
    if open_link:
        token = services.assessment_open_link(assessment=assessment)
    else:
        token = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[
            0
        ].token
    before = Response.objects.count()

    response = client_for(shared_handler).post(f"/r/{token}/", body)

    assert response.status_code in OK_STATUSES
    assert Response.objects.count() == before
    assert all(all_valid(draft.answers) for draft in ResponseDraft.objects.all())


@PROPERTY_SETTINGS
@given(token=st.text(max_size=70), page=st.integers(-5, 99), body=bodies)
def test_no_post_to_an_unknown_link_fails_or_writes_anything(
    assessment, shared_handler, token, page, body
):
    cache.clear()
    before = (Response.objects.count(), ResponseDraft.objects.count())
    path = "".join(ch for ch in token if ch.isalnum() or ch in "-_") or "x"

    for url in (f"/r/{path}/", f"/r/{path}/{abs(page)}/"):
        response = client_for(shared_handler).post(url, body)
        assert response.status_code in OK_STATUSES | {429}

    assert (Response.objects.count(), ResponseDraft.objects.count()) == before


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(assessment):
    token, draft, cookies = new_draft(assessment, dict.fromkeys(ITEM_KEYS, 4))
    client = with_cookies(Client(enforce_csrf_checks=True), cookies)

    response = client.post(f"/r/{token}/{LAST_PAGE}/", {"action": "submit"})

    assert response.status_code == 403
    assert not Response.objects.exists()
    assert ResponseDraft.objects.filter(pk=draft.pk).exists()
