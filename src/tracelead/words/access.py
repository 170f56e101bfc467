"""Who may work on themes: a round's themes need a facilitator of its group and comments
that the gate shows; a poll's themes, and a programme's form's, need a facilitator of its
academy. One answer (404)
for a theme set that is missing or out of reach."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from tracelead.evaluation.access import open_item_for
from tracelead.organisations import access
from tracelead.polls.access import poll_for

from .models import ThemeSet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def theme_set_for(user: User | AnonymousUser, pk: int) -> ThemeSet:
    theme_set = (ThemeSet.objects.filter(pk=pk)
                 .select_related("assessment", "assessment__group", "poll",
                                 "poll__academy", "form_item__form__programme").first())
    if theme_set is None:
        raise Http404("No such themes.")
    if theme_set.assessment is not None:
        access.assessment_for(user, theme_set.assessment.pk, manage=True)
    elif theme_set.poll is not None:
        poll_for(user, theme_set.poll.academy_id, theme_set.poll.pk)
    elif theme_set.form_item is not None:
        form = theme_set.form_item.form
        open_item_for(user, form.programme.academy_id, form.programme_id, form.pk,
                      theme_set.form_item.pk)
    else:
        raise Http404("No such themes.")
    return theme_set
