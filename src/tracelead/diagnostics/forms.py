from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from tracelead.instruments import available_instruments
from tracelead.organisations.models import Group

from .models import DEFAULT_COMMENT_THRESHOLD, DEFAULT_THRESHOLD, MIN_THRESHOLD, RaterKind


class DateInput(forms.DateInput):
    input_type = "date"


class AssessmentForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="For example, “Discharge team – spring 2026”.",
        error_messages={"required": "Enter a title for the assessment"},
    )
    group = forms.ChoiceField(
        label="Group to assess", error_messages={"required": "Choose the group to assess"}
    )
    instrument = forms.ChoiceField(
        label="Questionnaire",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a questionnaire"},
    )
    rater_kinds = forms.MultipleChoiceField(
        label="Who will answer?",
        choices=RaterKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[RaterKind.MEMBER],
        error_messages={"required": "Choose at least one kind of rater"},
    )
    threshold = forms.IntegerField(
        label="Fewest responses before any figure is shown",
        min_value=MIN_THRESHOLD,
        max_value=1000,
        initial=DEFAULT_THRESHOLD,
        help_text=f"At least {MIN_THRESHOLD}. Fixed once the first answers arrive.",
        error_messages={
            "required": "Enter the fewest responses before figures are shown",
            "min_value": f"The threshold for figures must be at least {MIN_THRESHOLD}",
            "invalid": "Enter the threshold as a whole number, like 5",
        },
    )
    comment_threshold = forms.IntegerField(
        label="Fewest responses before any comment is shown",
        min_value=MIN_THRESHOLD,
        max_value=1000,
        initial=DEFAULT_COMMENT_THRESHOLD,
        help_text="Free text identifies people more easily than numbers, so this is higher.",
        error_messages={
            "required": "Enter the fewest responses before comments are shown",
            "min_value": f"The threshold for comments must be at least {MIN_THRESHOLD}",
            "invalid": "Enter the threshold as a whole number, like 10",
        },
    )
    opens_on = forms.DateField(
        label="Opens on",
        widget=DateInput,
        error_messages={
            "required": "Enter the date the assessment opens",
            "invalid": "Enter the opening date as a real date",
        },
    )
    closes_on = forms.DateField(
        label="Closes on",
        widget=DateInput,
        error_messages={
            "required": "Enter the date the assessment closes",
            "invalid": "Enter the closing date as a real date",
        },
    )

    def __init__(self, *args: Any, groups: QuerySet[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_queryset = groups
        self.fields["group"].choices = [("", "Choose a group")] + [
            (str(g.pk), f"{g.name} ({g.system.name})") for g in groups.select_related("system")
        ]
        instruments = available_instruments()
        self.fields["instrument"].choices = [
            (i.key, f"{i.title} (version {i.version})") for i in instruments
        ]
        if len(instruments) == 1:
            self.fields["instrument"].initial = instruments[0].key
        today = timezone.localdate()
        self.fields["opens_on"].initial = today
        self.fields["closes_on"].initial = today + dt.timedelta(days=21)

    def clean_group(self) -> Group:
        value = self.cleaned_data["group"]
        group = self.group_queryset.filter(pk=value).first() if value.isdigit() else None
        if group is None:
            raise forms.ValidationError("Choose one of the groups listed")
        return group

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "The closing date must be on or after the opening date")
        return data


class InvitationForm(forms.Form):
    rater_kind = forms.ChoiceField(
        label="These people will answer as",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how these people will answer"},
    )
    count = forms.IntegerField(
        label="How many links?",
        required=False,
        min_value=1,
        max_value=5000,
        help_text="Or leave empty and list the people below.",
        error_messages={
            "min_value": "Ask for at least 1 link",
            "max_value": "Ask for at most 5000 links at a time",
            "invalid": "Enter the number of links as a whole number",
        },
    )
    labels = forms.CharField(
        label="People to invite (optional)",
        required=False,
        widget=forms.Textarea,
        max_length=200_000,
        help_text="One name or email address a line, for your mail merge. "
        "It is kept with the link, never with the answers.",
    )

    def __init__(self, *args: Any, rater_kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rater_kind"].choices = [(k, RaterKind(k).label) for k in rater_kinds]
        if len(rater_kinds) == 1:
            self.fields["rater_kind"].initial = rater_kinds[0]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        labels = [line for line in (data.get("labels") or "").splitlines() if line.strip()]
        data["label_list"] = labels
        if not labels and not data.get("count") and "count" not in self.errors:
            self.add_error("count", "Enter how many links you need, or list the people to invite")
        if len(labels) > 5000:
            self.add_error("labels", "List at most 5000 people at a time")
        return data


class AssessmentEditForm(forms.Form):
    """Title, dates and, until answers arrive, the thresholds."""

    title = AssessmentForm.base_fields["title"]
    threshold = AssessmentForm.base_fields["threshold"]
    comment_threshold = AssessmentForm.base_fields["comment_threshold"]
    opens_on = AssessmentForm.base_fields["opens_on"]
    closes_on = AssessmentForm.base_fields["closes_on"]

    def __init__(self, *args: Any, locked: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if locked:
            for name in ("threshold", "comment_threshold"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed: answers have already arrived."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "The closing date must be on or after the opening date")
        return data
