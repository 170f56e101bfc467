"""Forms of reach: a target, the workforce figures, and a workforce file to import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from .models import Academy, StaffGroup, Target, TargetKind, WorkforceDimension
from .reach_services import MAX_HEADCOUNT, FigureKey


class DateInput(forms.DateInput):
    input_type = "date"


class TargetForm(forms.Form):
    name = forms.CharField(
        label="Name of the target", max_length=200,
        help_text="For example, “2% of the workforce by March 2027”.",
        error_messages={"required": "Enter a name for the target"})
    kind = forms.ChoiceField(
        label="What kind of target is it?", choices=TargetKind.choices,
        widget=forms.RadioSelect, initial=TargetKind.COUNT,
        error_messages={"required": "Choose whether the target is a number of people or a "
                                    "share of the workforce",
                        "invalid_choice": "Choose one of the kinds of target listed"})
    people = forms.IntegerField(
        label="Number of people (for a number of people)", required=False, min_value=1,
        max_value=10_000_000,
        error_messages={"invalid": "Enter the number of people as a whole number, like 600",
                        "min_value": "Enter the number of people, 1 or more",
                        "max_value": "Enter a number of people of at most 10,000,000"})
    share_percent = forms.DecimalField(
        label="Share of the workforce, in percent (for a share)", required=False,
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal(100),
        error_messages={"invalid": "Enter the share as a number, like 2 or 2.5",
                        "min_value": "Enter a share of more than 0%%",
                        "max_value": "Enter a share of at most 100%%",
                        "max_decimal_places": "Enter the share with at most 2 decimal places",
                        "max_digits": "Enter the share with at most 2 decimal places"})
    starts_on = forms.DateField(
        label="Count reach from", widget=DateInput,
        help_text="People reached before this day do not count towards the target.",
        error_messages={"required": "Enter the day reach is counted from",
                        "invalid": "Enter the day reach is counted from as a real date"})
    by_date = forms.DateField(
        label="Target date", widget=DateInput,
        error_messages={"required": "Enter the date the target is due",
                        "invalid": "Enter the target date as a real date"})
    min_events = forms.IntegerField(
        label="Events someone must come to, to count as reached", min_value=1, max_value=100,
        initial=1,
        help_text="Only events that count towards reach (development events) are counted.",
        error_messages={"required": "Enter how many events make someone reached, such as 1",
                        "invalid": "Enter a whole number of events, such as 1",
                        "min_value": "Enter 1 or more events",
                        "max_value": "Enter at most 100 events"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["by_date"].initial = today + dt.timedelta(days=365)

    @staticmethod
    def initial_for(target: Target) -> dict[str, Any]:
        return {"name": target.name, "kind": target.kind, "people": target.people,
                "share_percent": target.share_percent, "starts_on": target.starts_on,
                "by_date": target.by_date, "min_events": target.min_events}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == TargetKind.COUNT and data.get("people") is None \
                and "people" not in self.errors:
            self.add_error("people", "Enter the number of people to reach")
        if kind == TargetKind.SHARE and data.get("share_percent") is None \
                and "share_percent" not in self.errors:
            self.add_error("share_percent", "Enter the share of the workforce to reach")
        starts, by = data.get("starts_on"), data.get("by_date")
        if starts and by and by <= starts:
            self.add_error("by_date", "The target date must be after the day reach is "
                                      "counted from")
        return data


class WorkforceForm(forms.Form):
    """A headcount box for every organisation of the system, every staff group and every
    place of the academy. An empty box means no figure."""

    def __init__(self, *args: Any, academy: Academy, organisations: list[tuple[int, str]],
                 current: dict[FigureKey, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys: dict[str, FigureKey] = {}
        self.groups: dict[str, list[str]] = {d: [] for d in WorkforceDimension.values}
        entries: list[tuple[str, FigureKey, str]] = [
            (f"org_{pk}", (WorkforceDimension.ORGANISATION, pk, ""), name)
            for pk, name in organisations]
        entries += [(f"staff_{code}", (WorkforceDimension.STAFF_GROUP, None, code), str(label))
                    for code, label in StaffGroup.choices]
        places = academy.place_list() or sorted(
            {k for d, _, k in current if d == WorkforceDimension.PLACE})
        entries += [(f"place_{i}", (WorkforceDimension.PLACE, None, place), place)
                    for i, place in enumerate(places)]
        for name, key, label in entries:
            self.fields[name] = forms.IntegerField(
                label=label, required=False, min_value=0, max_value=MAX_HEADCOUNT,
                initial=current.get(key),
                widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
                error_messages={
                    "invalid": f"Enter the headcount of {label} as a whole number, like 1200",
                    "min_value": f"Enter a headcount of 0 or more for {label}",
                    "max_value": f"The headcount of {label} is larger than any workforce; "
                                 "check the number"})
            self.keys[name] = key
            self.groups[key[0]].append(name)

    def figures(self) -> dict[FigureKey, int | None]:
        return {self.keys[name]: self.cleaned_data.get(name) for name in self.keys}


class WorkforceImportForm(forms.Form):
    file = forms.FileField(label="CSV file", error_messages={
        "required": "Choose a CSV file to upload", "empty": "The file is empty"})
