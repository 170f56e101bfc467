from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from tracelead.instruments import available_instruments
from tracelead.organisations.models import Group
from tracelead.publishing.models import Cycle

from .models import Invitation, RaterKind

DEFAULT_INSTRUMENT = "trace"


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
    cycle = forms.ChoiceField(
        label="Reporting cycle",
        help_text="Results are published per cycle, with the cycle's anonymity thresholds.",
        error_messages={
            "required": "Choose the reporting cycle",
            "invalid_choice": "Choose one of the cycles listed",
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

    open_link_verify = forms.BooleanField(
        label="Ask open-link respondents to confirm a work email address",
        required=False,
        help_text="Each address can answer once. Without this, open-link answers are "
        "unverified and results need twice as many responses.",
    )
    open_link_domains = forms.CharField(
        label="Email domains allowed on the open link (optional)",
        required=False,
        max_length=500,
        help_text="For example: nhs.net, valecounty.gov.uk",
    )

    def __init__(
        self, *args: Any, groups: QuerySet[Group], cycles: QuerySet[Cycle], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.group_queryset = groups
        self.cycle_queryset = cycles
        self.fields["cycle"].choices = [("", "Choose a cycle")] + [
            (str(c.pk), f"{c.name} ({c.system.name}; figures from {c.threshold}, comments "
                        f"from {c.comment_threshold})")
            for c in cycles.select_related("system")
        ]
        self.fields["group"].choices = [("", "Choose a group")] + [
            (str(g.pk), f"{g.name} ({g.system.name})") for g in groups.select_related("system")
        ]
        # TRACE is the product's own diagnostic: listed first and chosen unless the
        # facilitator picks another (sorted() is stable, so the rest keep their order).
        instruments = sorted(available_instruments(), key=lambda i: i.key != DEFAULT_INSTRUMENT)
        self.fields["instrument"].choices = [
            (i.key, f"{i.title} (version {i.version})") for i in instruments
        ]
        keys = [i.key for i in instruments]
        if DEFAULT_INSTRUMENT in keys:
            self.fields["instrument"].initial = DEFAULT_INSTRUMENT
        elif len(set(keys)) == 1:
            self.fields["instrument"].initial = keys[0]
        today = timezone.localdate()
        self.fields["opens_on"].initial = today
        self.fields["closes_on"].initial = today + dt.timedelta(days=21)

    def clean_group(self) -> Group:
        value = self.cleaned_data["group"]
        group = self.group_queryset.filter(pk=value).first() if value.isdigit() else None
        if group is None:
            raise forms.ValidationError("Choose one of the groups listed")
        return group

    def clean_cycle(self) -> Cycle:
        value = self.cleaned_data["cycle"]
        cycle = self.cycle_queryset.filter(pk=value).first() if value.isdigit() else None
        if cycle is None:
            raise forms.ValidationError("Choose one of the cycles listed")
        return cycle

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "The closing date must be on or after the opening date")
        group, cycle = data.get("group"), data.get("cycle")
        if group is not None and cycle is not None and group.system_id != cycle.system_id:
            self.add_error("cycle", "Choose a cycle of the group's own system")
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


class ReissueForm(forms.Form):
    """Choose a personal link to re-issue: from the list of labels, or by typing one."""

    invitation = forms.ChoiceField(label="Choose the person", required=False)
    label = forms.CharField(
        label="Or type their label",
        required=False,
        max_length=200,
        help_text="As it was given when the link was made, such as a name or email address.",
    )

    def __init__(self, *args: Any, invitations: QuerySet[Invitation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitations = invitations
        choices: list[tuple[str, str]] = [("", "Choose a person")]
        seen: dict[str, int] = {}
        for pk, label, kind in invitations.order_by("label", "id").values_list(
            "pk", "label", "rater_kind"
        ):
            if not label and kind != RaterKind.SELF:
                continue  # an unlabelled link cannot be told from the others
            text = label or "The self link (no label)"
            seen[text] = seen.get(text, 0) + 1
            if seen[text] > 1:
                text = f"{text} ({seen[text]})"
            choices.append((str(pk), text))
        self.fields["invitation"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen, typed = data.get("invitation"), (data.get("label") or "").strip()
        if chosen:
            target = self.invitations.filter(pk=chosen).first() if chosen.isdigit() else None
            if target is None:
                self.add_error("invitation", "Choose one of the people listed")
            data["target"] = target
        elif typed:
            matches = list(self.invitations.filter(label__iexact=typed)[:2])
            if not matches:
                self.add_error(
                    "label", "No link has this label. Check the spelling, or choose from the list"
                )
            elif len(matches) > 1:
                self.add_error(
                    "label", "More than one link has this label: choose the right one from the list"
                )
            else:
                data["target"] = matches[0]
        elif "invitation" not in self.errors and "label" not in self.errors:
            self.add_error(
                "invitation", "Choose the person whose link to re-issue, or type their label"
            )
        return data


class AssessmentEditForm(forms.Form):
    """Title and dates (the thresholds are the cycle's)."""

    title = AssessmentForm.base_fields["title"]
    opens_on = AssessmentForm.base_fields["opens_on"]
    closes_on = AssessmentForm.base_fields["closes_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "The closing date must be on or after the opening date")
        return data
