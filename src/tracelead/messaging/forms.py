"""Forms of the round's email page: its invitation and reminder, and whom to invite."""

from __future__ import annotations

from typing import Any

from django import forms

from tracelead.diagnostics.models import RaterKind

from . import services

MESSAGE_FIELDS = (
    "organiser",
    "contact",
    "invitation_subject",
    "invitation_body",
    "reminder_subject",
    "reminder_body",
)


def _required(what: str) -> dict[str, str]:
    return {"required": f"Enter {what}", "max_length": f"Shorten {what}"}


class RoundEmailForm(forms.Form):
    """The round's invitation and reminder. Placeholders are checked here with the
    service's own rules so that a preview never fills a broken message; saving checks
    again (``services.round_email_save``) and adds what only it knows (``{link}``)."""

    organiser = forms.CharField(
        label="Who is running it",
        max_length=200,
        help_text="A name or a team, such as “The Discharge Hub leadership team”.",
        error_messages=_required("who is running the questionnaire"),
    )
    contact = forms.CharField(
        label="Whom to ask",
        max_length=254,
        help_text="An email address or a name people can ask about the questionnaire.",
        error_messages=_required("whom people can ask"),
    )
    invitation_subject = forms.CharField(
        label="Subject of the invitation",
        max_length=200,
        error_messages=_required("the subject of the invitation"),
    )
    invitation_body = forms.CharField(
        label="Invitation",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=10_000,
        error_messages=_required("the invitation"),
    )
    reminder_subject = forms.CharField(
        label="Subject of the reminder",
        max_length=200,
        error_messages=_required("the subject of the reminder"),
    )
    reminder_body = forms.CharField(
        label="Reminder",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=10_000,
        error_messages=_required("the reminder"),
    )
    reminder_days = forms.CharField(
        label="Days before the close to send reminders",
        required=False,
        max_length=50,
        help_text="Whole numbers separated by commas, such as 7,2. Leave empty for no "
        "reminders.",
        error_messages={"max_length": "Give at most a few reminder days, like 7,2"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in MESSAGE_FIELDS:
            value = data.get(name)
            if not value:
                continue
            if name.endswith("_subject") and ("\n" in value or "\r" in value):
                # A line break in a subject cannot go into an email's header.
                self.add_error(name, "Write the subject on one line")
                continue
            problems = services.placeholder_problems(
                value, allow_unsubscribe=name.startswith("reminder")
            )
            for problem in problems:
                self.add_error(name, problem)
        return data


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
        max_length=200_000,
        help_text="One a line, or separated by commas. Each person gets their own link; "
        "an address already invited to this round is not sent a second invitation.",
        error_messages={
            "required": "Enter at least one email address",
            "max_length": "Invite fewer people at a time",
        },
    )
    rater_kind = forms.ChoiceField(
        label="These people will answer as",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how these people will answer",
            "invalid_choice": "Choose one of the kinds of rater listed",
        },
    )

    def __init__(self, *args: Any, rater_kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rater_kind"].choices = [(k, RaterKind(k).label) for k in rater_kinds]
        if len(rater_kinds) == 1:
            self.fields["rater_kind"].initial = rater_kinds[0]


def invite_kinds(rater_kinds: list[str]) -> list[str]:
    """The kinds a round's email invitations may have: a round has one self link, made on
    the links page, so self is not offered here."""
    return [kind for kind in rater_kinds if kind != RaterKind.SELF]
