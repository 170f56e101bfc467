"""Forms of the academy's set-up (members, events and reach have their own, beside their
views)."""

from __future__ import annotations

from django import forms


class AcademyForm(forms.Form):
    name = forms.CharField(
        label="Name of the academy", max_length=200,
        help_text="For example, Northbrook and Vale System Leadership Academy.",
        error_messages={"required": "Enter the name of the academy"},
    )
    purpose = forms.CharField(
        label="Purpose", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
        help_text="What the academy is for, in a few sentences; members read it when they "
                  "sign up.",
        error_messages={"required": "Enter the academy's purpose"},
    )
    principles = forms.CharField(
        label="Principles (optional)", required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}), help_text="One principle a line.")
    places = forms.CharField(
        label="Places (optional)", required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The places of the system (boroughs, localities), one a line. Members "
                  "choose theirs when they sign up; reach is shown for each.")
    privacy_notice = forms.CharField(
        label="Privacy notice", max_length=8000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Shown on the sign-up page: who holds members' details, why, for how long, "
                  "and how to leave.",
        error_messages={"required": "Enter the privacy notice members will read"},
    )
    sign_up_open = forms.BooleanField(label="People can sign up on the public page",
                                      required=False, initial=True)


class NamedItemForm(forms.Form):
    """A leader characteristic or an offer."""

    name = forms.CharField(label="Name", max_length=200,
                           error_messages={"required": "Enter a name"})
    description = forms.CharField(label="Description (optional)", required=False,
                                  max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    position = forms.IntegerField(label="Order in the list", min_value=0, max_value=999,
                                  initial=0, help_text="Lower numbers come first.",
                                  error_messages={"required": "Enter a number, such as 1"})
