"""Writes of the words: a round's convergence, and the facilitator's themes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tracelead.analysis import text
from tracelead.diagnostics.models import Assessment
from tracelead.evaluation.models import Item as FormItem
from tracelead.polls.models import Poll
from tracelead.publishing.selectors import published_comments, published_round

from .models import PinnedQuote, RoundConvergence, Theme, ThemeSet, ThemeSource

log = logging.getLogger(__name__)

TASK_PROMPT = "task_statement"
# Fewer statements than this are not compared (two people always agree or disagree).
MIN_STATEMENTS = 3
LABEL_MAX = 100


def published_statements(assessment: Assessment) -> tuple[int, list[str]] | None:
    """The task statements that the round's newest publication shows, sorted (never in
    order of arrival), with the publication number they stop at; None when the round's
    comments are not shown. The gate's :func:`published_comments` decides."""
    view = published_round(assessment)
    comments = published_comments(view)
    if comments is None or view.round is None:
        return None
    return int(view.round.get("comments_upto") or 0), list(comments.get(TASK_PROMPT, []))


def convergence_request(*, assessment: Assessment, upto: int) -> RoundConvergence:
    """The stored convergence of these statements, or a new pending one whose work is
    queued once the caller's transaction commits."""
    row = RoundConvergence.objects.filter(assessment=assessment, comments_upto=upto).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = RoundConvergence.objects.create(assessment=assessment, comments_upto=upto)
    except IntegrityError:  # another request asked at the same moment
        return RoundConvergence.objects.get(assessment=assessment, comments_upto=upto)
    transaction.on_commit(lambda: _enqueue(assessment.pk), robust=True)
    return row


def _enqueue(assessment_id: int) -> None:
    from .tasks import compute_convergence

    compute_convergence.enqueue(assessment_id)


def convergence_compute(*, assessment_id: int) -> RoundConvergence | None:
    """Compute and store the convergence of the round's published task statements (once:
    a stored result is returned as it is). None if the round shows no statements."""
    assessment = Assessment.objects.filter(pk=assessment_id).first()
    if assessment is None:
        return None
    found = published_statements(assessment)
    if found is None:
        return None
    upto, statements = found
    row, _ = RoundConvergence.objects.get_or_create(assessment=assessment, comments_upto=upto)
    if row.status == RoundConvergence.Status.DONE:
        return row
    if len(statements) < MIN_STATEMENTS:
        row.status, row.n = RoundConvergence.Status.DONE, len(statements)
        row.computed_at = timezone.now()
        row.save()
        return row
    try:
        result = text.convergence(statements)
    except Exception:
        log.exception("convergence of round %s failed", assessment_id)
        row.status = RoundConvergence.Status.FAILED
        row.save(update_fields=["status"])
        return row
    row.status = RoundConvergence.Status.DONE
    row.method, row.n, row.score, row.band = result.method, result.n, result.score, result.band
    row.mean_similarity = result.mean_similarity
    row.clusters = [{"representative": c.representative, "size": c.size}
                    for c in result.clusters]
    row.outliers = [o.statement for o in result.outliers]
    row.computed_at = timezone.now()
    row.save()
    return row


# --- Themes -------------------------------------------------------------------------------


def _label(keywords: Sequence[str]) -> str:
    return (", ".join(keywords[:3]) or "Other")[:LABEL_MAX].capitalize()


def _write_themes(theme_set: ThemeSet, result: text.Themes) -> None:
    for position, theme in enumerate(result.themes):
        Theme.objects.create(theme_set=theme_set, label=_label(theme.keywords),
                             position=position, members=list(theme.members),
                             keywords=list(theme.keywords), quotes=list(theme.quotes))


@transaction.atomic
def themes_build(*, texts: Sequence[str], user: Any, assessment: Assessment | None = None,
                 prompt_key: str = "", poll: Poll | None = None,
                 form_item: FormItem | None = None,
                 answer_ids: Sequence[int] | None = None) -> ThemeSet:
    """Group a free-text set into themes, replacing any earlier themes of the same set
    (and their pinned quotes: the texts they pointed into may have changed).

    The set is a round's answers to one prompt (``assessment`` and ``prompt_key``), a
    poll's open texts (``poll``), or the answers to one open question of an evaluation
    form (``form_item``, with the id of each text's answer in ``answer_ids``). Texts are
    kept in alphabetical order, never the order of arrival."""
    if sum(x is not None for x in (assessment, poll, form_item)) != 1:
        raise ValueError("give one of assessment (with prompt_key), poll or form_item")
    if form_item is not None and (answer_ids is None or len(answer_ids) != len(texts)):
        raise ValueError("a form's texts need the id of each one's answer")
    source = (ThemeSource.ROUND if assessment is not None
              else ThemeSource.POLL if poll is not None else ThemeSource.FORM)
    pairs = sorted((t.strip(), i) for t, i in zip(
        texts, answer_ids if answer_ids is not None else [0] * len(texts), strict=True)
        if t.strip())
    kept = [t for t, _ in pairs]
    ThemeSet.objects.filter(assessment=assessment, prompt_key=prompt_key, poll=poll,
                            form_item=form_item).delete()
    result = text.themes(kept)
    theme_set = ThemeSet.objects.create(
        source=source, assessment=assessment, prompt_key=prompt_key, poll=poll,
        form_item=form_item, answer_ids=[i for _, i in pairs] if form_item else [],
        method=result.method, texts=kept, created_by=user)
    _write_themes(theme_set, result)
    return theme_set


