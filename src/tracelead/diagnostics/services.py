"""Writes for assessments, invitations, drafts and responses, each in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracelead.instruments import InstrumentError, get_instrument
from tracelead.organisations.models import Group

from .models import (
    MIN_THRESHOLD,
    Assessment,
    AssessmentStatus,
    Invitation,
    OpenLinkSubmission,
    RaterKind,
    Response,
    ResponseDraft,
)
from .questionnaire import clean_answers, first_incomplete_page

# 32 random bytes: 256 bits, well past the 128 bits an unguessable link needs.
TOKEN_BYTES = 32
MAX_INVITATIONS_PER_REQUEST = 5000


class AlreadySubmitted(Exception):
    """The invitation or device has already submitted a response."""


class NotAcceptingResponses(Exception):
    """The assessment is closed or not open yet."""


class IncompleteResponse(Exception):
    def __init__(self, page: int) -> None:
        super().__init__(f"page {page} has unanswered questions")
        self.page = page


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def device_hash(device_key: str) -> str:
    return hashlib.sha256(device_key.encode()).hexdigest()


def _check_thresholds(threshold: int, comment_threshold: int) -> None:
    errors = {}
    if threshold < MIN_THRESHOLD:
        errors["threshold"] = f"The threshold for figures must be at least {MIN_THRESHOLD}."
    if comment_threshold < MIN_THRESHOLD:
        errors["comment_threshold"] = (
            f"The threshold for comments must be at least {MIN_THRESHOLD}."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assessment_create(
    *,
    group: Group,
    title: str,
    instrument_key: str,
    rater_kinds: Sequence[str],
    threshold: int,
    comment_threshold: int,
    opens_on: dt.date,
    closes_on: dt.date,
    created_by: AbstractBaseUser | None = None,
) -> Assessment:
    try:
        instrument = get_instrument(instrument_key)
    except (InstrumentError, LookupError) as error:
        raise ValidationError({"instrument_key": str(error)}) from error
    kinds = list(dict.fromkeys(rater_kinds))
    if not kinds or any(kind not in RaterKind.values for kind in kinds):
        raise ValidationError({"rater_kinds": "Choose at least one kind of rater."})
    _check_thresholds(threshold, comment_threshold)
    if closes_on < opens_on:
        raise ValidationError({"closes_on": "The close date must be on or after the open date."})
    assessment = Assessment(
        group=group,
        title=title.strip(),
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        rater_kinds=kinds,
        threshold=threshold,
        comment_threshold=comment_threshold,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=created_by,
    )
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def assessment_update(
    *,
    assessment: Assessment,
    title: str,
    threshold: int,
    comment_threshold: int,
    opens_on: dt.date,
    closes_on: dt.date,
) -> Assessment:
    """Change an assessment's settings; thresholds are fixed once answers exist."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.thresholds_locked and (
        threshold != locked.threshold or comment_threshold != locked.comment_threshold
    ):
        raise ValidationError(
            {"threshold": "The thresholds are fixed: answers have already arrived."}
        )
    _check_thresholds(threshold, comment_threshold)
    if closes_on < opens_on:
        raise ValidationError({"closes_on": "The close date must be on or after the open date."})
    locked.title = title.strip()
    locked.threshold = threshold
    locked.comment_threshold = comment_threshold
    locked.opens_on = opens_on
    locked.closes_on = closes_on
    locked.full_clean()
    locked.save()
    # Responses carry the close date, not their own time: keep them all on the one date,
    # so that a changed close date cannot split them into earlier and later answers.
    Response.objects.filter(assessment=locked).update(submitted_on=closes_on)
    return locked


