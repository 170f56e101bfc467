"""Forms of the action plan and of sharing."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from tracelead.diagnostics.forms import DateInput
from tracelead.instruments import Instrument

from .models import ActionStatus


class ActionForm(forms.Form):
    title = forms.CharField(
        label="What will the team do?", max_length=200,
        help_text="One concrete step, for example “Agree our three priorities at the "
        "next away day”.",
        error_messages={"required": "Enter what the team will do",
                        "max_length": "Keep what the team will do to 200 characters or fewer"},
    )
    condition = forms.ChoiceField(
        label="Which condition is it about?", widget=forms.RadioSelect,
        error_messages={"required": "Choose the condition the action is about",
                        "invalid_choice": "Choose one of the conditions listed"},
    )
    practice = forms.ChoiceField(
        label="Practice it puts into use (optional)", required=False,
        error_messages={"invalid_choice": "Choose one of the practices listed, or none"},
    )
    owner = forms.CharField(
        label="Who will make sure it happens?", max_length=200,
        help_text="A name or a role, such as “Ward manager”.",
        error_messages={"required": "Enter who will make sure it happens",
                        "max_length": "Keep the owner to 200 characters or fewer"},
    )
    due_on = forms.DateField(
        label="Due by (optional)", required=False, widget=DateInput,
        error_messages={"invalid": "Enter the due date as a real date"},
    )
    status = forms.ChoiceField(
        label="Status", widget=forms.RadioSelect, choices=ActionStatus.choices,
        initial=ActionStatus.NOT_STARTED,
        error_messages={"required": "Choose the action's status",
                        "invalid_choice": "Choose one of the statuses listed"},
    )
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000, widget=forms.Textarea,
        help_text="What has happened so far, or what got in the way.",
        error_messages={"max_length": "Keep the note to 2,000 characters or fewer"},
    )

    def __init__(self, *args: Any, instrument: Instrument, focus: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        conditions = []
        for scale in instrument.scales:
            label = scale.name + (" (where the report suggests focusing)"
                                  if scale.key == focus else "")
            conditions.append((scale.key, label))
        cast(forms.ChoiceField, self.fields["condition"]).choices = conditions
        practices: list[tuple[str, str]] = [("", "None")]
        seen: set[str] = set()
        for scale in instrument.scales:
            for item in scale.practices:
                if item.title not in seen:
                    seen.add(item.title)
                    practices.append((item.title, f"{scale.name}: {item.title}"))
        cast(forms.ChoiceField, self.fields["practice"]).choices = practices


class ShareForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254,
        help_text="If they have no account yet, they get an email with a link to make one.",
        error_messages={"required": "Enter the email address of the person to invite",
                        "invalid": "Enter an email address in the right format, like "
                        "name@example.nhs.uk"},
    )
    scope = forms.ChoiceField(
        label="What they may see",
        help_text="A viewer of an organisation sees all its groups; a viewer of a group "
        "sees that group and the groups inside it.",
        error_messages={"required": "Choose what they may see",
                        "invalid_choice": "Choose one of the scopes listed"},
    )

    def __init__(self, *args: Any, scopes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scope"]).choices = scopes


class AcceptForm(forms.Form):
    password = forms.CharField(
        label="Choose a password", widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. A few unrelated words make a strong one.",
        error_messages={"required": "Choose a password"},
    )
    password_again = forms.CharField(
        label="Type the password again", widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password"), data.get("password_again")
        if first and second and first != second:
            self.add_error("password_again", "The two passwords are not the same")
        return data
