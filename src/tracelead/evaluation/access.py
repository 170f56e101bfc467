"""Who reaches a programme's evaluation: the academy's facilitators only. Everyone else
gets the same 404 as for a programme that does not exist (evaluation answers are not for
viewers until they are in a board paper)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from tracelead.academy import access
from tracelead.academy.models import Academy, Programme

from .models import Item, ItemKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def programme_for(user: User | AnonymousUser, pk: int, programme: int
                  ) -> tuple[Academy, Programme]:
    """The academy and programme, for the academy's facilitators only."""
    academy = access.academy_for(user, pk)
    if not access.can_facilitate(user, academy):
        raise Http404("No such page.")
    row = Programme.objects.filter(academy=academy, pk=programme).select_related(
        "academy", "academy__system").first()
    if row is None:
        raise Http404("No such programme.")
    return academy, row


def open_item_for(user: User | AnonymousUser, pk: int, programme: int, form: int, item: int
                  ) -> tuple[Academy, Item]:
    """An open-text question of one of the programme's forms."""
    academy, row = programme_for(user, pk, programme)
    found = Item.objects.filter(pk=item, form_id=form, form__programme=row,
                                kind=ItemKind.TEXT).select_related(
        "form", "form__programme", "form__programme__academy").first()
    if found is None:
        raise Http404("No such question.")
    return academy, found