@transaction.atomic
def assessment_open_link(*, assessment: Assessment) -> str:
    """The assessment's open link token, created on first use."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not locked.open_token:
        locked.open_token = new_token()
        locked.save(update_fields=["open_token"])
    assessment.open_token = locked.open_token
    return locked.open_token


@transaction.atomic
def invitations_create(
    *,
    assessment: Assessment,
    rater_kind: str,
    count: int = 0,
    labels: Iterable[str] = (),
) -> list[Invitation]:
    """Create one invitation per label, or ``count`` unlabelled ones."""
    if rater_kind not in assessment.rater_kinds:
        raise ValidationError(
            {"rater_kind": "Choose one of the kinds of rater this assessment asks."}
        )
    # NUL cannot be stored in PostgreSQL text and is never part of a real name.
    names = [label.replace("\x00", "").strip()[:200] for label in labels]
    names = [name for name in names if name]
    total = len(names) if names else count
    if total < 1:
        raise ValidationError({"count": "Ask for at least one invitation."})
    if total > MAX_INVITATIONS_PER_REQUEST:
        raise ValidationError(
            {"count": f"Create at most {MAX_INVITATIONS_PER_REQUEST} invitations at a time."}
        )
    rows = [
        Invitation(
            assessment=assessment,
            token=new_token(),
            rater_kind=rater_kind,
            label=names[index] if names else "",
        )
        for index in range(total)
    ]
    return Invitation.objects.bulk_create(rows)


def _check_accepting(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.OPEN:
        raise NotAcceptingResponses(assessment.status)


@transaction.atomic
def draft_start(
    *,
    assessment: Assessment,
    invitation: Invitation | None = None,
    device_key: str | None = None,
    rater_kind: str,
) -> ResponseDraft:
    """Find or begin the draft of an invitation or of an open-link device."""
    _check_accepting(assessment)
    if rater_kind not in assessment.rater_kinds:
        raise ValidationError({"rater_kind": "Choose how you relate to this group."})
    if invitation is not None:
        if Invitation.objects.filter(pk=invitation.pk, used=True).exists():
            raise AlreadySubmitted
        draft, _ = ResponseDraft.objects.get_or_create(
            invitation=invitation,
            defaults={"assessment": assessment, "rater_kind": invitation.rater_kind},
        )
        return draft
    if not device_key:
        raise ValueError("an open-link draft needs a device key")
    hashed = device_hash(device_key)
    if OpenLinkSubmission.objects.filter(assessment=assessment, device_hash=hashed).exists():
        raise AlreadySubmitted
    try:
        with transaction.atomic():
            draft, _ = ResponseDraft.objects.get_or_create(
                assessment=assessment,
                device_hash=hashed,
                defaults={"rater_kind": rater_kind},
            )
    except IntegrityError:
        draft = ResponseDraft.objects.get(assessment=assessment, device_hash=hashed)
    return draft


@transaction.atomic
def draft_save(
    *,
    draft: ResponseDraft,
    page: int,
    answers: dict[str, int | None] | None = None,
    free_text: dict[str, str] | None = None,
    replace_free_text: bool = False,
) -> ResponseDraft:
    """Merge one page's answers into the draft and remember the page reached.

    Raises :class:`AlreadySubmitted` if the draft has meanwhile been submitted.
    """
    _check_accepting(draft.assessment)
    try:
        locked = ResponseDraft.objects.select_for_update().get(pk=draft.pk)
    except ResponseDraft.DoesNotExist as gone:
        # Drafts are deleted only when submitted: a simultaneous request from the same
        # link (a double click, a retry, a second tab) has just submitted it.
        raise AlreadySubmitted from gone
    if answers:
        locked.answers = {**locked.answers, **answers}
    if free_text is not None:
        locked.free_text = (
            dict(free_text) if replace_free_text else {**locked.free_text, **free_text}
        )
    locked.page = page
    locked.save()
    return locked


@transaction.atomic
def response_submit(*, draft_id: int) -> Response:
    """Turn a complete draft into an anonymous response, exactly once.

    The invitation (or the device's open-link mark) is claimed with a conditional update
    or a unique insert in the same transaction as the response is written, so duplicate
    or retried requests, however simultaneous, leave exactly one response. The draft,
    the only row that tied the answers to a link, is deleted.
    """
    try:
        draft = (
            ResponseDraft.objects.select_for_update().select_related("assessment").get(pk=draft_id)
        )
    except ResponseDraft.DoesNotExist as missing:
        raise AlreadySubmitted from missing
    assessment = draft.assessment
    _check_accepting(assessment)
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    answers = clean_answers(instrument, draft.answers)
    incomplete = first_incomplete_page(instrument, answers)
    if incomplete is not None:
        raise IncompleteResponse(incomplete)
    if draft.invitation_id is not None:
        claimed = Invitation.objects.filter(pk=draft.invitation_id, used=False).update(used=True)
        if claimed != 1:
            raise AlreadySubmitted
    else:
        try:
            with transaction.atomic():
                OpenLinkSubmission.objects.create(
                    assessment=assessment, device_hash=draft.device_hash
                )
        except IntegrityError as duplicate:
            raise AlreadySubmitted from duplicate
    response = Response.objects.create(
        assessment=assessment,
        rater_kind=draft.rater_kind,
        answers=answers,
        free_text={
            prompt.key: draft.free_text[prompt.key]
            for prompt in instrument.free_text
            if draft.free_text.get(prompt.key)
        },
        submitted_on=assessment.closes_on,
    )
    draft.delete()
    return response


def today() -> dt.date:
    return timezone.localdate()
