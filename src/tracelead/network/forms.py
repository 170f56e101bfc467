"""Forms of the relationships pages: a member's picker of people they know, whom they met
at an event, joint work since a date, and a facilitator's file of ties."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from tracelead.academy.models import Member

from .services import MAX_AT_ONCE

# A search must give this many characters of a name, and shows at most this many people:
# enough to find someone, too few to list the academy.
SEARCH_MIN = 2
SEARCH_LIMIT = 20


class DateInput(forms.DateInput):
    input_type = "date"


class PeopleSearchForm(forms.Form):
    """The picker's search (GET), and the filter of the people at an event."""

    q = forms.CharField(
        label="Search by name", required=False, max_length=100, strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                      "spellcheck": "false"}),
        error_messages={"max_length": "Type at most 100 characters of the name"},
    )

    def query(self) -> str:
        return str(self.cleaned_data.get("q") or "") if self.is_valid() else ""


class PeoplePickForm(forms.Form):
    """The people ticked on a list: ``people`` is who may be ticked (the academy's current
    members but the member themselves, or the others who checked in at an event)."""

    people = forms.ModelMultipleChoiceField(
        queryset=Member.objects.none(),
        error_messages={
            "required": "Tick at least one person",
            "invalid_choice": "Tick people from the list",
            "invalid_pk_value": "Tick people from the list",
        },
    )

    def __init__(self, *args: Any, people: QuerySet[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people  # type: ignore[attr-defined]

    def clean_people(self) -> list[Member]:
        chosen = list(self.cleaned_data["people"])
        if len(chosen) > MAX_AT_ONCE:
            raise forms.ValidationError(f"Tick at most {MAX_AT_ONCE} people at a time")
        return chosen


class WorkedForm(forms.Form):
    """"We have worked together since": with whom, and from when (today if empty)."""

    person = forms.IntegerField(min_value=1, error_messages={
        "required": "Choose the person you worked with",
        "invalid": "Choose the person you worked with",
        "min_value": "Choose the person you worked with",
    })
    on = forms.DateField(
        label="Since", required=False, widget=DateInput,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text="Leave it empty for today.",
        error_messages={"invalid": "Enter the date as a real date, such as 2026-03-31"},
    )


class ConnectionImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel (.xlsx) file",
        error_messages={"required": "Choose a CSV or Excel file to upload",
                        "empty": "The file is empty"},
    )
