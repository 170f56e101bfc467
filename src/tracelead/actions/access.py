"""Who may reach an action: whoever may see its group (the plan's readers and writers are
the same people, see :mod:`tracelead.actions.services`). Others get 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from tracelead.organisations import access

from .models import Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def action_for(user: User | AnonymousUser, pk: int) -> Action:
    action = (Action.objects.filter(group__in=access.groups_for(user), pk=pk)
              .select_related("assessment", "assessment__cycle", "group", "group__system")
              .first())
    if action is None:
        raise Http404("No such action.")
    return action
