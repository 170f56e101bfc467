"""Forms of programmes, events, coordination effort, check-in and walk-ins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracelead.organisations.models import Organisation, Sector

from .models import (
    Academy,
    Characteristic,
    EffortKind,
    EventKind,
    Offer,
    Programme,
    RoleLevel,
    StaffGroup,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class ProgrammeForm(forms.Form):
    name = forms.CharField(label="Name of the programme", max_length=200,
                           help_text="For example, Whole-system leadership 2026.",
                           error_messages={"required": "Enter the name of the programme"})
    offer: forms.ModelChoiceField[Offer] = forms.ModelChoiceField(
        label="Offer it belongs to", queryset=None, empty_label="Choose an offer",
        error_messages={"required": "Choose the offer the programme belongs to",
                        "invalid_choice": "Choose one of the academy's offers"})
    purpose = forms.CharField(
        label="Purpose (the shared challenge)", max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The challenge the participants take on together.",
        error_messages={"required": "Enter the shared challenge the programme works on"})
    faculty = forms.CharField(label="Faculty (optional)", required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="Who leads and teaches it, one name a line.")

    def __init__(self, *args: Any, academy: Academy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = academy.offers.all()  # type: ignore[attr-defined]


class EventForm(forms.Form):
    """An event; its date and times are local (Europe/London) and it ends on its day."""

    kind = forms.ChoiceField(label="Kind of event", choices=EventKind.choices,
                             widget=forms.RadioSelect,
                             error_messages={"required": "Choose the kind of event"})
    title = forms.CharField(label="Title", max_length=200,
                            error_messages={"required": "Enter the title of the event"})
    description = forms.CharField(label="Description (optional)", required=False,
                                  max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    day = forms.DateField(
        label="Date", widget=DateInput(), input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text="For example, 14/05/2026.",
        error_messages={"required": "Enter the date of the event",
                        "invalid": "Enter a real date, like 14/05/2026"})
    starts = forms.TimeField(
        label="Start time", widget=TimeInput(), input_formats=["%H:%M", "%H:%M:%S"],
        help_text="UK time, on the 24-hour clock, for example 09:30.",
        error_messages={"required": "Enter the start time",
                        "invalid": "Enter the start time like 09:30"})
    ends = forms.TimeField(
        label="End time", widget=TimeInput(), input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"required": "Enter the end time",
                        "invalid": "Enter the end time like 12:30"})
    venue = forms.CharField(label="Place (optional for an online session)", required=False,
                            max_length=300, help_text="The venue and its address.")
    link = forms.URLField(label="Online link (optional)", required=False, max_length=200,
                          assume_scheme="https",
                          help_text="Shown only to members who have a place.",
                          error_messages={"invalid": "Enter the link as a web address, like "
                                                     "https://meet.example.org/abc"})
    capacity = forms.IntegerField(
        label="Number of places (optional)", required=False, min_value=1, max_value=100000,
        help_text="Leave empty for no limit. When the places are taken, members join a "
                  "waiting list.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": "Enter the number of places as a whole number, like 30",
                        "min_value": "Enter at least 1 place, or leave it empty for no limit",
                        "max_value": "Enter at most 100000 places"})
    characteristics: forms.ModelMultipleChoiceField[Characteristic] = (
        forms.ModelMultipleChoiceField(
        label="Leader characteristics it develops (optional)", required=False, queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose characteristics from the list"}))
    programme: forms.ModelChoiceField[Programme] = forms.ModelChoiceField(
        label="Programme (optional)", required=False, queryset=None,
        empty_label="Not part of a programme",
        error_messages={"invalid_choice": "Choose one of the academy's programmes"})
    counts_for_reach = forms.BooleanField(
        label="Attending counts towards the academy's reach", required=False, initial=True,
        help_text="Untick for events that are not development, such as a social.")

    def __init__(self, *args: Any, academy: Academy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["characteristics"].queryset = (  # type: ignore[attr-defined]
            academy.characteristics.all())
        self.fields["programme"].queryset = academy.programmes.all()  # type: ignore[attr-defined]
        if not academy.characteristics.exists():
            del self.fields["characteristics"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, starts, ends = data.get("day"), data.get("starts"), data.get("ends")
        if day and starts and ends:
            if ends <= starts:
                self.add_error("ends", "The end time must be after the start time")
            else:
                data["starts_at"] = timezone.make_aware(dt.datetime.combine(day, starts))
                data["ends_at"] = timezone.make_aware(dt.datetime.combine(day, ends))
        if not data.get("venue", "").strip() and not data.get("link"):
            if data.get("kind") == EventKind.ONLINE:
                self.add_error("link", "Enter the link for the online session")
            elif "link" not in self.errors:
                self.add_error("venue", "Enter the place of the event")
        return data

    def event_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"], "title": data["title"].strip(),
            "description": data["description"], "starts_at": data["starts_at"],
            "ends_at": data["ends_at"], "venue": data["venue"].strip(), "link": data["link"],
            "capacity": data["capacity"], "programme": data["programme"],
            "counts_for_reach": data["counts_for_reach"],
        }


class EffortForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of work", choices=EffortKind.choices,
                             widget=forms.RadioSelect,
                             error_messages={"required": "Choose the kind of work"})
    hours = forms.DecimalField(
        label="Hours", min_value=Decimal("0.25"), max_value=Decimal("9999"), decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="In hours, to the quarter: 1.5 is an hour and a half.",
        error_messages={"required": "Enter the number of hours",
                        "invalid": "Enter the hours as a number, like 1.5",
                        "min_value": "Enter at least 0.25 hours (15 minutes)",
                        "max_value": "Enter at most 9999 hours",
                        "max_decimal_places": "Enter the hours to two decimal places at most"})
    note = forms.CharField(label="Note (optional)", required=False, max_length=300,
                           help_text="What the time went on, for example room booking.")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Event code"), max_length=20,
        help_text=_("The 6 letters and numbers on the poster at the door, for example K7QM2X."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
        error_messages={"required": _("Enter the event code")})


class CheckInEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"), max_length=254,
        help_text=_("The address you joined the academy with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": _("Enter your email address"),
                        "invalid": _("Enter an email address, like name@example.org")})


class WalkInForm(forms.Form):
    """Someone at the door: a member found by address, or a new member."""

    email = forms.EmailField(
        label="Email address", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="If they are already a member, this is all you need.",
        error_messages={"required": "Enter their email address",
                        "invalid": "Enter an email address, like name@example.org"})
    name = forms.CharField(label="Full name (new members)", required=False, max_length=200)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label="Organisation (new members)", required=False, queryset=None,
        empty_label="Not listed", error_messages={"invalid_choice": "Choose an organisation "
                                                                    "from the list"})
    organisation_name = forms.CharField(
        label="Organisation, if not listed", required=False, max_length=200)
    sector = forms.ChoiceField(
        label="Sector, if the organisation is not listed", required=False,
        choices=[("", "Choose a sector"), *Sector.choices])
    staff_group = forms.ChoiceField(label="Profession or staff group (optional)",
                                    required=False,
                                    choices=[("", "Not given"), *StaffGroup.choices])
    place = forms.ChoiceField(label="Place (optional)", required=False, choices=[])
    level = forms.ChoiceField(label="Level of role (optional)", required=False,
                              choices=[("", "Not given"), *RoleLevel.choices])
    consent = forms.BooleanField(
        label="They agree to the academy keeping these details, as its privacy notice says",
        required=False)

    def __init__(self, *args: Any, academy: Academy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (  # type: ignore[attr-defined]
            Organisation.objects.filter(system=academy.system).order_by("name"))
        places = academy.place_list()
        if places:
            place = cast(forms.ChoiceField, self.fields["place"])
            place.choices = [("", "Not given"), *((p, p) for p in places)]
        else:
            del self.fields["place"]