def _keywords_of(theme_set: ThemeSet) -> None:
    """Keywords of every theme again (c-TF-IDF depends on all themes of the set)."""
    themes = list(theme_set.themes.all())
    texts, labels = [], []
    for theme in themes:
        for index in theme.members:
            texts.append(theme_set.texts[index])
            labels.append(theme.pk)
    words = text.class_keywords(texts, labels)
    for theme in themes:
        theme.keywords = list(words.get(theme.pk, ()))
        theme.save(update_fields=["keywords"])


def _quotes_of(theme: Theme) -> list[int]:
    return text.representative_order(theme.theme_set.texts, theme.members,
                                     method=theme.theme_set.method)[:3]


@transaction.atomic
def theme_rename(*, theme: Theme, label: str) -> Theme:
    label = " ".join(label.split())
    if not label:
        raise ValidationError({"label": "Enter a name for the theme"})
    if len(label) > LABEL_MAX:
        raise ValidationError({"label": f"The name must be {LABEL_MAX} characters or fewer"})
    theme.label = label
    theme.save(update_fields=["label"])
    return theme


@transaction.atomic
def themes_merge(*, theme_set: ThemeSet, theme_ids: Sequence[int]) -> Theme:
    """Merge two or more themes of a set into the first chosen (by position): its name
    stays, the others' members and pinned quotes join it."""
    themes = list(theme_set.themes.filter(pk__in=theme_ids).order_by("position", "pk"))
    if len(themes) < 2:
        raise ValidationError({"themes": "Choose at least two themes to merge"})
    keep, others = themes[0], themes[1:]
    members = sorted({i for t in themes for i in t.members})
    for other in others:
        for pin in other.pins.all():
            if not keep.pins.filter(index=pin.index).exists():
                pin.theme = keep
                pin.save(update_fields=["theme"])
        other.delete()
    keep.members = members
    keep.quotes = _quotes_of(keep)
    keep.save(update_fields=["members", "quotes"])
    _keywords_of(theme_set)
    return keep


@transaction.atomic
def theme_split(*, theme: Theme) -> tuple[Theme, Theme]:
    """Split a theme in two by meaning; the new part is named from its keywords and placed
    after it, and pinned quotes follow their text."""
    if len(theme.members) < 2:
        raise ValidationError({"theme": "A theme with one answer cannot be split"})
    theme_set = theme.theme_set
    first, second = text.split_members(theme_set.texts, theme.members,
                                       method=theme_set.method)
    theme_set.themes.filter(position__gt=theme.position).update(
        position=F("position") + 1)
    new = Theme.objects.create(theme_set=theme_set, label="", position=theme.position + 1,
                               members=list(second))
    theme.members = list(first)
    theme.quotes = _quotes_of(theme)
    theme.save(update_fields=["members", "quotes"])
    new.quotes = _quotes_of(new)
    new.save(update_fields=["quotes"])
    theme.pins.filter(index__in=second).update(theme=new)
    _keywords_of(theme_set)
    new.refresh_from_db()
    new.label = _label(new.keywords)
    new.save(update_fields=["label"])
    return theme, new


@transaction.atomic
def quote_pin(*, theme: Theme, index: int, user: Any, checked: bool = False) -> PinnedQuote:
    """Pin one of the theme's answers for the evaluation. A quote flagged as possibly
    identifying someone is pinned only once the facilitator says they checked it."""
    if index not in theme.members:
        raise ValidationError({"quote": "That answer is not in this theme"})
    quote = theme.theme_set.texts[index]
    if index not in quotable_indices(theme.theme_set):
        raise ValidationError({"quote": "The person who wrote this did not agree to be quoted"})
    if text.identifying_reasons(quote, teams=team_names(theme.theme_set)) and not checked:
        raise ValidationError({"checked": "This quote may identify someone: tick to say you "
                                          "have read it and it is safe to keep"})
    pin, _ = PinnedQuote.objects.get_or_create(
        theme=theme, index=index, defaults={"text": quote, "checked": checked,
                                            "pinned_by": user})
    return pin


def quotable_indices(theme_set: ThemeSet) -> set[int]:
    """The texts that may be pinned for the evaluation: all of a round's or a poll's (the
    room's consent is asked when the quote is used); of a form's, those whose authors
    agreed to be quoted."""
    if theme_set.form_item_id is None:
        return set(range(len(theme_set.texts)))
    from tracelead.evaluation.models import Answer

    agreed = set(Answer.objects.filter(pk__in=theme_set.answer_ids,
                                       submission__quote_consent=True)
                 .values_list("pk", flat=True))
    return {i for i, pk in enumerate(theme_set.answer_ids) if pk in agreed}


@transaction.atomic
def quote_unpin(*, theme: Theme, index: int) -> None:
    theme.pins.filter(index=index).delete()


def team_names(theme_set: ThemeSet) -> list[str]:
    """Names of the system's groups, to flag quotes that name a small team."""
    from tracelead.organisations.models import Group

    if theme_set.assessment is not None:
        system_id = theme_set.assessment.group.system_id
    elif theme_set.poll is not None:
        system_id = theme_set.poll.academy.system_id
    elif theme_set.form_item is not None:
        system_id = theme_set.form_item.form.programme.academy.system_id
    else:
        return []
    return list(Group.objects.filter(system_id=system_id).values_list("name", flat=True))
